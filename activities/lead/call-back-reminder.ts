import { accountUser, leadRow, queueEmail, recordEvent, type LeadDeps } from './shared.ts';

export function createCallBackReminderActivities({ db, clock, appUrl }: LeadDeps) {
  return {
    /**
     * The call-back's due day has begun: the lead goes on the LSP's due-today list
     * (next_follow_up_at) and a reminder for the assigned LSP (else whoever booked it) is
     * queued once per due time.
     */
    async queueCallBackReminder({ leadId, dueAt, byUserId }: { leadId: string; dueAt: string; byUserId: string }): Promise<{ outboxId: string | null }> {
      const key = `lead-${leadId}:callback:${dueAt}`;
      return db.transaction(async (trx) => {
        const lead = await leadRow(trx, leadId, { lock: true });
        await trx('leads').where({ id: leadId }).update({ next_follow_up_at: new Date(dueAt), updated_at: clock.now() });
        const user = await accountUser(trx, lead.account_id, lead.assigned_user_id ?? byUserId);
        if (!user) {
          await recordEvent(trx, { leadId, accountId: lead.account_id, type: 'callback_due', key, data: { dueAt, reminder: 'nobody to remind' } });
          return { outboxId: null };
        }
        const who = `${lead.first_name} ${lead.last_name}`;
        const outboxId = await queueEmail(trx, {
          accountId: lead.account_id,
          key,
          to: user.email,
          subject: `Call-back due today: ${who}`,
          text: `Hello ${user.name},\n\nYou have a call-back with ${who} at ${dueAt} (UTC).\nLead: ${appUrl}/leads/${leadId}\n`,
        });
        await recordEvent(trx, { leadId, accountId: lead.account_id, type: 'callback_due', key, data: { dueAt, outboxId, userId: user.id } });
        return { outboxId };
      });
    },
  };
}
