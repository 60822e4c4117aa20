// The lead activities live in lead/; this path stays while commands and tests still import it.
export { createLeadActivities } from './lead/index.ts';
