// Every workflow the worker registers: the worker's workflowsPath and the production bundle
// (npm run build) both start here.
export { systemCheckWorkflow } from './system-check/workflow.ts';
export { leadWorkflow } from './lead/workflow.ts';
export { importWorkflow } from './import/workflow.ts';
export { housekeepingWorkflow } from './housekeeping/workflow.ts';
export { leadReconcileWorkflow } from './reconcile/workflow.ts';
export { distributionWorkflow } from './distribution/workflow.ts';
export { suppressionSweepWorkflow } from './compliance/workflow.ts';
export { reportMailWorkflow } from './reports/workflow.ts';
