// The support page's end-to-end check (web -> Temporal -> worker -> activity -> Postgres).
// worker/clients/system-check.ts owns starting it; this module adapts it to the web app's services.
import type { Knex } from 'knex';
import { reconcileLeads } from '../../../activities/reconcile.ts';
import { startSystemCheck } from '../../../worker/clients/system-check.ts';
import type { WebServices } from '../context.ts';

export type RunCheckResult = { ok: true; workflowId: string } | { ok: false; message: string };

export async function runSystemCheck(services: WebServices, input: { accountId: string; userId: string }): Promise<RunCheckResult> {
  if (!services.temporal) return { ok: false, message: 'Temporal is not configured for this web server (set TEMPORAL_ADDRESS), so no check can run.' };
  try {
    const client = await services.temporal.getClient();
    const { workflowId } = await startSystemCheck(client, services.db, { ...input, taskQueue: services.temporal.taskQueue });
    return { ok: true, workflowId };
  } catch (err) {
    // The cause goes to the server log only; the page says what the user can act on.
    console.error('[web] starting a system check failed', err);
    return { ok: false, message: 'Could not start the check: Temporal did not accept it. The failed attempt is listed below; see the server log for the cause.' };
  }
}

export type ReconcileResult = { ok: true; checked: number; restarted: number } | { ok: false; message: string };

/** Support's "Reconcile leads": restarts this account's open leads that have no running workflow. */
export async function runReconcile(services: WebServices, input: { accountId: string }): Promise<ReconcileResult> {
  if (!services.temporal) return { ok: false, message: 'Temporal is not configured for this web server (set TEMPORAL_ADDRESS), so leads cannot be reconciled.' };
  try {
    const client = await services.temporal.getClient();
    const r = await reconcileLeads(client, services.db, { accountId: input.accountId, taskQueue: services.temporal.taskQueue });
    return { ok: true, checked: r.checked, restarted: r.restarted.length };
  } catch (err) {
    console.error('[web] reconcile failed', err);
    return { ok: false, message: 'Reconcile stopped: Temporal did not answer. Leads restarted so far stay running; run it again.' };
  }
}

export interface SystemCheckRow {
  id: string;
  workflowId: string;
  status: string;
  workerIdentity: string | null;
  requestedBy: string | null;
  createdAt: Date;
  completedAt: Date | null;
}

export async function listSystemChecks(db: Knex, accountId: string): Promise<SystemCheckRow[]> {
  const rows: Array<{
    id: string;
    workflow_id: string;
    status: string;
    worker_identity: string | null;
    created_at: Date;
    completed_at: Date | null;
    requested_by: string | null;
  }> = await db('system_checks as c')
    .leftJoin('users as u', 'u.id', 'c.requested_by')
    .where('c.account_id', accountId)
    .orderBy([
      { column: 'c.created_at', order: 'desc' },
      { column: 'c.id', order: 'desc' },
    ])
    .limit(25)
    .select('c.id', 'c.workflow_id', 'c.status', 'c.worker_identity', 'c.created_at', 'c.completed_at', 'u.name as requested_by');
  return rows.map((r) => ({
    id: r.id,
    workflowId: r.workflow_id,
    status: r.status,
    workerIdentity: r.worker_identity,
    requestedBy: r.requested_by,
    createdAt: r.created_at,
    completedAt: r.completed_at,
  }));
}

export function temporalWorkflowUrl(services: WebServices, workflowId: string): string | null {
  if (!services.temporalWebUrl) return null;
  const ns = encodeURIComponent(services.temporal?.namespace ?? 'default');
  return `${services.temporalWebUrl}/namespaces/${ns}/workflows/${encodeURIComponent(workflowId)}`;
}
