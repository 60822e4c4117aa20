// Every worker asks for the namespace's background workflows at start-up: housekeeping (daily
// pruning) and lead reconcile (every few minutes). Their fixed workflow ids make the request
// idempotent, so however many workers start, one of each runs per namespace. Nothing else
// starts them, and a worker start is when one could have gone missing (a fresh namespace, or a
// run that was terminated).
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';

export const HOUSEKEEPING_WORKFLOW_ID = 'housekeeping';
export const LEAD_RECONCILE_WORKFLOW_ID = 'lead-reconcile';

/** Workflow types by name, so the worker does not load workflow code outside the sandbox. */
export const HOUSEKEEPING_WORKFLOW_TYPE = 'housekeepingWorkflow';
export const LEAD_RECONCILE_WORKFLOW_TYPE = 'leadReconcileWorkflow';

/** Starts the workflow unless it is already running; either way, its current run. */
async function ensureRunning(client: Client, taskQueue: string, workflowType: string, workflowId: string): Promise<{ workflowId: string; runId: string }> {
  try {
    // USE_EXISTING: a running workflow is answered with its run, not an error.
    const handle = await client.workflow.start(workflowType, {
      workflowId,
      taskQueue,
      args: [{}],
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
    return { workflowId: handle.workflowId, runId: handle.firstExecutionRunId };
  } catch (err) {
    // A server that predates conflict policies ignores USE_EXISTING and answers "already
    // started": the outcome wanted too.
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    const { runId } = await client.workflow.getHandle(workflowId).describe();
    return { workflowId, runId };
  }
}

export function ensureHousekeepingWorkflow(client: Client, taskQueue: string): Promise<{ workflowId: string; runId: string }> {
  return ensureRunning(client, taskQueue, HOUSEKEEPING_WORKFLOW_TYPE, HOUSEKEEPING_WORKFLOW_ID);
}

export function ensureLeadReconcileWorkflow(client: Client, taskQueue: string): Promise<{ workflowId: string; runId: string }> {
  return ensureRunning(client, taskQueue, LEAD_RECONCILE_WORKFLOW_TYPE, LEAD_RECONCILE_WORKFLOW_ID);
}
