// The lead page's history: the lead's latest entries with what each recorded (data), who did
// it, and the names of the users an entry names by id, said in words on the viewer's clock
// (lead-history.ts). The caller has already checked that the user may see the lead.
import type { Knex } from 'knex';
import type { SessionUser } from './auth.server.ts';
import { describeLeadEvent, type HistoryLine } from './lead-history.ts';
import { sourceLabels } from '../../../db/lead-sources/catalogue.ts';

export const HISTORY_LIMIT = 200;

/** One entry as the page shows it: when, in words, and the key the page waits for after a Quick Action. */
export interface HistoryEntry extends HistoryLine {
  id: string;
  createdAt: Date;
  idempotencyKey: string | null;
}

const USER_ID_FIELDS = ['userId', 'toUserId', 'reminderTo', 'byUserId', 'previousUserId'] as const;

export async function loadLeadHistory(db: Knex, user: SessionUser, lead: { id: string; timeZone: string | null }): Promise<HistoryEntry[]> {
  const rows: Array<{ id: string; type: string; note: string | null; data: Record<string, unknown> | null; actor_system: string | null; actor_name: string | null; created_at: Date; idempotency_key: string | null }> = await db('lead_events as e')
    .leftJoin('users as u', function () {
      // The actor only when they are of the lead's account (a user id from elsewhere names nobody).
      this.on('u.id', 'e.actor_user_id').andOn('u.account_id', 'e.account_id');
    })
    .where({ 'e.lead_id': lead.id, 'e.account_id': user.accountId })
    .orderBy([{ column: 'e.created_at', order: 'desc' }, { column: 'e.id', order: 'desc' }])
    .limit(HISTORY_LIMIT)
    .select('e.id', 'e.type', 'e.note', 'e.data', 'e.actor_system', 'u.name as actor_name', 'e.created_at', 'e.idempotency_key');
  const ids = new Set<string>();
  for (const r of rows) for (const f of USER_ID_FIELDS) if (typeof r.data?.[f] === 'string') ids.add(r.data[f] as string);
  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
  const wanted = [...ids].filter((id) => UUID.test(id));
  const names: Array<{ id: string; name: string }> = wanted.length ? await db('users').where({ account_id: user.accountId }).whereIn('id', wanted).select('id', 'name') : [];
  const ctx = { viewerZone: user.timeZone, leadZone: lead.timeZone, userNames: Object.fromEntries(names.map((n) => [n.id, n.name])), sourceLabels: await sourceLabels(db, user.accountId) };
  return rows.map((r) => ({
    id: String(r.id),
    createdAt: r.created_at,
    idempotencyKey: r.idempotency_key,
    ...describeLeadEvent({ id: String(r.id), type: r.type, note: r.note, data: r.data ?? {}, actorName: r.actor_name, actorSystem: r.actor_system, createdAt: r.created_at }, ctx),
  }));
}
