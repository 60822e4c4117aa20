// Who a call-back's reminder goes to: the lead's LSP; else (the lead is in the pool, or its
// holder has left) whoever booked the call-back; else the account's owner, who answers for
// the pool. Only an active user of the lead's account is ever chosen, so nobody who has left
// is mailed. Read at the moment the reminder is due, so a lead handed over or taken from the
// pool meanwhile reminds its new holder; the hand-over of a user's leads uses the same rule to
// say in the lead's history who will be reminded.
import type { Knex } from 'knex';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface CallBackRecipient {
  id: string;
  email: string;
  name: string;
  /** The zone they read times in: their own, else the account's. */
  time_zone: string;
  /** Why them: the lead's holder, the booker, or the owner standing in for the pool. */
  as: 'holder' | 'booker' | 'owner';
}

export async function callBackRecipient(
  db: Knex | Knex.Transaction,
  c: { accountId: string; assignedUserId: string | null; bookedByUserId: string | null },
): Promise<CallBackRecipient | undefined> {
  const holder = c.assignedUserId && UUID.test(c.assignedUserId) ? c.assignedUserId : null;
  // The booker comes from a signal: an id that is not a uuid cannot be a user (and Postgres would refuse the cast).
  const booker = c.bookedByUserId && UUID.test(c.bookedByUserId) ? c.bookedByUserId : null;
  const named = [holder, booker].filter((id): id is string => !!id);
  const { rows } = await db.raw<{ rows: Array<Omit<CallBackRecipient, 'as'> & { rank: number }> }>(
    `SELECT u.id, u.email, u.name, coalesce(u.time_zone, a.time_zone) AS time_zone,
            CASE WHEN u.id = :holder THEN 0 WHEN u.id = :booker THEN 1 ELSE 2 END AS rank
       FROM users u JOIN accounts a ON a.id = u.account_id
      WHERE u.account_id = :accountId AND u.status = 'active'
        AND (u.id = ANY(:named::uuid[]) OR u.role = 'owner')
      ORDER BY rank, u.created_at, u.id
      LIMIT 1`,
    { accountId: c.accountId, holder, booker, named },
  );
  const row = rows[0];
  if (!row) return undefined;
  const { rank, ...user } = row;
  return { ...user, as: rank === 0 ? 'holder' : rank === 1 ? 'booker' : 'owner' };
}
