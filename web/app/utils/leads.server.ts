// Reading leads for the web app. Every query starts from `scopedLeads`, which is where the
// visibility rules live: a user sees only their own account's leads, and an LSP only the
// leads assigned to them, plus the unassigned pool when the account turned Shark Tank on.
import type { Knex } from 'knex';
import type { AnyQueryBuilder } from 'objection';
import { z } from 'zod';
import { Lead, LEAD_KINDS, LEAD_SOURCES, LEAD_STATUSES, User, type LeadEvent } from '../../../db/models/index.ts';
import type { SessionUser } from './auth.server.ts';
import { LEAD_LIST_PROPERTIES, type LeadTableRow } from '../components/lead-table.tsx';

export const PAGE_SIZE = 25;
export const LEAD_SORTS = ['created', 'name', 'follow_up', 'milestone'] as const;
export type LeadSort = (typeof LEAD_SORTS)[number];

const DEFAULT_DIR: Record<LeadSort, 'asc' | 'desc'> = { created: 'desc', name: 'asc', follow_up: 'asc', milestone: 'asc' };

// A bad or empty value in the query string drops that filter rather than failing the page:
// these are links people share and edit by hand.
const yesNo = z.enum(['yes', 'no']).optional().catch(undefined);
export const leadListParamsSchema = z.object({
  page: z.coerce.number().int().min(1).max(1_000_000).catch(1),
  sort: z.enum(LEAD_SORTS).catch('created'),
  dir: z.enum(['asc', 'desc']).optional().catch(undefined),
  source: z.enum(LEAD_SOURCES).optional().catch(undefined),
  import: z.string().trim().min(1).max(200).optional().catch(undefined),
  status: z.enum(LEAD_STATUSES).optional().catch(undefined),
  assignee: z.union([z.literal('unassigned'), z.uuid()]).optional().catch(undefined),
  dnc: yesNo,
  dne: yesNo,
  dnm: yesNo,
  kind: z.enum(LEAD_KINDS).optional().catch(undefined),
});
export type LeadListParams = z.infer<typeof leadListParamsSchema> & { dir: 'asc' | 'desc' };

export function parseLeadListParams(url: URL): LeadListParams {
  const parsed = leadListParamsSchema.parse(Object.fromEntries(url.searchParams));
  return { ...parsed, dir: parsed.dir ?? DEFAULT_DIR[parsed.sort] };
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

// Selected under their property names, so rows come back in the shape the table renders.
const LIST_COLUMNS = [...LEAD_LIST_PROPERTIES.map((p) => `leads.${Lead.propertyNameToColumnName(p)} as ${p}`), 'assignee.name as assigneeName'];

function applyFilters(q: Knex.QueryBuilder, p: LeadListParams): Knex.QueryBuilder {
  if (p.source) q.where('leads.source', p.source);
  if (p.import) q.where('leads.import_name', p.import);
  if (p.status) q.where('leads.status', p.status);
  if (p.assignee === 'unassigned') q.whereNull('leads.assigned_user_id');
  else if (p.assignee) q.where('leads.assigned_user_id', p.assignee);
  for (const flag of ['dnc', 'dne', 'dnm'] as const) {
    if (p[flag]) q.where(`leads.${flag}`, p[flag] === 'yes');
  }
  if (p.kind) q.where('leads.kind', p.kind);
  return q;
}

function applySort(q: Knex.QueryBuilder, sort: LeadSort, dir: 'asc' | 'desc'): Knex.QueryBuilder {
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
  const filtered = applyFilters(scopedLeads(db, user), params);
  const [{ n }] = await filtered.clone().count<{ n: string }[]>({ n: '*' });
  const total = Number(n);
  const pageCount = Math.max(1, Math.ceil(total / PAGE_SIZE));
  const page = Math.min(params.page, pageCount);
  const leads: LeadRow[] = await applySort(filtered.clone().leftJoin('users as assignee', 'assignee.id', 'leads.assigned_user_id'), params.sort, params.dir)
    .select(LIST_COLUMNS)
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
    imports: imports.map((r: { import_name: string }) => r.import_name),
    assignees: assignees.map((a) => ({ id: a.id, name: a.status === 'active' ? a.name : `${a.name} (inactive)` })),
  };
}

/** Leads assigned to the user with a follow-up due by the end of today (UTC), overdue first. */
export async function listDueToday(db: Knex, user: SessionUser): Promise<LeadRow[]> {
  return db('leads')
    .leftJoin('users as assignee', 'assignee.id', 'leads.assigned_user_id')
    .where('leads.account_id', user.accountId)
    .where('leads.assigned_user_id', user.id)
    .whereIn('leads.status', ['new', 'active'])
    .whereRaw(`leads.next_follow_up_at < (date_trunc('day', now() at time zone 'UTC') + interval '1 day') at time zone 'UTC'`)
    .orderBy('leads.next_follow_up_at', 'asc')
    .orderBy('leads.id')
    .limit(200)
    .select<LeadRow[]>(LIST_COLUMNS);
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
  assignee: Pick<User, 'name' | 'username'> | null;
  events: Array<Pick<LeadEvent, 'id' | 'type' | 'note' | 'createdAt' | 'idempotencyKey'> & { actor: string }>;
  touches: Array<{ id: string; source: string; importName: string | null; receivedAt: Date }>;
  assignments: Array<{ id: string; to: string | null; by: string | null; reason: string; createdAt: Date }>;
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
const DETAIL_MODIFIERS = { latestEvents: latest(200, 'created_at', 'id'), latestTouches: latest(100, 'received_at'), latestAssignments: latest(100, 'created_at') };

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
    importName: lead.importName,
    kind: lead.kind,
    flags,
    timeZone: lead.timeZone,
    segment: lead.segment,
    status: lead.status,
    milestone: lead.milestone,
    assignee: lead.assignee ? { name: lead.assignee.name, username: lead.assignee.username } : null,
    nextFollowUpAt: lead.nextFollowUpAt,
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
    touches: (lead.touches ?? []).map((t) => ({ id: t.id, source: t.source, importName: t.importName, receivedAt: t.receivedAt })),
    assignments: (lead.assignments ?? []).map((a) => ({ id: a.id, to: a.user?.name ?? null, by: a.assignedBy?.name ?? null, reason: a.reason, createdAt: a.createdAt })),
  };
}
