// When an e-mailed report is due, and which period it covers, on the account's clock. A daily
// report due on local date D at hour H covers the account's day before D; a weekly one due on
// its weekday D covers the 7 local days ending the day before D. Both are whole days that are
// over, so the figures never change after the e-mail went out. The due instant comes from
// localInstant (db/distribution/ledger.ts), so 7:00 stays 7:00 across a DST change, and an
// hour the clocks skip is the first instant after the gap.
import { accountDay, localInstant } from '../distribution/ledger.ts';

export const REPORT_KINDS = ['daily', 'weekly'] as const;
export type ReportKind = (typeof REPORT_KINDS)[number];

export interface ReportTiming {
  kind: ReportKind;
  /** Local hour, 0 to 23. */
  hour: number;
  /** Weekly: local weekday, 0 = Sunday. */
  weekday: number | null;
}

export interface ReportPeriod {
  kind: ReportKind;
  /** First local date covered, YYYY-MM-DD. */
  first: string;
  /** Last local date covered (inclusive), YYYY-MM-DD. */
  last: string;
  /** Local midnight starting the first date. */
  start: Date;
  /** Local midnight after the last date (exclusive), the day the e-mail is due. */
  end: Date;
  /** When the e-mail is due. */
  dueAt: Date;
}

export const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'] as const;

type Ymd = [number, number, number];
const parse = (date: string) => date.split('-').map(Number) as Ymd;
/** The calendar date `days` after the given one (negative: before). */
function addDays(date: string, days: number): string {
  const [y, m, d] = parse(date);
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}
const weekdayOf = (date: string) => {
  const [y, m, d] = parse(date);
  return new Date(Date.UTC(y, m - 1, d)).getUTCDay();
};
const midnight = (timeZone: string, date: string) => localInstant(timeZone, ...parse(date), 0);

/** The period whose e-mail is due on local date `dueDate`. */
export function periodDueOn(timeZone: string, t: ReportTiming, dueDate: string): ReportPeriod {
  const first = addDays(dueDate, t.kind === 'daily' ? -1 : -7);
  const last = addDays(dueDate, -1);
  return { kind: t.kind, first, last, start: midnight(timeZone, first), end: midnight(timeZone, dueDate), dueAt: localInstant(timeZone, ...parse(dueDate), t.hour * 60) };
}

/** Whether an e-mail of this timing is due on local date `date` at all (weekly: only on its weekday). */
const dueDay = (t: ReportTiming, date: string) => t.kind === 'daily' || weekdayOf(date) === t.weekday;

/** The latest period whose e-mail was due at or before `at` (the one to send after an outage). */
export function latestDuePeriod(timeZone: string, t: ReportTiming, at: Date): ReportPeriod {
  let date = accountDay(timeZone, at).date;
  for (let i = 0; i < 9; i++, date = addDays(date, -1)) {
    if (!dueDay(t, date)) continue;
    const p = periodDueOn(timeZone, t, date);
    if (p.dueAt.getTime() <= at.getTime()) return p;
  }
  throw new Error(`no ${t.kind} report due in the 9 days before ${at.toISOString()}`);
}

/** The first due instant strictly after `at`. */
export function nextDueAt(timeZone: string, t: ReportTiming, at: Date): Date {
  let date = accountDay(timeZone, at).date;
  for (let i = 0; i < 9; i++, date = addDays(date, 1)) {
    if (!dueDay(t, date)) continue;
    const due = periodDueOn(timeZone, t, date).dueAt;
    if (due.getTime() > at.getTime()) return due;
  }
  throw new Error(`no ${t.kind} report due in the 9 days after ${at.toISOString()}`);
}
