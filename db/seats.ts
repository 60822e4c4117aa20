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
