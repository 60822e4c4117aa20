// What an e-mailed report says: what happened in the account during one period (arrivals by
// source, assignments by LSP, Quick Actions by type and by user, milestones reached, leads
// removed or recycled, the median speed to the first attempt), and the e-mail's words. Counts,
// sources and user names only: no lead's name, street, phone or e-mail is ever selected, and
// no free text (notes, typed reasons), which may hold a consumer's details.
import type { Knex } from 'knex';
import { actionLabel, milestoneName, REMOVAL_REASONS } from '../reports/reports.ts';
import { WEEKDAYS, type ReportKind, type ReportPeriod } from './schedule.ts';

export interface Count {
  label: string;
  count: number;
}

export interface ReportSummary {
  arrivedBySource: Count[];
  assignedByUser: Count[];
  actionsByType: Count[];
  actionsByUser: Count[];
  milestones: Count[];
  removals: Count[];
  /** Leads whose first Quick Action came in the period, and the median time from arrival to it. */
  firstAttempt: { leads: number; medianSeconds: number | null };
}

type Raw = { label: string | null; n: number };
const counts = (rows: Raw[], label: (l: string | null) => string = (l) => l ?? 'Unknown'): Count[] => rows.map((r) => ({ label: label(r.label), count: Number(r.n) }));

/** The previous Quick Action's milestone of the lead before Quick Action `e`, else New. */
const PREVIOUS_MILESTONE = `coalesce((SELECT p.data->>'milestone' FROM lead_events p
   WHERE p.lead_id = e.lead_id AND p.type = 'quick_action' AND (p.created_at, p.id) < (e.created_at, e.id)
   ORDER BY p.created_at DESC, p.id DESC LIMIT 1), 'new')`;

/** The period's figures, all from PostgreSQL, for the account's rows in [start, end). */
export async function reportSummary(db: Knex, accountId: string, period: Pick<ReportPeriod, 'start' | 'end'>): Promise<ReportSummary> {
  const b = [accountId, period.start, period.end];
  const q = async (sql: string, bindings: unknown[] = b) => ((await db.raw(sql, bindings as Knex.RawBinding[])) as { rows: Raw[] }).rows;
  const inRange = (alias: string) => `${alias}.account_id = ? AND ${alias}.created_at >= ? AND ${alias}.created_at < ?`;
  const [arrived, assigned, byType, byUser, milestones, removals, first] = await Promise.all([
    q(`SELECT l.source AS label, count(*)::int AS n FROM leads l WHERE ${inRange('l')} GROUP BY 1 ORDER BY 2 DESC, 1`),
    q(`SELECT u.name AS label, count(DISTINCT a.lead_id)::int AS n FROM assignments a JOIN users u ON u.id = a.user_id AND u.account_id = a.account_id
        WHERE ${inRange('a')} GROUP BY 1 ORDER BY 2 DESC, 1`),
    q(`SELECT e.data->>'action' AS label, count(*)::int AS n FROM lead_events e WHERE ${inRange('e')} AND e.type = 'quick_action' GROUP BY 1 ORDER BY 2 DESC, 1`),
    q(`SELECT coalesce(u.name, 'Unknown user') AS label, count(*)::int AS n FROM lead_events e LEFT JOIN users u ON u.id = e.actor_user_id AND u.account_id = e.account_id
        WHERE ${inRange('e')} AND e.type = 'quick_action' GROUP BY 1 ORDER BY 2 DESC, 1`),
    q(`SELECT m.milestone AS label, count(*)::int AS n
         FROM (SELECT e.data->>'milestone' AS milestone, ${PREVIOUS_MILESTONE} AS prev FROM lead_events e WHERE ${inRange('e')} AND e.type = 'quick_action') m
        WHERE m.milestone IS DISTINCT FROM m.prev GROUP BY 1 ORDER BY 2 DESC, 1`),
    q(`SELECT CASE WHEN e.type = 'quick_action' THEN 'do_not_contact' ELSE e.type END AS label, count(*)::int AS n FROM lead_events e
        WHERE ${inRange('e')} AND (e.type IN ('removed', 'recycled', 'archived') OR (e.type = 'quick_action' AND e.data->>'action' = 'do_not_contact'))
        GROUP BY 1 ORDER BY 2 DESC, 1`),
    db.raw(
      `SELECT count(*)::int AS n, percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM e.created_at - l.created_at)) AS p50
         FROM lead_events e JOIN leads l ON l.id = e.lead_id
        WHERE ${inRange('e')} AND e.type = 'quick_action'
          AND NOT EXISTS (SELECT 1 FROM lead_events p WHERE p.lead_id = e.lead_id AND p.type = 'quick_action' AND (p.created_at, p.id) < (e.created_at, e.id))`,
      b as Knex.RawBinding[],
    ) as Promise<{ rows: Array<{ n: number; p50: number | null }> }>,
  ]);
  const f = first.rows[0]!;
  return {
    arrivedBySource: counts(arrived),
    assignedByUser: counts(assigned),
    actionsByType: counts(byType, (l) => actionLabel(l)),
    actionsByUser: counts(byUser),
    milestones: counts(milestones, (l) => milestoneName(l)),
    removals: counts(removals, (l) => (l ? (REMOVAL_REASONS[l] ?? l) : 'Unknown')),
    firstAttempt: { leads: Number(f.n), medianSeconds: f.p50 === null ? null : Math.round(Number(f.p50)) },
  };
}

/** "3 h 5 min", "12 min", "40 s", "2 d 4 h": a duration as a person reads it. */
export function duration(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
  const days = Math.floor(hours / 24);
  return hours % 24 ? `${days} d ${hours % 24} h` : `${days} d`;
}

const total = (c: Count[]) => c.reduce((s, x) => s + x.count, 0);
const n = (v: number) => v.toLocaleString('en-US');

/** "Sunday, November 29, 2026" for a local calendar date (read as a date, not an instant). */
function longDate(date: string, opts: Intl.DateTimeFormatOptions = { weekday: 'long', month: 'long', day: 'numeric', year: 'numeric' }): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Intl.DateTimeFormat('en-US', { ...opts, timeZone: 'UTC' }).format(new Date(Date.UTC(y, m - 1, d, 12)));
}

/** "Sun, Nov 29, 12:00 AM CST": an instant on the reader's clock. */
export function readerTime(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-US', { weekday: 'short', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', timeZoneName: 'short', timeZone }).format(at);
}

/** "7 AM", "12 PM": an hour of the day. */
export const hourLabel = (hour: number) => `${hour % 12 === 0 ? 12 : hour % 12} ${hour < 12 ? 'AM' : 'PM'}`;

export interface ReportMailContext {
  accountName: string;
  /** The account's zone: the period's days are its days. */
  accountZone: string;
  reader: { name: string; timeZone: string };
  period: ReportPeriod;
  hour: number;
  weekday: number | null;
  appUrl: string;
}

function section(title: string, items: Count[], none: string): string[] {
  if (!items.length) return [`${title}: ${none}`];
  return [`${title}: ${n(total(items))}`, ...items.map((i) => `  ${i.label}: ${n(i.count)}`)];
}

/** The e-mail's subject and plain text. */
export function reportMailText(s: ReportSummary, c: ReportMailContext): { subject: string; text: string } {
  const p = c.period;
  const kind: ReportKind = p.kind;
  const range = kind === 'daily' ? longDate(p.first) : `${longDate(p.first, { weekday: 'short', month: 'short', day: 'numeric' })} to ${longDate(p.last, { weekday: 'short', month: 'short', day: 'numeric', year: 'numeric' })}`;
  const arrived = total(s.arrivedBySource);
  const actions = total(s.actionsByType);
  const subject = `${kind === 'daily' ? 'Daily' : 'Weekly'} report, ${range}: ${n(arrived)} ${arrived === 1 ? 'lead' : 'leads'} arrived, ${n(actions)} Quick ${actions === 1 ? 'Action' : 'Actions'}`;
  const first = s.firstAttempt;
  const speed =
    first.medianSeconds === null
      ? 'Speed to first attempt: no lead had its first Quick Action in this period'
      : `Speed to first attempt: median ${duration(first.medianSeconds)} from arrival (${n(first.leads)} ${first.leads === 1 ? 'lead' : 'leads'} had their first Quick Action in this period)`;
  const when = kind === 'daily' ? `every day at ${hourLabel(c.hour)}` : `every ${WEEKDAYS[c.weekday ?? 0]} at ${hourLabel(c.hour)}`;
  const lines = [
    `Hello ${c.reader.name},`,
    '',
    `Here is ${c.accountName}'s ${kind} report for ${range} (the agency's ${kind === 'daily' ? 'day' : 'days'} in ${c.accountZone}).`,
    `On your clock: from ${readerTime(p.start, c.reader.timeZone)} to ${readerTime(p.end, c.reader.timeZone)}.`,
    '',
    ...section('Leads arrived', s.arrivedBySource, 'none'),
    '',
    ...section('Leads assigned', s.assignedByUser, 'none'),
    '',
    ...section('Quick Actions', s.actionsByType, 'none'),
    ...(s.actionsByUser.length ? ['  By user:', ...s.actionsByUser.map((i) => `    ${i.label}: ${n(i.count)}`)] : []),
    '',
    ...section('Milestones reached', s.milestones, 'none'),
    '',
    ...section('Removed or recycled', s.removals, 'none'),
    '',
    speed,
    '',
    `The reports: ${c.appUrl}/reports`,
    `You get this e-mail ${when}, the agency's time (${c.accountZone}). Change or stop it: ${c.appUrl}/reports/subscriptions`,
    '',
  ];
  return { subject, text: lines.join('\n') };
}
