// Reading leads for the web app, and assigning them from its pages. Every query starts from
// `scopedLeads`, which is where the visibility rules live: a user sees only their own
// account's leads, and an LSP only the leads assigned to them, plus the unassigned pool when
// the account turned Shark Tank on.
import type { Knex } from 'knex';
import type { AnyQueryBuilder } from 'objection';
import { z } from 'zod';
import { accountDay } from '../../../db/distribution/ledger.ts';
import { INACTIVE_LEAD_STATUSES } from '../../../workflows/lead/state.ts';
import { LEAD_SEARCH_MAX, parseLeadSearch, whereLeadMatches } from '../../../db/leads/search.ts';
import { whereClosed, whereOpen } from '../../../db/leads/closing.ts';
import { ASSIGN_MAX_LEADS, ASSIGN_REASON_MAX, AssignmentError, assignLeads, loadAssignee, type AssignResult } from '../../../db/distribution/assign.ts';
import { Lead, LEAD_KINDS, LEAD_STATUSES, SEGMENTS, User, type AssignmentMethod, type LeadEvent, type Role } from '../../../db/models/index.ts';
import type { WebServices } from '../context.ts';
import { notifyHotLeads } from '../../../db/distribution/hot-lead-mail.ts';
import { loadCatalogue, sourceLabels } from '../../../db/lead-sources/catalogue.ts';
import { sourceLabel } from './labels.ts';
import { assignDeps } from './distribution.server.ts';
import type { SessionUser } from './auth.server.ts';
import { parseForm } from './forms.server.ts';
import { LEAD_LIST_PROPERTIES, type LeadTableRow } from '../components/lead-table.tsx';

export const PAGE_SIZE = 25;
export const LEAD_SORTS = ['created', 'name', 'follow_up', 'milestone'] as const;
export type LeadSort = (typeof LEAD_SORTS)[number];

const DEFAULT_DIR: Record<LeadSort, 'asc' | 'desc'> = { created: 'desc', name: 'asc', follow_up: 'asc', milestone: 'asc' };

// A bad or empty value in the query string drops that filter rather than failing the page:
// these are links people share and edit by hand.
const yesNo = z.enum(['yes', 'no']).optional().catch(undefined);
export const CLOSED_VIEWS = ['hide', 'include', 'only'] as const;
export type ClosedView = (typeof CLOSED_VIEWS)[number];
export const leadListParamsSchema = z.object({
  page: z.coerce.number().int().min(1).max(1_000_000).catch(1),
  sort: z.enum(LEAD_SORTS).catch('created'),
  dir: z.enum(['asc', 'desc']).optional().catch(undefined),
  /** A key of the account's source catalogue (any key: one the account lacks matches no lead). */
  source: z.string().trim().min(1).max(200).optional().catch(undefined),
  import: z.string().trim().min(1).max(200).optional().catch(undefined),
  status: z.enum(LEAD_STATUSES).optional().catch(undefined),
  segment: z.enum(SEGMENTS).optional().catch(undefined),
  assignee: z.union([z.literal('unassigned'), z.uuid()]).optional().catch(undefined),
  dnc: yesNo,
  dne: yesNo,
  dnm: yesNo,
  kind: z.enum(LEAD_KINDS).optional().catch(undefined),
  /** Name, phone (any format) or e-mail address (db/leads/search.ts). */
  q: z.string().trim().min(1).max(LEAD_SEARCH_MAX).optional().catch(undefined),
  /** Closed leads (db/leads/closing.ts): left out, shown with the others, or alone. */
  closed: z.enum(CLOSED_VIEWS).optional().catch(undefined),
});
export type LeadListParams = z.infer<typeof leadListParamsSchema> & { dir: 'asc' | 'desc' };

export function parseLeadListParams(url: URL): LeadListParams {
  const parsed = leadListParamsSchema.parse(Object.fromEntries(url.searchParams));
  return { ...parsed, dir: parsed.dir ?? DEFAULT_DIR[parsed.sort] };
}

/**
 * Closed leads unless the list says otherwise: an LSP's My Leads is their working view, so it
 * leaves them out; a search finds them (a closed lead still calls back); owners and admins see
 * the whole book.
 */
export function closedView(p: Pick<LeadListParams, 'closed' | 'q'>, user: Pick<SessionUser, 'role'>): ClosedView {
  return p.closed ?? (p.q || user.role !== 'lsp' ? 'include' : 'hide');
}

export function scopedLeads(db: Knex, user: SessionUser): Knex.QueryBuilder {
  const q = db('leads').where('leads.account_id', user.accountId);
  if (user.role === 'lsp') {
    q.where((b) => {
      b.where('leads.assigned_user_id', user.id);
      if (user.account.sharkTank) b.orWhereNull('leads.assigned_user_id');
    });
  }
  return q;
}

/** A row of the leads list: the shape the table component renders. */
export type LeadRow = LeadTableRow;

// Selected under their property names, so rows come back in the shape the table renders. The
// booked call-back is shown while it is ahead; once its day begins it is the next follow-up too.
const listColumns = (db: Knex) => [
  ...LEAD_LIST_PROPERTIES.map((p) => `leads.${Lead.propertyNameToColumnName(p)} as ${p}`),
  'assignee.name as assigneeName',
  db.raw('CASE WHEN leads.call_back_at > now() THEN leads.call_back_at END AS "nextCallBackAt"'),
];

/** The list's filters on `q` (the leads the user may see): the page and its CSV export alike. */
export function applyFilters(q: Knex.QueryBuilder, p: LeadListParams, user: SessionUser): Knex.QueryBuilder {
  const search = p.q ? parseLeadSearch(p.q) : null;
  if (search) whereLeadMatches(q, search);
  const closed = closedView(p, user);
  if (closed === 'hide') whereOpen(q);
  else if (closed === 'only') whereClosed(q);
  if (p.source) q.where('leads.source', p.source);
  if (p.import) q.where('leads.import_name', p.import);
  if (p.status) q.where('leads.status', p.status);
  if (p.segment) q.where('leads.segment', p.segment);
  if (p.assignee === 'unassigned') q.whereNull('leads.assigned_user_id');
  else if (p.assignee) q.where('leads.assigned_user_id', p.assignee);
  for (const flag of ['dnc', 'dne', 'dnm'] as const) {
    if (p[flag]) q.where(`leads.${flag}`, p[flag] === 'yes');
  }
  if (p.kind) q.where('leads.kind', p.kind);
  return q;
}

export function applySort(q: Knex.QueryBuilder, sort: LeadSort, dir: 'asc' | 'desc'): Knex.QueryBuilder {
  // dir comes from a zod enum, never from raw input, so it is safe in raw SQL; the id
  // tie-break keeps pages stable when many rows share a sort value.
  switch (sort) {
    case 'name':
      return q.orderByRaw(`lower(leads.last_name) ${dir}, lower(leads.first_name) ${dir}, leads.id ${dir}`);
    case 'follow_up':
      return q.orderByRaw(`leads.next_follow_up_at ${dir} nulls last, leads.id ${dir}`);
    case 'milestone':
      return q.orderByRaw(`leads.milestone ${dir}, leads.created_at desc, leads.id ${dir}`);
    default:
      return q.orderByRaw(`leads.created_at ${dir}, leads.id ${dir}`);
  }
}

export interface LeadListPage {
  leads: LeadRow[];
  total: number;
  page: number;
  pageCount: number;
  pageSize: number;
}

export async function listLeads(db: Knex, user: SessionUser, params: LeadListParams): Promise<LeadListPage> {
  const filtered = applyFilters(scopedLeads(db, user), params, user);
  const [{ n }] = await filtered.clone().count<{ n: string }[]>({ n: '*' });
  const total = Number(n);
  const pageCount = Math.max(1, Math.ceil(total / PAGE_SIZE));
  const page = Math.min(params.page, pageCount);
  const leads: LeadRow[] = await applySort(filtered.clone().leftJoin('users as assignee', 'assignee.id', 'leads.assigned_user_id'), params.sort, params.dir)
    .select(listColumns(db))
    .limit(PAGE_SIZE)
    .offset((page - 1) * PAGE_SIZE);
  return { leads, total, page, pageCount, pageSize: PAGE_SIZE };
}

/** Choices for the filter form, limited to what this user may see. */
export async function leadFilterOptions(db: Knex, user: SessionUser) {
  const imports = await scopedLeads(db, user).whereNotNull('leads.import_name').distinct('leads.import_name').orderBy('leads.import_name').limit(500);
  const assignees: Array<Pick<User, 'id' | 'name' | 'status'>> =
    user.role === 'lsp' ? [] : await User.query(db).where('account_id', user.accountId).whereIn('role', ['lsp', 'admin', 'owner']).orderByRaw('lower(name)').select('id', 'name', 'status');
  return {
    sources: (await loadCatalogue(db, user.accountId)).map((s) => [s.key, s.label] as [string, string]),
    imports: imports.map((r: { import_name: string }) => r.import_name),
    assignees: assignees.map((a) => ({ id: a.id, name: a.status === 'active' ? a.name : `${a.name} (inactive)` })),
  };
}

/**
 * Open leads assigned to the user with a follow-up due by the end of today, overdue first.
 * Today is the account's day (its zone's midnight to midnight), not UTC's.
 */
export async function listDueToday(db: Knex, user: SessionUser, at: Date = new Date()): Promise<LeadRow[]> {
  return whereOpen(db('leads'))
    .leftJoin('users as assignee', 'assignee.id', 'leads.assigned_user_id')
    .where('leads.account_id', user.accountId)
    .where('leads.assigned_user_id', user.id)
    .whereIn('leads.status', ['new', 'active'])
    .where('leads.next_follow_up_at', '<', accountDay(user.account.timeZone, at).end)
    .orderBy('leads.next_follow_up_at', 'asc')
    .orderBy('leads.id')
    .limit(200)
    .select<LeadRow[]>(listColumns(db));
}

/** A call-back ahead, for the Upcoming view. */
export type UpcomingCallBack = LeadRow & { callBackAt: Date; leadTimeZone: string | null };

export const UPCOMING_LIMIT = 500;

/**
 * Call-backs booked from `at` on, soonest first: an LSP's own; an owner's or admin's for the
 * LSP `userId`, or everyone's (the pool's too) without one. Closed and inactive leads have none
 * to keep. At most UPCOMING_LIMIT.
 */
export async function listUpcomingCallBacks(db: Knex, user: SessionUser, opts: { userId?: string; at?: Date } = {}): Promise<UpcomingCallBack[]> {
  const q = whereOpen(db('leads'))
    .leftJoin('users as assignee', 'assignee.id', 'leads.assigned_user_id')
    .where('leads.account_id', user.accountId)
    .whereNotIn('leads.status', INACTIVE_LEAD_STATUSES)
    .where('leads.call_back_at', '>=', opts.at ?? new Date());
  if (user.role === 'lsp') q.where('leads.assigned_user_id', user.id);
  else if (opts.userId) q.where('leads.assigned_user_id', opts.userId);
  return q
    .orderBy('leads.call_back_at', 'asc')
    .orderBy('leads.id')
    .limit(UPCOMING_LIMIT)
    .select<UpcomingCallBack[]>([...listColumns(db), 'leads.call_back_at as callBackAt', 'leads.time_zone as leadTimeZone']);
}

/** The lead page (and the intake API's GET) as plain data: the lead, its flags, assignee, history, touches and assignments. */
export type LeadDetail = Pick<
  Lead,
  | 'id'
  | 'firstName'
  | 'lastName'
  | 'addressLine1'
  | 'addressLine2'
  | 'city'
  | 'state'
  | 'zip'
  | 'phones'
  | 'emails'
  | 'source'
  | 'importName'
  | 'kind'
  | 'timeZone'
  | 'segment'
  | 'status'
  | 'milestone'
  | 'nextFollowUpAt'
  | 'createdAt'
  | 'updatedAt'
  | 'recycledAt'
> & {
  flags: Array<{ flag: 'DNC' | 'DNE' | 'DNM'; at: Date | null; reason: string | null }>;
  /** The source as the account's catalogue names it. */
  sourceLabel: string;
  /** The booked call-back while it is ahead (leads.call_back_at), else null. */
  nextCallBackAt: Date | null;
  assignee: Pick<User, 'id' | 'name' | 'username'> | null;
  events: Array<Pick<LeadEvent, 'id' | 'type' | 'note' | 'createdAt' | 'idempotencyKey'> & { actor: string }>;
  touches: Array<{ id: string; source: string; sourceLabel: string; importName: string | null; receivedAt: Date }>;
  /** Newest first: to whom (null: unassigned) and by whom (null: through the API key), and why. */
  assignments: Array<{ id: string; userId: string | null; to: string | null; assignedByUserId: string | null; by: string | null; method: AssignmentMethod; reason: string; createdAt: Date }>;
};

const UUID = z.uuid();

/** The lead if this user may see it, else null (the route answers 404 either way). */
export function getLeadForUser(db: Knex, user: SessionUser, leadId: string): Promise<LeadDetail | null> {
  return loadLeadDetail(db, scopedLeads(db, user), leadId);
}

/** For the intake API: an API key speaks for the whole account, like its owner. */
export function getLeadForAccount(db: Knex, accountId: string, leadId: string): Promise<LeadDetail | null> {
  return loadLeadDetail(db, db('leads').where('leads.account_id', accountId), leadId);
}

// The page shows the latest of each. A limit in a graph fetch bounds the rows of all parents
// together: right here, where the graph has one lead.
const DETAIL_GRAPH = '[assignee(name), events(latestEvents).actor(name), touches(latestTouches), assignments(latestAssignments).[user(name), assignedBy(name)]]';
const latest =
  (limit: number, ...columns: string[]) =>
  (q: AnyQueryBuilder) =>
    q.orderBy(columns.map((column) => ({ column, order: 'desc' as const }))).limit(limit);
const DETAIL_MODIFIERS = { latestEvents: latest(200, 'created_at', 'id'), latestTouches: latest(100, 'received_at'), latestAssignments: latest(100, 'created_at', 'id') };

/** One graph fetch of the lead `scoped` (the visibility rules) lets through; children share its account. */
async function loadLeadDetail(db: Knex, scoped: Knex.QueryBuilder, leadId: string): Promise<LeadDetail | null> {
  if (!UUID.safeParse(leadId).success) return null;
  const lead = await Lead.query(db)
    .findById(leadId)
    // The knex subquery is the visibility rule itself, so the page and the list cannot disagree.
    .whereRaw('leads.id in ?', [scoped.select('leads.id')])
    .withGraphFetched(DETAIL_GRAPH)
    .modifiers(DETAIL_MODIFIERS);
  if (!lead) return null;
  const callBackAt = lead.callBackAt ?? null;
  const labels = await sourceLabels(db, lead.accountId);
  const flags: LeadDetail['flags'] = [];
  for (const flag of ['dnc', 'dne', 'dnm'] as const) {
    if (lead[flag]) flags.push({ flag: flag.toUpperCase() as 'DNC' | 'DNE' | 'DNM', at: lead[`${flag}At`], reason: lead[`${flag}Reason`] });
  }
  return {
    id: lead.id,
    firstName: lead.firstName,
    lastName: lead.lastName,
    addressLine1: lead.addressLine1,
    addressLine2: lead.addressLine2,
    city: lead.city,
    state: lead.state,
    zip: lead.zip,
    phones: lead.phones ?? [],
    emails: lead.emails ?? [],
    source: lead.source,
    sourceLabel: sourceLabel(lead.source, labels),
    importName: lead.importName,
    kind: lead.kind,
    flags,
    timeZone: lead.timeZone,
    segment: lead.segment,
    status: lead.status,
    milestone: lead.milestone,
    assignee: lead.assignee ? { id: lead.assignee.id, name: lead.assignee.name, username: lead.assignee.username } : null,
    nextFollowUpAt: lead.nextFollowUpAt,
    nextCallBackAt: callBackAt && callBackAt.getTime() > Date.now() ? callBackAt : null,
    createdAt: lead.createdAt,
    updatedAt: lead.updatedAt,
    recycledAt: lead.recycledAt,
    events: (lead.events ?? []).map((e) => ({
      id: e.id,
      type: e.type,
      note: e.note,
      actor: e.actor?.name ?? (e.actorSystem ? `system (${e.actorSystem})` : 'system'),
      createdAt: e.createdAt,
      idempotencyKey: e.idempotencyKey,
    })),
    touches: (lead.touches ?? []).map((t) => ({ id: t.id, source: t.source, sourceLabel: sourceLabel(t.source, labels), importName: t.importName, receivedAt: t.receivedAt })),
    assignments: (lead.assignments ?? []).map((a) => ({
      id: String(a.id),
      userId: a.userId,
      to: a.user?.name ?? null,
      assignedByUserId: a.assignedByUserId,
      by: a.assignedBy?.name ?? null,
      method: a.method,
      reason: a.reason,
      createdAt: a.createdAt,
    })),
  };
}

// ---- Assigning (owners and admins; the rules are db/distribution/assign.ts's) ----

export const ASSIGN_ROLES = ['owner', 'admin'] as const satisfies readonly Role[];
export const canAssign = (user: SessionUser) => (ASSIGN_ROLES as readonly string[]).includes(user.role);

/** An active LSP a lead can be given to; `licensed` against the lead's state when one is given. */
export interface AssignableLsp {
  id: string;
  name: string;
  licensedStates: string[];
  licensed: boolean;
}

/** The account's active LSPs, by name; with `state`, each marked licensed there or not. */
export async function assignableLsps(db: Knex, user: SessionUser, state?: string): Promise<AssignableLsp[]> {
  const rows: Array<{ id: string; name: string; licensed_states: string[] }> = await db('users')
    .where({ account_id: user.accountId, role: 'lsp', status: 'active' })
    .orderByRaw('lower(name), id')
    .select('id', 'name', 'licensed_states');
  const wanted = state?.trim().toUpperCase();
  return rows.map((r) => ({ id: r.id, name: r.name, licensedStates: r.licensed_states, licensed: wanted === undefined || r.licensed_states.some((s) => s.toUpperCase() === wanted) }));
}

const reasonField = z
  .string({ error: 'A reason is required' })
  .trim()
  .min(1, 'A reason is required')
  .max(ASSIGN_REASON_MAX, `At most ${ASSIGN_REASON_MAX} characters`);
const assignForm = z.object({ userId: z.uuid({ error: 'Choose an LSP' }), reason: reasonField });
const unassignForm = z.object({ reason: reasonField });
const selectedLeads = z.array(z.uuid('Not a lead')).min(1, 'Select at least one lead').max(ASSIGN_MAX_LEADS, `At most ${ASSIGN_MAX_LEADS} leads at once`);
const bulkMatchingForm = assignForm.extend({
  count: z.coerce.number({ error: 'How many leads?' }).int('A whole number').min(1, 'At least 1').max(ASSIGN_MAX_LEADS, `At most ${ASSIGN_MAX_LEADS}`),
  filters: z.string().max(2000).optional(),
});

/** What an assignment form answers: a message for the page, or the field errors (400). */
export type AssignFormResult = { ok: true; message: string; status: 200 } | { ok: false; status: number; message: string; fieldErrors?: Record<string, string[] | undefined> };

const firstError = (fieldErrors: Record<string, string[] | undefined>) => Object.values(fieldErrors).find((e) => e?.length)?.[0] ?? 'Check the form';

async function run(services: WebServices, accountId: string, fn: () => Promise<AssignResult>, describe: (r: AssignResult) => string): Promise<AssignFormResult> {
  try {
    const result = await fn();
    // An LSP who asked for it hears of a hot lead given to them (db/distribution/hot-lead-mail.ts).
    if (result.user && result.assigned.length) await notifyHotLeads(assignDeps(services), { accountId, leadIds: result.assigned.map((a) => a.leadId), appUrl: services.publicUrl });
    let message = describe(result);
    if (result.signalFailures.length) {
      // Postgres holds the assignment; only the workflow's copy of it is behind.
      message += ` (saved; ${result.signalFailures.length === 1 ? "the lead's workflow was" : `${result.signalFailures.length} leads' workflows were`} not told: ${result.signalFailures[0]!.message})`;
    }
    return { ok: true, status: 200, message };
  } catch (err) {
    if (err instanceof AssignmentError) return { ok: false, status: err.status, message: err.message };
    throw err;
  }
}

/** Assign (intent `assign`) or unassign (`unassign`) one lead from its page. */
export async function assignFromLeadPage(services: WebServices, user: SessionUser, leadId: string, intent: 'assign' | 'unassign', formData: FormData): Promise<AssignFormResult> {
  const parsed = parseForm(intent === 'assign' ? assignForm : unassignForm.extend({ userId: z.null().catch(null) }), formData);
  if (!parsed.success) return { ok: false, status: 400, message: firstError(parsed.fieldErrors), fieldErrors: parsed.fieldErrors };
  const { userId, reason } = parsed.data;
  return run(
    services,
    user.accountId,
    () => assignLeads(assignDeps(services), { accountId: user.accountId, leadIds: [leadId], userId, byUserId: user.id, reason }),
    (r) => {
      if (!r.assigned.length) return r.user ? `Already assigned to ${r.user.name}.` : 'Already unassigned.';
      return r.user ? `Assigned to ${r.user.name}.` : 'Unassigned.';
    },
  );
}

/** "Assign N leads to X: M skipped (reason, count)": the bulk forms' answer. */
function describeBulk(r: AssignResult, notChosen?: { count: number; reason: string }): string {
  const n = (k: number) => `${k} lead${k === 1 ? '' : 's'}`;
  const parts = [`Assigned ${n(r.assigned.length)} to ${r.user?.name ?? 'nobody'}`];
  if (r.unchanged.length) parts.push(`${n(r.unchanged.length)} already assigned to ${r.user?.name}`);
  const skipped = new Map<string, number>();
  for (const s of r.skipped) skipped.set(s.reason, (skipped.get(s.reason) ?? 0) + 1);
  if (notChosen?.count) skipped.set(notChosen.reason, notChosen.count);
  const skippedTotal = [...skipped.values()].reduce((a, b) => a + b, 0);
  if (skippedTotal) parts.push(`${skippedTotal} skipped: ${[...skipped].map(([reason, k]) => (k > 1 ? `${reason} (${n(k)})` : reason)).join('; ')}`);
  return `${parts.join('. ')}.`;
}

/** The leads list's bulk forms: the selected rows (`assign-selected`) or N of the leads matching the list's filters (`assign-matching`). */
export async function assignFromList(services: WebServices, user: SessionUser, intent: 'assign-selected' | 'assign-matching', formData: FormData): Promise<AssignFormResult> {
  if (intent === 'assign-selected') {
    const parsed = parseForm(assignForm, formData);
    if (!parsed.success) return { ok: false, status: 400, message: firstError(parsed.fieldErrors), fieldErrors: parsed.fieldErrors };
    const leadIds = selectedLeads.safeParse(formData.getAll('leadId').map(String));
    if (!leadIds.success) return { ok: false, status: 400, message: leadIds.error.issues[0]!.message, fieldErrors: { leadId: leadIds.error.issues.map((i) => i.message) } };
    const { userId, reason } = parsed.data;
    return run(services, user.accountId, () => assignLeads(assignDeps(services), { accountId: user.accountId, leadIds: leadIds.data, userId, byUserId: user.id, reason, bulk: true }), (r) => describeBulk(r));
  }
  const parsed = parseForm(bulkMatchingForm, formData);
  if (!parsed.success) return { ok: false, status: 400, message: firstError(parsed.fieldErrors), fieldErrors: parsed.fieldErrors };
  const { userId, reason, count } = parsed.data;
  const params = parseLeadListParams(new URL(`/leads?${(parsed.data.filters ?? '').replace(/^\?/, '')}`, 'http://leadflow.invalid'));
  let lsp;
  try {
    lsp = await loadAssignee(services.db, user.accountId, userId);
  } catch (err) {
    if (err instanceof AssignmentError) return { ok: false, status: err.status, message: err.message };
    throw err;
  }
  const { leadIds, unlicensed } = await pickMatchingLeads(services.db, user, params, lsp.licensed_states, count);
  if (!leadIds.length) {
    const why = unlicensed ? `: ${unlicensed} match but ${lsp.name} is not licensed in their state` : '';
    return { ok: true, status: 200, message: `No unassigned lead matching these filters can go to ${lsp.name}${why}.` };
  }
  const notChosen = { count: Math.min(unlicensed, count - leadIds.length), reason: `${lsp.name} is not licensed in their state` };
  return run(
    services,
    user.accountId,
    () => assignLeads(assignDeps(services), { accountId: user.accountId, leadIds, userId, byUserId: user.id, reason, bulk: true, onlyUnassigned: true }),
    (r) => {
      const short = leadIds.length < count ? ` (asked for ${count}; ${leadIds.length} unassigned leads in ${lsp.name}'s states match)` : '';
      return describeBulk(r, notChosen).replace(/\.$/, `${short}.`);
    },
  );
}

/**
 * The freshest `limit` leads the list's filters let through that are unassigned, open (not
 * recycled, removed or archived) and in one of `states`; and how many more unassigned open
 * matches there are in other states (reported as skipped).
 */
export async function pickMatchingLeads(db: Knex, user: SessionUser, params: LeadListParams, states: string[], limit: number): Promise<{ leadIds: string[]; unlicensed: number }> {
  const pool = applyFilters(scopedLeads(db, user), params, user).whereNull('leads.assigned_user_id').whereNotIn('leads.status', INACTIVE_LEAD_STATUSES);
  const upper = states.map((s) => s.toUpperCase());
  const rows: Array<{ id: string }> = await pool
    .clone()
    .whereRaw('upper(leads.state) = any(?::text[])', [upper])
    .orderBy([{ column: 'leads.created_at', order: 'desc' }, { column: 'leads.id', order: 'desc' }])
    .limit(limit)
    .select('leads.id');
  const [{ n }] = await pool.clone().whereRaw('not (upper(leads.state) = any(?::text[]))', [upper]).count<{ n: string }[]>({ n: '*' });
  return { leadIds: rows.map((r) => r.id), unlicensed: Number(n) };
}
