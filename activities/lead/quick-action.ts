import type { Milestone, QuickActionRequest } from '../../workflows/lead/quick-actions.ts';
import { leadHistoryKey } from '../../workflows/lead/messages.ts';
import { accountUser, leadRow, recordEvent, type LeadDeps } from './shared.ts';

export function createQuickActionActivities({ db, clock }: LeadDeps) {
  return {
    /**
     * Records a Quick Action in the lead's history and moves the lead's milestone, once per
     * actionId. Tells the workflow whether the account wants the lead sent to eAgent now.
     */
    async recordQuickAction({ leadId, request, milestone }: { leadId: string; request: QuickActionRequest; milestone: Milestone }): Promise<{ recorded: boolean; eagentDue: boolean }> {
      return db.transaction(async (trx) => {
        const lead = await leadRow(trx, leadId, { lock: true });
        const actor = await accountUser(trx, lead.account_id, request.byUserId);
        // The milestone the lead came from, as its previous Quick Action left it (New before the
        // first): the reports tell a move to a new milestone by it without re-reading the history.
        const previous = (await trx('lead_events').where({ lead_id: leadId, type: 'quick_action' }).orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id', order: 'desc' }]).first('data')) as { data: { milestone?: string } | null } | undefined;
        const fromMilestone = previous?.data?.milestone ?? 'new';
        const recorded = await recordEvent(trx, {
          leadId,
          accountId: lead.account_id,
          type: 'quick_action',
          key: leadHistoryKey.quickAction(leadId, request.actionId),
          actorUserId: actor?.id ?? null,
          note: request.note ?? null,
          data: { action: request.action, milestone, fromMilestone, at: request.at, dueAt: request.dueAt ?? null, byUserId: request.byUserId },
        });
        const now = clock.now();
        if (recorded) {
          await trx('leads')
            .where({ id: leadId })
            .update({ milestone, status: lead.status === 'new' ? 'active' : lead.status, updated_at: now });
          if (request.action === 'do_not_contact') {
            const reason = 'Do Not Contact request recorded by the LSP';
            for (const flag of ['dnc', 'dne', 'dnm'] as const) {
              if (!lead[flag]) await trx('leads').where({ id: leadId }).update({ [flag]: true, [`${flag}_at`]: now, [`${flag}_reason`]: reason });
            }
          }
        }
        const account = await trx('accounts').where({ id: lead.account_id }).first('eagent_enabled', 'eagent_url', 'eagent_milestone');
        const eagentDue = !!(account?.eagent_enabled && account.eagent_url && account.eagent_milestone === milestone);
        return { recorded, eagentDue };
      });
    },
  };
}
