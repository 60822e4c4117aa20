import { ApplicationFailure } from '@temporalio/activity';
import { dncValue, emailAddress, suppressionMatches } from '../../db/compliance/scrub.ts';
import { FailureType } from '../../workflows/failures.ts';
import { CADENCES, type CadenceKey, type NurtureEmail } from '../../workflows/lead/cadences.ts';
import { callingTimeFor } from '../../workflows/lead/schedule.ts';
import { INACTIVE_LEAD_STATUSES } from '../../workflows/lead/state.ts';
import { leadRow, queueEmail, recordEvent, type LeadDeps } from './shared.ts';

export type CadenceStepOutcome =
  | { outcome: 'call_task'; scheduledFor: string; movedToCallingWindow: boolean }
  | { outcome: 'email_queued'; outboxId: string }
  | { outcome: 'step_skipped'; reason: string };

const NURTURE_BODIES: Record<NurtureEmail, string> = {
  intro: 'Thank you for your interest. We would be glad to review your insurance with you, on your schedule. Reply to this e-mail or call us when it suits you.',
  quote_follow_up: 'Your insurance quote is ready to go over. Reply to this e-mail or call us, and we will walk you through it.',
  check_in: 'We wanted to check in: do you have any questions about your coverage? We are happy to help.',
  last_touch: 'We will not keep filling your inbox. Whenever you are ready to talk about your coverage, we are here.',
};

export function createCadenceStepActivities({ db, clock }: LeadDeps) {
  return {
    /**
     * One cadence step, decided at the moment of contact: the template must still be on, the
     * channel must not be suppressed (the lists are read now, not at the last scrub), and a
     * call task falls inside the lead's calling window. Records what happened; an e-mail step
     * queues the mail in the outbox for sendOutboxEmail.
     */
    async performCadenceStep({ leadId, cadence, stepIndex, dueAt }: { leadId: string; cadence: CadenceKey; stepIndex: number; dueAt: string }): Promise<CadenceStepOutcome> {
      const key = `lead-${leadId}:cadence:${cadence}:${stepIndex}`;
      const step = CADENCES[cadence]?.[stepIndex];
      if (!step) throw ApplicationFailure.create({ type: FailureType.CadenceStepNotFound, message: `No step ${stepIndex} in cadence ${cadence}`, nonRetryable: true });
      return db.transaction(async (trx): Promise<CadenceStepOutcome> => {
        const lead = await leadRow(trx, leadId, { lock: true });
        const prior = await trx('lead_events').where({ idempotency_key: key }).first('type', 'data');
        if (prior) return { outcome: prior.type, ...prior.data } as CadenceStepOutcome;
        const base = { leadId, accountId: lead.account_id, key };
        const stepData = { cadence, stepIndex, kind: step.kind, after: step.after };
        const skip = async (reason: string): Promise<CadenceStepOutcome> => {
          await recordEvent(trx, { ...base, type: 'step_skipped', note: reason, data: { ...stepData, reason } });
          return { outcome: 'step_skipped', reason };
        };
        const template = await trx('workflow_templates').where({ account_id: lead.account_id, key: cadence }).first('enabled');
        if (!template?.enabled) return skip('template_disabled');
        if ((INACTIVE_LEAD_STATUSES as readonly string[]).includes(lead.status)) return skip(`lead_${lead.status}`);

        if (step.kind === 'call_task') {
          if (lead.dnc) return skip('dnc');
          const valid = lead.phones.filter((p) => p.valid && p.e164);
          if (valid.length === 0) return skip('no_valid_phone');
          const listed = new Set((await suppressionMatches(trx, [lead.account_id], ['dnc'], valid.map(dncValue).filter((d): d is string => !!d))).map((m) => m.value));
          const phone = valid.find((p) => !listed.has(dncValue(p) ?? ''));
          if (!phone) return skip('dnc_list');
          const due = new Date(dueAt);
          const scheduledFor = callingTimeFor(due, lead.time_zone);
          const moved = scheduledFor.getTime() !== due.getTime();
          await trx('leads').where({ id: leadId }).update({ next_follow_up_at: scheduledFor, updated_at: clock.now() });
          const result = { outcome: 'call_task' as const, scheduledFor: scheduledFor.toISOString(), movedToCallingWindow: moved };
          await recordEvent(trx, { ...base, type: 'call_task', note: step.title, data: { ...stepData, scheduledFor: result.scheduledFor, movedToCallingWindow: moved, phone: phone.e164 } });
          return result;
        }

        if (lead.dne) return skip('dne');
        const valid = lead.emails.filter((e) => e.valid && emailAddress(e)).map((e) => emailAddress(e)!);
        if (valid.length === 0) return skip('no_valid_email');
        const listed = new Set((await suppressionMatches(trx, [lead.account_id], ['dne'], valid)).map((m) => m.value));
        const to = valid.find((a) => !listed.has(a));
        if (!to) return skip('dne_list');
        const outboxId = await queueEmail(trx, {
          accountId: lead.account_id,
          key,
          to,
          subject: step.subject,
          text: `Hello ${lead.first_name},\n\n${NURTURE_BODIES[step.emailTemplate]}\n`,
        });
        await recordEvent(trx, { ...base, type: 'email_queued', note: step.subject, data: { ...stepData, outboxId, to } });
        return { outcome: 'email_queued', outboxId };
      });
    },
  };
}
