// The pool: unassigned leads an LSP could work now, in the order they should be worked.
// Auto-assign and the Next button both take leads from here (docs/product.md, "Assignment").
//
// Assignable: open (new or active, not recycled / removed / archived), not at a closing
// milestone, contactable (a valid phone not on DNC, or a valid e-mail not on DNE) and in one of
// the given states. Order: highly engaged, then engaged / warmed, then cold (then leads without
// a segment); within a segment the freshest first (speed to lead), then by id so ties are stable.
import type { Knex } from 'knex';
import type { Segment } from '../../workflows/lead/segment.ts';
import { CLOSING_MILESTONES } from '../leads/closing.ts';
import { LOCKED_LEAD_COLUMNS, type LockedLead } from './assign.ts';

/** Milestones after which nobody should be sent to work the lead (the closed leads of db/leads/closing.ts). */
export const CLOSED_MILESTONES = CLOSING_MILESTONES;

/** A segment's place in the queue, 1 first; leads without a segment come last. */
export const SEGMENT_PRIORITY: Record<Segment, number> = { highly_engaged: 1, engaged: 2, cold: 3 };
export const NO_SEGMENT_PRIORITY = 4;

export const SEGMENT_NAMES: Record<Segment, string> = { highly_engaged: 'Highly engaged', engaged: 'Engaged / warmed', cold: 'Cold' };

export type PoolLead = LockedLead & { segment: Segment | null; created_at: Date };

/** SQL for a lead (alias l) being contactable; the same rule as canBeCalled / canBeEmailed. */
export const CONTACTABLE_SQL = `(
  (NOT l.dnc AND EXISTS (SELECT 1 FROM jsonb_array_elements(l.phones) p WHERE (p->>'valid')::boolean AND coalesce(p->>'e164', '') <> ''))
  OR (NOT l.dne AND EXISTS (SELECT 1 FROM jsonb_array_elements(l.emails) e WHERE (e->>'valid')::boolean AND coalesce(e->>'address', '') <> '')))`;

/** The pool's filter (lead alias l; parameters accountId, closed, states). */
const POOL_WHERE = `WHERE l.account_id = :accountId AND l.assigned_user_id IS NULL AND l.status IN ('new', 'active')
        AND l.milestone <> ALL(:closed::text[])
        AND upper(l.state) = ANY(:states::text[])
        AND ${CONTACTABLE_SQL}`;

const PRIORITY_SQL = `CASE l.segment ${Object.entries(SEGMENT_PRIORITY)
  .map(([segment, n]) => `WHEN '${segment}' THEN ${n}`)
  .join(' ')} ELSE ${NO_SEGMENT_PRIORITY} END`;

/**
 * Up to `limit` assignable pool leads in `states`, best first, locked FOR UPDATE SKIP LOCKED:
 * a lead another transaction holds (a Quick Action, a manual assignment) is passed over, not
 * waited for. Call inside the transaction that assigns them.
 */
export async function takeFromPool(trx: Knex.Transaction, accountId: string, states: string[], limit: number): Promise<PoolLead[]> {
  if (!states.length || limit <= 0) return [];
  const { rows } = await trx.raw<{ rows: PoolLead[] }>(
    `SELECT ${LOCKED_LEAD_COLUMNS.map((c) => `l.${c}`).join(', ')}, l.segment, l.created_at
       FROM leads l
      ${POOL_WHERE}
      ORDER BY ${PRIORITY_SQL}, l.created_at DESC, l.id
      LIMIT :limit
      FOR UPDATE OF l SKIP LOCKED`,
    { accountId, closed: [...CLOSED_MILESTONES], states: states.map((s) => s.toUpperCase()), limit },
  );
  return rows;
}

/**
 * Whether the pool holds an assignable lead in `states` that takeFromPool would return if no
 * other transaction held its row: after a pass that took everything it could, such a lead was
 * skipped because it was locked (its own workflow's activity was updating it at that instant),
 * and the pass should run again shortly rather than leave it until the next trigger.
 */
export async function poolHasLeads(trx: Knex.Transaction, accountId: string, states: string[]): Promise<boolean> {
  if (!states.length) return false;
  const { rows } = await trx.raw<{ rows: Array<{ found: boolean }> }>(
    `SELECT EXISTS (SELECT 1 FROM leads l ${POOL_WHERE}) AS found`,
    { accountId, closed: [...CLOSED_MILESTONES], states: states.map((s) => s.toUpperCase()) },
  );
  return Boolean(rows[0]?.found);
}

export function segmentPriority(segment: Segment | null): number {
  return segment ? SEGMENT_PRIORITY[segment] : NO_SEGMENT_PRIORITY;
}
