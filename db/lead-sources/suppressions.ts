// An owner's "suppress my MWI leads" for one of the account's agent IDs: while a suppression
// is in force, intake refuses that source's leads for that agent ID (intake-leads.ts). Each
// suppression keeps who set it and when, and who lifted it and when.
import type { Knex } from 'knex';

export interface Suppression {
  id: string;
  sourceKey: string;
  agentId: string;
  suppressedAt: Date;
  suppressedBy: string | null;
  liftedAt: Date | null;
  liftedBy: string | null;
}

/** Source key -> the agent IDs it is suppressed for now. */
export async function activeSuppressions(db: Knex | Knex.Transaction, accountId: string): Promise<Map<string, Set<string>>> {
  const rows: Array<{ source_key: string; agent_id: string }> = await db('lead_source_suppressions').where({ account_id: accountId }).whereNull('lifted_at').select('source_key', 'agent_id');
  const out = new Map<string, Set<string>>();
  for (const r of rows) {
    let s = out.get(r.source_key);
    if (!s) out.set(r.source_key, (s = new Set()));
    s.add(r.agent_id);
  }
  return out;
}

/** The account's suppressions, in force first, then the lifted ones, newest first (at most `limit`). */
export async function listSuppressions(db: Knex, accountId: string, limit = 200): Promise<Suppression[]> {
  const rows = await db('lead_source_suppressions as s')
    .leftJoin('users as a', function () {
      this.on('a.id', 's.suppressed_by_user_id').andOn('a.account_id', 's.account_id');
    })
    .leftJoin('users as b', function () {
      this.on('b.id', 's.lifted_by_user_id').andOn('b.account_id', 's.account_id');
    })
    .where('s.account_id', accountId)
    .orderByRaw('s.lifted_at IS NOT NULL, coalesce(s.lifted_at, s.suppressed_at) DESC, s.id DESC')
    .limit(limit)
    .select('s.id', 's.source_key', 's.agent_id', 's.suppressed_at', 's.lifted_at', 'a.name as suppressed_by', 'b.name as lifted_by');
  return rows.map((r) => ({
    id: String(r.id),
    sourceKey: r.source_key,
    agentId: r.agent_id,
    suppressedAt: r.suppressed_at,
    suppressedBy: r.suppressed_by,
    liftedAt: r.lifted_at,
    liftedBy: r.lifted_by,
  }));
}

/** Suppresses the source for the agent ID; false when it already was. */
export async function suppressSource(db: Knex, input: { accountId: string; sourceKey: string; agentId: string; userId: string; at?: Date }): Promise<boolean> {
  const rows = await db('lead_source_suppressions')
    .insert({ account_id: input.accountId, source_key: input.sourceKey, agent_id: input.agentId, suppressed_by_user_id: input.userId, suppressed_at: input.at ?? db.fn.now() })
    .onConflict(db.raw('(account_id, source_key, agent_id) WHERE lifted_at IS NULL'))
    .ignore()
    .returning('id');
  return rows.length > 0;
}

/** Lifts a suppression in force; false when there was none (already lifted, or not this account's). */
export async function liftSuppression(db: Knex, input: { accountId: string; id: string; userId: string; at?: Date }): Promise<boolean> {
  if (!/^\d{1,18}$/.test(input.id)) return false;
  const n = await db('lead_source_suppressions')
    .where({ id: input.id, account_id: input.accountId })
    .whereNull('lifted_at')
    .update({ lifted_at: input.at ?? db.fn.now(), lifted_by_user_id: input.userId });
  return n > 0;
}
