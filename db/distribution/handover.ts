// A user leaving: setting them inactive hands their open leads on in the same transaction, to
// an active LSP the owner picks or back to the pool, so no lead is left with someone who can no
// longer sign in. One recorded step: the user's status, every lead's new holder with its
// assignments row and history entry (method `deactivation`), and a history entry for each
// pending call-back saying who now has it. All or nothing: if anything fails, the user is still
// active and still holds every lead.
//
// Under the account's distribution lock, like every assignment decision (assign.ts): a manual
// assignment to the leaving user either committed before (its lead is found here and moved) or
// comes after and sees the user inactive (loadAssignee refuses it).
import type { Knex } from 'knex';
import { AssignmentError, LOCKED_LEAD_COLUMNS, loadAssignee, lockDistribution, lockedNow, tellWorkflows, userNames, writeAssignments, type AssignDeps, type AssignedLead, type AssignmentWrite, type Decided, type LockedLead } from './assign.ts';
import { requestAutoAssign } from './auto-assign-trigger.ts';
import { callBackRecipient } from './call-back-recipient.ts';
import { accountDay } from './ledger.ts';
import type { LeadEventType } from '../lead-event-types.ts';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Rows per statement when a user holds thousands of leads (PostgreSQL takes at most 65,535 parameters). */
const WRITE_CHUNK = 1_000;

export interface HandOverRequest {
  accountId: string;
  /** The user leaving. */
  fromUserId: string;
  /** The active LSP who takes the leads; null returns them to the pool. */
  toUserId: string | null;
  /** Who decided (the owner on Users & Seats). */
  byUserId: string | null;
}

export interface HandedCallBack {
  leadId: string;
  /** ISO instant of the call-back. */
  dueAt: string;
  /** Who its reminder goes to as things stand after the hand-over (null: nobody is left to remind). */
  reminderTo: { id: string; name: string } | null;
}

export interface HandOverResult {
  user: { id: string; name: string };
  to: { id: string; name: string } | null;
  /** False when the user was inactive already (leads left with them from before are moved all the same). */
  deactivated: boolean;
  /** Leads now with `to`. */
  handedOver: AssignedLead[];
  /** Leads returned to the pool: all of them without a target, else those `to` may not work. */
  toPool: AssignedLead[];
  /** Why leads went to the pool instead of to `to`, per state ('' for a lead without one). */
  notLicensed: Array<{ state: string; leads: number }>;
  /** Pending call-backs that moved with their leads. */
  callBacks: HandedCallBack[];
  signalFailures: Array<{ leadId: string; message: string }>;
}

/**
 * Sets the user inactive and hands their open leads (new or active, assigned to them) and
 * the leads' pending call-backs to `toUserId`, or to the pool. Throws AssignmentError: an
 * unknown user or target, or another account's (not_found); the owner, or a target who is
 * inactive, not an LSP or the leaving user (conflict / invalid). After the commit each moved
 * lead's workflow is told, and a pass of auto-assign is asked for when leads went to the pool.
 */
export async function handOverLeads(deps: AssignDeps, req: HandOverRequest): Promise<HandOverResult> {
  if (!UUID_RE.test(req.fromUserId)) throw new AssignmentError('not_found', 'User not found');
  if (req.toUserId === req.fromUserId) throw new AssignmentError('invalid', 'Choose someone other than the user who is leaving');

  const { decided, result } = await deps.db.transaction(async (trx) => {
    await lockDistribution(trx, req.accountId);
    // The leaving user's row first, FOR UPDATE: an assignment to them that started before
    // holds it FOR SHARE (and the distribution lock) until it commits.
    const leaving: { id: string; name: string; role: string; status: string } | undefined = await trx('users')
      .where({ id: req.fromUserId, account_id: req.accountId })
      .forUpdate()
      .first('id', 'name', 'role', 'status');
    if (!leaving) throw new AssignmentError('not_found', 'User not found');
    if (leaving.role === 'owner') throw new AssignmentError('conflict', 'The owner holds the account and cannot be set inactive.');
    const target = req.toUserId ? await loadAssignee(trx, req.accountId, req.toUserId, { lock: true }) : null;

    const at = await lockedNow(trx);
    const deactivated = leaving.status === 'active';
    if (deactivated) {
      await trx('users').where({ id: leaving.id, account_id: req.accountId }).update({ status: 'inactive', updated_at: at });
      // Signed out everywhere at once, and nothing is left to revive if they are reactivated.
      await trx('sessions').where({ user_id: leaving.id }).del();
    }

    const leads: LockedLead[] = await trx('leads')
      .where({ account_id: req.accountId, assigned_user_id: leaving.id })
      .whereIn('status', ['new', 'active'])
      .orderBy('id')
      .forUpdate()
      .select(...LOCKED_LEAD_COLUMNS);

    const names = await userNames(trx, req.accountId, [req.byUserId]);
    const by = req.byUserId ? (names.get(req.byUserId) ?? 'a former user') : 'the system';
    const licensed = new Set((target?.licensed_states ?? []).map((s) => s.toUpperCase()));
    const notLicensed = new Map<string, number>();
    const writes: AssignmentWrite[] = [];
    for (const lead of leads) {
      const state = lead.state.trim().toUpperCase();
      const base = { lead, byUserId: req.byUserId, actorSystem: req.byUserId ? null : 'system', method: 'deactivation' as const };
      if (target && licensed.has(state)) {
        const reason = `${leaving.name} left: leads handed to ${target.name}`;
        writes.push({ ...base, userId: target.id, reason, detail: { kind: 'deactivation', fromUserId: leaving.id, toUserId: target.id }, note: `Handed to ${target.name} by ${by}: ${leaving.name} left` });
      } else if (target) {
        // A producer may only work leads in states they are licensed in (docs/product.md).
        notLicensed.set(state, (notLicensed.get(state) ?? 0) + 1);
        const why = state ? `${target.name} is not licensed in ${state}` : `the lead has no state, so ${target.name} cannot be licensed for it`;
        const reason = `${leaving.name} left: returned to the pool because ${why}`;
        writes.push({ ...base, userId: null, reason, detail: { kind: 'deactivation', fromUserId: leaving.id, toUserId: null, wanted: target.id, why }, note: `Returned to the pool by ${by}: ${leaving.name} left and ${why}` });
      } else {
        const reason = `${leaving.name} left: leads returned to the pool`;
        writes.push({ ...base, userId: null, reason, detail: { kind: 'deactivation', fromUserId: leaving.id, toUserId: null }, note: `Returned to the pool by ${by}: ${leaving.name} left` });
      }
    }

    const written: AssignedLead[] = [];
    for (let i = 0; i < writes.length; i += WRITE_CHUNK) written.push(...(await writeAssignments(trx, req.accountId, at, writes.slice(i, i + WRITE_CHUNK))));
    const byLead = new Map(written.map((w) => [w.leadId, w]));

    const callBacks = await handOverCallBacks(trx, {
      accountId: req.accountId,
      at,
      byUserId: req.byUserId,
      moves: writes.map((w) => ({ leadId: w.lead.id, toUserId: w.userId, assignmentId: byLead.get(w.lead.id)!.assignmentId })),
    });

    const result: HandOverResult = {
      user: { id: leaving.id, name: leaving.name },
      to: target ? { id: target.id, name: target.name } : null,
      deactivated,
      handedOver: writes.filter((w) => w.userId).map((w) => byLead.get(w.lead.id)!),
      toPool: writes.filter((w) => !w.userId).map((w) => byLead.get(w.lead.id)!),
      notLicensed: [...notLicensed].map(([state, n]) => ({ state, leads: n })).sort((a, b) => b.leads - a.leads || a.state.localeCompare(b.state)),
      callBacks,
      signalFailures: [],
    };
    const decided: Decided[] = writes.map((w) => ({ lead: w.lead, change: { userId: w.userId, byUserId: req.byUserId, reason: w.reason, at: at.toISOString() } }));
    return { decided, result };
  });

  result.signalFailures = await tellWorkflows(deps, req.accountId, decided);
  if (result.toPool.length) await requestAutoAssign(deps, req.accountId, `${result.user.name} left: leads returned to the pool`);
  return result;
}

/** "Tue, Dec 1, 10:00 AM CST": a call-back's time on the account's clock, for the lead's history. */
export function callBackWhen(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-US', { weekday: 'short', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', timeZoneName: 'short', timeZone }).format(at);
}

/**
 * The moved leads' pending call-backs (booked with the Appointment / Call Back Quick Action, due
 * today or later on the account's clock), each recorded in its lead's history with who has it
 * now. Nothing else needs to change: the reminder is addressed when it is due, from the lead's
 * holder at that moment (call-back-recipient.ts), and the leaving user is already inactive here.
 */
async function handOverCallBacks(
  trx: Knex.Transaction,
  h: { accountId: string; at: Date; byUserId: string | null; moves: Array<{ leadId: string; toUserId: string | null; assignmentId: string }> },
): Promise<HandedCallBack[]> {
  if (!h.moves.length) return [];
  const account: { time_zone: string } = await trx('accounts').where({ id: h.accountId }).first('time_zone');
  const today = accountDay(account.time_zone, h.at);
  // The workflow keeps the newest appointment (a new one replaces the old), and the history
  // records each one as it is taken, in order: the newest event is the call-back in force.
  const { rows } = await trx.raw<{ rows: Array<{ lead_id: string; due_at: string | null; by_user_id: string | null }> }>(
    `SELECT DISTINCT ON (e.lead_id) e.lead_id, e.data->>'dueAt' AS due_at, e.data->>'byUserId' AS by_user_id
       FROM lead_events e
      WHERE e.account_id = ? AND e.lead_id = ANY(?::uuid[]) AND e.type = 'quick_action' AND e.data->>'action' = 'appointment'
      ORDER BY e.lead_id, e.created_at DESC, e.id DESC`,
    [h.accountId, h.moves.map((m) => m.leadId)],
  );
  const moveOf = new Map(h.moves.map((m) => [m.leadId, m]));
  const handed: HandedCallBack[] = [];
  for (const row of rows) {
    const due = row.due_at ? new Date(row.due_at) : null;
    if (!due || Number.isNaN(due.getTime()) || due < today.start) continue;
    const move = moveOf.get(row.lead_id)!;
    const recipient = await callBackRecipient(trx, { accountId: h.accountId, assignedUserId: move.toUserId, bookedByUserId: row.by_user_id });
    const when = `Call back on ${callBackWhen(due, account.time_zone)}`;
    let note: string;
    if (move.toUserId) note = `${when} handed to ${recipient?.name ?? 'the new holder'}`;
    else if (recipient) note = `${when} returned to the pool with the lead; its reminder goes to ${recipient.name} unless the lead is assigned before then`;
    else note = `${when} returned to the pool with the lead; nobody is left to remind unless the lead is assigned before then`;
    const dueAt = due.toISOString();
    await trx('lead_events').insert({
      lead_id: row.lead_id,
      account_id: h.accountId,
      actor_user_id: h.byUserId,
      actor_system: h.byUserId ? null : 'system',
      type: 'callback_handed_over' satisfies LeadEventType,
      note,
      data: { dueAt, toUserId: move.toUserId, reminderTo: recipient?.id ?? null, assignmentId: move.assignmentId },
      created_at: h.at,
      idempotency_key: `lead-${row.lead_id}:callback:${dueAt}:handover:${move.assignmentId}`,
    });
    handed.push({ leadId: row.lead_id, dueAt, reminderTo: recipient ? { id: recipient.id, name: recipient.name } : null });
  }
  return handed;
}
