import { shouldRecycle } from '../../workflows/lead/cadences.ts';
import { leadRow, recordEvent, type LeadDeps } from './shared.ts';

export function createRecycleActivities({ db, clock }: LeadDeps) {
  return {
    /**
     * The 3-day recycle, decided now: the account's recycle template must be on, and the lead
     * still new, unassigned, never worked and neither callable nor e-mailable.
     */
    async recycleLead({ leadId, worked, assignedUserId }: { leadId: string; worked: boolean; assignedUserId: string | null }): Promise<{ recycled: boolean; reason: string }> {
      return db.transaction(async (trx) => {
        const lead = await leadRow(trx, leadId, { lock: true });
        if (lead.status === 'recycled') return { recycled: true, reason: 'already recycled' };
        const template = await trx('workflow_templates').where({ account_id: lead.account_id, key: 'recycle_uncontactable' }).first('enabled');
        if (!template?.enabled) return { recycled: false, reason: 'template_disabled' };
        const eligible = shouldRecycle({
          ...lead,
          assignedUserId: lead.assigned_user_id ?? assignedUserId,
          worked: worked || lead.milestone !== 'new',
        });
        if (!eligible) return { recycled: false, reason: 'not_eligible' };
        const now = clock.now();
        await trx('leads').where({ id: leadId }).update({ status: 'recycled', recycled_at: now, updated_at: now });
        const note = 'New, unassigned and neither callable nor e-mailable for 3 days';
        await recordEvent(trx, { leadId, accountId: lead.account_id, type: 'recycled', key: `lead-${leadId}:recycle`, note, data: { rule: 'recycle_uncontactable' } });
        return { recycled: true, reason: note };
      });
    },
  };
}
