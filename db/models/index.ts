// The objection models, one per file, for the rows the app reads and writes as objects: a lead
// with its history, touches and assignments, users and accounts. Set-based work (intake,
// scrubs, lists, the outbox, imports) stays in knex, typed by Row<Model> (EmailOutbox, Import). Rows come back camelCase; query identifiers stay snake_case
// (`.where('account_id', id)`). Queries always pass the knex or transaction to use
// (`Lead.query(trx)`): no model is bound to a global one.
//
// The lead's string-literal unions live with the lead workflow (workflow code may import only
// workflow code) and are re-exported here, so the rest of the app imports them from one place.
export { Account } from './account.ts';
export type { Row } from './base.ts';
export { Assignment, ASSIGNMENT_METHODS, type AssignmentMethod, type AutoAssignDetail, type LedgerAtDecision } from './assignment.ts';
export { EmailOutbox, OUTBOX_STATUSES, type OutboxStatus } from './email-outbox.ts';
export { Import, IMPORT_STATUSES, type ImportStatus } from './import.ts';
export { Lead, LEAD_KINDS, type EmailEntry, type LeadKind, type PhoneEntry } from './lead.ts';
export { LeadEvent } from './lead-event.ts';
export { LeadSourceTouch } from './lead-source-touch.ts';
export { ROLES, USER_STATUSES, User, type Role, type UserStatus } from './user.ts';
export { LEAD_STATUSES, type LeadStatus } from '../../workflows/lead/state.ts';
export { SEGMENTS, type Segment } from '../../workflows/lead/segment.ts';
export { LEAD_SOURCES, type LeadSource } from '../../workflows/lead/templates.ts';
export type { Milestone } from '../../workflows/lead/quick-actions.ts';
