// Closed leads (docs/product.md, "Working the lead"): a lead whose last Quick Action ended its
// pursuit leaves the working views (My Leads, Due today, Upcoming) but stays findable, and an
// owner or admin can reopen it. Closed is read from the milestone Postgres holds, so every list
// agrees without asking the workflow.
import type { Knex } from 'knex';
import type { Milestone } from '../../workflows/lead/quick-actions.ts';
import type { LeadEventType } from '../lead-event-types.ts';

/** Not Interested, Sold, Bad Contact Info and Do Not Contact: nobody works the lead any more. */
export const CLOSING_MILESTONES = ['not_interested', 'sold', 'bad_contact_info', 'do_not_contact'] as const satisfies readonly Milestone[];

export const isClosingMilestone = (milestone: string) => (CLOSING_MILESTONES as readonly string[]).includes(milestone);

/** Leads in `q` that are not closed. */
export const whereOpen = (q: Knex.QueryBuilder) => q.whereNotIn('leads.milestone', CLOSING_MILESTONES);
/** Leads in `q` that are closed. */
export const whereClosed = (q: Knex.QueryBuilder) => q.whereIn('leads.milestone', CLOSING_MILESTONES);

// The reason the Quick Action activity (activities/lead/quick-action.ts) writes on each flag a
// Do Not Contact request sets: a flag with another reason came from a list or a scrub.
export const DO_NOT_CONTACT_FLAG_REASON = 'Do Not Contact request recorded by the LSP';

/** The milestone a reopened lead goes back to when its history has none before the closing. */
const REOPEN_FALLBACK: Milestone = 'attempted_contact';

export class ReopenError extends Error {
  constructor(
    message: string,
    readonly status: 404 | 409,
  ) {
    super(message);
  }
}

export interface ReopenResult {
  from: Milestone;
  to: Milestone;
  /** The flags lifted with the Do Not Contact request (DNC, DNE, DNM), if asked. */
  lifted: Array<'dnc' | 'dne' | 'dnm'>;
}

/**
 * Reopens a closed lead of the account: its milestone goes back to the one before the closing
 * (from its Quick Actions), recorded in its history with who and when. With `liftDoNotContact`,
 * the flags a Do Not Contact request set are lifted too; flags from lists and scrubs stay.
 */
export async function reopenLead(db: Knex, { accountId, leadId, byUserId, liftDoNotContact }: { accountId: string; leadId: string; byUserId: string; liftDoNotContact: boolean }): Promise<ReopenResult> {
  return db.transaction(async (trx) => {
    const lead = await trx('leads').where({ id: leadId, account_id: accountId }).forUpdate().first('id', 'milestone', 'dnc', 'dnc_reason', 'dne', 'dne_reason', 'dnm', 'dnm_reason');
    if (!lead) throw new ReopenError('No such lead', 404);
    if (!isClosingMilestone(lead.milestone)) throw new ReopenError('This lead is not closed.', 409);
    const before = await trx('lead_events')
      .where({ lead_id: leadId, account_id: accountId, type: 'quick_action' })
      .whereRaw("NOT (data->>'milestone' = ANY(?::text[]))", [[...CLOSING_MILESTONES]])
      .orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id', order: 'desc' }])
      .first<{ milestone: Milestone } | undefined>(trx.raw("data->>'milestone' as milestone"));
    const to = before?.milestone ?? REOPEN_FALLBACK;
    const lifted = liftDoNotContact ? (['dnc', 'dne', 'dnm'] as const).filter((f) => lead[f] && lead[`${f}_reason`] === DO_NOT_CONTACT_FLAG_REASON) : [];
    const now = (await trx.raw('SELECT clock_timestamp() AS now')).rows[0].now as Date;
    const update: Record<string, unknown> = { milestone: to, updated_at: now };
    for (const f of lifted) Object.assign(update, { [f]: false, [`${f}_at`]: null, [`${f}_reason`]: null });
    await trx('leads').where({ id: leadId }).update(update);
    await trx('lead_events').insert({
      lead_id: leadId,
      account_id: accountId,
      actor_user_id: byUserId,
      type: 'reopened' satisfies LeadEventType,
      data: { from: lead.milestone, to, lifted, byUserId },
      created_at: now,
    });
    return { from: lead.milestone as Milestone, to, lifted: [...lifted] };
  });
}
