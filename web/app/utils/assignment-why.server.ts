// "Why is this lead Alex's?": the lead page's account of its current assignment, from the
// assignments row that made it (its method, reason and, for auto-assign and Next, the stored
// detail: the lead's rank, the chosen LSP's ledger at that moment and, for auto-assign, every
// other LSP with why they did not get it). Owners and admins see it, and the LSP who holds the
// lead; nobody else.
import type { Knex } from 'knex';
import type { AssignmentMethod, AutoAssignDetail, LedgerAtDecision, Segment } from '../../../db/models/index.ts';
import type { NextLeadDetail } from '../../../db/distribution/claim.ts';
import { NO_SEGMENT_PRIORITY, SEGMENT_NAMES } from '../../../db/distribution/pool.ts';
import type { SessionUser } from './auth.server.ts';

export interface AssignmentWhy {
  holder: string;
  /** How it was decided, in words: Auto-assign, Next button, Claimed, Assigned by Dana Owner. */
  method: string;
  at: Date;
  reason: string;
  /** "Highly engaged (priority 1 of 4), #3 in this pass". */
  rank: string | null;
  /** The chosen LSP's ledger when it was decided: "12 of 50 left: 8 follow-ups due, 30 new today". */
  ledger: string | null;
  /** Auto-assign: every other active LSP then, eligible or not, and why they did not get it. */
  others: Array<{ name: string; eligible: boolean; why: string; ledger: string }>;
}

interface Row {
  user_id: string | null;
  method: AssignmentMethod;
  reason: string;
  detail: (AutoAssignDetail | NextLeadDetail | Record<string, unknown>) | null;
  created_at: Date;
  by_name: string | null;
  to_name: string | null;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export function ledgerWords(l: Pick<LedgerAtDecision, 'capacityLeft' | 'target' | 'followUpsDue' | 'newAssigned'>): string {
  return `${l.capacityLeft} of ${l.target} left: ${plural(l.followUpsDue, 'follow-up')} due, ${l.newAssigned} new today`;
}

function segmentWords(segment: string | null, priority: number): string {
  const name = segment && segment in SEGMENT_NAMES ? SEGMENT_NAMES[segment as Segment] : 'No segment';
  return `${name} (priority ${priority} of ${NO_SEGMENT_PRIORITY})`;
}

function methodWords(row: Row, detail: Row['detail']): string {
  switch (row.method) {
    case 'auto': {
      const trigger = (detail as { trigger?: unknown } | null)?.trigger;
      return typeof trigger === 'string' && trigger ? `Auto-assign (${trigger})` : 'Auto-assign';
    }
    case 'next':
      return 'Next button';
    case 'claim':
      return row.by_name ? `Claimed by ${row.by_name}` : 'Claimed';
    case 'api':
      return 'Assigned through the API';
    case 'holding_period':
      return 'The holding period';
    case 'deactivation':
      return 'Reassigned when a user left';
    default:
      return `Assigned by ${row.by_name ?? 'a former user'}`;
  }
}

/** The panel for this viewer, or null when they may not see it or there is nothing to explain. */
export async function assignmentWhy(db: Knex, user: SessionUser, lead: { id: string; assignee: { id: string } | null }): Promise<AssignmentWhy | null> {
  if (!lead.assignee) return null;
  const maySee = user.role === 'owner' || user.role === 'admin' || (user.role === 'lsp' && lead.assignee.id === user.id);
  if (!maySee) return null;
  const row: Row | undefined = await db('assignments as a')
    .leftJoin('users as by', function () {
      this.on('by.id', 'a.assigned_by_user_id').andOn('by.account_id', 'a.account_id');
    })
    .leftJoin('users as to', function () {
      this.on('to.id', 'a.user_id').andOn('to.account_id', 'a.account_id');
    })
    .where({ 'a.account_id': user.accountId, 'a.lead_id': lead.id })
    .orderBy([
      { column: 'a.created_at', order: 'desc' },
      { column: 'a.id', order: 'desc' },
    ])
    .first('a.user_id', 'a.method', 'a.reason', 'a.detail', 'a.created_at', 'by.name as by_name', 'to.name as to_name');
  // The latest row must be the assignment the lead has now (it always is, written together).
  if (!row || row.user_id !== lead.assignee.id) return null;
  const detail = row.detail && typeof row.detail === 'object' ? row.detail : null;
  if (!detail && !row.reason) return null;

  const why: AssignmentWhy = { holder: row.to_name ?? 'a former user', method: methodWords(row, detail), at: row.created_at, reason: row.reason, rank: null, ledger: null, others: [] };
  if (detail?.kind === 'auto' || detail?.kind === 'next') {
    const d = detail as AutoAssignDetail | NextLeadDetail;
    const segment = segmentWords(d.rank.segment, d.rank.priority);
    why.rank = d.kind === 'auto' ? `${segment}, #${d.rank.position} in this pass` : `${segment}, the best lead in the pool for ${d.chosen.name}`;
    why.ledger = ledgerWords(d.chosen);
    if (d.kind === 'auto') why.others = d.others.map((o) => ({ name: o.name, eligible: o.eligible, why: o.why, ledger: ledgerWords(o) }));
  }
  return why;
}
