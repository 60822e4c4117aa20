// Seats (docs/product.md): two free seats per account per calendar year, more at $25 a
// month each. A seat is taken by each active user other than the owner; an inactive user
// frees it. Assumption: the owner (the agency principal) holds the account, not a seat.
import type { Knex } from 'knex';

export const FREE_SEATS = 2;
export const SEAT_PRICE_PER_MONTH_USD = 25;

export interface SeatUsage {
  free: number;
  paid: number;
  total: number;
  used: number;
  available: number;
  monthlyCostUsd: number;
}

export function seatUsage(paidSeats: number, activeSeatHolders: number): SeatUsage {
  const total = FREE_SEATS + paidSeats;
  return {
    free: FREE_SEATS,
    paid: paidSeats,
    total,
    used: activeSeatHolders,
    available: Math.max(0, total - activeSeatHolders),
    monthlyCostUsd: paidSeats * SEAT_PRICE_PER_MONTH_USD,
  };
}

export class NoSeatAvailableError extends Error {
  constructor(readonly usage: SeatUsage) {
    super(
      `All ${usage.total} seats are taken (${usage.free} free, ${usage.paid} paid). ` +
        `Set a user to Inactive to free a seat, or buy another seat ($${SEAT_PRICE_PER_MONTH_USD}/month).`,
    );
  }
}

/** Seat usage of an account; pass the transaction that will add or reactivate a user. */
export async function accountSeatUsage(db: Knex | Knex.Transaction, accountId: string, opts: { forUpdate?: boolean } = {}): Promise<SeatUsage> {
  const accountQuery = db('accounts').where({ id: accountId }).first('paid_seats');
  // Locking the account row serialises concurrent user additions, so two cannot both take the last seat.
  const account = await (opts.forUpdate ? accountQuery.forUpdate() : accountQuery);
  if (!account) throw new Error(`account ${accountId} not found`);
  const [{ n }] = await db('users').where({ account_id: accountId, status: 'active' }).whereNot({ role: 'owner' }).count<{ n: string }[]>({ n: '*' });
  return seatUsage(account.paid_seats, Number(n));
}

/** Throws NoSeatAvailableError when no seat is free; call inside the transaction that adds the user. */
export async function assertSeatAvailable(trx: Knex.Transaction, accountId: string): Promise<void> {
  const usage = await accountSeatUsage(trx, accountId, { forUpdate: true });
  if (usage.available <= 0) throw new NoSeatAvailableError(usage);
}

/** Paid seats an owner may set at most (a typo guard; an agency needing more asks an operator). */
export const PAID_SEATS_MAX = 500;

export class SeatChangeError extends Error {}

/**
 * Sets the account's paid seats and records the change (who, when, from, to). Refused when
 * fewer seats would be left than active users hold: the owner sets users inactive first.
 * Returns false when nothing changed.
 */
export async function setPaidSeats(db: Knex, accountId: string, byUserId: string, paidSeats: number): Promise<boolean> {
  if (!Number.isInteger(paidSeats) || paidSeats < 0 || paidSeats > PAID_SEATS_MAX) throw new SeatChangeError(`Paid seats must be a whole number from 0 to ${PAID_SEATS_MAX}`);
  return db.transaction(async (trx) => {
    const usage = await accountSeatUsage(trx, accountId, { forUpdate: true });
    if (usage.paid === paidSeats) return false;
    if (FREE_SEATS + paidSeats < usage.used) {
      throw new SeatChangeError(
        `${usage.used} users are active, so at least ${Math.max(0, usage.used - FREE_SEATS)} paid seats are needed. Set users inactive on Users & Seats first.`,
      );
    }
    await trx('accounts').where({ id: accountId }).update({ paid_seats: paidSeats, updated_at: trx.fn.now() });
    await trx('seat_changes').insert({ account_id: accountId, changed_by_user_id: byUserId, paid_seats_before: usage.paid, paid_seats_after: paidSeats });
    return true;
  });
}

export interface SeatChange {
  at: Date;
  by: string | null;
  before: number;
  after: number;
}

/** The account's seat changes, newest first. */
export async function seatChanges(db: Knex, accountId: string, limit = 100): Promise<SeatChange[]> {
  const rows: Array<{ created_at: Date; name: string | null; paid_seats_before: number; paid_seats_after: number }> = await db('seat_changes as c')
    .leftJoin('users as u', function () {
      this.on('u.id', 'c.changed_by_user_id').andOn('u.account_id', 'c.account_id');
    })
    .where('c.account_id', accountId)
    .orderBy([{ column: 'c.created_at', order: 'desc' }, { column: 'c.id', order: 'desc' }])
    .limit(limit)
    .select('c.created_at', 'u.name', 'c.paid_seats_before', 'c.paid_seats_after');
  return rows.map((r) => ({ at: r.created_at, by: r.name, before: r.paid_seats_before, after: r.paid_seats_after }));
}
