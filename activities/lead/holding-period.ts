// The holding period (My Company): an assigned lead with no Quick Action for the account's
// number of days returns to the pool. The lead's workflow keeps the timer; whether the lead goes
// back is decided here, in PostgreSQL, under the account's distribution lock like every other
// decision about who works a lead (db/distribution/assign.ts), from what the rows say now.
import { activityInfo, Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { lockDistribution, lockedNow, LOCKED_LEAD_COLUMNS, tellWorkflows, writeAssignments, type LockedLead } from '../../db/distribution/assign.ts';
import { requestAutoAssign } from '../../db/distribution/auto-assign-trigger.ts';
import { isClosingMilestone } from '../../db/leads/closing.ts';
import { INACTIVE_LEAD_STATUSES } from '../../workflows/lead/state.ts';
import { leadRow, type LeadDeps } from './shared.ts';

const DAY_MS = 86_400_000;
/** Who the history names for a lead the holding period returned. */
export const HOLDING_PERIOD_ACTOR = 'holding-period';

export interface HoldingPeriodDeps extends LeadDeps {
  /**
   * Tells the lead's workflow and the account's distribution workflow after a return. A client
   * or a getter; null: none (nothing is sent). Left out: the worker's own client, from the
   * activity's context.
   */
  temporal?: Client | (() => Promise<Client>) | null;
  /** Where lead workflows run; default the task queue of the activity itself. */
  taskQueue?: string;
}

export interface HeldLeadCheck {
  /** This call returned the lead to the pool. */
  returned: boolean;
  /** Who works the lead in PostgreSQL after this call (null: the pool) and when that was decided (null: no assignment recorded). */
  assignee: { userId: string | null; at: string | null };
  /** The account's holding period now, in days; null: off. */
  days: number | null;
  /** The same user still holds the lead: when it goes back unless a Quick Action comes first. Null: nothing to wait for. */
  dueAt: string | null;
}

const INACTIVE: readonly string[] = INACTIVE_LEAD_STATUSES;

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export function createHoldingPeriodActivities({ db, temporal, taskQueue }: HoldingPeriodDeps) {
  /** The client the return is told through; null when there is none here. */
  const clientDeps = () => {
    if (temporal !== undefined) return { temporal, taskQueue };
    try {
      return { temporal: Context.current().client, taskQueue: taskQueue ?? activityInfo().taskQueue };
    } catch {
      // Outside a worker (a test calling the function) there is no client to tell anyone with.
      return { temporal: null, taskQueue };
    }
  };

  return {
    /** The account's holding period in days; null when it is off. */
    async holdingPeriod({ accountId }: { accountId: string }): Promise<{ days: number | null }> {
      const account = await db('accounts').where({ id: accountId }).first('holding_days');
      return { days: account?.holding_days ?? null };
    },

    /**
     * The lead's holding deadline has come (as the workflow counts it, from `since`, at its
     * time `at`). Returns the lead to the pool when, now, under the lock: `userId` still holds
     * it, the lead is open, the holding period is on and no Quick Action or newer assignment
     * came in the period. Otherwise says when to look again, if ever. A retry after the commit
     * finds the lead unassigned and changes nothing.
     */
    async returnHeldLead({ leadId, userId, since, at }: { leadId: string; userId: string; since: string; at: string }): Promise<HeldLeadCheck> {
      const { accountId, check, lead, reason } = await db.transaction(async (trx): Promise<{ accountId: string; lead: LockedLead; reason: string | null; check: HeldLeadCheck }> => {
        // The account first, unlocked, to take the account's lock before the lead's row, in
        // the order every assignment takes them (no deadlock with a manual assignment).
        const { account_id: accountId } = await leadRow(trx, leadId);
        await lockDistribution(trx, accountId);
        const lead: LockedLead & { milestone: string } = await trx('leads')
          .where({ id: leadId, account_id: accountId })
          .forUpdate()
          .first(...LOCKED_LEAD_COLUMNS, 'milestone');
        const account = await trx('accounts').where({ id: accountId }).first('holding_days');
        const days: number | null = account?.holding_days ?? null;
        const latest: { user_id: string | null; created_at: Date } | undefined = await trx('assignments').where({ lead_id: leadId }).orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id', order: 'desc' }]).first('user_id', 'created_at');
        const assignee = { userId: lead.assigned_user_id, at: latest && latest.user_id === lead.assigned_user_id ? latest.created_at.toISOString() : null };
        const quiet = { accountId, lead, reason: null };
        if (lead.assigned_user_id !== userId) return { ...quiet, check: { returned: false, assignee, days, dueAt: null } };
        if (days === null || INACTIVE.includes(lead.status) || isClosingMilestone(lead.milestone)) return { ...quiet, check: { returned: false, assignee, days, dueAt: null } };

        // The period runs from the latest of what the workflow counted from, the assignment and
        // the last Quick Action as recorded here: a lead is never returned early because the
        // workflow's copy was behind.
        const lastAction = (await trx('lead_events').where({ lead_id: leadId, type: 'quick_action' }).max('created_at as at').first()) as { at: Date | null } | undefined;
        const start = Math.max(Date.parse(since), latest && latest.user_id === userId ? latest.created_at.getTime() : -Infinity, lastAction?.at ? lastAction.at.getTime() : -Infinity);
        const dueAtMs = start + days * DAY_MS;
        if (Date.parse(at) < dueAtMs) return { ...quiet, check: { returned: false, assignee, days, dueAt: new Date(dueAtMs).toISOString() } };

        const holder = await trx('users').where({ id: userId, account_id: accountId }).first('name');
        const name = (holder?.name as string | undefined) ?? 'a former user';
        const reason = `Holding period: no Quick Action by ${name} for ${plural(days, 'day')}`;
        // After the locks, as every assignment is stamped; never before the assignment it ends,
        // so the history and the workflow (newest assignment wins) see them in that order.
        const stamped = await lockedNow(trx);
        const returnedAt = latest && stamped.getTime() <= latest.created_at.getTime() ? new Date(latest.created_at.getTime() + 1) : stamped;
        await writeAssignments(trx, accountId, returnedAt, [
          {
            lead,
            userId: null,
            byUserId: null,
            actorSystem: HOLDING_PERIOD_ACTOR,
            reason,
            method: 'holding_period',
            detail: { holdingDays: days, heldSince: new Date(start).toISOString(), dueAt: new Date(dueAtMs).toISOString(), previousUserId: userId },
            note: `Returned to the pool: ${name} recorded no Quick Action for ${plural(days, 'day')} (the holding period)`,
          },
        ]);
        return { accountId, lead, reason, check: { returned: true, assignee: { userId: null, at: returnedAt.toISOString() }, days, dueAt: null } };
      });

      if (check.returned) {
        const deps = { db, ...clientDeps() };
        await tellWorkflows(deps, accountId, [{ lead, change: { userId: null, byUserId: null, reason: reason!, at: check.assignee.at! } }]);
        await requestAutoAssign(deps, accountId, 'a lead returned to the pool');
      }
      return check;
    },
  };
}
