// Who gets which e-mailed report, and when: one row per user and kind (daily, weekly) in
// report_subscriptions. Only owners and admins may subscribe (the reports are theirs); a user
// who is no longer active, or no longer an owner or admin, keeps the row but gets no e-mail.
import type { Knex } from 'knex';
import { REPORT_KINDS, type ReportKind, type ReportTiming } from './schedule.ts';

export const REPORT_MAIL_ROLES = ['owner', 'admin'] as const;

export interface ReportSubscription extends ReportTiming {
  id: string;
  accountId: string;
  userId: string;
  createdAt: Date;
}

const toSubscription = (r: Record<string, unknown>): ReportSubscription => ({
  id: String(r.id),
  accountId: String(r.account_id),
  userId: String(r.user_id),
  kind: r.kind as ReportKind,
  hour: Number(r.hour),
  weekday: r.weekday === null || r.weekday === undefined ? null : Number(r.weekday),
  createdAt: r.created_at as Date,
});

/** The user's own subscriptions (at most one per kind). */
export async function userSubscriptions(db: Knex, accountId: string, userId: string): Promise<ReportSubscription[]> {
  const rows = await db('report_subscriptions').where({ account_id: accountId, user_id: userId }).orderBy('kind');
  return rows.map(toSubscription);
}

export class SubscriptionError extends Error {}

/** Checks a timing from a form: hour 0 to 23, weekly with a weekday 0 to 6. */
export function validTiming(kind: string, hour: unknown, weekday: unknown): ReportTiming {
  if (!(REPORT_KINDS as readonly string[]).includes(kind)) throw new SubscriptionError('Choose a daily or a weekly report');
  const h = typeof hour === 'string' && /^\d{1,2}$/.test(hour) ? Number(hour) : NaN;
  if (!(h >= 0 && h <= 23)) throw new SubscriptionError('Choose an hour from the list');
  if (kind === 'daily') return { kind: 'daily', hour: h, weekday: null };
  const w = typeof weekday === 'string' && /^\d$/.test(weekday) ? Number(weekday) : NaN;
  if (!(w >= 0 && w <= 6)) throw new SubscriptionError('Choose a weekday from the list');
  return { kind: 'weekly', hour: h, weekday: w };
}

/**
 * Subscribes the user to the kind at this timing, or changes the timing of their subscription.
 * `now` is when they asked: periods due before a new subscription are not sent (a changed one
 * keeps its start, so a period already sent is never sent again and one not sent yet still goes).
 */
export async function saveSubscription(db: Knex, s: { accountId: string; userId: string; timing: ReportTiming; now: Date }): Promise<void> {
  await db('report_subscriptions')
    .insert({ account_id: s.accountId, user_id: s.userId, kind: s.timing.kind, hour: s.timing.hour, weekday: s.timing.weekday, created_at: s.now, updated_at: s.now })
    .onConflict(['user_id', 'kind'])
    .merge({ hour: s.timing.hour, weekday: s.timing.weekday, updated_at: s.now });
}

/** Stops the user's report of this kind; true if there was one. */
export async function removeSubscription(db: Knex, s: { accountId: string; userId: string; kind: ReportKind }): Promise<boolean> {
  return (await db('report_subscriptions').where({ account_id: s.accountId, user_id: s.userId, kind: s.kind }).del()) > 0;
}

/** The accounts that have any subscription: each keeps a report-mail workflow. */
export async function accountsWithSubscriptions(db: Knex): Promise<string[]> {
  return db('report_subscriptions').distinct('account_id').pluck('account_id');
}

/** The idempotency key of one user's e-mail for one period: the outbox refuses a second. */
export const reportMailKey = (userId: string, kind: ReportKind, first: string) => `report-mail:${userId}:${kind}:${first}`;

/** The latest period whose e-mail went out to the user, per kind (for the page). */
export async function lastMailed(db: Knex, accountId: string, userId: string): Promise<Partial<Record<ReportKind, { first: string; last: string; sentAt: Date | null }>>> {
  const out: Partial<Record<ReportKind, { first: string; last: string; sentAt: Date | null }>> = {};
  for (const kind of REPORT_KINDS) {
    const row = await db('email_outbox')
      .where({ account_id: accountId, status: 'sent' })
      .andWhere('idempotency_key', 'like', `report-mail:${userId}:${kind}:%`)
      .orderBy('idempotency_key', 'desc')
      .first('idempotency_key', 'sent_at');
    if (!row) continue;
    const first = String(row.idempotency_key).split(':').at(-1)!;
    const [y, m, d] = first.split('-').map(Number) as [number, number, number];
    const last = new Date(Date.UTC(y, m - 1, d + (kind === 'daily' ? 0 : 6))).toISOString().slice(0, 10);
    out[kind] = { first, last, sentAt: row.sent_at as Date | null };
  }
  return out;
}
