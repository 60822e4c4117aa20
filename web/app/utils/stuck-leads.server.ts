// The Support page's stuck leads and the per-lead repairs, on the web app's services. The
// finding itself is worker/clients/stuck-leads.ts; this module adds the account scoping, the
// Temporal Web links and the lead history entries that record what support did.
import type { Knex } from 'knex';
import { DEFAULT_NO_PROGRESS_DAYS, findStuckLeads, reconcileLead, type StuckReport } from '../../../worker/clients/stuck-leads.ts';
import type { WebServices } from '../context.ts';
import { MAX_NO_PROGRESS_DAYS } from './stuck-words.ts';
import { temporalWorkflowUrl } from './system-check.server.ts';
import type { LeadEventType } from '../../../db/lead-event-types.ts';

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** N of "no progress for N days" from the page's query string: 1 to 365, else the default. */
export function noProgressDays(url: URL): number {
  const raw = url.searchParams.get('days');
  const n = raw && /^\d{1,3}$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  return n >= 1 && n <= MAX_NO_PROGRESS_DAYS ? n : DEFAULT_NO_PROGRESS_DAYS;
}

export type StuckLeadsView = StuckReport & { temporalUrls: Record<string, string | null> };

export async function loadStuckLeads(services: WebServices, accountId: string, days: number): Promise<StuckLeadsView> {
  let client = null;
  let problem: string | null = null;
  if (services.temporal) {
    try {
      client = await services.temporal.getClient();
    } catch (err) {
      console.error('[web] Temporal unreachable for the stuck-lead finder', err);
      problem = 'Temporal did not answer';
    }
  }
  const report = await findStuckLeads({ db: services.db, client, accountId, noProgressDays: days, limit: 50 });
  if (problem) report.temporalProblem = problem;
  const temporalUrls: Record<string, string | null> = {};
  for (const list of Object.values(report.items)) for (const item of list) temporalUrls[item.workflowId] = temporalWorkflowUrl(services, item.workflowId);
  return { ...report, temporalUrls };
}

/**
 * A history entry for what support did to a lead's workflow. Its kind is not one the lead page
 * words by itself, so its note carries the words the page shows.
 */
export async function recordSupportEntry(db: Knex, input: { accountId: string; leadId: string; userId: string; type: LeadEventType; note: string }): Promise<void> {
  await db('lead_events').insert({ lead_id: input.leadId, account_id: input.accountId, actor_user_id: input.userId, type: input.type, note: input.note, data: JSON.stringify({ by: 'support' }) });
}

export type ReconcileOneResult = { ok: true; message: string } | { ok: false; status: number; message: string };

/** The per-lead Reconcile: starts the lead's workflow from Postgres when it is not running. */
export async function reconcileOneLead(services: WebServices, user: { accountId: string; id: string }, leadId: string): Promise<ReconcileOneResult> {
  if (!UUID_RE.test(leadId)) return { ok: false, status: 404, message: 'Lead not found' };
  if (!services.temporal) return { ok: false, status: 503, message: 'Temporal is not configured for this web server (set TEMPORAL_ADDRESS), so no workflow can be started.' };
  try {
    const client = await services.temporal.getClient();
    const r = await reconcileLead(client, services.db, { accountId: user.accountId, leadId, taskQueue: services.temporal.taskQueue });
    if (r === 'not_found') return { ok: false, status: 404, message: 'Lead not found' };
    if (r === 'not_open') return { ok: false, status: 409, message: 'This lead is closed (recycled, archived or removed): reconcile starts open leads only.' };
    if (r === 'already_running') return { ok: true, message: 'Its workflow is running already; nothing to do.' };
    await recordSupportEntry(services.db, { accountId: user.accountId, leadId, userId: user.id, type: 'workflow_restarted', note: 'Workflow started again from the database (Support: Reconcile)' });
    return { ok: true, message: 'Its workflow is running again, started from what the database knows.' };
  } catch (err) {
    console.error('[web] reconciling a lead failed', err);
    return { ok: false, status: 503, message: 'Temporal did not accept the start; try again, and see the server log for the cause.' };
  }
}
