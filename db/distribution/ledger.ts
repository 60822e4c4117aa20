// The LSP's day (docs/product.md, "Assignment"): "today" is the account's local calendar day in
// its time zone, and each active LSP's capacity ledger counts the work that day holds for them
// against their daily target: follow-ups due today on their open leads (call-backs and cadence
// call tasks both set next_follow_up_at; not on closed leads, which leave Due today) plus the
// leads newly assigned to them today. A lead assigned today whose first call is also due
// today is one piece of work: it counts as new only, never twice.
//
// The day's bounds are computed here with Intl, not in SQL, so every caller (web, API, worker)
// compares timestamps against the same two instants and a DST change day is 23 or 25 hours long.
import type { Knex } from 'knex';
import { INACTIVE_LEAD_STATUSES } from '../../workflows/lead/state.ts';
import { CLOSING_MILESTONES } from '../leads/closing.ts';

/** The range an LSP's daily target is kept in (the owner's page and the API refuse others). */
export const DAILY_TARGET_MIN = 1;
export const DAILY_TARGET_MAX = 500;

export interface AccountDay {
  timeZone: string;
  /** The local calendar date, YYYY-MM-DD. */
  date: string;
  /** Local midnight starting the day, as an instant. */
  start: Date;
  /** Local midnight starting the next day (exclusive). */
  end: Date;
}

export interface LspLedger {
  userId: string;
  name: string;
  username: string;
  available: boolean;
  target: number;
  /** Open leads of theirs with a follow-up due today. */
  followUpsDue: number;
  /** Distinct leads assigned to them today that are still theirs. */
  newAssigned: number;
  used: number;
  capacityLeft: number;
}

export interface CapacityLedger {
  day: AccountDay;
  lsps: LspLedger[];
}

/** Whether Intl knows the zone (an IANA name such as America/Chicago, or UTC). */
export function isTimeZone(zone: string): boolean {
  return canonicalTimeZone(zone) !== null;
}

/** The zone as Intl spells it ("america/chicago" is America/Chicago), or null if unknown. */
export function canonicalTimeZone(zone: string): string | null {
  if (!zone || zone.length > 100) return null;
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}

const partsFormatters = new Map<string, Intl.DateTimeFormat>();

function wallClock(timeZone: string, instant: number): { year: number; month: number; day: number; utcOfWallClock: number } {
  let f = partsFormatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    partsFormatters.set(timeZone, f);
  }
  const p: Record<string, number> = {};
  for (const part of f.formatToParts(instant)) if (part.type !== 'literal') p[part.type] = Number(part.value);
  const { year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0 } = p;
  return { year, month, day, utcOfWallClock: Date.UTC(year, month - 1, day, hour, minute, second) };
}

/** The zone's offset from UTC at an instant, in milliseconds (local = UTC + offset). */
function offsetAt(timeZone: string, instant: number): number {
  const whole = Math.floor(instant / 1000) * 1000;
  return wallClock(timeZone, whole).utcOfWallClock - whole;
}

/**
 * The instant the wall-clock time `minutes` after midnight of the given calendar date is in the
 * zone. A time the clocks skip (a spring-forward gap) is the first instant after the gap.
 */
export function localInstant(timeZone: string, year: number, month: number, day: number, minutes = 0): Date {
  const wall = Date.UTC(year, month - 1, day) + minutes * 60_000;
  // Guess with the offset at the wall time read as UTC, then correct with the offset at the
  // guess: two rounds settle every zone, whichever side of a DST change the guess fell on.
  let instant = wall - offsetAt(timeZone, wall);
  instant = wall - offsetAt(timeZone, instant);
  // In a gap the guess reads as a time before the wanted one: moving on by what its wall
  // clock lacks lands on the transition.
  const seen = wallClock(timeZone, instant);
  if (seen.utcOfWallClock < wall) instant += wall - seen.utcOfWallClock;
  return new Date(instant);
}

const localMidnight = (timeZone: string, year: number, month: number, day: number) => localInstant(timeZone, year, month, day, 0);

/** When the workday starts (`minutes` after local midnight) on the account's day holding `at`. */
export function workdayStart(timeZone: string, minutes: number, at: Date): Date {
  const [year, month, day] = accountDay(timeZone, at).date.split('-').map(Number) as [number, number, number];
  return localInstant(timeZone, year, month, day, minutes);
}

/** The next workday start strictly after `at`: today's if it is still ahead, else tomorrow's. */
export function nextWorkdayStart(timeZone: string, minutes: number, at: Date): Date {
  const today = workdayStart(timeZone, minutes, at);
  if (today.getTime() > at.getTime()) return today;
  return workdayStart(timeZone, minutes, accountDay(timeZone, at).end);
}

/** The account's day holding `at`: its local date and the instants that bound it. */
export function accountDay(timeZone: string, at: Date = new Date()): AccountDay {
  const { year, month, day } = wallClock(timeZone, at.getTime());
  const next = new Date(Date.UTC(year, month - 1, day + 1));
  const date = `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
  return { timeZone, date, start: localMidnight(timeZone, year, month, day), end: localMidnight(timeZone, next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate()) };
}

interface LedgerRow {
  id: string;
  name: string;
  username: string;
  available: boolean;
  daily_target: number;
  follow_ups_due: number;
  new_assigned: number;
}

/**
 * The ledger of every active LSP of the account (or just `userId`, when that user is one) for
 * the account's day holding `at`: one statement for all of them.
 */
export async function capacityLedger(db: Knex | Knex.Transaction, accountId: string, opts: { at?: Date; userId?: string } = {}): Promise<CapacityLedger> {
  const account = await db('accounts').where({ id: accountId }).first('time_zone');
  if (!account) throw new Error(`No account ${accountId}`);
  const day = accountDay(account.time_zone as string, opts.at ?? new Date());
  const bounds = { accountId, start: day.start, end: day.end, closed: [...INACTIVE_LEAD_STATUSES], closing: [...CLOSING_MILESTONES] };
  // Both counts are correlated on the account too, so another account's rows never count even
  // if a lead or an assignment row ever named this account's user.
  const result = await db.raw<{ rows: LedgerRow[] }>(
    `SELECT u.id, u.name, u.username, u.available, u.daily_target,
       (SELECT count(*)::int FROM leads l
         WHERE l.account_id = u.account_id AND l.assigned_user_id = u.id
           AND l.status <> ALL(:closed::text[])
           AND l.next_follow_up_at >= :start AND l.next_follow_up_at < :end
           AND l.milestone <> ALL(:closing::text[])
           AND NOT EXISTS (SELECT 1 FROM assignments a
                            WHERE a.lead_id = l.id AND a.account_id = u.account_id AND a.user_id = u.id
                              AND a.created_at >= :start AND a.created_at < :end)) AS follow_ups_due,
       (SELECT count(DISTINCT a.lead_id)::int FROM assignments a
          JOIN leads l ON l.id = a.lead_id AND l.account_id = a.account_id AND l.assigned_user_id = a.user_id
         WHERE a.account_id = u.account_id AND a.user_id = u.id
           AND a.created_at >= :start AND a.created_at < :end) AS new_assigned
     FROM users u
     WHERE u.account_id = :accountId AND u.role = 'lsp' AND u.status = 'active'${opts.userId ? ' AND u.id = :userId' : ''}
     ORDER BY lower(u.name), u.id`,
    opts.userId ? { ...bounds, userId: opts.userId } : bounds,
  );
  const lsps = result.rows.map((r): LspLedger => {
    const used = r.follow_ups_due + r.new_assigned;
    return {
      userId: r.id,
      name: r.name,
      username: r.username,
      available: r.available,
      target: r.daily_target,
      followUpsDue: r.follow_ups_due,
      newAssigned: r.new_assigned,
      used,
      capacityLeft: Math.max(0, r.daily_target - used),
    };
  });
  return { day, lsps };
}
