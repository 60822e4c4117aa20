// Reconcile: finds open leads (status new or active) whose workflow is not running and starts
// it again from what Postgres knows, so a lost Temporal server (or a start that failed after
// the lead was committed) does not lose an agency's leads. Safe to run any time: a running
// workflow is left alone, and a start races nothing (USE_EXISTING).
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Knex } from 'knex';
import { temporalSettings } from '../temporal.config.ts';
import { leadWorkflowId, type LeadWorkflowInput } from '../workflows/lead/messages.ts';
import { LeadflowAccountId } from '../workflows/search-attributes.ts';

export interface ReconcileResult {
  checked: number;
  restarted: string[];
}

const CONCURRENCY = 20;

async function isRunning(client: Client, workflowId: string): Promise<boolean> {
  try {
    const d = await client.workflow.getHandle(workflowId).describe();
    return d.status.name === 'RUNNING';
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

export async function reconcileLeads(
  client: Client,
  db: Knex,
  opts: { accountId?: string; taskQueue?: string } = {},
): Promise<ReconcileResult> {
  const taskQueue = opts.taskQueue ?? temporalSettings().taskQueue;
  const query = db('leads').whereIn('status', ['new', 'active']).select('id', 'account_id').orderBy('created_at');
  if (opts.accountId) query.where('account_id', opts.accountId);
  const leads: Array<{ id: string; account_id: string }> = await query;
  const restarted: string[] = [];
  for (let i = 0; i < leads.length; i += CONCURRENCY) {
    await Promise.all(
      leads.slice(i, i + CONCURRENCY).map(async (lead) => {
        const workflowId = leadWorkflowId(lead.id);
        if (await isRunning(client, workflowId)) return;
        // The workflow reads the lead's current row itself; its steps are idempotent, so
        // starting over from Postgres repeats nothing that was already done.
        const input: LeadWorkflowInput = { leadId: lead.id, accountId: lead.account_id };
        await client.workflow.start('leadWorkflow', {
          taskQueue,
          workflowId,
          args: [input],
          workflowIdConflictPolicy: 'USE_EXISTING',
          typedSearchAttributes: [{ key: LeadflowAccountId, value: lead.account_id }],
        });
        restarted.push(lead.id);
      }),
    );
  }
  return { checked: leads.length, restarted };
}
