// The door to an account's distribution workflow (workflows/distribution/): everything that
// may make a lead assignable tells it through `requestAutoAssignPass`.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { temporalSettings } from '../../temporal.config.ts';
import { autoAssignRequestedSignal, distributionStatusQuery, distributionWorkflowId, type DistributionStatus } from '../../workflows/distribution/messages.ts';
import type { distributionWorkflow } from '../../workflows/distribution/workflow.ts';
import { LeadflowAccountId } from '../../workflows/search-attributes.ts';

export const DISTRIBUTION_WORKFLOW_TYPE = 'distributionWorkflow';

/** Signal-with-start: the account's workflow runs a pass soon, started if it was not running. */
export async function requestAutoAssignPass(client: Client, accountId: string, why: string, opts: { taskQueue?: string } = {}): Promise<void> {
  await client.workflow.signalWithStart<typeof distributionWorkflow, [{ why: string }]>(DISTRIBUTION_WORKFLOW_TYPE, {
    workflowId: distributionWorkflowId(accountId),
    taskQueue: opts.taskQueue ?? temporalSettings().taskQueue,
    args: [{ accountId }],
    typedSearchAttributes: [{ key: LeadflowAccountId, value: accountId }],
    workflowIdConflictPolicy: 'USE_EXISTING',
    signal: autoAssignRequestedSignal,
    signalArgs: [{ why }],
  });
}

/** What the account's distribution workflow last did and when it runs next. */
export function distributionStatus(client: Client, accountId: string): Promise<DistributionStatus> {
  return client.workflow.getHandle<typeof distributionWorkflow>(distributionWorkflowId(accountId)).query(distributionStatusQuery);
}

/** Whether the account's distribution workflow has a run going. */
export async function distributionRunning(client: Client, accountId: string): Promise<boolean> {
  try {
    const d = await client.workflow.getHandle(distributionWorkflowId(accountId)).describe();
    return d.status.name === 'RUNNING';
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}
