// Every worker asks for the housekeeping workflow at start-up; the fixed workflow id makes the
// request idempotent, so however many workers start, one housekeeping workflow runs per
// namespace. Nothing else starts it, and a worker start is when it could have gone missing
// (a fresh namespace, or a run that was terminated).
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { housekeepingWorkflow } from '../workflows/housekeeping/workflow.ts';

export const HOUSEKEEPING_WORKFLOW_ID = 'housekeeping';

/** The workflow type, by name, so the worker does not load workflow code outside the sandbox. */
export const HOUSEKEEPING_WORKFLOW_TYPE = 'housekeepingWorkflow';

/** Starts the housekeeping workflow unless it is already running; either way, its current run. */
export async function ensureHousekeepingWorkflow(client: Client, taskQueue: string): Promise<{ workflowId: string; runId: string }> {
  try {
    // USE_EXISTING: a running housekeeping workflow is answered with its run, not an error.
    const handle = await client.workflow.start<typeof housekeepingWorkflow>(HOUSEKEEPING_WORKFLOW_TYPE, {
      workflowId: HOUSEKEEPING_WORKFLOW_ID,
      taskQueue,
      args: [{}],
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
    return { workflowId: handle.workflowId, runId: handle.firstExecutionRunId };
  } catch (err) {
    // A server that predates conflict policies ignores USE_EXISTING and answers "already
    // started": the outcome wanted too.
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    const { runId } = await client.workflow.getHandle(HOUSEKEEPING_WORKFLOW_ID).describe();
    return { workflowId: HOUSEKEEPING_WORKFLOW_ID, runId };
  }
}
