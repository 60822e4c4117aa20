// Reading leads for the web app. Every query starts from `scopedLeads`, which is where the
// visibility rules live: a user sees only their own account's leads, and an LSP only the
// leads assigned to them, plus the unassigned pool when the account turned Shark Tank on.
import type { Knex } from 'knex';
import { z } from 'zod';
import type { EmailEntry, PhoneEntry } from '../../../db/models/index.ts';
import { LEAD_SOURCES } from '../../../workflows/lead/templates.ts';
import type { SessionUser } from './auth.server.ts';
import { LEAD_STATUSES } from './labels.ts';
import type { LeadTableRow } from '../components/lead-table.tsx';

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
  kind: z.enum(['P', 'C']).optional().catch(undefined),
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

const LIST_COLUMNS = [
  'leads.id',
  'leads.first_name',
  'leads.last_name',
  'leads.city',
  'leads.state',
  'leads.source',
  'leads.import_name',
  'leads.kind',
  'leads.dnc',
  'leads.dne',
  'leads.dnm',
  'leads.status',
  'leads.milestone',
  'leads.next_follow_up_at',
  'leads.created_at',
  'assignee.name as assignee_name',
];

interface LeadListRecord {
  id: string;
  first_name: string;
  last_name: string;
  city: string;
  state: string;
  source: string;
  import_name: string | null;
  kind: 'P' | 'C';
  dnc: boolean;
  dne: boolean;
  dnm: boolean;
  status: string;
  milestone: string;
  assignee_name: string | null;
  next_follow_up_at: Date | null;
  created_at: Date;
}

function toLeadRow(r: LeadListRecord): LeadRow {
  return {
    id: r.id,
    firstName: r.first_name,
    lastName: r.last_name,
    city: r.city,
    state: r.state,
    source: r.source,
    importName: r.import_name,
    kind: r.kind,
    dnc: r.dnc,
    dne: r.dne,
    dnm: r.dnm,
    status: r.status,
    milestone: r.milestone,
    assigneeName: r.assignee_name,
    nextFollowUpAt: r.next_follow_up_at,
    createdAt: r.created_at,
  };
}

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
  const rows: LeadListRecord[] = await applySort(filtered.clone().leftJoin('users as assignee', 'assignee.id', 'leads.assigned_user_id'), params.sort, params.dir)
    .select(LIST_COLUMNS)
    .limit(PAGE_SIZE)
    .offset((page - 1) * PAGE_SIZE);
  return { leads: rows.map(toLeadRow), total, page, pageCount, pageSize: PAGE_SIZE };
}

/** Choices for the filter form, limited to what this user may see. */
export async function leadFilterOptions(db: Knex, user: SessionUser) {
  const imports = await scopedLeads(db, user).whereNotNull('leads.import_name').distinct('leads.import_name').orderBy('leads.import_name').limit(500);
  const assignees =
    user.role === 'lsp'
      ? []
      : await db('users').where({ account_id: user.accountId }).whereIn('role', ['lsp', 'admin', 'owner']).orderByRaw('lower(name)').select('id', 'name', 'status');
  return {
    imports: imports.map((r: { import_name: string }) => r.import_name),
    assignees: assignees.map((a: { id: string; name: string; status: string }) => ({ id: a.id, name: a.status === 'active' ? a.name : `${a.name} (inactive)` })),
  };
}

/** Leads assigned to the user with a follow-up due by the end of today (UTC), overdue first. */
export async function listDueToday(db: Knex, user: SessionUser): Promise<LeadRow[]> {
  const rows: LeadListRecord[] = await db('leads')
    .leftJoin('users as assignee', 'assignee.id', 'leads.assigned_user_id')
    .where('leads.account_id', user.accountId)
    .where('leads.assigned_user_id', user.id)
    .whereIn('leads.status', ['new', 'active'])
    .whereRaw(`leads.next_follow_up_at < (date_trunc('day', now() at time zone 'UTC') + interval '1 day') at time zone 'UTC'`)
    .orderBy('leads.next_follow_up_at', 'asc')
    .orderBy('leads.id')
    .limit(200)
    .select(LIST_COLUMNS);
  return rows.map(toLeadRow);
}

export interface LeadDetail {
  id: string;
  firstName: string;
  lastName: string;
  addressLine1: string;
  addressLine2: string | null;
  city: string;
  state: string;
  zip: string;
  phones: PhoneEntry[];
  emails: EmailEntry[];
  source: string;
  importName: string | null;
  kind: 'P' | 'C';
  flags: Array<{ flag: 'DNC' | 'DNE' | 'DNM'; at: Date | null; reason: string | null }>;
  timeZone: string | null;
  segment: string | null;
  status: string;
  milestone: string;
  assignee: { name: string; username: string } | null;
  nextFollowUpAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  recycledAt: Date | null;
  events: Array<{ id: string; type: string; note: string | null; actor: string; createdAt: Date; idempotencyKey: string | null }>;
  touches: Array<{ id: string; source: string; importName: string | null; receivedAt: Date }>;
  assignments: Array<{ id: string; to: string | null; by: string | null; reason: string; createdAt: Date }>;
}

const UUID = z.uuid();

/** The lead if this user may see it, else null (the route answers 404 either way). */
export function getLeadForUser(db: Knex, user: SessionUser, leadId: string): Promise<LeadDetail | null> {
  return loadLeadDetail(db, scopedLeads(db, user), user.accountId, leadId);
}

/** For the intake API: an API key speaks for the whole account, like its owner. */
export function getLeadForAccount(db: Knex, accountId: string, leadId: string): Promise<LeadDetail | null> {
  return loadLeadDetail(db, db('leads').where('leads.account_id', accountId), accountId, leadId);
}

async function loadLeadDetail(db: Knex, scoped: Knex.QueryBuilder, accountId: string, leadId: string): Promise<LeadDetail | null> {
  if (!UUID.safeParse(leadId).success) return null;
  const r = await scoped
    .leftJoin('users as assignee', 'assignee.id', 'leads.assigned_user_id')
    .where('leads.id', leadId)
    .first('leads.*', 'assignee.name as assignee_name', 'assignee.username as assignee_username');
  if (!r) return null;
  const [events, touches, assignments]: [
    Array<{ id: number; type: string; note: string | null; actor_system: string | null; created_at: Date; idempotency_key: string | null; actor_name: string | null }>,
    Array<{ id: number; source: string; import_name: string | null; received_at: Date }>,
    Array<{ id: number; reason: string; created_at: Date; to_name: string | null; by_name: string | null }>,
  ] = await Promise.all([
    db('lead_events as e')
      .leftJoin('users as u', 'u.id', 'e.actor_user_id')
      .where({ 'e.lead_id': leadId, 'e.account_id': accountId })
      .orderBy([
        { column: 'e.created_at', order: 'desc' },
        { column: 'e.id', order: 'desc' },
      ])
      .limit(200)
      .select('e.id', 'e.type', 'e.note', 'e.actor_system', 'e.created_at', 'e.idempotency_key', 'u.name as actor_name'),
    db('lead_source_touches')
      .where({ lead_id: leadId, account_id: accountId })
      .orderBy('received_at', 'desc')
      .limit(100)
      .select('id', 'source', 'import_name', 'received_at'),
    db('assignments as a')
      .leftJoin('users as to', 'to.id', 'a.user_id')
      .leftJoin('users as by', 'by.id', 'a.assigned_by_user_id')
      .where({ 'a.lead_id': leadId, 'a.account_id': accountId })
      .orderBy('a.created_at', 'desc')
      .limit(100)
      .select('a.id', 'a.reason', 'a.created_at', 'to.name as to_name', 'by.name as by_name'),
  ]);
  const flags: LeadDetail['flags'] = [];
  for (const flag of ['dnc', 'dne', 'dnm'] as const) {
    if (r[flag]) flags.push({ flag: flag.toUpperCase() as 'DNC' | 'DNE' | 'DNM', at: r[`${flag}_at`], reason: r[`${flag}_reason`] });
  }
  return {
    id: r.id,
    firstName: r.first_name,
    lastName: r.last_name,
    addressLine1: r.address_line1,
    addressLine2: r.address_line2,
    city: r.city,
    state: r.state,
    zip: r.zip,
    phones: r.phones ?? [],
    emails: r.emails ?? [],
    source: r.source,
    importName: r.import_name,
    kind: r.kind,
    flags,
    timeZone: r.time_zone,
    segment: r.segment,
    status: r.status,
    milestone: r.milestone,
    assignee: r.assignee_name ? { name: r.assignee_name, username: r.assignee_username } : null,
    nextFollowUpAt: r.next_follow_up_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    recycledAt: r.recycled_at,
    events: events.map((e) => ({
      id: String(e.id),
      type: e.type,
      note: e.note,
      actor: e.actor_name ?? (e.actor_system ? `system (${e.actor_system})` : 'system'),
      createdAt: e.created_at,
      idempotencyKey: e.idempotency_key,
    })),
    touches: touches.map((t) => ({ id: String(t.id), source: t.source, importName: t.import_name, receivedAt: t.received_at })),
    assignments: assignments.map((a) => ({ id: String(a.id), to: a.to_name, by: a.by_name, reason: a.reason, createdAt: a.created_at })),
  };
}
