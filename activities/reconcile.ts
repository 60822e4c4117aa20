// Reconcile: finds open leads (status new or active) whose workflow is not running and starts
// it again from what Postgres knows, so a lost Temporal server (or a start that failed after
// the lead was committed) does not lose an agency's leads. Safe to run any time: a running
// workflow is left alone, and a start races nothing (USE_EXISTING).
//
// Two ways in: `reconcileLeads` over every open lead (the Support page's button and `npm run
// reconcile`), and the `reconcileRecentLeads` activity that the lead-reconcile workflow runs
// every few minutes over the leads that could have been missed since its last sweep.
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Knex } from 'knex';
import { leadWorkflowId } from '../workflows/lead/messages.ts';
import { forEachLimit, startLead } from '../worker/clients/lead.ts';

export interface ReconcileResult {
  checked: number;
  restarted: string[];
}

/** Leads per visibility query: one list call answers for the whole page of leads. */
const PAGE = 100;
const CONCURRENCY = 20;
/**
 * A lead whose workflow could not be started says so in its history (`workflow_start_failed`);
 * such leads are looked at again for this long, whenever they were created.
 */
const START_FAILED_LOOKBACK_DAYS = 7;

async function isRunning(client: Client, workflowId: string): Promise<boolean> {
  try {
    const d = await client.workflow.getHandle(workflowId).describe();
    return d.status.name === 'RUNNING';
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

/** Of these workflow ids, the ones visibility lists as running: one call for the lot. */
async function listedRunning(client: Client, workflowIds: string[]): Promise<Set<string>> {
  const running = new Set<string>();
  const ids = workflowIds.map((id) => `'${id.replace(/'/g, "\\'")}'`).join(', ');
  for await (const w of client.workflow.list({ query: `WorkflowId IN (${ids}) AND ExecutionStatus = 'Running'` })) running.add(w.workflowId);
  return running;
}

export interface ReconcileOptions {
  accountId?: string;
  taskQueue?: string;
  /**
   * Only leads created at or after this time, plus leads whose workflow start failed in the
   * last week. Without it, every open lead.
   */
  since?: Date;
  /** Leads created after this are left to the request still starting their workflow. */
  until?: Date;
}

export async function reconcileLeads(client: Client, db: Knex, opts: ReconcileOptions = {}): Promise<ReconcileResult> {
  const query = db('leads').whereIn('status', ['new', 'active']).select('id', 'account_id').orderBy('created_at');
  if (opts.accountId) query.where('account_id', opts.accountId);
  if (opts.until) query.where('created_at', '<', opts.until);
  if (opts.since) {
    const since = opts.since;
    query.where((q) =>
      q.where('created_at', '>=', since).orWhereIn(
        'id',
        db('lead_events')
          .where('type', 'workflow_start_failed')
          .where('created_at', '>=', db.raw(`now() - interval '${START_FAILED_LOOKBACK_DAYS} days'`))
          .select('lead_id'),
      ),
    );
  }
  const leads: Array<{ id: string; account_id: string }> = await query;
  const restarted: string[] = [];
  for (let i = 0; i < leads.length; i += PAGE) {
    const page = leads.slice(i, i + PAGE);
    const running = await listedRunning(client, page.map((l) => leadWorkflowId(l.id)));
    // Visibility can lag a start by a moment on a real cluster: what it does not list is
    // asked about directly before anything is started.
    const unlisted = page.filter((l) => !running.has(leadWorkflowId(l.id)));
    await forEachLimit(unlisted, CONCURRENCY, async (lead) => {
      if (await isRunning(client, leadWorkflowId(lead.id))) return;
      // The workflow reads the lead's current row itself; its steps are idempotent, so
      // starting over from Postgres repeats nothing that was already done.
      await startLead(client, { leadId: lead.id, accountId: lead.account_id }, { taskQueue: opts.taskQueue });
      restarted.push(lead.id);
    });
  }
  return { checked: leads.length, restarted };
}

export interface ReconcileActivityDeps {
  db: Knex;
  temporal: () => Promise<Client>;
  taskQueue: string;
  /** Test hook: how long a new lead is left to its own request (default RECONCILE_SETTLE_MS). */
  settleMs?: number;
}

export interface RecentReconcileResult extends ReconcileResult {
  /** Where the next sweep starts (ISO time): this sweep's upper bound. */
  next: string;
}

/**
 * How long after its creation a lead is first looked at: by then the request that saved it
 * has long finished starting its workflow (or recorded that it could not).
 */
export const RECONCILE_SETTLE_MS = 60_000;

export function createReconcileActivities({ db, temporal, taskQueue, settleMs = RECONCILE_SETTLE_MS }: ReconcileActivityDeps) {
  return {
    /** Starts the workflows of open leads created in [since, now - settle) that have none running. */
    async reconcileRecentLeads({ since }: { since: string }): Promise<RecentReconcileResult> {
      const [{ now }] = (await db.raw('SELECT now() AS now')).rows as Array<{ now: Date }>;
      const until = new Date(now.getTime() - settleMs);
      const r = await reconcileLeads(await temporal(), db, { taskQueue, since: new Date(since), until });
      return { ...r, next: until.toISOString() };
    },
  };
}

export type ReconcileActivities = ReturnType<typeof createReconcileActivities>;
