// Manual assignment: who works a lead, decided and written in PostgreSQL in one transaction,
// then told to the lead's workflow (docs/decisions/0007-assignment-in-postgres.md).
//
// Postgres is the truth for a lead's assignee: the lists, My Leads and the recycle activity
// read `leads.assigned_user_id`, and the transaction that writes it also holds the locks that
// make two concurrent assignments of one lead happen one after the other. The workflow only
// keeps a copy (its `assignedUserId`), so a signal that fails after the commit is reported,
// never undone.
import type { Client } from '@temporalio/client';
import type { Knex } from 'knex';
import { assignmentChangedSignal, type AssignmentChange } from '../../workflows/lead/messages.ts';
import type { AssignmentMethod, AutoAssignDetail, Lead, Row } from '../models/index.ts';
import { requestAutoAssign } from './auto-assign-trigger.ts';
import { INACTIVE_LEAD_STATUSES } from '../../workflows/lead/state.ts';
import { forEachLimit, signalWithStartLead } from '../../worker/clients/lead.ts';
import type { LeadEventType } from '../lead-event-types.ts';

/** Statuses that end a lead's work: such a lead keeps whoever it had until it is restored. */
export const ASSIGN_REASON_MAX = 500;
/** How many leads one call may assign (the bulk "N matching these filters" form's ceiling too). */
export const ASSIGN_MAX_LEADS = 500;
const SIGNAL_CONCURRENCY = 16;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** not_found: no such lead or user in the account; conflict: the user or lead cannot take it now; invalid: bad input. */
export type AssignmentErrorKind = 'not_found' | 'conflict' | 'invalid';
const STATUS_OF: Record<AssignmentErrorKind, number> = { not_found: 404, conflict: 409, invalid: 400 };

export class AssignmentError extends Error {
  constructor(
    readonly kind: AssignmentErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'AssignmentError';
  }
  /** The HTTP status the web app and the API answer with. */
  get status(): number {
    return STATUS_OF[this.kind];
  }
}

export interface AssignDeps {
  db: Knex;
  /** A client or a getter (connected on first use); null: no Temporal, every signal is reported as not sent. */
  temporal: Client | (() => Promise<Client>) | null;
  taskQueue?: string;
}

export interface AssignRequest {
  accountId: string;
  leadIds: string[];
  /** The LSP to assign to; null unassigns. */
  userId: string | null;
  /** Who decided (null: an integration through the API key). */
  byUserId: string | null;
  reason: string;
  /**
   * Bulk: a lead that cannot go to this user (not licensed in its state, closed, or, with
   * `onlyUnassigned`, taken meanwhile) is skipped and reported, and the others are assigned.
   * Single (the default): any such lead refuses the whole call with an AssignmentError.
   */
  bulk?: boolean;
  /** Skip leads someone else holds when the lock is taken (the "N matching filters" form picked them unassigned). */
  onlyUnassigned?: boolean;
  /** Names the actor in the history when there is no user (`api`). */
  actorSystem?: string;
  /** How it was decided; by default `manual` (or `api` for the API's actor). */
  method?: AssignmentMethod;
}

export interface AssignedLead {
  leadId: string;
  assignmentId: string;
  createdAt: Date;
}

export interface AssignResult {
  user: { id: string; name: string } | null;
  /** Leads whose assignee changed: one assignments row and one history row each. */
  assigned: AssignedLead[];
  /** Leads that already had this assignee: nothing written. */
  unchanged: string[];
  /** Bulk only: leads left as they were, with why. */
  skipped: Array<{ leadId: string; reason: string }>;
  /** Leads whose workflow was not told (the assignment stands; the message says why). */
  signalFailures: Array<{ leadId: string; message: string }>;
}

/** What assignment reads of a lead it has locked. */
export type LockedLead = Pick<Row<Lead>, 'id' | 'first_name' | 'last_name' | 'state' | 'status' | 'assigned_user_id'>;
export const LOCKED_LEAD_COLUMNS = ['id', 'first_name', 'last_name', 'state', 'status', 'assigned_user_id'] as const;

export interface Decided {
  lead: LockedLead;
  change: AssignmentChange;
}

/**
 * Assigns (or unassigns) the leads in one transaction, then signals each changed lead's
 * workflow. Throws AssignmentError for an unknown lead or user (not_found, also for another
 * account's), an inactive or non-LSP user (conflict), a lead it may not take in single mode
 * (conflict), and bad input (invalid).
 */
export async function assignLeads(deps: AssignDeps, req: AssignRequest): Promise<AssignResult> {
  const reason = req.reason.trim();
  if (!reason) throw new AssignmentError('invalid', 'A reason is required');
  if (reason.length > ASSIGN_REASON_MAX) throw new AssignmentError('invalid', `The reason is at most ${ASSIGN_REASON_MAX} characters`);
  const leadIds = [...new Set(req.leadIds)].sort();
  if (!leadIds.length) throw new AssignmentError('invalid', 'No lead chosen');
  if (leadIds.length > ASSIGN_MAX_LEADS) throw new AssignmentError('invalid', `At most ${ASSIGN_MAX_LEADS} leads at once`);
  // Not a uuid cannot be a lead or a user here; PostgreSQL would refuse the cast.
  if (!leadIds.every((id) => UUID_RE.test(id))) throw new AssignmentError('not_found', leadIds.length === 1 ? 'Lead not found' : 'One of the leads was not found');

  const { decided, result } = await deps.db.transaction(async (trx) => {
    await lockDistribution(trx, req.accountId);
    // The user first (FOR SHARE: setting them inactive waits for this assignment, and this one
    // sees them inactive if that came first), then the leads in id order, so two calls that
    // share leads take their locks in the same order and cannot deadlock.
    const user = req.userId ? await loadAssignee(trx, req.accountId, req.userId, { lock: true }) : null;
    const leads: LockedLead[] = await trx('leads')
      .where('account_id', req.accountId)
      .whereIn('id', leadIds)
      .orderBy('id')
      .forUpdate()
      .select(...LOCKED_LEAD_COLUMNS);
    if (leads.length !== leadIds.length) throw new AssignmentError('not_found', leadIds.length === 1 ? 'Lead not found' : `${leadIds.length - leads.length} of the leads were not found`);

    // Taken after the locks: a call that waited for another is stamped after it, so the
    // history's order is the order the assignments happened in (now() is the transaction's start).
    const at = await lockedNow(trx);
    const names = await userNames(trx, req.accountId, [req.byUserId, ...leads.map((l) => l.assigned_user_id)]);
    const by = req.byUserId ? (names.get(req.byUserId) ?? 'a former user') : req.actorSystem === 'api' ? 'the API' : `the ${req.actorSystem ?? 'system'}`;

    const out: AssignResult = { user: user ? { id: user.id, name: user.name } : null, assigned: [], unchanged: [], skipped: [], signalFailures: [] };
    const decided: Decided[] = [];
    for (const lead of leads) {
      if (lead.assigned_user_id === req.userId) {
        out.unchanged.push(lead.id);
        continue;
      }
      const refusal = refusalFor(lead, user, req.onlyUnassigned ? names : null);
      if (refusal) {
        if (!req.bulk) throw new AssignmentError('conflict', refusal);
        out.skipped.push({ leadId: lead.id, reason: refusal });
        continue;
      }
      decided.push({ lead, change: { userId: req.userId, byUserId: req.byUserId, reason, at: at.toISOString() } });
    }
    if (!decided.length) return { decided, result: out };

    const inserted = await writeAssignments(trx, req.accountId, at, decided.map(({ lead }) => ({
      lead,
      userId: req.userId,
      byUserId: req.byUserId,
      actorSystem: req.byUserId ? null : (req.actorSystem ?? null),
      reason,
      method: req.method ?? (req.actorSystem === 'api' ? 'api' : 'manual'),
      note: user
        ? `Assigned to ${user.name} by ${by}: ${reason}`
        : `Unassigned from ${names.get(lead.assigned_user_id!) ?? 'a former user'} by ${by}: ${reason}`,
    })));
    out.assigned = inserted;
    return { decided, result: out };
  });

  result.signalFailures = await tellWorkflows(deps, req.accountId, decided);
  if (!req.userId && result.assigned.length) await requestAutoAssign(deps, req.accountId, 'leads returned to the pool');
  return result;
}

/**
 * Every decision about who works a lead in an account (manual, API, auto-assign, claim, Next,
 * holding period, a user leaving) takes this lock first, for the rest of its transaction: they
 * happen one after another per account, so a ledger read under it stays true until the commit
 * and no LSP goes over target however many decide at once. Accounts do not wait for each other.
 */
export async function lockDistribution(trx: Knex.Transaction, accountId: string): Promise<void> {
  await trx.raw('SELECT pg_advisory_xact_lock(hashtextextended(?, 0))', [`leadflow:distribution:${accountId}`]);
}

/** One lead changing hands, as writeAssignments records it. */
export interface AssignmentWrite {
  lead: LockedLead;
  userId: string | null;
  byUserId: string | null;
  actorSystem: string | null;
  reason: string;
  method: AssignmentMethod;
  detail?: Record<string, unknown> | AutoAssignDetail | null;
  /** The history entry, in words. */
  note: string;
}

/**
 * Writes the changes decided under the caller's locks: the leads' assignee, one assignments row
 * and one history row each, all stamped `at`. Set-based: three statements for any number.
 */
export async function writeAssignments(trx: Knex.Transaction, accountId: string, at: Date, writes: AssignmentWrite[]): Promise<AssignedLead[]> {
  if (!writes.length) return [];
  // One UPDATE for all, whoever each goes to.
  await trx.raw(
    `UPDATE leads l SET assigned_user_id = v.user_id, updated_at = ?
       FROM unnest(?::uuid[], ?::uuid[]) AS v(lead_id, user_id)
      WHERE l.id = v.lead_id AND l.account_id = ?`,
    [at, writes.map((w) => w.lead.id), writes.map((w) => w.userId) as Knex.Value, accountId],
  );
  const inserted: Array<{ id: string; lead_id: string; created_at: Date }> = await trx('assignments')
    .insert(
      writes.map((w) => ({
        lead_id: w.lead.id,
        account_id: accountId,
        user_id: w.userId,
        assigned_by_user_id: w.byUserId,
        reason: w.reason,
        method: w.method,
        detail: w.detail ? JSON.stringify(w.detail) : null,
        created_at: at,
      })),
    )
    .returning(['id', 'lead_id', 'created_at']);
  await trx('lead_events').insert(
    writes.map((w) => ({
      lead_id: w.lead.id,
      account_id: accountId,
      actor_user_id: w.byUserId,
      actor_system: w.byUserId ? null : w.actorSystem,
      type: (w.userId ? 'assigned' : 'unassigned') satisfies LeadEventType,
      note: w.note,
      data: { userId: w.userId, byUserId: w.byUserId, reason: w.reason, method: w.method, previousUserId: w.lead.assigned_user_id },
      created_at: at,
    })),
  );
  return inserted.map((r) => ({ leadId: r.lead_id, assignmentId: String(r.id), createdAt: r.created_at }));
}

/** The transaction's clock after its locks: a call that waited for another is stamped after it. */
export async function lockedNow(trx: Knex.Transaction): Promise<Date> {
  const { rows } = await trx.raw<{ rows: Array<{ at: Date }> }>('select clock_timestamp() as at');
  return rows[0]!.at;
}

export interface Assignee {
  id: string;
  name: string;
  licensed_states: string[];
}

/** The user leads may be assigned to: an active LSP of the account, else an AssignmentError saying why not. */
export async function loadAssignee(db: Knex | Knex.Transaction, accountId: string, userId: string, opts: { lock?: boolean } = {}): Promise<Assignee> {
  if (!UUID_RE.test(userId)) throw new AssignmentError('not_found', 'User not found');
  const query = db('users').where({ id: userId, account_id: accountId });
  const user: (Assignee & { role: string; status: string }) | undefined = await (opts.lock ? query.forShare() : query).first('id', 'name', 'role', 'status', 'licensed_states');
  if (!user) throw new AssignmentError('not_found', 'User not found');
  if (user.status !== 'active') throw new AssignmentError('conflict', `${user.name} is inactive`);
  if (user.role !== 'lsp') throw new AssignmentError('conflict', `${user.name} is not an LSP: leads are assigned to LSPs`);
  return user;
}

export async function userNames(trx: Knex.Transaction, accountId: string, ids: Array<string | null>): Promise<Map<string, string>> {
  const wanted = [...new Set(ids.filter((id): id is string => !!id))];
  if (!wanted.length) return new Map();
  const rows: Array<{ id: string; name: string }> = await trx('users').where('account_id', accountId).whereIn('id', wanted).select('id', 'name');
  return new Map(rows.map((r) => [r.id, r.name]));
}

/** Why this lead cannot go to `user` now, in words for the person assigning; null when it can. */
function refusalFor(lead: LockedLead, user: { name: string; licensed_states: string[] } | null, holders: Map<string, string> | null): string | null {
  const who = `${lead.first_name} ${lead.last_name}`.trim();
  if ((INACTIVE_LEAD_STATUSES as readonly string[]).includes(lead.status)) return `${who} is ${lead.status}: restore the lead before assigning it`;
  if (holders && lead.assigned_user_id) return `${who} is already assigned to ${holders.get(lead.assigned_user_id) ?? 'another user'}`;
  if (!user) return null;
  const state = lead.state.trim().toUpperCase();
  if (!state) return `${who} has no state, so no license can cover it`;
  // A producer may only work leads in states where they hold a license (docs/product.md).
  if (!user.licensed_states.some((s) => s.toUpperCase() === state)) return `${user.name} is not licensed in ${state}`;
  return null;
}

/**
 * Tells each changed lead's workflow, after the commit. Signal-with-start, as Quick Actions
 * do: a lead whose workflow is not running gets one, which loads the lead (with its new
 * assignee) from Postgres. A failure is logged and returned, never thrown.
 */
export async function tellWorkflows(deps: AssignDeps, accountId: string, decided: Decided[]): Promise<AssignResult['signalFailures']> {
  const failures: AssignResult['signalFailures'] = [];
  if (!decided.length) return failures;
  if (!deps.temporal) return decided.map((d) => ({ leadId: d.lead.id, message: 'Temporal is not configured here, so the workflow was not told' }));
  let client: Promise<Client> | undefined;
  const temporal = deps.temporal;
  const getClient = () => (client ??= Promise.resolve(typeof temporal === 'function' ? temporal() : temporal));
  await forEachLimit(decided, SIGNAL_CONCURRENCY, async ({ lead, change }) => {
    try {
      await signalWithStartLead(await getClient(), { leadId: lead.id, accountId }, assignmentChangedSignal, [change], { taskQueue: deps.taskQueue });
    } catch (err) {
      console.error('[assign] the assignment is saved but the lead workflow was not told', lead.id, err);
      failures.push({ leadId: lead.id, message: (err as Error)?.message ?? String(err) });
    }
  });
  return failures;
}
