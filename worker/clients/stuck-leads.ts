// The stuck-lead finder behind the Support page: which of an account's leads are not moving,
// and why, from Temporal's visibility and a describe of only the few candidates it names.
//
// Every lead workflow publishes LeadNextWakeAt (workflows/search-attributes.ts): the timer it
// sleeps on, or when in-flight work began. A lead that moves has it in the future or a moment
// ago; one well in the past is a candidate, and describing it says which kind of stuck it is:
// an activity retrying, a workflow task failing, or nothing running at all (no worker). Open
// leads whose workflow is not running are found from the account's closed runs and the
// leads whose start failed, with the workflow counts telling whether anything else is missing.
// "No progress" is Postgres alone: an open, assigned lead whose history has nothing new.
import { WorkflowNotFoundError, type Client, type WorkflowExecutionDescription } from '@temporalio/client';
import { optionalTsToDate } from '@temporalio/common/lib/time.js';
import type { Knex } from 'knex';
// Default import: @temporalio/proto is CommonJS whose exports Node's ESM loader cannot name.
import proto from '@temporalio/proto';
import { leadWorkflowId } from '../../workflows/lead/messages.ts';
import { LeadNextWakeAt } from '../../workflows/search-attributes.ts';
import { forEachLimit, LEAD_WORKFLOW_TYPE, startLead } from './lead.ts';

export const STUCK_KINDS = ['not_running', 'activity_retrying', 'workflow_task_failing', 'timer_overdue', 'no_progress'] as const;
export type StuckKind = (typeof STUCK_KINDS)[number];

/** A lead's wake-up this far in the past makes its workflow worth describing. */
export const CANDIDATE_AFTER_MS = 5_000;
/** A wake-up this far in the past, with nothing failing, is a timer overdue (no worker). */
export const OVERDUE_AFTER_MS = 60_000;
/** An activity on this attempt or later is reported as retrying. */
export const RETRYING_ATTEMPT = 3;
/** Workflows described per look at most: the oldest wake-ups are not guaranteed first (not every server can ORDER BY). */
export const MAX_DESCRIBED = 200;
export const DEFAULT_NO_PROGRESS_DAYS = 7;
/** History kinds that are not progress: the weekly re-scrub writes one on every lead. */
const NOT_PROGRESS = ['scrubbed'];

export interface StuckLead {
  kind: StuckKind;
  leadId: string;
  name: string;
  status: string;
  assignee: string | null;
  workflowId: string;
  runId: string | null;
  /** When the lead stopped moving, as well as Leadflow can tell (ISO). */
  since: string | null;
  activity?: { type: string; attempt: number; maximumAttempts: number | null; lastFailure: string | null; nextRetryAt: string | null };
  workflowTask?: { attempt: number; failure: string | null; cause: string | null; timedOut: boolean };
  /** Timer overdue: what the workflow waits on, if anything (an activity no worker has picked up). */
  overdue?: { dueAt: string; waitingActivity: string | null };
  /** lastStatus: how the last run ended (terminated, failed, timed_out, canceled, completed); null: none found. */
  notRunning?: { lastStatus: string | null; closedAt: string | null; startFailedAt: string | null };
  noProgress?: { lastEventAt: string | null; days: number };
}

export interface StuckReport {
  counts: Record<StuckKind, number>;
  items: Record<StuckKind, StuckLead[]>;
  noProgressDays: number;
  /** More candidates than were described: the counts of the Temporal kinds are a lower bound. */
  truncated: boolean;
  /** Why the Temporal kinds are missing (not configured, not answering); null when they are in. */
  temporalProblem: string | null;
  checkedAt: string;
}

export interface FindStuckOptions {
  db: Knex;
  /** Null: Temporal is not configured; only "no progress" can be found. */
  client: Client | null;
  accountId: string;
  noProgressDays?: number;
  /** Leads listed per kind (the counts cover them all). */
  limit?: number;
  /** The server's clock (a test's time-skipping server runs ahead of the wall clock). */
  now?: Date;
}

const quote = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const iso = (d: Date | undefined | null) => (d ? d.toISOString() : null);
const emptyCounts = (): Record<StuckKind, number> => Object.fromEntries(STUCK_KINDS.map((k) => [k, 0])) as Record<StuckKind, number>;
const emptyItems = (): Record<StuckKind, StuckLead[]> => Object.fromEntries(STUCK_KINDS.map((k) => [k, []])) as unknown as Record<StuckKind, StuckLead[]>;
const leadIdOf = (workflowId: string) => workflowId.replace(/^lead-/, '');

/** The account's lead workflows, as a visibility filter. */
function accountLeads(accountId: string) {
  return `WorkflowType = ${quote(LEAD_WORKFLOW_TYPE)} AND LeadflowAccountId = ${quote(accountId)}`;
}

async function listIds(client: Client, query: string, max = Infinity): Promise<Array<{ workflowId: string; runId: string; status: string; closeTime: Date | undefined }>> {
  const out: Array<{ workflowId: string; runId: string; status: string; closeTime: Date | undefined }> = [];
  for await (const w of client.workflow.list({ query, pageSize: 1000 })) {
    out.push({ workflowId: w.workflowId, runId: w.runId, status: w.status.name.toLowerCase(), closeTime: w.closeTime });
    if (out.length >= max) break;
  }
  return out;
}

/** Of these workflow ids, the ones running: one visibility call per 100. */
async function runningAmong(client: Client, workflowIds: string[]): Promise<Set<string>> {
  const running = new Set<string>();
  for (let i = 0; i < workflowIds.length; i += 100) {
    const ids = workflowIds.slice(i, i + 100).map(quote).join(', ');
    for await (const w of client.workflow.list({ query: `WorkflowId IN (${ids}) AND ExecutionStatus = 'Running'` })) running.add(w.workflowId);
  }
  return running;
}

interface LeadRow {
  id: string;
  first_name: string | null;
  last_name: string | null;
  status: string;
  assignee: string | null;
}

/** The account's own leads among these ids (a workflow naming another account's lead is left out). */
async function leadRows(db: Knex, accountId: string, ids: string[]): Promise<Map<string, LeadRow>> {
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
  const valid = [...new Set(ids)].filter((id) => uuid.test(id));
  if (!valid.length) return new Map();
  const rows: LeadRow[] = await db('leads as l')
    .leftJoin('users as u', function () {
      this.on('u.id', 'l.assigned_user_id').andOn('u.account_id', 'l.account_id');
    })
    .where('l.account_id', accountId)
    .whereIn('l.id', valid)
    .select('l.id', 'l.first_name', 'l.last_name', 'l.status', 'u.name as assignee');
  return new Map(rows.map((r) => [r.id, r]));
}

const leadName = (r: LeadRow) => [r.first_name, r.last_name].filter(Boolean).join(' ') || 'Unnamed lead';
const isOpenLead = (r: LeadRow) => r.status === 'new' || r.status === 'active';

/** Open leads of the account whose workflow is not running. */
async function findNotRunning(db: Knex, client: Client, accountId: string): Promise<StuckLead[]> {
  const base = accountLeads(accountId);
  const [{ total }] = (await db('leads').where({ account_id: accountId }).count('* as total')) as Array<{ total: string | number }>;
  const running = (await client.workflow.count(`${base} AND ExecutionStatus = 'Running'`)).count;
  // Candidates: leads whose run ended (terminated, failed, timed out) and leads whose start failed.
  const closed = await listIds(client, `${base} AND ExecutionStatus IN ('Terminated', 'Failed', 'TimedOut', 'Canceled', 'Completed')`);
  const lastClosed = new Map<string, { status: string; closeTime: Date | undefined }>();
  for (const c of closed) {
    const had = lastClosed.get(c.workflowId);
    if (!had || (c.closeTime && (!had.closeTime || c.closeTime > had.closeTime))) lastClosed.set(c.workflowId, c);
  }
  const startFailed: Array<{ lead_id: string; at: Date }> = await db('lead_events')
    .where({ account_id: accountId, type: 'workflow_start_failed' })
    .groupBy('lead_id')
    .select('lead_id', db.raw('max(created_at) as at'));
  const failedAt = new Map(startFailed.map((r) => [r.lead_id, r.at]));
  const candidates = [...new Set([...[...lastClosed.keys()].map(leadIdOf), ...failedAt.keys()])];
  const up = await runningAmong(client, candidates.map(leadWorkflowId));
  let missing = candidates.filter((id) => !up.has(leadWorkflowId(id)));
  // Every lead has a workflow all its life: if the running ones and the explained ones do not add
  // up to the leads Postgres has, some workflows are gone without a trace (a lost namespace), and
  // only checking every open lead finds them.
  if (Number(total) - running > missing.length) {
    const open: Array<{ id: string }> = await db('leads').where({ account_id: accountId }).whereIn('status', ['new', 'active']).orderBy('created_at').select('id');
    const found = new Set(missing);
    for (let i = 0; i < open.length; i += 100) {
      const page = open.slice(i, i + 100).map((l) => l.id);
      const pageUp = await runningAmong(client, page.map(leadWorkflowId));
      for (const id of page) if (!pageUp.has(leadWorkflowId(id))) found.add(id);
    }
    missing = [...found];
  }
  const rows = await leadRows(db, accountId, missing);
  const out: StuckLead[] = [];
  for (const id of missing) {
    const row = rows.get(id);
    if (!row || !isOpenLead(row)) continue;
    const last = lastClosed.get(leadWorkflowId(id));
    const failed = failedAt.get(id);
    out.push({
      kind: 'not_running',
      leadId: id,
      name: leadName(row),
      status: row.status,
      assignee: row.assignee,
      workflowId: leadWorkflowId(id),
      runId: null,
      since: iso(last?.closeTime) ?? iso(failed),
      notRunning: { lastStatus: last?.status ?? null, closedAt: iso(last?.closeTime), startFailedAt: iso(failed) },
    });
  }
  return out.sort((a, b) => (a.since ?? '').localeCompare(b.since ?? ''));
}

/** The last failed workflow task's message and cause, from the run's history. */
async function lastTaskFailure(client: Client, workflowId: string, runId: string): Promise<{ failure: string | null; cause: string | null; timedOut: boolean }> {
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  let timedOut = false;
  for (let i = (history.events?.length ?? 0) - 1; i >= 0; i--) {
    const ev = history.events![i]!;
    // A worker reports a failing task once and then lets its retries time out: the failure
    // before the timeouts is the reason.
    if (ev.workflowTaskFailedEventAttributes) {
      const a = ev.workflowTaskFailedEventAttributes;
      const cause = a.cause != null ? (proto.temporal.api.enums.v1.WorkflowTaskFailedCause[a.cause] ?? String(a.cause)) : null;
      return { failure: a.failure?.message ?? null, cause, timedOut: false };
    }
    if (ev.workflowTaskTimedOutEventAttributes) timedOut = true;
    if (ev.workflowTaskCompletedEventAttributes) break;
  }
  return { failure: null, cause: null, timedOut };
}

type Classified = Omit<StuckLead, 'name' | 'status' | 'assignee'>;

/** What a described candidate is stuck on, or null when it is moving after all. */
async function classify(client: Client, d: WorkflowExecutionDescription, now: number): Promise<Classified | null> {
  const raw = d.raw;
  const wakeAt = d.typedSearchAttributes.get(LeadNextWakeAt);
  const base = { leadId: leadIdOf(d.workflowId), workflowId: d.workflowId, runId: d.runId, since: iso(wakeAt) };
  const wt = raw.pendingWorkflowTask;
  if (wt && (wt.attempt ?? 1) >= 2) {
    const last = await lastTaskFailure(client, d.workflowId, d.runId);
    return { ...base, kind: 'workflow_task_failing', workflowTask: { attempt: wt.attempt ?? 1, ...last } };
  }
  const acts = raw.pendingActivities ?? [];
  const retrying = acts.find((a) => (a.attempt ?? 1) >= RETRYING_ATTEMPT);
  if (retrying) {
    return {
      ...base,
      kind: 'activity_retrying',
      activity: {
        type: retrying.activityType?.name ?? 'activity',
        attempt: retrying.attempt ?? 1,
        maximumAttempts: retrying.maximumAttempts || null,
        lastFailure: retrying.lastFailure?.message ?? null,
        nextRetryAt: iso(optionalTsToDate(retrying.nextAttemptScheduleTime)),
      },
    };
  }
  if (wakeAt && wakeAt.getTime() < now - OVERDUE_AFTER_MS) {
    const waiting = acts.find((a) => !a.lastStartedTime);
    return { ...base, kind: 'timer_overdue', overdue: { dueAt: wakeAt.toISOString(), waitingActivity: waiting?.activityType?.name ?? null } };
  }
  return null;
}

/** Lead workflows of the account that the server reports with failing workflow tasks; none when it does not know the attribute. */
async function reportedProblems(client: Client, base: string): Promise<string[]> {
  try {
    return (await listIds(client, `${base} AND ExecutionStatus = 'Running' AND TemporalReportedProblems IS NOT NULL`, MAX_DESCRIBED)).map((w) => w.workflowId);
  } catch {
    // An older server has no TemporalReportedProblems: the wake-up alone names the candidates.
    return [];
  }
}

async function findTemporalStuck(client: Client, accountId: string, now: number): Promise<{ found: Classified[]; truncated: boolean }> {
  const base = accountLeads(accountId);
  const cutoff = new Date(now - CANDIDATE_AFTER_MS).toISOString();
  const late = await listIds(client, `${base} AND ExecutionStatus = 'Running' AND LeadNextWakeAt < ${quote(cutoff)}`, MAX_DESCRIBED + 1);
  const truncated = late.length > MAX_DESCRIBED;
  const ids = [...new Set([...late.slice(0, MAX_DESCRIBED).map((w) => w.workflowId), ...(await reportedProblems(client, base))])];
  const found: Classified[] = [];
  await forEachLimit(ids, 10, async (id) => {
    let d: WorkflowExecutionDescription;
    try {
      d = await client.workflow.getHandle(id).describe();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return;
      throw err;
    }
    if (d.status.name !== 'RUNNING') return;
    const c = await classify(client, d, now);
    if (c) found.push(c);
  });
  return { found, truncated };
}

async function findNoProgress(db: Knex, accountId: string, days: number, limit: number): Promise<{ count: number; items: StuckLead[] }> {
  const quiet = db('leads as l')
    .where('l.account_id', accountId)
    .whereIn('l.status', ['new', 'active'])
    .whereNotNull('l.assigned_user_id')
    .whereNotExists(
      db('lead_events as e')
        .whereRaw('e.lead_id = l.id')
        .whereNotIn('e.type', NOT_PROGRESS)
        .where('e.created_at', '>', db.raw('now() - make_interval(days => ?)', [days])),
    );
  const [{ count }] = (await quiet.clone().count('* as count')) as Array<{ count: string | number }>;
  const rows: Array<LeadRow & { last_event_at: Date | null }> = await quiet
    .clone()
    .leftJoin('users as u', function () {
      this.on('u.id', 'l.assigned_user_id').andOn('u.account_id', 'l.account_id');
    })
    .select('l.id', 'l.first_name', 'l.last_name', 'l.status', 'u.name as assignee')
    .select(db.raw('(SELECT max(e2.created_at) FROM lead_events e2 WHERE e2.lead_id = l.id AND e2.type <> ALL(?)) AS last_event_at', [NOT_PROGRESS]))
    .orderByRaw('last_event_at ASC NULLS FIRST, l.id')
    .limit(limit);
  return {
    count: Number(count),
    items: rows.map((r) => ({
      kind: 'no_progress',
      leadId: r.id,
      name: leadName(r),
      status: r.status,
      assignee: r.assignee,
      workflowId: leadWorkflowId(r.id),
      runId: null,
      since: iso(r.last_event_at),
      noProgress: { lastEventAt: iso(r.last_event_at), days },
    })),
  };
}

/** Every kind of stuck lead of one account: counts for all, the first `limit` of each kind. */
export async function findStuckLeads(opts: FindStuckOptions): Promise<StuckReport> {
  const { db, client, accountId } = opts;
  const days = opts.noProgressDays ?? DEFAULT_NO_PROGRESS_DAYS;
  const limit = opts.limit ?? 50;
  const now = (opts.now ?? new Date()).getTime();
  const counts = emptyCounts();
  const items = emptyItems();
  let truncated = false;
  let temporalProblem: string | null = null;

  const noProgress = findNoProgress(db, accountId, days, limit);
  if (!client) temporalProblem = 'Temporal is not configured for this web server (TEMPORAL_ADDRESS)';
  else {
    try {
      const [notRunning, temporal] = await Promise.all([findNotRunning(db, client, accountId), findTemporalStuck(client, accountId, now)]);
      truncated = temporal.truncated;
      const rows = await leadRows(db, accountId, temporal.found.map((c) => c.leadId));
      for (const c of temporal.found) {
        const row = rows.get(c.leadId);
        // A workflow that names this account but whose lead is not this account's is not shown.
        if (!row) continue;
        items[c.kind].push({ ...c, name: leadName(row), status: row.status, assignee: row.assignee });
      }
      items.not_running = notRunning;
    } catch (err) {
      console.error('[stuck-leads] Temporal did not answer', err);
      temporalProblem = 'Temporal did not answer';
    }
  }
  for (const kind of STUCK_KINDS) {
    if (kind === 'no_progress') continue;
    items[kind].sort((a, b) => (a.since ?? '').localeCompare(b.since ?? '') || a.leadId.localeCompare(b.leadId));
    counts[kind] = items[kind].length;
    items[kind] = items[kind].slice(0, limit);
  }
  const quiet = await noProgress;
  counts.no_progress = quiet.count;
  items.no_progress = quiet.items;
  return { counts, items, noProgressDays: days, truncated, temporalProblem, checkedAt: new Date(now).toISOString() };
}

export type ReconcileLeadResult = 'started' | 'already_running' | 'not_open' | 'not_found';

/** Starts one open lead's workflow from Postgres if it is not running (the Support page's per-lead Reconcile). */
export async function reconcileLead(client: Client, db: Knex, input: { accountId: string; leadId: string; taskQueue?: string }): Promise<ReconcileLeadResult> {
  const lead = await db('leads').where({ id: input.leadId, account_id: input.accountId }).first('id', 'status');
  if (!lead) return 'not_found';
  if (lead.status !== 'new' && lead.status !== 'active') return 'not_open';
  try {
    const d = await client.workflow.getHandle(leadWorkflowId(input.leadId)).describe();
    if (d.status.name === 'RUNNING') return 'already_running';
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
  await startLead(client, { leadId: input.leadId, accountId: input.accountId }, { taskQueue: input.taskQueue });
  return 'started';
}
