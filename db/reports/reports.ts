// The six reports owners and admins run their week on. Every figure comes from PostgreSQL:
// the lead history (lead_events, which outlives any workflow run, so a duration spanning a
// continue-as-new is just two rows of the same lead), the leads, their assignments and imports.
//
// Each report is one SQL query (`base`) over the account's rows in the date range, with the
// filters applied; the page sorts and pages it in SQL and the export streams all of it through
// a cursor. Columns that cost a lookup per row (`outer`) are computed after the page is cut.
// Nothing here selects a lead's name, street, phone or e-mail, and no free text (notes, typed
// reasons) is shown: a report says what happened in Leadflow's own words.
import type { Knex } from 'knex';
import { ALL_QUICK_ACTIONS, QUICK_ACTIONS } from '../../workflows/lead/quick-actions.ts';
import { cursorRows } from './csv.ts';

export const REPORT_NAMES = ['user-activity', 'lead-log', 'milestones', 'lead-snapshot', 'account-metrics', 'leads-removed'] as const;
export type ReportName = (typeof REPORT_NAMES)[number];

export const isReportName = (name: string): name is ReportName => (REPORT_NAMES as readonly string[]).includes(name);

export const REPORT_PAGE_SIZE = 50;

export interface ReportFilters {
  /** A user of the account: who acted (history reports) or who holds the lead (lead reports). */
  user?: string;
  source?: string;
  import?: string;
  segment?: string;
}

export interface ReportContext {
  accountId: string;
  /** The account's zone: the range's days and the charts' days are its local days. */
  timeZone: string;
  /** Local midnight of the first day, inclusive. */
  start: Date;
  /** Local midnight after the last day, exclusive. */
  end: Date;
  /** What "now" is for durations still running. */
  now: Date;
  filters: ReportFilters;
}

export type ColumnKind = 'text' | 'lead' | 'time' | 'duration' | 'count' | 'percent';

export interface ReportColumn {
  key: string;
  label: string;
  kind: ColumnKind;
  /** Sortable by this column (the page's headers link to it). */
  sortable?: boolean;
}

/** A shaped row: text, numbers (durations in seconds, percentages 0..100) and instants (ISO). */
export type ReportRow = Record<string, string | number | null>;

type Raw = Record<string, unknown>;
interface Outer {
  select?: string;
  joins?: string;
}
interface Sql {
  sql: string;
  bindings: unknown[];
}

export interface ReportSpec {
  name: ReportName;
  title: string;
  summary: string;
  /** What the date range selects, in words for the page. */
  rangeMeans: string;
  /** What the user filter selects; null when the report has none. */
  userMeans: string;
  columns: ReportColumn[];
  defaultSort: string;
  defaultDir: 'asc' | 'desc';
  /** Sortable column key -> SQL over the base query's output columns. */
  sorts: Record<string, string>;
  /** Appended to every ORDER BY so pages are stable. */
  tiebreak: string;
  /**
   * Counted along with the page, in one query: for reports whose every row is computed before
   * any can be sorted (groups, window functions), where a separate count would do it all twice.
   */
  countWithPage?: boolean;
  /** Sort keys whose column can be empty: those rows go last either way. (The others sort as their index does.) */
  nullable?: string[];
  /** `sort`: the sort key the rows are ordered by (a report may compute less for some). */
  base(ctx: ReportContext, sort: string): Sql;
  /** Per-row lookups done after paging: select-list items and joins over the alias `p` (for the sort key). */
  outer?: Outer | ((sort: string) => Outer | undefined);
  shape(raw: Raw, ctx: ReportContext): ReportRow;
}

// ---- Shared SQL pieces ----

const ACTION_LABELS = new Map<string, string>(ALL_QUICK_ACTIONS.map((a) => [a.key, a.label]));
const MILESTONE_LABELS = new Map<string, string>([['new', 'New'], ...QUICK_ACTIONS.map((a) => [a.milestone, a.label] as [string, string])]);
export const actionLabel = (key: string | null | undefined) => (key ? (ACTION_LABELS.get(key) ?? key.replace(/_/g, ' ')) : '');
export const milestoneName = (key: string | null | undefined) => (key ? (MILESTONE_LABELS.get(key) ?? key.replace(/_/g, ' ')) : '');

/** Quick Actions that mean the person was reached, and those that mean a quote was given. */
const CONTACTED_ACTIONS = ['contacted', 'email_confirmed', 'not_interested', 'quoted', 'appointment', 'personalized_proposal', 'sold'];
const QUOTED_ACTIONS = ['quoted', 'personalized_proposal', 'sold'];
const sqlList = (values: string[]) => values.map((v) => `'${v.replace(/'/g, "''")}'`).join(', ');

/** The lead's own filters (account, source, import name, segment) on alias `l`. */
function leadFilters(ctx: ReportContext): Sql {
  const parts = ['l.account_id = ?'];
  const bindings: unknown[] = [ctx.accountId];
  if (ctx.filters.source) {
    parts.push('l.source = ?');
    bindings.push(ctx.filters.source);
  }
  if (ctx.filters.import) {
    parts.push('l.import_name = ?');
    bindings.push(ctx.filters.import);
  }
  if (ctx.filters.segment) {
    parts.push('l.segment = ?');
    bindings.push(ctx.filters.segment);
  }
  return { sql: parts.join(' AND '), bindings };
}

const filtersLeads = (ctx: ReportContext) => Boolean(ctx.filters.source || ctx.filters.import || ctx.filters.segment);

/**
 * History rows `e` of the account in the range, with their lead `l` (and `joins`), the lead
 * filters and `where`; `actor` filters on who acted. Without lead filters the lead is a left
 * join on its primary key (every entry has its lead), which a count can leave out altogether.
 */
function eventScope(ctx: ReportContext, opts: { actor: boolean; where?: string; joins?: string }): Sql {
  const parts = ['e.account_id = ?', 'e.created_at >= ?', 'e.created_at < ?'];
  const bindings: unknown[] = [ctx.accountId, ctx.start, ctx.end];
  let leadJoin = 'LEFT JOIN leads l ON l.id = e.lead_id';
  if (filtersLeads(ctx)) {
    const lf = leadFilters(ctx);
    leadJoin = 'JOIN leads l ON l.id = e.lead_id';
    parts.push(lf.sql);
    bindings.push(...lf.bindings);
  }
  if (opts.where) parts.push(opts.where);
  if (opts.actor && ctx.filters.user) {
    parts.push('e.actor_user_id = ?');
    bindings.push(ctx.filters.user);
  }
  return { sql: `FROM lead_events e ${leadJoin} ${opts.joins ?? ''} WHERE ${parts.join(' AND ')}`, bindings };
}

/**
 * Whether the Quick Action `e` moved its lead to a milestone other than the one before it (New
 * before the first): the recorder stores the milestone the lead came from (data.fromMilestone,
 * filled in by a migration for older history), so this reads only the row itself.
 */
const moved = (e: string) => `${e}.data->>'milestone' IS DISTINCT FROM coalesce(${e}.data->>'fromMilestone', 'new')`;

/**
 * The account's Quick Actions `e` in the range with their lead `l` and the lead
 * filters; `moved` says whether each moved its lead to a new milestone. Columns: event_id,
 * lead_id, reached_at, user_id, action, milestone, moved.
 */
function quickActionSteps(ctx: ReportContext): Sql {
  const scope = eventScope(ctx, { actor: false, where: `e.type = 'quick_action'` });
  return {
    sql: `SELECT e.id AS event_id, e.lead_id, e.created_at AS reached_at, e.actor_user_id AS user_id, e.data->>'action' AS action, e.data->>'milestone' AS milestone,
                 ${moved('e')} AS moved
            ${scope.sql}`,
    bindings: scope.bindings,
  };
}

/** The Quick Action history rows in the range (alias `h`), and who acted when the user filter is set. */
function inRange(ctx: ReportContext): Sql {
  const bindings: unknown[] = [ctx.start, ctx.end];
  let byUser = '';
  if (ctx.filters.user) {
    byUser = 'AND h.user_id = ?';
    bindings.push(ctx.filters.user);
  }
  return { sql: `h.reached_at >= ? AND h.reached_at < ? ${byUser}`, bindings };
}

const UUID_TEXT = `'^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'`;

const iso = (v: unknown): string | null => (v instanceof Date ? v.toISOString() : typeof v === 'string' && v ? new Date(v).toISOString() : null);
const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const seconds = (v: unknown): number | null => (v === null || v === undefined ? null : Math.round(Number(v)));
const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const place = (r: Raw) => [r.city, r.state].filter((x) => typeof x === 'string' && x).join(', ');

const ASSIGN_METHOD_WORDS: Record<string, string> = {
  manual: 'by hand',
  api: 'through the API',
  auto: 'by auto-assign',
  claim: 'by a claim',
  next: 'by Next lead',
  holding_period: 'by the holding period',
  deactivation: 'by a user leaving',
};

/**
 * A history entry in Leadflow's own words, from its type and structured data. Notes and typed
 * reasons are left out on purpose: they are free text and may hold a consumer's details.
 */
export function describeEvent(type: string, data: Raw | null, targetName: string | null): string {
  const d = data ?? {};
  const method = typeof d.method === 'string' ? ASSIGN_METHOD_WORDS[d.method] : undefined;
  switch (type) {
    case 'created':
      return 'Arrived';
    case 'merged':
      return 'Arrived again (merged as another source touch)';
    case 'source_touch':
      return 'Source touch';
    case 'quick_action':
      return `Quick Action: ${actionLabel(str(d.action))}`;
    case 'assigned':
      return `Assigned to ${targetName ?? 'a user'}${method ? ` ${method}` : ''}`;
    case 'unassigned':
      return `Unassigned${method ? ` ${method}` : ''}`;
    case 'flagged':
      return `Flagged ${typeof d.flag === 'string' ? d.flag.toUpperCase() : ''}`.trim();
    case 'removed':
      return 'Removed: on the customer list';
    case 'recycled':
      return 'Moved to the Recycle bin';
    case 'restored':
      return 'Restored from the Recycle bin';
    case 'archived':
      return 'Archived';
    case 'scrubbed':
      return 'Compliance scrub';
    case 'call_task':
      return 'Cadence call task';
    case 'email_queued':
      return 'Cadence e-mail queued';
    case 'step_skipped':
      return 'Cadence step skipped';
    case 'callback_due':
      return 'Call-back due';
    case 'callback_handed_over':
      return 'Call-back handed over';
    case 'eagent_transferred':
      return 'Sent to eAgent';
    case 'eagent_transfer_failed':
      return 'eAgent transfer failed';
    case 'eagent_refused':
      return 'eAgent address refused';
    case 'workflow_start_failed':
      return 'Workflow start failed';
    default:
      return type.replace(/_/g, ' ');
  }
}

/** Why a lead left the pipeline, by the history entry that took it out. */
export const REMOVAL_REASONS: Record<string, string> = {
  removed: 'On the customer list',
  do_not_contact: 'Do Not Contact request',
  recycled: 'Uncontactable: new and unassigned for 3 days (Recycle bin)',
  archived: 'Archived by a user',
};

// ---- The six reports ----

const userActivity: ReportSpec = {
  name: 'user-activity',
  title: 'User Activity',
  summary: 'Per user and Quick Action: how many they entered, and how many of them moved a lead to a new milestone.',
  rangeMeans: 'Quick Actions entered',
  userMeans: 'who entered them',
  columns: [
    { key: 'user', label: 'User', kind: 'text', sortable: true },
    { key: 'action', label: 'Quick Action', kind: 'text', sortable: true },
    { key: 'actions', label: 'Entered', kind: 'count', sortable: true },
    { key: 'milestones', label: 'Milestones reached', kind: 'count', sortable: true },
  ],
  defaultSort: 'user',
  defaultDir: 'asc',
  countWithPage: true,
  sorts: { user: 'lower(user_name)', action: 'action', actions: 'actions', milestones: 'milestones' },
  tiebreak: 'user_id, action',
  base(ctx) {
    const steps = quickActionSteps(ctx);
    const range = inRange(ctx);
    return {
      sql: `SELECT h.user_id, coalesce(u.name, 'Unknown user') AS user_name, h.action, count(*)::int AS actions, count(*) FILTER (WHERE h.moved)::int AS milestones
              FROM (${steps.sql}) h LEFT JOIN users u ON u.id = h.user_id AND u.account_id = ?
             WHERE ${range.sql}
             GROUP BY h.user_id, u.name, h.action`,
      bindings: [...steps.bindings, ctx.accountId, ...range.bindings],
    };
  },
  shape: (r) => ({ user: str(r.user_name), action: actionLabel(str(r.action)), actions: num(r.actions), milestones: num(r.milestones) }),
};

const leadLog: ReportSpec = {
  name: 'lead-log',
  title: 'Lead Log History',
  summary: 'Every entry in the leads’ history: what happened, to which lead, by whom and when.',
  rangeMeans: 'history entries recorded',
  userMeans: 'who made the entry',
  columns: [
    { key: 'at', label: 'When', kind: 'time', sortable: true },
    { key: 'lead', label: 'Lead', kind: 'lead', sortable: true },
    { key: 'place', label: 'City, state', kind: 'text' },
    { key: 'source', label: 'Source', kind: 'text', sortable: true },
    { key: 'what', label: 'What', kind: 'text', sortable: true },
    { key: 'user', label: 'By', kind: 'text', sortable: true },
  ],
  defaultSort: 'at',
  defaultDir: 'desc',
  sorts: { at: 'at', lead: 'lead_id', source: 'source', what: 'type', user: 'lower(actor_name)' },
  tiebreak: 'event_id',
  nullable: ['user'],
  base(ctx) {
    const scope = eventScope(ctx, { actor: true, joins: 'LEFT JOIN users a ON a.id = e.actor_user_id' });
    return {
      sql: `SELECT e.id AS event_id, e.account_id, e.created_at AS at, e.type, e.data, e.actor_system, a.name AS actor_name,
                   e.lead_id, l.city, l.state, l.source
              ${scope.sql}`,
      bindings: scope.bindings,
    };
  },
  outer: {
    select: `(SELECT t.name FROM users t WHERE t.account_id = p.account_id
               AND t.id = CASE WHEN p.data->>'userId' ~ ${UUID_TEXT} THEN (p.data->>'userId')::uuid END) AS target_name`,
  },
  shape: (r) => ({
    at: iso(r.at),
    lead: str(r.lead_id),
    place: place(r),
    source: str(r.source),
    what: describeEvent(String(r.type), r.data as Raw, str(r.target_name)),
    user: str(r.actor_name) ?? 'system',
  }),
};

/** Milestones sort keys whose column the Quick Action row holds. */
const MILESTONE_ROW_SORTS = ['reached', 'lead', 'milestone'];

const milestones: ReportSpec = {
  name: 'milestones',
  title: 'Milestones',
  summary: 'Every milestone a lead reached: how long after it arrived, how long it stayed there (until its next milestone, or until now) and how long ago.',
  rangeMeans: 'milestones reached',
  userMeans: 'who recorded the milestone',
  columns: [
    { key: 'reached', label: 'Reached', kind: 'time', sortable: true },
    { key: 'lead', label: 'Lead', kind: 'lead', sortable: true },
    { key: 'place', label: 'City, state', kind: 'text' },
    { key: 'source', label: 'Source', kind: 'text', sortable: true },
    { key: 'milestone', label: 'Milestone', kind: 'text', sortable: true },
    { key: 'user', label: 'By', kind: 'text', sortable: true },
    { key: 'elapsed', label: 'Since the lead arrived', kind: 'duration', sortable: true },
    { key: 'atMilestone', label: 'Time at milestone', kind: 'duration', sortable: true },
    { key: 'current', label: 'Still there', kind: 'text' },
    { key: 'since', label: 'Time since reached', kind: 'duration', sortable: true },
  ],
  defaultSort: 'reached',
  defaultDir: 'desc',
  countWithPage: true,
  sorts: { reached: 'reached_at', lead: 'lead_id', source: 'source', milestone: 'milestone', user: 'lower(user_name)', elapsed: 'elapsed_s', atMilestone: 'at_milestone_s', since: 'since_s' },
  tiebreak: 'event_id',
  nullable: ['user'],
  base(ctx, sort) {
    const steps = quickActionSteps(ctx);
    const range = inRange(ctx);
    if (MILESTONE_ROW_SORTS.includes(sort)) {
      // Sorted by what the Quick Action row itself holds: the rest is looked up for the page only.
      return {
        sql: `SELECT h.event_id, h.lead_id, h.milestone, h.user_id, h.reached_at, ?::timestamptz AS now_at
                FROM (${steps.sql}) h WHERE h.moved AND ${range.sql}`,
        bindings: [ctx.now, ...steps.bindings, ...range.bindings],
      };
    }
    // A milestone ends when its lead next moved: the next move in the range, else the lead's
    // first move after the range (in a later workflow run or not), looked up only for the last.
    return {
      sql: `WITH moves AS (
              SELECT s.*, lead(s.reached_at) OVER (PARTITION BY s.lead_id ORDER BY s.reached_at, s.event_id) AS next_at
                FROM (${steps.sql}) s WHERE s.moved
            ), history AS (
              SELECT m.*, CASE WHEN m.next_at IS NOT NULL THEN m.next_at
                               ELSE (SELECT n.created_at FROM lead_events n
                                      WHERE n.lead_id = m.lead_id AND n.type = 'quick_action' AND n.created_at >= ? AND ${moved('n')}
                                      ORDER BY n.created_at, n.id LIMIT 1) END AS left_at
                FROM moves m
              OFFSET 0 -- computed once a row, not again for each column that uses it
            )
            SELECT h.event_id, h.lead_id, l.city, l.state, l.source, h.milestone, h.user_id, u.name AS user_name, l.created_at AS arrived_at, h.reached_at, h.left_at,
                   extract(epoch FROM h.reached_at - l.created_at)::float AS elapsed_s,
                   extract(epoch FROM coalesce(h.left_at, ?::timestamptz) - h.reached_at)::float AS at_milestone_s,
                   extract(epoch FROM ?::timestamptz - h.reached_at)::float AS since_s
              FROM history h JOIN leads l ON l.id = h.lead_id LEFT JOIN users u ON u.id = h.user_id
             WHERE ${range.sql}`,
      bindings: [...steps.bindings, ctx.end, ctx.now, ctx.now, ...range.bindings],
    };
  },
  // The same columns as the full query's, for the page's rows: the lead, who, and when the lead
  // next moved (its first move after this one).
  outer: (sort) =>
    MILESTONE_ROW_SORTS.includes(sort)
      ? {
          select: `l.city, l.state, l.source, u.name AS user_name, l.created_at AS arrived_at, nx.left_at,
                   extract(epoch FROM p.reached_at - l.created_at)::float AS elapsed_s,
                   extract(epoch FROM coalesce(nx.left_at, p.now_at) - p.reached_at)::float AS at_milestone_s,
                   extract(epoch FROM p.now_at - p.reached_at)::float AS since_s`,
          joins: `JOIN leads l ON l.id = p.lead_id LEFT JOIN users u ON u.id = p.user_id
                  LEFT JOIN LATERAL (SELECT n.created_at AS left_at FROM lead_events n
                                      WHERE n.lead_id = p.lead_id AND n.type = 'quick_action' AND n.created_at >= p.reached_at AND (n.created_at, n.id) > (p.reached_at, p.event_id) AND ${moved('n')}
                                      ORDER BY n.created_at, n.id LIMIT 1) nx ON true`,
        }
      : undefined,
  shape: (r) => ({
    reached: iso(r.reached_at),
    lead: str(r.lead_id),
    place: place(r),
    source: str(r.source),
    milestone: milestoneName(str(r.milestone)),
    user: str(r.user_name),
    elapsed: seconds(r.elapsed_s),
    atMilestone: seconds(r.at_milestone_s),
    current: r.left_at ? 'no' : 'yes',
    since: seconds(r.since_s),
  }),
};

const leadSnapshot: ReportSpec = {
  name: 'lead-snapshot',
  title: 'Lead Snapshot',
  summary: 'The leads being worked now (new or active, assigned): who has each, its next appointment, the last entry by a user and by the system.',
  rangeMeans: 'leads created',
  userMeans: 'who holds the lead',
  columns: [
    { key: 'lead', label: 'Lead', kind: 'lead' },
    { key: 'place', label: 'City, state', kind: 'text', sortable: true },
    { key: 'source', label: 'Source', kind: 'text', sortable: true },
    { key: 'segment', label: 'Segment', kind: 'text', sortable: true },
    { key: 'milestone', label: 'Milestone', kind: 'text', sortable: true },
    { key: 'assignee', label: 'Assignee', kind: 'text', sortable: true },
    { key: 'appointment', label: 'Next appointment', kind: 'time' },
    { key: 'followUp', label: 'Next follow-up', kind: 'time', sortable: true },
    { key: 'lastUser', label: 'Last entry by a user', kind: 'text' },
    { key: 'lastUserAt', label: 'Last user entry at', kind: 'time' },
    { key: 'lastSystem', label: 'Last entry by the system', kind: 'text' },
    { key: 'lastSystemAt', label: 'Last system entry at', kind: 'time' },
    { key: 'created', label: 'Created', kind: 'time', sortable: true },
  ],
  defaultSort: 'created',
  defaultDir: 'desc',
  sorts: {
    place: 'state, city',
    source: 'source',
    segment: 'segment',
    milestone: 'milestone',
    assignee: 'lower(assignee)',
    followUp: 'next_follow_up_at',
    created: 'created_at',
  },
  tiebreak: 'lead_id',
  nullable: ['segment', 'followUp'],
  base(ctx) {
    const lf = leadFilters(ctx);
    const bindings: unknown[] = [...lf.bindings, ctx.start, ctx.end];
    let byUser = '';
    if (ctx.filters.user) {
      byUser = 'AND l.assigned_user_id = ?';
      bindings.push(ctx.filters.user);
    }
    return {
      sql: `SELECT l.id AS lead_id, l.city, l.state, l.source, l.segment, l.milestone, l.created_at, l.next_follow_up_at, u.name AS assignee
              FROM leads l JOIN users u ON u.id = l.assigned_user_id
             WHERE ${lf.sql} AND l.status IN ('new', 'active') AND l.created_at >= ? AND l.created_at < ? ${byUser}`,
      bindings,
    };
  },
  outer: {
    select: `(SELECT a.data->>'dueAt' FROM lead_events a
               WHERE a.lead_id = p.lead_id AND a.type = 'quick_action' AND a.data->>'action' = 'appointment'
               ORDER BY a.created_at DESC, a.id DESC LIMIT 1) AS appointment_due,
             lu.at AS last_user_at, lu.type AS last_user_type, lu.data AS last_user_data, lu.name AS last_user_name, lu.target AS last_user_target,
             ls.at AS last_system_at, ls.type AS last_system_type, ls.data AS last_system_data, ls.target AS last_system_target`,
    joins: `LEFT JOIN LATERAL (SELECT e.created_at AS at, e.type, e.data, x.name,
                   (SELECT t.name FROM users t WHERE t.id = CASE WHEN e.data->>'userId' ~ ${UUID_TEXT} THEN (e.data->>'userId')::uuid END AND t.account_id = x.account_id) AS target
              FROM lead_events e JOIN users x ON x.id = e.actor_user_id
             WHERE e.lead_id = p.lead_id ORDER BY e.created_at DESC, e.id DESC LIMIT 1) lu ON true
            LEFT JOIN LATERAL (SELECT e.created_at AS at, e.type, e.data,
                   (SELECT t.name FROM users t WHERE t.id = CASE WHEN e.data->>'userId' ~ ${UUID_TEXT} THEN (e.data->>'userId')::uuid END AND t.account_id = e.account_id) AS target
              FROM lead_events e
             WHERE e.lead_id = p.lead_id AND e.actor_user_id IS NULL ORDER BY e.created_at DESC, e.id DESC LIMIT 1) ls ON true`,
  },
  shape(r, ctx) {
    const due = iso(r.appointment_due);
    return {
      lead: str(r.lead_id),
      place: place(r),
      source: str(r.source),
      segment: r.segment ? String(r.segment).replace(/_/g, ' ') : null,
      milestone: milestoneName(str(r.milestone)),
      assignee: str(r.assignee),
      // Only an appointment still ahead is the next one.
      appointment: due && Date.parse(due) > ctx.now.getTime() ? due : null,
      followUp: iso(r.next_follow_up_at),
      lastUser: r.last_user_type ? `${describeEvent(String(r.last_user_type), r.last_user_data as Raw, str(r.last_user_target))} (${String(r.last_user_name)})` : null,
      lastUserAt: iso(r.last_user_at),
      lastSystem: r.last_system_type ? describeEvent(String(r.last_system_type), r.last_system_data as Raw, str(r.last_system_target)) : null,
      lastSystemAt: iso(r.last_system_at),
      created: iso(r.created_at),
    };
  },
};

/** Account Status & Metrics, grouped by source and import, or by source alone (the charts). */
function metricsSql(ctx: ReportContext, bySource: boolean): Sql {
  const lf = leadFilters(ctx);
  // A lead's Quick Actions all come after it arrived, so those of the leads that arrived in the
  // range are among the account's Quick Actions since the range began: one pass over them.
  const bindings: unknown[] = [ctx.accountId, ctx.start, ...lf.bindings, ctx.start, ctx.end];
  let byUser = '';
  if (ctx.filters.user) {
    byUser = 'AND l.assigned_user_id = ?';
    bindings.push(ctx.filters.user);
  }
  const importCol = bySource ? `NULL::text AS import_name` : `l.import_name`;
  return {
    sql: `SELECT l.source, ${importCol}, count(*)::int AS leads,
                 round(100.0 * count(*) FILTER (WHERE q.contacted) / count(*), 1)::float AS contacted_pct,
                 round(100.0 * count(*) FILTER (WHERE q.quoted) / count(*), 1)::float AS quoted_pct,
                 round(100.0 * count(*) FILTER (WHERE q.sold) / count(*), 1)::float AS sold_pct,
                 round(100.0 * count(*) FILTER (WHERE l.status IN ('recycled', 'removed')) / count(*), 1)::float AS out_pct,
                 count(*) FILTER (WHERE q.contacted)::int AS contacted,
                 count(*) FILTER (WHERE q.quoted)::int AS quoted,
                 count(*) FILTER (WHERE q.sold)::int AS sold,
                 count(q.first_at)::int AS attempted,
                 percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM q.first_at - l.created_at)) AS first_p50_s,
                 percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM q.first_at - l.created_at)) AS first_p90_s
            FROM leads l
            LEFT JOIN (
                 SELECT e.lead_id, min(e.created_at) AS first_at,
                        bool_or(e.data->>'action' IN (${sqlList(CONTACTED_ACTIONS)})) AS contacted,
                        bool_or(e.data->>'action' IN (${sqlList(QUOTED_ACTIONS)})) AS quoted,
                        bool_or(e.data->>'action' = 'sold') AS sold
                   FROM lead_events e WHERE e.account_id = ? AND e.type = 'quick_action' AND e.created_at >= ?
                  GROUP BY e.lead_id) q ON q.lead_id = l.id
           WHERE ${lf.sql} AND l.created_at >= ? AND l.created_at < ? ${byUser}
           GROUP BY l.source${bySource ? '' : ', l.import_name'}`,
    bindings,
  };
}

const accountMetrics: ReportSpec = {
  name: 'account-metrics',
  title: 'Account Status & Metrics',
  summary: 'How each lead source and import performs: leads, how many were contacted, quoted and sold, how many left for the Recycle bin or were removed, and how fast the first Quick Action came.',
  rangeMeans: 'leads arrived',
  userMeans: 'who holds the lead',
  columns: [
    { key: 'source', label: 'Source', kind: 'text', sortable: true },
    { key: 'import', label: 'Import', kind: 'text', sortable: true },
    { key: 'leads', label: 'Leads', kind: 'count', sortable: true },
    { key: 'contacted', label: 'Contacted %', kind: 'percent', sortable: true },
    { key: 'quoted', label: 'Quoted %', kind: 'percent', sortable: true },
    { key: 'sold', label: 'Sold %', kind: 'percent', sortable: true },
    { key: 'out', label: 'Recycled / removed %', kind: 'percent', sortable: true },
    { key: 'firstP50', label: 'First attempt, median', kind: 'duration', sortable: true },
    { key: 'firstP90', label: 'First attempt, 90th percentile', kind: 'duration', sortable: true },
  ],
  defaultSort: 'leads',
  defaultDir: 'desc',
  countWithPage: true,
  sorts: {
    source: 'source',
    import: 'import_name',
    leads: 'leads',
    contacted: 'contacted_pct',
    quoted: 'quoted_pct',
    sold: 'sold_pct',
    out: 'out_pct',
    firstP50: 'first_p50_s',
    firstP90: 'first_p90_s',
  },
  tiebreak: 'source, import_name',
  nullable: ['import', 'firstP50', 'firstP90'],
  base: (ctx) => metricsSql(ctx, false),
  shape: (r) => ({
    source: str(r.source),
    import: str(r.import_name),
    leads: num(r.leads),
    contacted: num(r.contacted_pct),
    quoted: num(r.quoted_pct),
    sold: num(r.sold_pct),
    out: num(r.out_pct),
    firstP50: seconds(r.first_p50_s),
    firstP90: seconds(r.first_p90_s),
  }),
};

const leadsRemoved: ReportSpec = {
  name: 'leads-removed',
  title: 'Leads Removed',
  summary: 'Every lead taken out of the pipeline, with why and when: the customer list, a Do Not Contact request, the Recycle bin rule, or archived by a user.',
  rangeMeans: 'removals',
  userMeans: 'who removed it (none for the system)',
  columns: [
    { key: 'at', label: 'When', kind: 'time', sortable: true },
    { key: 'lead', label: 'Lead', kind: 'lead', sortable: true },
    { key: 'place', label: 'City, state', kind: 'text' },
    { key: 'source', label: 'Source', kind: 'text', sortable: true },
    { key: 'reason', label: 'Reason', kind: 'text', sortable: true },
    { key: 'user', label: 'By', kind: 'text', sortable: true },
  ],
  defaultSort: 'at',
  defaultDir: 'desc',
  sorts: { at: 'at', lead: 'lead_id', source: 'source', reason: 'reason', user: 'lower(user_name)' },
  tiebreak: 'event_id',
  nullable: ['user'],
  base(ctx) {
    const scope = eventScope(ctx, {
      actor: true,
      where: `(e.type IN ('removed', 'recycled', 'archived') OR (e.type = 'quick_action' AND e.data->>'action' = 'do_not_contact'))`,
      joins: 'LEFT JOIN users a ON a.id = e.actor_user_id',
    });
    return {
      sql: `SELECT e.id AS event_id, e.created_at AS at, CASE WHEN e.type = 'quick_action' THEN 'do_not_contact' ELSE e.type END AS reason,
                   e.actor_system, a.name AS user_name, e.lead_id, l.city, l.state, l.source
              ${scope.sql}`,
      bindings: scope.bindings,
    };
  },
  shape: (r) => ({
    at: iso(r.at),
    lead: str(r.lead_id),
    place: place(r),
    source: str(r.source),
    reason: REMOVAL_REASONS[String(r.reason)] ?? String(r.reason),
    user: str(r.user_name) ?? 'system',
  }),
};

export const REPORTS: Record<ReportName, ReportSpec> = {
  'user-activity': userActivity,
  'lead-log': leadLog,
  milestones,
  'lead-snapshot': leadSnapshot,
  'account-metrics': accountMetrics,
  'leads-removed': leadsRemoved,
};

// ---- Running a report ----

export interface ReportSort {
  sort: string;
  dir: 'asc' | 'desc';
}

/** The sort key the rows are ordered by: the asked one, else the report's default. */
const sortKey = (spec: ReportSpec, s: ReportSort) => (Object.hasOwn(spec.sorts, s.sort) ? s.sort : spec.defaultSort);

const outerOf = (spec: ReportSpec, s: ReportSort) => (typeof spec.outer === 'function' ? spec.outer(sortKey(spec, s)) : spec.outer);

function orderBy(spec: ReportSpec, s: ReportSort): string {
  const expr = spec.sorts[s.sort] ?? spec.sorts[spec.defaultSort]!;
  // dir is 'asc' or 'desc' (checked by the caller's schema), never raw input.
  const dir = s.dir === 'asc' ? 'ASC' : 'DESC';
  const nulls = spec.nullable?.includes(s.sort) ? ' NULLS LAST' : '';
  const exprs = expr.split(',').map((e) => `${e.trim()} ${dir}${nulls}`);
  return [...exprs, ...spec.tiebreak.split(',').map((t) => `${t.trim()} ${dir}`)].join(', ');
}

export interface ReportPage {
  rows: ReportRow[];
  total: number;
  page: number;
  pageCount: number;
  pageSize: number;
}

/**
 * Room for the reports' sorts and hashes in memory (PostgreSQL's default of 4 MB sends a
 * month of history to disk), for this transaction only.
 */
export const REPORT_WORK_MEM = '64MB';

/** One page of the report, sorted, and how many rows it has in all. */
export async function reportPage(db: Knex, name: ReportName, ctx: ReportContext, s: ReportSort, page: number, pageSize = REPORT_PAGE_SIZE): Promise<ReportPage> {
  const spec = REPORTS[name];
  const base = spec.base(ctx, sortKey(spec, s));
  const order = orderBy(spec, s);
  const outer = outerOf(spec, s);
  const outerSelect = outer?.select ? `, ${outer.select}` : '';
  const pageSql = (counted: string) => `SELECT p.*${outerSelect} FROM (SELECT r.*${counted} FROM (${base.sql}) r ORDER BY ${order} LIMIT ? OFFSET ?) p ${outer?.joins ?? ''} ORDER BY ${order}`;
  return db.transaction(
    async (trx) => {
      await trx.raw(`SET LOCAL work_mem = '${REPORT_WORK_MEM}'`);
      let rows: Raw[];
      let total: number;
      let current = Math.max(1, page);
      if (spec.countWithPage) {
        // The total comes with the page; past the last page, the last page.
        const run = async (p: number) => ((await trx.raw(pageSql(', count(*) OVER () AS total_rows'), [...base.bindings, pageSize, (p - 1) * pageSize] as Knex.RawBinding[])) as { rows: Raw[] }).rows;
        rows = await run(current);
        if (!rows.length && current > 1) {
          const [{ n }] = (await trx.raw(`SELECT count(*)::int AS n FROM (${base.sql}) r`, base.bindings as Knex.RawBinding[])).rows as Array<{ n: number }>;
          current = Math.max(1, Math.ceil(n / pageSize));
          rows = n ? await run(current) : [];
        }
        total = rows.length ? Number(rows[0]!.total_rows) : 0;
      } else {
        const [{ n }] = (await trx.raw(`SELECT count(*)::int AS n FROM (${base.sql}) r`, base.bindings as Knex.RawBinding[])).rows as Array<{ n: number }>;
        total = n;
        current = Math.min(current, Math.max(1, Math.ceil(n / pageSize)));
        rows = ((await trx.raw(pageSql(''), [...base.bindings, pageSize, (current - 1) * pageSize] as Knex.RawBinding[])) as { rows: Raw[] }).rows;
      }
      return { rows: rows.map((r) => spec.shape(r, ctx)), total, page: current, pageCount: Math.max(1, Math.ceil(total / pageSize)), pageSize };
    },
    { readOnly: true },
  );
}

/** Every row of the report, sorted as the page is, a batch at a time (the CSV export). */
export async function* reportRows(db: Knex, name: ReportName, ctx: ReportContext, s: ReportSort): AsyncGenerator<ReportRow[]> {
  const spec = REPORTS[name];
  const base = spec.base(ctx, sortKey(spec, s));
  const outer = outerOf(spec, s);
  const outerSelect = outer?.select ? `, ${outer.select}` : '';
  const sql = `SELECT p.*${outerSelect} FROM (${base.sql}) p ${outer?.joins ?? ''} ORDER BY ${orderBy(spec, s)}`;
  for await (const batch of cursorRows<Raw>(db, sql, base.bindings, { workMem: REPORT_WORK_MEM })) yield batch.map((r) => spec.shape(r, ctx));
}

// ---- Chart data ----

export interface SourceFunnel {
  source: string;
  leads: number;
  contacted: number;
  quoted: number;
  sold: number;
  attempted: number;
  /** Seconds from arrival to the first Quick Action; null when no lead had one. */
  firstP50: number | null;
  firstP90: number | null;
}

/** Per source: the funnel (leads, contacted, quoted, sold) and the speed to first attempt. */
export async function metricsBySource(db: Knex, ctx: ReportContext): Promise<SourceFunnel[]> {
  const q = metricsSql(ctx, true);
  const { rows } = await db.transaction(
    async (trx) => {
      await trx.raw(`SET LOCAL work_mem = '${REPORT_WORK_MEM}'`);
      return (await trx.raw(`${q.sql} ORDER BY leads DESC, source`, q.bindings as Knex.RawBinding[])) as { rows: Raw[] };
    },
    { readOnly: true },
  );
  return rows.map((r) => ({
    source: String(r.source),
    leads: Number(r.leads),
    contacted: Number(r.contacted),
    quoted: Number(r.quoted),
    sold: Number(r.sold),
    attempted: Number(r.attempted),
    firstP50: seconds(r.first_p50_s),
    firstP90: seconds(r.first_p90_s),
  }));
}

export interface UserDayCount {
  user: string;
  /** The account's local date, YYYY-MM-DD. */
  day: string;
  actions: number;
}

/** Quick Actions per user per local day of the account. */
export async function actionsPerUserPerDay(db: Knex, ctx: ReportContext): Promise<UserDayCount[]> {
  const scope = eventScope(ctx, { actor: true, where: `e.type = 'quick_action'`, joins: 'LEFT JOIN users u ON u.id = e.actor_user_id' });
  const { rows } = (await db.raw(
    `SELECT coalesce(u.name, 'Unknown user') AS user_name, to_char(e.created_at AT TIME ZONE ?, 'YYYY-MM-DD') AS day, count(*)::int AS n
       ${scope.sql}
      GROUP BY 1, 2 ORDER BY 2, 1`,
    [ctx.timeZone, ...scope.bindings] as Knex.RawBinding[],
  )) as { rows: Array<{ user_name: string; day: string; n: number }> };
  return rows.map((r) => ({ user: r.user_name, day: r.day, actions: r.n }));
}
