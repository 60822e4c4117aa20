// The pool: unassigned leads an LSP could work now, in the order they should be worked.
// Auto-assign and the Next button both take leads from here (docs/product.md, "Assignment").
//
// Assignable: open (new or active, not recycled / removed / archived), not at a closing
// milestone, contactable (a valid phone not on DNC, or a valid e-mail not on DNE) and in one of
// the given states. Order: highly engaged, then engaged / warmed, then cold (then leads without
// a segment); within a segment the freshest first (speed to lead), then by id so ties are stable.
import type { Knex } from 'knex';
import type { Segment } from '../../workflows/lead/segment.ts';
import { LOCKED_LEAD_COLUMNS, type LockedLead } from './assign.ts';

/** Milestones after which nobody should be sent to work the lead. */
export const CLOSED_MILESTONES = ['not_interested', 'sold', 'bad_contact_info', 'do_not_contact'] as const;

/** A segment's place in the queue, 1 first; leads without a segment come last. */
export const SEGMENT_PRIORITY: Record<Segment, number> = { highly_engaged: 1, engaged: 2, cold: 3 };
export const NO_SEGMENT_PRIORITY = 4;

export const SEGMENT_NAMES: Record<Segment, string> = { highly_engaged: 'Highly engaged', engaged: 'Engaged / warmed', cold: 'Cold' };

export type PoolLead = LockedLead & { segment: Segment | null; created_at: Date };

/** SQL for a lead (alias l) being contactable; the same rule as canBeCalled / canBeEmailed. */
export const CONTACTABLE_SQL = `(
  (NOT l.dnc AND EXISTS (SELECT 1 FROM jsonb_array_elements(l.phones) p WHERE (p->>'valid')::boolean AND coalesce(p->>'e164', '') <> ''))
  OR (NOT l.dne AND EXISTS (SELECT 1 FROM jsonb_array_elements(l.emails) e WHERE (e->>'valid')::boolean AND coalesce(e->>'address', '') <> '')))`;

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
      WHERE l.account_id = :accountId AND l.assigned_user_id IS NULL AND l.status IN ('new', 'active')
        AND l.milestone <> ALL(:closed::text[])
        AND upper(l.state) = ANY(:states::text[])
        AND ${CONTACTABLE_SQL}
      ORDER BY ${PRIORITY_SQL}, l.created_at DESC, l.id
      LIMIT :limit
      FOR UPDATE OF l SKIP LOCKED`,
    { accountId, closed: [...CLOSED_MILESTONES], states: states.map((s) => s.toUpperCase()), limit },
  );
  return rows;
}

export function segmentPriority(segment: Segment | null): number {
  return segment ? SEGMENT_PRIORITY[segment] : NO_SEGMENT_PRIORITY;
}
