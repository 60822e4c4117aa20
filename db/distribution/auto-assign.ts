// Auto-assign: one pass over an account's pool that brings every available active LSP up to
// their daily target (docs/decisions/0008-auto-assign.md). The account's distribution workflow
// runs a pass at each workday start and whenever it is told a lead may be assignable.
//
// Under the account's distribution lock (so the ledger read here stays true until the commit),
// leads are taken from the pool best first (pool.ts), and each goes to the eligible LSP with the
// most capacity left: available, licensed in the lead's state and under target. Every
// assignment stores why: the lead's rank, the chosen LSP's ledger at that moment, and every
// other LSP with why they did not get it.
import type { Knex } from 'knex';
import type { AutoAssignDetail, LedgerAtDecision } from '../models/index.ts';
import { lockDistribution, lockedNow, tellWorkflows, writeAssignments, type AssignDeps, type AssignmentWrite, type Decided } from './assign.ts';
import { autoAssignEnabled } from './auto-assign-trigger.ts';
import { capacityLedger, nextWorkdayStart, workdayStart } from './ledger.ts';
import { poolHasLeads, SEGMENT_NAMES, segmentPriority, takeFromPool, type PoolLead } from './pool.ts';

/** Leads one pass assigns at most; the workflow runs another pass when there may be more. */
export const AUTO_ASSIGN_PASS_MAX = 1_000;
/** Leads taken from the pool per round of a pass. */
const ROUND = 250;

export interface AutoAssignOptions {
  /** What set this pass off, for the reasons (`lead arrived`, `workday start`, ...). */
  trigger: string;
  /** The pass's instant (the workflow's clock); default the database's clock after the lock. */
  at?: Date;
  /** Passes to run while each stops at its ceiling (default 1); the workflow runs more if needed. */
  passes?: number;
}

export interface AutoAssignPass {
  /** The auto-assign template's switch. */
  enabled: boolean;
  /** False before the workday starts: the pass waits for it. */
  workday: boolean;
  assigned: Array<{ leadId: string; userId: string }>;
  /** The pass stopped at its ceiling; another may find more. */
  more: boolean;
  /** An assignable lead was passed over because another transaction held its row: run again soon. */
  skippedLocked: boolean;
  /** The next workday start, when a pass runs without a trigger. */
  nextRunAt: Date;
  signalFailures: Array<{ leadId: string; message: string }>;
}

interface Lsp extends LedgerAtDecision {
  available: boolean;
  states: Set<string>;
}

/**
 * Up to `opts.passes` passes (default one), each its own transaction, while the last one stopped
 * at its ceiling; the lead workflows of every lead assigned are told after the last commit, so
 * telling the first thousand does not hold up the next thousand's assignment.
 */
export async function autoAssign(deps: AssignDeps, accountId: string, opts: AutoAssignOptions): Promise<AutoAssignPass> {
  const decided: Decided[] = [];
  const assigned: AutoAssignPass['assigned'] = [];
  let pass: AutoAssignPass;
  let passes = 0;
  do {
    const one = await onePass(deps, accountId, opts);
    decided.push(...one.decided);
    assigned.push(...one.pass.assigned);
    pass = one.pass;
    passes += 1;
  } while (pass.more && passes < (opts.passes ?? 1));
  pass.assigned = assigned;
  pass.signalFailures = await tellWorkflows(deps, accountId, decided);
  return pass;
}

async function onePass(deps: AssignDeps, accountId: string, opts: AutoAssignOptions): Promise<{ decided: Decided[]; pass: AutoAssignPass }> {
  return deps.db.transaction(async (trx) => {
    await lockDistribution(trx, accountId);
    const at = opts.at ?? (await lockedNow(trx));
    const account = await trx('accounts').where({ id: accountId }).first('time_zone', 'workday_start_minutes');
    if (!account) throw new Error(`No account ${accountId}`);
    const zone = account.time_zone as string;
    const pass: AutoAssignPass = {
      enabled: await autoAssignEnabled(trx, accountId),
      workday: at >= workdayStart(zone, account.workday_start_minutes, at),
      assigned: [],
      more: false,
      skippedLocked: false,
      nextRunAt: nextWorkdayStart(zone, account.workday_start_minutes, at),
      signalFailures: [],
    };
    const decided: Decided[] = [];
    if (!pass.enabled || !pass.workday) return { decided, pass };

    const lsps = await loadLsps(trx, accountId, at);
    let position = 0;
    while (decided.length < AUTO_ASSIGN_PASS_MAX) {
      const open = lsps.filter((u) => u.available && u.capacityLeft > 0);
      const states = [...new Set(open.flatMap((u) => [...u.states]))];
      const leads = await takeFromPool(trx, accountId, states, Math.min(ROUND, AUTO_ASSIGN_PASS_MAX - decided.length));
      if (!leads.length) break;
      const writes: AssignmentWrite[] = [];
      for (const lead of leads) {
        position += 1;
        const write = decide(lead, lsps, position, opts.trigger);
        if (write) writes.push(write);
      }
      await writeAssignments(trx, accountId, at, writes);
      for (const w of writes) {
        decided.push({ lead: w.lead, change: { userId: w.userId, byUserId: null, reason: w.reason, at: at.toISOString() } });
        pass.assigned.push({ leadId: w.lead.id, userId: w.userId! });
      }
      // Every lead taken had someone licensed with capacity when the round began, so a round
      // that assigns nothing cannot happen; the guard only keeps a bug from looping.
      if (!writes.length) break;
    }
    pass.more = decided.length >= AUTO_ASSIGN_PASS_MAX;
    if (!pass.more) {
      // The pool skips rows another transaction holds; if such a lead is one an LSP could
      // still take, say so, and the workflow runs the pass again in a moment.
      const open = lsps.filter((u) => u.available && u.capacityLeft > 0);
      pass.skippedLocked = await poolHasLeads(trx, accountId, [...new Set(open.flatMap((u) => [...u.states]))]);
    }
    return { decided, pass };
  });
}

/** Every active LSP of the account with their ledger for the day holding `at`. */
async function loadLsps(trx: Knex.Transaction, accountId: string, at: Date): Promise<Lsp[]> {
  const ledger = await capacityLedger(trx, accountId, { at });
  const licensed: Array<{ id: string; licensed_states: string[] }> = await trx('users')
    .where({ account_id: accountId, role: 'lsp', status: 'active' })
    .select('id', 'licensed_states');
  const statesOf = new Map(licensed.map((u) => [u.id, new Set(u.licensed_states.map((s) => s.toUpperCase()))]));
  return ledger.lsps.map((u) => ({
    userId: u.userId,
    name: u.name,
    target: u.target,
    followUpsDue: u.followUpsDue,
    newAssigned: u.newAssigned,
    capacityLeft: u.capacityLeft,
    available: u.available,
    states: statesOf.get(u.userId) ?? new Set(),
  }));
}

const snapshot = (u: Lsp): LedgerAtDecision => ({ userId: u.userId, name: u.name, target: u.target, followUpsDue: u.followUpsDue, newAssigned: u.newAssigned, capacityLeft: u.capacityLeft });

/** Most capacity left first; then fewer new leads today; then by name, then id: a stable order. */
function better(a: Lsp, b: Lsp): number {
  return b.capacityLeft - a.capacityLeft || a.newAssigned - b.newAssigned || a.name.localeCompare(b.name) || a.userId.localeCompare(b.userId);
}

/** The LSP this lead goes to, with the reason; null when nobody may take it now. Counts it on the chosen ledger. */
function decide(lead: PoolLead, lsps: Lsp[], position: number, trigger: string): AssignmentWrite | null {
  const state = lead.state.trim().toUpperCase();
  const eligible = lsps.filter((u) => u.available && u.capacityLeft > 0 && u.states.has(state)).sort(better);
  const chosen = eligible[0];
  if (!chosen) return null;
  const others = lsps
    .filter((u) => u !== chosen)
    .map((u) => {
      const isEligible = eligible.includes(u);
      let why: string;
      if (!u.available) why = 'away today';
      else if (!u.states.has(state)) why = `not licensed in ${state || 'the lead’s state'}`;
      else if (u.capacityLeft <= 0) why = `at target (${u.target - u.capacityLeft} / ${u.target})`;
      else if (u.capacityLeft < chosen.capacityLeft) why = `less capacity left (${u.capacityLeft})`;
      else why = `same capacity left (${u.capacityLeft}); ${chosen.name} comes first (fewer new leads today, then by name)`;
      return { ...snapshot(u), eligible: isEligible, why };
    });
  const detail: AutoAssignDetail = {
    kind: 'auto',
    rank: { segment: lead.segment, priority: segmentPriority(lead.segment), position, arrivedAt: new Date(lead.created_at).toISOString() },
    chosen: snapshot(chosen),
    others,
    trigger,
  };
  const segmentName = lead.segment ? SEGMENT_NAMES[lead.segment] : 'No segment';
  const reason = `Auto-assign (${trigger}): ${segmentName} lead, #${position} in this pass; ${chosen.name} had ${chosen.capacityLeft} of ${chosen.target} left, the most of ${eligible.length} eligible`;
  const write: AssignmentWrite = {
    lead,
    userId: chosen.userId,
    byUserId: null,
    actorSystem: 'auto-assign',
    reason: reason.length > 500 ? `${reason.slice(0, 499)}…` : reason,
    method: 'auto',
    detail,
    note: `Assigned to ${chosen.name} by auto-assign: ${segmentName.toLowerCase()} lead; ${chosen.name} had ${chosen.capacityLeft} of ${chosen.target} left today`,
  };
  // Counted at once: the next lead of this pass sees the ledger with this one in it.
  chosen.capacityLeft -= 1;
  chosen.newAssigned += 1;
  return write;
}
