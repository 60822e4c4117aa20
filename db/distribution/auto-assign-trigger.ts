// Tells an account's distribution workflow that a lead may be assignable now, when the
// account's auto-assign template is on. Called after a commit by whatever changed the pool or
// the LSPs' capacity: intake, unassignment, an LSP becoming available, a raised target, the
// template turned on. Best effort: a trigger that cannot be sent is logged; the next trigger or
// the next workday start runs the pass that catches up.
import type { Client } from '@temporalio/client';
import type { Knex } from 'knex';
import { distributionRunning, requestAutoAssignPass } from '../../worker/clients/distribution.ts';

export interface TriggerDeps {
  db: Knex;
  /** A client or a getter; null: no Temporal here, nothing is sent. */
  temporal: Client | (() => Promise<Client>) | null;
  taskQueue?: string;
}

/** Whether the account's auto-assign template is on. */
export async function autoAssignEnabled(db: Knex | Knex.Transaction, accountId: string): Promise<boolean> {
  const row = await db('workflow_templates').where({ account_id: accountId, key: 'auto_assign' }).first('enabled');
  return row?.enabled === true;
}

export async function requestAutoAssign(deps: TriggerDeps, accountId: string, why: string, opts: { force?: boolean } = {}): Promise<boolean> {
  if (!deps.temporal) return false;
  try {
    if (!opts.force && !(await autoAssignEnabled(deps.db, accountId))) return false;
    const client = typeof deps.temporal === 'function' ? await deps.temporal() : deps.temporal;
    await requestAutoAssignPass(client, accountId, why, { taskQueue: deps.taskQueue });
    return true;
  } catch (err) {
    console.error('[auto-assign] could not trigger a pass for account', accountId, err);
    return false;
  }
}

/**
 * Starts the distribution workflow of every account with auto-assign on that has none running
 * (a fresh namespace, a terminated run, triggers that were all lost): without it, such an
 * account would get no workday-start pass until its next trigger. Every worker calls this at
 * start (worker/main.ts).
 */
export async function ensureDistributionRunning(deps: { db: Knex; temporal: Client; taskQueue?: string }): Promise<string[]> {
  const accounts: Array<{ account_id: string }> = await deps.db('workflow_templates').where({ key: 'auto_assign', enabled: true }).select('account_id');
  const started: string[] = [];
  for (const { account_id: accountId } of accounts) {
    if (await distributionRunning(deps.temporal, accountId)) continue;
    await requestAutoAssignPass(deps.temporal, accountId, 'its distribution workflow was not running', { taskQueue: deps.taskQueue });
    started.push(accountId);
  }
  return started;
}
