// Starting a system check, for the web app (an admin's "check the system" button).
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { Knex } from 'knex';
import { temporalSettings } from '../../temporal.config.ts';
import { LeadflowAccountId } from '../../workflows/search-attributes.ts';
import type { systemCheckWorkflow } from '../../workflows/system-check/workflow.ts';

export const systemCheckWorkflowId = (checkId: string) => `system-check-${checkId}`;

/**
 * Records a system check (status 'started') and starts its workflow, `system-check-<checkId>`.
 * The row is written first so the activity always finds it; if the start fails, the row is
 * marked 'failed' and the error is rethrown.
 */
export async function startSystemCheck(
  client: Client,
  knex: Knex,
  { accountId, userId, taskQueue = temporalSettings().taskQueue }: { accountId: string; userId?: string | null; taskQueue?: string },
): Promise<{ checkId: string; workflowId: string }> {
  const checkId = randomUUID();
  const workflowId = systemCheckWorkflowId(checkId);
  await knex('system_checks').insert({ id: checkId, account_id: accountId, requested_by: userId ?? null, workflow_id: workflowId, status: 'started' });
  try {
    await client.workflow.start<typeof systemCheckWorkflow>('systemCheckWorkflow', {
      taskQueue,
      workflowId,
      args: [{ checkId }],
      typedSearchAttributes: [{ key: LeadflowAccountId, value: accountId }],
      // A check that no worker picks up within this time is over; it must not wait forever.
      workflowExecutionTimeout: '10 minutes',
    });
  } catch (err) {
    await knex('system_checks').where({ id: checkId }).update({ status: 'failed' });
    throw err;
  }
  return { checkId, workflowId };
}
