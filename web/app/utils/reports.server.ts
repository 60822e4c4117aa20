// The reports' web side: the query string a report page and its CSV share (date range in the
// account's days, filters, sort, page), the filter choices, and the CSV responses for the
// reports and the leads list. The figures themselves are db/reports/reports.ts's.
import type { Knex } from 'knex';
import { z } from 'zod';
import { accountDay, localInstant } from '../../../db/distribution/ledger.ts';
import { SEGMENTS } from '../../../db/models/index.ts';
import { loadCatalogue } from '../../../db/lead-sources/catalogue.ts';
import { csvStream, cursorRows } from '../../../db/reports/csv.ts';
import { REPORTS, type ReportColumn, type ReportContext, type ReportName, type ReportRow, type ReportSort, reportRows } from '../../../db/reports/reports.ts';
import type { SessionUser } from './auth.server.ts';
import { applyFilters, applySort, parseLeadListParams, scopedLeads } from './leads.server.ts';
import { milestoneLabel, segmentLabel, sourceLabel, statusLabel } from './labels.ts';

/** Who may run reports and export: the agency's owners and admins. */
export const REPORT_ROLES = ['owner', 'admin'] as const;

/** Days a report covers when the link names none: the last 30, today included. */
export const DEFAULT_RANGE_DAYS = 30;

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const isDate = (s: string) => DATE.test(s) && !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s);
const dateParam = z.string().trim().refine(isDate).optional().catch(undefined);

// A bad value drops that filter rather than failing the page, as on the leads list: these are
// links people share and edit by hand. A user id that is not this account's is a 404, below.
const reportParamsSchema = z.object({
  from: dateParam,
  to: dateParam,
  user: z.uuid().optional().catch(undefined),
  /** A key of the account's source catalogue. */
  source: z.string().trim().min(1).max(200).optional().catch(undefined),
  import: z.string().trim().min(1).max(200).optional().catch(undefined),
  segment: z.enum(SEGMENTS).optional().catch(undefined),
  sort: z.string().max(40).optional().catch(undefined),
  dir: z.enum(['asc', 'desc']).optional().catch(undefined),
  page: z.coerce.number().int().min(1).max(1_000_000).catch(1),
});

export interface ReportParams {
  from: string;
  to: string;
  user?: string;
  source?: string;
  import?: string;
  segment?: string;
  sort: string;
  dir: 'asc' | 'desc';
  page: number;
}

const addDays = (date: string, days: number) => new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
const midnight = (timeZone: string, date: string) => {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return localInstant(timeZone, y, m, d);
};

/** The report's parameters from its URL, and the context its queries run in. */
export async function reportRequest(db: Knex, user: SessionUser, name: ReportName, url: URL, now = new Date()): Promise<{ params: ReportParams; ctx: ReportContext; sort: ReportSort }> {
  const spec = REPORTS[name];
  const raw = reportParamsSchema.parse(Object.fromEntries(url.searchParams));
  const timeZone = user.account.timeZone;
  const today = accountDay(timeZone, now).date;
  let to = raw.to ?? today;
  let from = raw.from ?? addDays(to, -(DEFAULT_RANGE_DAYS - 1));
  if (from > to) [from, to] = [to, from];
  if (raw.user && !(await db('users').where({ id: raw.user, account_id: user.accountId }).first('id'))) {
    throw new Response('Not found', { status: 404, statusText: 'Not Found' });
  }
  const sort = raw.sort && spec.sorts[raw.sort] ? raw.sort : spec.defaultSort;
  const dir = raw.dir ?? (sort === spec.defaultSort ? spec.defaultDir : 'asc');
  const filters = { user: raw.user, source: raw.source, import: raw.import, segment: raw.segment };
  return {
    params: { from, to, ...filters, sort, dir, page: raw.page },
    // The range is the account's local days: from local midnight of `from` to local midnight after `to`.
    ctx: { accountId: user.accountId, timeZone, start: midnight(timeZone, from), end: midnight(timeZone, addDays(to, 1)), now, filters },
    sort: { sort, dir },
  };
}

/** The filter form's choices: the account's people, lead sources (its catalogue) and import names. */
export async function reportFilterOptions(db: Knex, user: SessionUser) {
  const [users, imports, sources] = await Promise.all([
    db('users').where({ account_id: user.accountId }).whereNot('role', 'support').orderByRaw('lower(name), id').select('id', 'name', 'status'),
    db('imports').where({ account_id: user.accountId }).distinct('name').orderBy('name').limit(500),
    loadCatalogue(db, user.accountId),
  ]);
  return {
    sources: sources.map((s) => [s.key, s.label] as [string, string]),
    users: (users as Array<{ id: string; name: string; status: string }>).map((u) => ({ id: u.id, name: u.status === 'active' ? u.name : `${u.name} (inactive)` })),
    imports: (imports as Array<{ name: string }>).map((i) => i.name),
  };
}

// ---- CSV ----

const offsetFormats = new Map<string, Intl.DateTimeFormat>();
const offsets = new Map<string, number>();
const QUARTER_HOUR = 900_000;

/** The zone's offset from UTC in minutes at an instant. Zones change offset only on quarter hours, so one lookup serves each quarter hour (an export asks for thousands). */
function offsetMinutes(timeZone: string, ms: number): number {
  const key = `${timeZone} ${Math.floor(ms / QUARTER_HOUR)}`;
  let offset = offsets.get(key);
  if (offset === undefined) {
    let f = offsetFormats.get(timeZone);
    if (!f) {
      f = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' });
      offsetFormats.set(timeZone, f);
    }
    const name = f.formatToParts(ms).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
    const m = /GMT([+-])(\d{2}):(\d{2})/.exec(name);
    offset = m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
    if (offsets.size > 50_000) offsets.clear();
    offsets.set(key, offset);
  }
  return offset;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** "2026-11-30T08:15:00-06:00": the instant on the account's clock, with its offset, which spreadsheets and scripts both read. */
export function isoInZone(value: string | Date | null | undefined, timeZone: string): string | null {
  if (!value) return null;
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  if (Number.isNaN(ms)) return null;
  const offset = offsetMinutes(timeZone, ms);
  const local = new Date(ms + offset * 60_000);
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return `${pad(local.getUTCFullYear(), 4)}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}T${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

const csvHeader = (c: ReportColumn) => (c.kind === 'duration' ? `${c.label} (seconds)` : c.kind === 'lead' ? 'Lead ID' : c.label);

function csvValue(c: ReportColumn, v: string | number | null, timeZone: string, labels: Record<string, string>): unknown {
  if (v === null) return null;
  if (c.kind === 'time') return isoInZone(String(v), timeZone);
  return c.key === 'source' ? sourceLabel(String(v), labels) : v;
}

function csvHeaders(fileName: string): HeadersInit {
  return {
    'Content-Type': 'text/csv; charset=utf-8',
    'Content-Disposition': `attachment; filename="${fileName}"`,
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  };
}

/** The whole report as CSV, streamed: the same rows, filters and order as its page. */
/** `labels`: the account's source labels (sourceLabels in db/lead-sources/catalogue.ts); without them the built-in ones. */
export function reportCsvResponse(db: Knex, name: ReportName, ctx: ReportContext, sort: ReportSort, params: ReportParams, labels: Record<string, string> = {}): Response {
  const spec = REPORTS[name];
  const stream = csvStream<ReportRow>(spec.columns.map(csvHeader), reportRows(db, name, ctx, sort), (row) => spec.columns.map((c) => csvValue(c, row[c.key] ?? null, ctx.timeZone, labels)));
  return new Response(stream, { headers: csvHeaders(`${name}-${params.from}-to-${params.to}.csv`) });
}

// ---- The leads list as CSV ----

/** The columns of the leads export: nothing that names, locates or reaches the person (no name, street, phone, e-mail). */
const LEAD_CSV_HEADER = ['Lead ID', 'City', 'State', 'ZIP3', 'Source', 'Import', 'Segment', 'Prospect or customer', 'Status', 'Milestone', 'Assignee', 'DNC', 'DNE', 'DNM', 'Next follow-up', 'Created'];

interface LeadCsvRow {
  id: string;
  city: string;
  state: string;
  zip3: string | null;
  source: string;
  import_name: string | null;
  segment: string | null;
  kind: string;
  status: string;
  milestone: string;
  assignee: string | null;
  dnc: boolean;
  dne: boolean;
  dnm: boolean;
  next_follow_up_at: Date | null;
  created_at: Date;
}

/** The list's parameters the export applies; any other one the list learns is refused below rather than ignored. */
const LEAD_CSV_PARAMS = new Set(['page', 'sort', 'dir', 'q', 'closed', 'source', 'import', 'status', 'segment', 'assignee', 'dnc', 'dne', 'dnm', 'kind']);

/** The leads list (its filters and order, GET /leads's query string) as CSV, streamed. */
/** `labels`: the account's source labels (sourceLabels in db/lead-sources/catalogue.ts); without them the built-in ones. */
export function leadsCsvResponse(db: Knex, user: SessionUser, url: URL, labels: Record<string, string> = {}): Response {
  const params = parseLeadListParams(url);
  // An export must never hold more leads than the list it was asked from shows.
  const unknown = Object.entries(params).filter(([k, v]) => v !== undefined && !LEAD_CSV_PARAMS.has(k));
  if (unknown.length) {
    return new Response(`The export does not take the ${unknown.map(([k]) => `"${k}"`).join(', ')} filter yet: remove it to export.`, { status: 400, headers: { 'Content-Type': 'text/plain; charset=utf-8' } });
  }
  // The list's own filters and order: the export holds what the list shows, in its order.
  const q = applySort(applyFilters(scopedLeads(db, user), params, user), params.sort, params.dir)
    .leftJoin('users as assignee', 'assignee.id', 'leads.assigned_user_id')
    .select(
      'leads.id',
      'leads.city',
      'leads.state',
      db.raw(`nullif(left(leads.zip, 3), '') AS zip3`),
      'leads.source',
      'leads.import_name',
      'leads.segment',
      'leads.kind',
      'leads.status',
      'leads.milestone',
      'assignee.name as assignee',
      'leads.dnc',
      'leads.dne',
      'leads.dnm',
      'leads.next_follow_up_at',
      'leads.created_at',
    );
  const { sql, bindings } = q.toSQL();
  const tz = user.account.timeZone;
  const stream = csvStream<LeadCsvRow>(LEAD_CSV_HEADER, cursorRows<LeadCsvRow>(db, sql, bindings), (r) => [
    r.id,
    r.city,
    r.state,
    r.zip3,
    sourceLabel(r.source, labels),
    r.import_name,
    r.segment ? segmentLabel(r.segment) : null,
    r.kind,
    statusLabel(r.status),
    milestoneLabel(r.milestone),
    r.assignee,
    r.dnc,
    r.dne,
    r.dnm,
    isoInZone(r.next_follow_up_at, tz),
    isoInZone(r.created_at, tz),
  ]);
  return new Response(stream, { headers: csvHeaders(`leads-${accountDay(tz).date}.csv`) });
}
