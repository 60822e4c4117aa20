import { callBackRecipient } from '../../db/distribution/call-back-recipient.ts';
import type { LeadEventType } from '../../db/lead-event-types.ts';
import { leadRow, queueEmail, recordEvent, type LeadDeps } from './shared.ts';

const CALLBACK_DUE: LeadEventType = 'callback_due';

/** "Thu, Dec 3, 3:00 PM EST": how a person reads the call-back's time in their zone. */
export function callBackTime(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-US', { weekday: 'short', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', timeZoneName: 'short', timeZone }).format(at);
}

/** "2:00 PM CST": the same moment on the lead's clock. */
function leadClock(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-US', { hour: 'numeric', minute: '2-digit', timeZoneName: 'short', timeZone }).format(at);
}

export function createCallBackReminderActivities({ db, clock, appUrl }: LeadDeps) {
  return {
    /**
     * The call-back's due day has begun: the lead goes on the LSP's due-today list
     * (next_follow_up_at) and a reminder for the lead's LSP (else whoever booked it, else the
     * account's owner: db/distribution/call-back-recipient.ts) is queued once per due time.
     */
    async queueCallBackReminder({ leadId, dueAt, byUserId }: { leadId: string; dueAt: string; byUserId: string }): Promise<{ outboxId: string | null }> {
      const key = `lead-${leadId}:callback:${dueAt}`;
      return db.transaction(async (trx) => {
        const lead = await leadRow(trx, leadId, { lock: true });
        await trx('leads').where({ id: leadId }).update({ next_follow_up_at: new Date(dueAt), updated_at: clock.now() });
        // The lead's holder as it stands now (a lead handed over since the booking reminds its
        // new holder), else the booker, else the owner for a lead in the pool; never a user who
        // has left. They read the time in their zone, else the account's.
        const user = await callBackRecipient(trx, { accountId: lead.account_id, assignedUserId: lead.assigned_user_id, bookedByUserId: byUserId });
        if (!user) {
          await recordEvent(trx, { leadId, accountId: lead.account_id, type: CALLBACK_DUE, key, data: { dueAt, reminder: 'nobody to remind' } });
          return { outboxId: null };
        }
        const who = `${lead.first_name} ${lead.last_name}`;
        const due = new Date(dueAt);
        const theirs = callBackTime(due, user.time_zone);
        const leadsTime = lead.time_zone ? leadClock(due, lead.time_zone) : null;
        const when = leadsTime && !theirs.endsWith(leadsTime) ? `${theirs} (${leadsTime} for the lead)` : theirs;
        // Whoever stands in for a lead nobody holds is told so, or they would take it for theirs.
        const unworked = user.as === 'holder' ? '' : 'Nobody works this lead now: assign it to an LSP, or make the call yourself.\n';
        const outboxId = await queueEmail(trx, {
          accountId: lead.account_id,
          key,
          to: user.email,
          subject: `Call-back due today: ${who}`,
          text: `Hello ${user.name},\n\nYou have a call-back with ${who} on ${when}.\n${unworked}Lead: ${appUrl}/leads/${leadId}\n`,
        });
        await recordEvent(trx, { leadId, accountId: lead.account_id, type: CALLBACK_DUE, key, data: { dueAt, outboxId, userId: user.id, as: user.as } });
        return { outboxId };
      });
    },
  };
}
