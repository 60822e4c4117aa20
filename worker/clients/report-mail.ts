// The door to an account's report-mail workflow (workflows/reports/): a subscription change
// tells it through `reportSubscriptionsChanged`, and every worker start makes sure each account
// with subscriptions has one running.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Knex } from 'knex';
import { accountsWithSubscriptions } from '../../db/report-mail/subscriptions.ts';
import { temporalSettings } from '../../temporal.config.ts';
import { reportMailStatusQuery, reportMailWorkflowId, reportSubscriptionsChangedSignal, type ReportMailStatus } from '../../workflows/reports/messages.ts';
import type { reportMailWorkflow } from '../../workflows/reports/workflow.ts';
import { LeadflowAccountId } from '../../workflows/search-attributes.ts';

export const REPORT_MAIL_WORKFLOW_TYPE = 'reportMailWorkflow';

/** Signal-with-start: the account's workflow reads its subscriptions again now, started if it was not running. */
export async function reportSubscriptionsChanged(client: Client, accountId: string, opts: { taskQueue?: string } = {}): Promise<void> {
  await client.workflow.signalWithStart<typeof reportMailWorkflow, []>(REPORT_MAIL_WORKFLOW_TYPE, {
    workflowId: reportMailWorkflowId(accountId),
    taskQueue: opts.taskQueue ?? temporalSettings().taskQueue,
    args: [{ accountId }],
    typedSearchAttributes: [{ key: LeadflowAccountId, value: accountId }],
    workflowIdConflictPolicy: 'USE_EXISTING',
    signal: reportSubscriptionsChangedSignal,
    signalArgs: [],
  });
}

/** When the account's workflow next sends, and how many subscriptions it saw. */
export function reportMailStatus(client: Client, accountId: string): Promise<ReportMailStatus> {
  return client.workflow.getHandle<typeof reportMailWorkflow>(reportMailWorkflowId(accountId)).query(reportMailStatusQuery);
}

async function running(client: Client, accountId: string): Promise<boolean> {
  try {
    const d = await client.workflow.getHandle(reportMailWorkflowId(accountId)).describe();
    return d.status.name === 'RUNNING';
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

/**
 * Starts the report-mail workflow of every account with a subscription that has none running (a
 * fresh namespace, a terminated run): without it, nobody there would get their reports. Every
 * worker calls this at start (worker/main.ts); the ids make it idempotent.
 */
export async function ensureReportMailsRunning(deps: { db: Knex; temporal: Client; taskQueue?: string }): Promise<string[]> {
  const started: string[] = [];
  for (const accountId of await accountsWithSubscriptions(deps.db)) {
    if (await running(deps.temporal, accountId)) continue;
    await reportSubscriptionsChanged(deps.temporal, accountId, { taskQueue: deps.taskQueue });
    started.push(accountId);
  }
  return started;
}
