import { ApplicationFailure, Context, log } from '@temporalio/activity';
import type { LeadEventType } from '../../db/lead-event-types.ts';
import { FailureType } from '../../workflows/failures.ts';
import { checkOutboundUrl, OutboundAddressRefused } from '../outbound-url.ts';
import { postJson } from './eagent-http.ts';
import { eventRecorded, leadRow, recordEvent, type LeadDeps } from './shared.ts';

function attemptNumber(): number {
  try {
    return Context.current().info.attempt;
  } catch {
    return 1;
  }
}

export function createEagentActivities({ db, eagentAllowPrivate }: LeadDeps) {
  return {
    /**
     * Posts the lead and its most recent note to the account's eAgent URL. Once: a recorded
     * transfer is not repeated, and eAgent gets the same Idempotency-Key on every attempt, so
     * a transfer whose reply was lost is not doubled on their side either. A 5xx or a network
     * error is retried by Temporal (every failed attempt lands in the history); a 4xx, a
     * redirect and an address that is not https to a public host (activities/outbound-url.ts)
     * are not.
     */
    async transferToEagent(leadId: string): Promise<{ transferred: boolean; status?: number; skipped?: string }> {
      const key = `lead-${leadId}:eagent`;
      const lead = await leadRow(db, leadId);
      if (await eventRecorded(db, key)) return { transferred: true, skipped: 'already transferred' };
      const account = await db('accounts').where({ id: lead.account_id }).first('eagent_enabled', 'eagent_url');
      if (!account?.eagent_enabled || !account.eagent_url) return { transferred: false, skipped: 'eAgent is off for the account' };
      // The most recent note as the lead's history holds it now: written on the lead page
      // (alone or with a Quick Action), or carried by a Quick Action from the API.
      const noteTypes: LeadEventType[] = ['note', 'quick_action'];
      const note: { note: string; created_at: Date; actor_user_id: string | null; author: string | null } | undefined = await db('lead_events as e')
        .leftJoin('users as u', function () {
          this.on('u.id', 'e.actor_user_id').andOn('u.account_id', 'e.account_id');
        })
        .where({ 'e.lead_id': leadId })
        .whereNotNull('e.note')
        .whereIn('e.type', noteTypes)
        .orderBy([{ column: 'e.created_at', order: 'desc' }, { column: 'e.id', order: 'desc' }])
        .first('e.note', 'e.created_at', 'e.actor_user_id', 'u.name as author');
      const body = {
        lead: {
          id: lead.id,
          firstName: lead.first_name,
          lastName: lead.last_name,
          address: { line1: lead.address_line1, line2: lead.address_line2, city: lead.city, state: lead.state, zip: lead.zip },
          phones: lead.phones.filter((p) => p.valid && p.e164).map((p) => p.e164),
          emails: lead.emails.filter((e) => e.valid && e.address).map((e) => e.address),
          source: lead.source,
          kind: lead.kind,
          milestone: lead.milestone,
          segment: lead.segment,
          doNotCall: lead.dnc,
          doNotEmail: lead.dne,
          doNotMail: lead.dnm,
        },
        note: note ? { text: note.note, at: new Date(note.created_at).toISOString(), byUserId: note.actor_user_id, by: note.author } : null,
      };
      const attempt = attemptNumber();
      const failed = async (data: Record<string, unknown>, type: LeadEventType = 'eagent_transfer_failed', suffix = `attempt:${attempt}`) => {
        await recordEvent(db, { leadId, accountId: lead.account_id, type, key: `${key}:${suffix}`, data: { attempt, ...data } });
      };
      // The URL may predate the save-time check, or its name may now resolve somewhere else:
      // judged again here, and no retry can change the answer.
      const refused = async (reason: string) => {
        await failed({ reason }, 'eagent_refused', 'refused');
        return ApplicationFailure.create({ type: FailureType.EagentAddressRefused, message: `eAgent address refused: ${reason}`, nonRetryable: true });
      };
      const checked = checkOutboundUrl(account.eagent_url, { allowPrivate: eagentAllowPrivate });
      if (!checked.ok) throw await refused(checked.message);
      let res: { status: number; text: string };
      try {
        res = await postJson(checked.url, JSON.stringify(body), { 'content-type': 'application/json', 'idempotency-key': key }, { allowPrivate: eagentAllowPrivate });
      } catch (err) {
        if (err instanceof OutboundAddressRefused) throw await refused(err.message);
        await failed({ error: String((err as Error).message ?? err) });
        throw err;
      }
      const text = res.text;
      if (res.status >= 200 && res.status < 300) {
        await recordEvent(db, { leadId, accountId: lead.account_id, type: 'eagent_transferred', key, data: { status: res.status, attempt } });
        log.info('Lead transferred to eAgent', { leadId, status: res.status, attempt });
        return { transferred: true, status: res.status };
      }
      if (res.status >= 300 && res.status < 400) {
        await failed({ status: res.status }, 'eagent_rejected', 'rejected');
        throw ApplicationFailure.create({ type: FailureType.EagentRejected, message: `eAgent answered a redirect (HTTP ${res.status}); enter the final address on My Company`, nonRetryable: true });
      }
      if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) {
        await failed({ status: res.status, body: text }, 'eagent_rejected', 'rejected');
        throw ApplicationFailure.create({ type: FailureType.EagentRejected, message: `eAgent refused the lead: HTTP ${res.status} ${text}`, nonRetryable: true });
      }
      await failed({ status: res.status, body: text });
      throw ApplicationFailure.retryable(`eAgent answered HTTP ${res.status}`, FailureType.EagentUnavailable);
    },
  };
}
