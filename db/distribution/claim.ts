// The LSP's side of distribution (docs/product.md, "Assignment"): with Shark Tank on, an LSP
// claims an unassigned lead they chose (its page's Claim button, or working it with a Quick
// Action), or presses "Next lead" and gets the best lead of the pool they may work.
//
// Both decide under the account's distribution lock, like every other assignment, so two LSPs
// claiming one lead, or pressing Next at the same moment, happen one after the other: the
// second claim sees the first one's holder and says who it is, and the second Next takes the
// next lead. A claim does not look at the LSP's capacity (they chose this lead); Next does,
// since it hands out new work.
import type { Knex } from 'knex';
import type { LedgerAtDecision, Segment } from '../models/index.ts';
import { INACTIVE_LEAD_STATUSES } from '../../workflows/lead/state.ts';
import { QUICK_ACTIONS } from '../../workflows/lead/quick-actions.ts';
import { AssignmentError, LOCKED_LEAD_COLUMNS, loadAssignee, lockDistribution, lockedNow, tellWorkflows, userNames, writeAssignments, type AssignDeps, type Assignee, type Decided, type LockedLead } from './assign.ts';
import { capacityLedger, type LspLedger } from './ledger.ts';
import { CLOSED_MILESTONES, SEGMENT_NAMES, segmentPriority, takeFromPool } from './pool.ts';

export const SHARK_TANK_OFF = 'Shark Tank is off: leads are assigned by an owner or admin';
export const NO_POOL_LEAD = 'No lead in the pool you can take now';

/** How an LSP came to claim a lead: its Claim button, or a Quick Action on it. */
export type ClaimVia = 'claim' | 'quick_action';

const CLAIM_REASONS: Record<ClaimVia, string> = {
  claim: 'Claimed from the pool',
  quick_action: 'Claimed by working it (Quick Action)',
};

/** Next refused because the LSP's day is full; the numbers are the ledger's at that moment. */
export class AtTargetError extends AssignmentError {
  constructor(
    readonly used: number,
    readonly target: number,
  ) {
    super('conflict', atTargetMessage(used, target));
    this.name = 'AtTargetError';
  }
}

export function atTargetMessage(used: number, target: number): string {
  return `You are at your target today (${used} / ${target})`;
}

/** Why Next gave a lead to its LSP: stored with the assignment, shown on the lead page. */
export type NextLeadDetail = {
  kind: 'next';
  /** The lead's place in the pool for this LSP: first, by segment priority then freshness. */
  rank: { segment: Segment | null; priority: number; position: number; arrivedAt: string };
  /** The LSP's ledger before this lead was counted. */
  chosen: LedgerAtDecision;
};

export interface ClaimRequest {
  accountId: string;
  leadId: string;
  userId: string;
  via: ClaimVia;
}

export interface ClaimResult {
  user: { id: string; name: string };
  /** False when the lead was already theirs: nothing written. */
  claimed: boolean;
  assignmentId: string | null;
  signalFailures: Array<{ leadId: string; message: string }>;
}

type ClaimedLead = LockedLead & { milestone: string };

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const leadName = (lead: Pick<LockedLead, 'first_name' | 'last_name'>) => `${lead.first_name} ${lead.last_name}`.trim() || 'This lead';

async function sharkTankOn(trx: Knex.Transaction, accountId: string): Promise<boolean> {
  const account = await trx('accounts').where({ id: accountId }).first('shark_tank');
  return account?.shark_tank === true;
}

/**
 * The LSP takes an unassigned lead of the account's pool. Throws AssignmentError: not_found for
 * a lead or user not in the account; conflict when the lead is someone else's (naming them),
 * closed, in a state the LSP is not licensed in, or Shark Tank is off. A lead already theirs
 * is left as it is.
 */
export async function claimLead(deps: AssignDeps, req: ClaimRequest): Promise<ClaimResult> {
  if (!UUID_RE.test(req.leadId)) throw new AssignmentError('not_found', 'Lead not found');
  const { decided, result } = await deps.db.transaction(async (trx) => {
    await lockDistribution(trx, req.accountId);
    const user = await loadAssignee(trx, req.accountId, req.userId, { lock: true });
    const lead: ClaimedLead | undefined = await trx('leads')
      .where({ account_id: req.accountId, id: req.leadId })
      .forUpdate()
      .first(...LOCKED_LEAD_COLUMNS, 'milestone');
    if (!lead) throw new AssignmentError('not_found', 'Lead not found');
    const result: ClaimResult = { user: { id: user.id, name: user.name }, claimed: false, assignmentId: null, signalFailures: [] };
    // A second click, or a Quick Action on a lead the LSP claimed a moment ago.
    if (lead.assigned_user_id === user.id) return { decided: [] as Decided[], result };
    if (!(await sharkTankOn(trx, req.accountId))) throw new AssignmentError('conflict', SHARK_TANK_OFF);
    const refusal = await claimRefusal(trx, req.accountId, lead, user);
    if (refusal) throw new AssignmentError('conflict', refusal);

    const at = await lockedNow(trx);
    const reason = CLAIM_REASONS[req.via];
    const [written] = await writeAssignments(trx, req.accountId, at, [
      {
        lead,
        userId: user.id,
        byUserId: user.id,
        actorSystem: null,
        reason,
        method: 'claim',
        note: req.via === 'claim' ? `Claimed by ${user.name} from the pool` : `Claimed by ${user.name} by working it (Quick Action)`,
      },
    ]);
    result.claimed = true;
    result.assignmentId = written!.assignmentId;
    return { decided: [{ lead, change: { userId: user.id, byUserId: user.id, reason, at: at.toISOString() } }], result };
  });
  result.signalFailures = await tellWorkflows(deps, req.accountId, decided);
  return result;
}

/** Why the LSP cannot take this lead, in words for them; null when they can. */
async function claimRefusal(trx: Knex.Transaction, accountId: string, lead: ClaimedLead, user: Assignee): Promise<string | null> {
  const who = leadName(lead);
  if (lead.assigned_user_id) {
    const holder = (await userNames(trx, accountId, [lead.assigned_user_id])).get(lead.assigned_user_id) ?? 'another user';
    return `${who} is already ${holder}'s lead`;
  }
  if ((INACTIVE_LEAD_STATUSES as readonly string[]).includes(lead.status)) return `${who} is ${lead.status}: an owner or admin must restore the lead before anyone works it`;
  if ((CLOSED_MILESTONES as readonly string[]).includes(lead.milestone)) {
    const label = QUICK_ACTIONS.find((q) => q.milestone === lead.milestone)?.label ?? lead.milestone;
    return `${who} is closed (${label}): there is nothing left to work`;
  }
  const state = lead.state.trim().toUpperCase();
  if (!state) return `${who} has no state, so no license can cover it`;
  // A producer may only work leads in states where they hold a license (docs/product.md).
  if (!user.licensed_states.some((s) => s.toUpperCase() === state)) return `${user.name} is not licensed in ${state}`;
  return null;
}

export interface NextLeadResult {
  /** The lead Next gave them, or null when the pool has none they may take (then `message` says so). */
  lead: { id: string; name: string } | null;
  message: string | null;
  signalFailures: Array<{ leadId: string; message: string }>;
}

/**
 * The LSP's "Next lead" button: the best lead of the pool they are licensed for (pool.ts's
 * order: segment priority, then the freshest), if they are under today's target. Throws
 * AtTargetError at target and AssignmentError (conflict) when Shark Tank is off.
 */
export async function nextLead(deps: AssignDeps, req: { accountId: string; userId: string }): Promise<NextLeadResult> {
  const { decided, result } = await deps.db.transaction(async (trx) => {
    await lockDistribution(trx, req.accountId);
    const user = await loadAssignee(trx, req.accountId, req.userId, { lock: true });
    if (!(await sharkTankOn(trx, req.accountId))) throw new AssignmentError('conflict', SHARK_TANK_OFF);
    // Read under the lock: no other decision can add to this LSP's day before the commit.
    const { lsps } = await capacityLedger(trx, req.accountId, { userId: user.id });
    const ledger = lsps[0];
    if (!ledger) throw new AssignmentError('conflict', `${user.name} is not an active LSP`);
    if (ledger.capacityLeft <= 0) throw new AtTargetError(ledger.used, ledger.target);
    const [lead] = await takeFromPool(trx, req.accountId, user.licensed_states, 1);
    if (!lead) return { decided: [] as Decided[], result: { lead: null, message: NO_POOL_LEAD, signalFailures: [] } as NextLeadResult };

    const at = await lockedNow(trx);
    const detail: NextLeadDetail = {
      kind: 'next',
      rank: { segment: lead.segment, priority: segmentPriority(lead.segment), position: 1, arrivedAt: new Date(lead.created_at).toISOString() },
      chosen: snapshot(ledger),
    };
    const reason = `Next lead: best in the pool for ${user.name}`;
    const segmentName = lead.segment ? SEGMENT_NAMES[lead.segment] : 'No segment';
    await writeAssignments(trx, req.accountId, at, [
      {
        lead,
        userId: user.id,
        byUserId: user.id,
        actorSystem: null,
        reason,
        method: 'next',
        detail,
        note: `${user.name} took it with Next lead: ${segmentName.toLowerCase()} lead, the best in the pool for them; ${ledger.capacityLeft} of ${ledger.target} left today`,
      },
    ]);
    return {
      decided: [{ lead, change: { userId: user.id, byUserId: user.id, reason, at: at.toISOString() } }],
      result: { lead: { id: lead.id, name: leadName(lead) }, message: null, signalFailures: [] } as NextLeadResult,
    };
  });
  result.signalFailures = await tellWorkflows(deps, req.accountId, decided);
  return result;
}

const snapshot = (u: LspLedger): LedgerAtDecision => ({ userId: u.userId, name: u.name, target: u.target, followUpsDue: u.followUpsDue, newAssigned: u.newAssigned, capacityLeft: u.capacityLeft });
