import type { Knex } from 'knex';
import { loadActionEmailTemplate, renderTemplate } from '../../db/action-emails.ts';
import { emailAddress, suppressionMatches } from '../../db/compliance/scrub.ts';
import type { LeadEventType } from '../../db/lead-event-types.ts';
import { leadHistoryKey } from '../../workflows/lead/messages.ts';
import { callBackTime } from './call-back-reminder.ts';
import { accountUser, leadRow, queueEmail, recordEvent, type LeadDeps, type LeadRow } from './shared.ts';

/** Which action e-mail: the lead's confirmation, or the appointment desk's notice. */
export type ActionEmailKind = 'confirmation' | 'appointment_desk';

/** One e-mail per Quick Action: a double click or a retried activity finds the same outbox row and history entry. */
const actionEmailKey = leadHistoryKey.actionEmail;

const OUTCOME: Record<ActionEmailKind, { sent: LeadEventType; notSent: LeadEventType; stamp: 'email_confirmed_at' | 'appointment_made_at' }> = {
  confirmation: { sent: 'confirmation_sent', notSent: 'confirmation_not_sent', stamp: 'email_confirmed_at' },
  appointment_desk: { sent: 'appointment_desk_told', notSent: 'appointment_desk_not_told', stamp: 'appointment_made_at' },
};

/** "+1 504-555-0101" for a US number; any other as intake kept it. */
function phoneWords(value: string): string {
  const us = /^\+1(\d{3})(\d{3})(\d{4})$/.exec(value);
  return us ? `+1 ${us[1]}-${us[2]}-${us[3]}` : value;
}

/** "10:00 AM CST": a time of day on a zone's clock. */
function clock(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-US', { hour: 'numeric', minute: '2-digit', timeZoneName: 'short', timeZone }).format(at);
}

async function agencyOf(q: Knex | Knex.Transaction, accountId: string): Promise<{ name: string; time_zone: string; appointment_desk_email: string | null }> {
  return q('accounts').where({ id: accountId }).first('name', 'time_zone', 'appointment_desk_email');
}

/** The lead's first address that may be e-mailed now, or why none may. */
async function mailableAddress(trx: Knex.Transaction, lead: LeadRow): Promise<{ to: string } | { reason: 'dne' | 'no_valid_email' | 'dne_list' }> {
  if (lead.dne) return { reason: 'dne' };
  const valid = lead.emails.filter((e) => e.valid && emailAddress(e)).map((e) => emailAddress(e)!);
  if (valid.length === 0) return { reason: 'no_valid_email' };
  // The lists as they are now, not as the last scrub read them: an unsubscribe since counts.
  const listed = new Set((await suppressionMatches(trx, [lead.account_id], ['dne'], valid)).map((m) => m.value));
  const to = valid.find((a) => !listed.has(a));
  return to ? { to } : { reason: 'dne_list' };
}

export function createActionEmailActivities({ db, appUrl }: LeadDeps) {
  return {
    /**
     * E-mail Confirmed: queues the account's confirmation template to the lead, first name
     * merged, once per action. A lead who may not be e-mailed (DNE, on a do-not-email list, no
     * valid address) gets nothing, and the history says why.
     */
    async queueConfirmationEmail({ leadId, actionId, byUserId }: { leadId: string; actionId: string; byUserId: string }): Promise<{ outboxId: string | null }> {
      const key = actionEmailKey(leadId, 'confirmation', actionId);
      return db.transaction(async (trx) => {
        const lead = await leadRow(trx, leadId, { lock: true });
        const queued = await trx('email_outbox').where({ idempotency_key: key }).first('id');
        if (queued) return { outboxId: queued.id as string };
        // Refused earlier under this action: the same answer.
        if (await trx('lead_events').where({ idempotency_key: key }).first('id')) return { outboxId: null };
        const address = await mailableAddress(trx, lead);
        if ('reason' in address) {
          await recordEvent(trx, { leadId, accountId: lead.account_id, type: 'confirmation_not_sent', key, data: { actionId, reason: address.reason } });
          return { outboxId: null };
        }
        const agency = await agencyOf(trx, lead.account_id);
        const lsp = await accountUser(trx, lead.account_id, byUserId);
        const template = await loadActionEmailTemplate(trx, lead.account_id, 'confirmation');
        const mail = renderTemplate(template, {
          first_name: lead.first_name?.trim() || 'there',
          last_name: lead.last_name?.trim() ?? '',
          agency_name: agency.name,
          lsp_name: lsp?.name ?? agency.name,
        });
        const outboxId = await queueEmail(trx, { accountId: lead.account_id, key, to: address.to, subject: mail.subject, text: mail.body });
        return { outboxId };
      });
    },

    /**
     * An Appointment / Call Back: when the account has an appointment desk address, queues the
     * account's desk template to it (the lead, the booked time on the agency's clock and the
     * lead's, the LSP, a link to the lead), once per action. No address: nothing to do.
     */
    async queueAppointmentDeskEmail({ leadId, actionId, dueAt, byUserId }: { leadId: string; actionId: string; dueAt: string; byUserId: string }): Promise<{ outboxId: string | null }> {
      const key = actionEmailKey(leadId, 'appointment_desk', actionId);
      return db.transaction(async (trx) => {
        const lead = await leadRow(trx, leadId, { lock: true });
        const queued = await trx('email_outbox').where({ idempotency_key: key }).first('id');
        if (queued) return { outboxId: queued.id as string };
        const agency = await agencyOf(trx, lead.account_id);
        const to = agency.appointment_desk_email?.trim();
        if (!to) return { outboxId: null };
        const lsp = (await accountUser(trx, lead.account_id, lead.assigned_user_id)) ?? (await accountUser(trx, lead.account_id, byUserId));
        const due = new Date(dueAt);
        const phone = lead.phones.find((p) => p.valid && p.e164) ?? lead.phones.find((p) => p.e164 || p.raw);
        const name = `${lead.first_name ?? ''} ${lead.last_name ?? ''}`.trim() || 'A lead';
        const template = await loadActionEmailTemplate(trx, lead.account_id, 'appointment_desk');
        const mail = renderTemplate(template, {
          lead_name: name,
          first_name: lead.first_name?.trim() ?? '',
          last_name: lead.last_name?.trim() ?? '',
          lead_phone: phone ? phoneWords(phone.e164 ?? phone.raw ?? '') : 'no phone on file',
          appointment_time: callBackTime(due, agency.time_zone),
          lead_time: lead.time_zone ? clock(due, lead.time_zone) : "the lead's time zone is unknown",
          lsp_name: lsp?.name ?? 'nobody yet',
          lead_link: `${appUrl}/leads/${leadId}`,
          agency_name: agency.name,
        });
        const outboxId = await queueEmail(trx, { accountId: lead.account_id, key, to, subject: mail.subject, text: mail.body });
        return { outboxId };
      });
    },

    /**
     * After the send: a sent e-mail stamps the lead ("E-mail confirmed" / "Appointment made",
     * at the moment the server accepted it) and is recorded in the history; one that did not go
     * out is recorded with why. Once per action, however often this is retried.
     */
    async finishActionEmail({ leadId, actionId, kind, outboxId, dueAt }: { leadId: string; actionId: string; kind: ActionEmailKind; outboxId: string; dueAt?: string }): Promise<{ sent: boolean }> {
      const key = actionEmailKey(leadId, kind, actionId);
      const outcome = OUTCOME[kind];
      return db.transaction(async (trx) => {
        const lead = await leadRow(trx, leadId, { lock: true });
        const row = await trx('email_outbox').where({ id: outboxId, account_id: lead.account_id }).first('status', 'sent_at', 'to_address', 'last_error');
        const base = { leadId, accountId: lead.account_id, key, data: { actionId, outboxId, to: row?.to_address ?? null, ...(dueAt ? { dueAt } : {}) } };
        if (row?.status === 'sent') {
          if (await recordEvent(trx, { ...base, type: outcome.sent })) {
            await trx('leads').where({ id: leadId }).update({ [outcome.stamp]: row.sent_at });
          }
          return { sent: true };
        }
        // The sender's last line of defence found the address on a do-not-email list.
        const reason = kind === 'confirmation' && typeof row?.last_error === 'string' && row.last_error.startsWith('not sent: recipient') ? 'dne_list' : 'send_failed';
        await recordEvent(trx, { ...base, type: outcome.notSent, data: { ...base.data, reason } });
        return { sent: false };
      });
    },
  };
}
