// The door to the suppression sweep workflow (workflows/compliance/): a list upload starts one.
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { temporalSettings } from '../../temporal.config.ts';
import type { suppressionSweepWorkflow, SuppressionSweepInput } from '../../workflows/compliance/workflow.ts';
import { LeadflowAccountId } from '../../workflows/search-attributes.ts';

export const SUPPRESSION_SWEEP_WORKFLOW_TYPE = 'suppressionSweepWorkflow';

/** Starts the sweep of one upload; answers with its workflow id. */
export async function startSuppressionSweep(client: Client, input: SuppressionSweepInput, opts: { taskQueue?: string } = {}): Promise<string> {
  const workflowId = `suppression-sweep-${input.accountId ?? 'federal'}-${randomUUID()}`;
  await client.workflow.start<typeof suppressionSweepWorkflow>(SUPPRESSION_SWEEP_WORKFLOW_TYPE, {
    workflowId,
    taskQueue: opts.taskQueue ?? temporalSettings().taskQueue,
    args: [input],
    ...(input.accountId ? { typedSearchAttributes: [{ key: LeadflowAccountId, value: input.accountId }] } : {}),
  });
  return workflowId;
}
