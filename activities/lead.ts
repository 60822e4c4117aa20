// The lead workflow's side effects: Postgres reads and writes, the e-mail outbox and the
// eAgent HTTP call. Every write is keyed by an idempotency key with a unique index
// (lead_events, email_outbox), so a retried activity never records or queues anything twice,
// and every multi-row write runs in one transaction.
import http from 'node:http';
import https from 'node:https';
import { ApplicationFailure, Context, log } from '@temporalio/activity';
import type { Knex } from 'knex';
import type { EmailEntry, PhoneEntry } from '../db/models/index.ts';
import { CADENCES, canBeCalled, canBeEmailed, shouldRecycle, type CadenceKey, type NurtureEmail } from '../workflows/lead/cadences.ts';
import type { QuickActionRequest } from '../workflows/lead/quick-actions.ts';
import { callingTimeFor } from '../workflows/lead/schedule.ts';
import { cadenceTemplateFor } from '../workflows/lead/segment.ts';
import { LEAD_SOURCES, type LeadSource, type WorkflowTemplateKey } from '../workflows/lead/templates.ts';
import { FailureType } from '../workflows/failures.ts';
import type { LeadFacts } from '../workflows/lead/messages.ts';
import type { Clock } from './index.ts';
import { checkOutboundUrl, guardedLookup, OutboundAddressRefused } from './outbound-url.ts';
import { dncValue, emailAddress, scrubLeads, suppressionMatches, type ScrubResult } from '../db/compliance/scrub.ts';

export type { ScrubResult } from '../db/compliance/scrub.ts';
export type { LeadFacts } from '../workflows/lead/messages.ts';

export interface LeadActivityDeps {
  db: Knex;
  clock: Clock;
  /** Where links in reminder e-mails point. */
  appUrl?: string;
  /**
   * The operator's EAGENT_ALLOW_PRIVATE: eAgent may be plain http or on a private / loopback
   * address. Off, an eAgent URL must be https to a public address (checked again at every send).
   */
  eagentAllowPrivate?: boolean;
}

export type CadenceStepOutcome =
  | { outcome: 'call_task'; scheduledFor: string; movedToCallingWindow: boolean }
  | { outcome: 'email_queued'; outboxId: string }
  | { outcome: 'step_skipped'; reason: string };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SYSTEM = 'lead-workflow';

interface LeadRow {
  id: string;
  account_id: string;
  first_name: string;
  last_name: string;
  address_line1: string;
  address_line2: string | null;
  city: string;
  state: string;
  zip: string;
  phones: PhoneEntry[];
  emails: EmailEntry[];
  dup_key: string;
  source: string;
  import_name: string | null;
  kind: 'P' | 'C';
  dnc: boolean;
  dne: boolean;
  dnm: boolean;
  time_zone: string | null;
  segment: string | null;
  status: string;
  milestone: string;
  assigned_user_id: string | null;
  scrubbed_at: Date | null;
}

const leadNotFound = (leadId: string) => ApplicationFailure.create({ type: FailureType.LeadNotFound, message: `No lead ${leadId}`, nonRetryable: true });

async function leadRow(q: Knex | Knex.Transaction, leadId: string, opts: { lock?: boolean } = {}): Promise<LeadRow> {
  if (!UUID.test(leadId)) throw leadNotFound(leadId);
  const query = q('leads').where({ id: leadId }).first();
  const row = (await (opts.lock ? query.forUpdate() : query)) as LeadRow | undefined;
  if (!row) throw leadNotFound(leadId);
  return row;
}

/** Inserts a lead event unless its key was recorded before; true when this call recorded it. */
async function recordEvent(
  trx: Knex | Knex.Transaction,
  e: { leadId: string; accountId: string; type: string; key: string; actorUserId?: string | null; note?: string | null; data?: Record<string, unknown> },
): Promise<boolean> {
  const rows = await trx('lead_events')
    .insert({
      lead_id: e.leadId,
      account_id: e.accountId,
      actor_user_id: e.actorUserId ?? null,
      actor_system: e.actorUserId ? null : SYSTEM,
      type: e.type,
      note: e.note ?? null,
      data: JSON.stringify(e.data ?? {}),
      idempotency_key: e.key,
    })
    .onConflict('idempotency_key')
    .ignore()
    .returning('id');
  return rows.length > 0;
}

/** Queues an outbox row, or finds the one an earlier attempt queued under the same key. */
async function queueEmail(trx: Knex.Transaction, m: { accountId: string; key: string; to: string; subject: string; text: string }): Promise<string> {
  const [inserted] = await trx('email_outbox')
    .insert({ account_id: m.accountId, idempotency_key: m.key, to_address: m.to, subject: m.subject, body_text: m.text })
    .onConflict('idempotency_key')
    .ignore()
    .returning('id');
  if (inserted) return inserted.id as string;
  const existing = await trx('email_outbox').where({ idempotency_key: m.key }).first('id');
  return existing.id as string;
}

const NURTURE_BODIES: Record<NurtureEmail, string> = {
  intro: 'Thank you for your interest. We would be glad to review your insurance with you, on your schedule. Reply to this e-mail or call us when it suits you.',
  quote_follow_up: 'Your insurance quote is ready to go over. Reply to this e-mail or call us, and we will walk you through it.',
  check_in: 'We wanted to check in: do you have any questions about your coverage? We are happy to help.',
  last_touch: 'We will not keep filling your inbox. Whenever you are ready to talk about your coverage, we are here.',
};

function attemptNumber(): number {
  try {
    return Context.current().info.attempt;
  } catch {
    return 1;
  }
}

const EAGENT_TIMEOUT_MS = 20_000;
const EAGENT_REPLY_CHARS = 500;

/**
 * POSTs JSON without following redirects (a public eAgent could otherwise bounce the request
 * to an internal address). Unless private addresses are allowed, the connection resolves the
 * host through guardedLookup, so it goes only to an address that passed the check.
 */
function postJson(url: URL, body: string, headers: Record<string, string>, opts: { allowPrivate: boolean }): Promise<{ status: number; text: string }> {
  const request = url.protocol === 'https:' ? https.request : http.request;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        // A socket kept alive from an earlier request to a name would skip the lookup.
        agent: false,
        lookup: opts.allowPrivate ? undefined : guardedLookup(),
        signal: AbortSignal.timeout(EAGENT_TIMEOUT_MS),
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (text.length < EAGENT_REPLY_CHARS) text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: text.slice(0, EAGENT_REPLY_CHARS) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export function createLeadActivities({ db, clock, appUrl = 'http://localhost:3000', eagentAllowPrivate = false }: LeadActivityDeps) {
  return {
    /** What the workflow needs to know about its lead, read fresh from Postgres. */
    async loadLead(leadId: string): Promise<LeadFacts> {
      const lead = await leadRow(db, leadId);
      const known = (LEAD_SOURCES as readonly string[]).includes(lead.source);
      const cadenceTemplate: WorkflowTemplateKey | null = known ? cadenceTemplateFor(lead.source as LeadSource) : null;
      return {
        leadId,
        accountId: lead.account_id,
        source: lead.source,
        status: lead.status,
        milestone: lead.milestone,
        segment: lead.segment,
        assignedUserId: lead.assigned_user_id,
        timeZone: lead.time_zone,
        callable: canBeCalled(lead),
        emailable: canBeEmailed(lead),
        cadenceTemplate,
        scrubbedAt: lead.scrubbed_at ? new Date(lead.scrubbed_at).toISOString() : null,
      };
    },

    /**
     * The compliance scrub of one lead (db/compliance/scrub.ts). `at` (the workflow's time) keys
     * the scrub's own history event, so a retried attempt records it once.
     */
    async scrubLead(leadId: string, at?: string): Promise<ScrubResult> {
      if (!UUID.test(leadId)) throw leadNotFound(leadId);
      return db.transaction(async (trx) => {
        const result = (await scrubLeads(trx, [leadId], { at: at ? new Date(at) : clock.now(), now: clock.now(), actor: SYSTEM })).get(leadId);
        if (!result) throw leadNotFound(leadId);
        return result;
      });
    },

    /** A lead event keyed by the caller (source touches and the like). */
    async recordLeadEvent(e: { leadId: string; type: string; key: string; note?: string; data?: Record<string, unknown> }): Promise<{ recorded: boolean }> {
      const lead = await leadRow(db, e.leadId);
      return { recorded: await recordEvent(db, { ...e, accountId: lead.account_id }) };
    },

    /**
     * Records a Quick Action in the lead's history and moves the lead's milestone, once per
     * actionId. Tells the workflow whether the account wants the lead sent to eAgent now.
     */
    async recordQuickAction({ leadId, request, milestone }: { leadId: string; request: QuickActionRequest; milestone: string }): Promise<{ recorded: boolean; eagentDue: boolean }> {
      return db.transaction(async (trx) => {
        const lead = await leadRow(trx, leadId, { lock: true });
        const actor = UUID.test(request.byUserId) ? await trx('users').where({ id: request.byUserId, account_id: lead.account_id }).first('id') : undefined;
        const recorded = await recordEvent(trx, {
          leadId,
          accountId: lead.account_id,
          type: 'quick_action',
          key: `lead-${leadId}:action:${request.actionId}`,
          actorUserId: actor?.id ?? null,
          note: request.note ?? null,
          data: { action: request.action, milestone, at: request.at, dueAt: request.dueAt ?? null, byUserId: request.byUserId },
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

    /**
     * One cadence step, decided at the moment of contact: the template must still be on, the
     * channel must not be suppressed (the lists are read now, not at the last scrub), and a
     * call task falls inside the lead's calling window. Records what happened; an e-mail step
     * queues the mail in the outbox for sendOutboxEmail.
     */
    async performCadenceStep({ leadId, cadence, stepIndex, dueAt }: { leadId: string; cadence: CadenceKey; stepIndex: number; dueAt: string }): Promise<CadenceStepOutcome> {
      const key = `lead-${leadId}:cadence:${cadence}:${stepIndex}`;
      const step = CADENCES[cadence]?.[stepIndex];
      if (!step) throw ApplicationFailure.create({ type: 'CadenceStepNotFound', message: `No step ${stepIndex} in cadence ${cadence}`, nonRetryable: true });
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
        if (['recycled', 'removed', 'archived'].includes(lead.status)) return skip(`lead_${lead.status}`);

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

    /** Restores a recycled lead to active. */
    async restoreLead({ leadId, byUserId, at }: { leadId: string; byUserId: string; at: string }): Promise<{ restored: boolean }> {
      return db.transaction(async (trx) => {
        const lead = await leadRow(trx, leadId, { lock: true });
        const key = `lead-${leadId}:restore:${at}`;
        if (lead.status !== 'recycled') {
          return { restored: !!(await trx('lead_events').where({ idempotency_key: key }).first('id')) };
        }
        const actor = UUID.test(byUserId) ? await trx('users').where({ id: byUserId, account_id: lead.account_id }).first('id') : undefined;
        await trx('leads').where({ id: leadId }).update({ status: 'active', recycled_at: null, updated_at: clock.now() });
        await recordEvent(trx, { leadId, accountId: lead.account_id, type: 'restored', key, actorUserId: actor?.id ?? null, data: { byUserId } });
        return { restored: true };
      });
    },

    async archiveLead({ leadId, byUserId, at }: { leadId: string; byUserId: string; at: string }): Promise<{ archived: boolean }> {
      return db.transaction(async (trx) => {
        const lead = await leadRow(trx, leadId, { lock: true });
        const key = `lead-${leadId}:archive:${at}`;
        if (lead.status === 'archived' || lead.status === 'removed') {
          return { archived: !!(await trx('lead_events').where({ idempotency_key: key }).first('id')) };
        }
        const actor = UUID.test(byUserId) ? await trx('users').where({ id: byUserId, account_id: lead.account_id }).first('id') : undefined;
        await trx('leads').where({ id: leadId }).update({ status: 'archived', next_follow_up_at: null, updated_at: clock.now() });
        await recordEvent(trx, { leadId, accountId: lead.account_id, type: 'archived', key, actorUserId: actor?.id ?? null, data: { byUserId, after: lead.milestone } });
        return { archived: true };
      });
    },

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
        const userId = lead.assigned_user_id ?? (UUID.test(byUserId) ? byUserId : null);
        const user = userId ? await trx('users').where({ id: userId, account_id: lead.account_id }).first('id', 'email', 'name') : undefined;
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
      if (await db('lead_events').where({ idempotency_key: key }).first('id')) return { transferred: true, skipped: 'already transferred' };
      const account = await db('accounts').where({ id: lead.account_id }).first('eagent_enabled', 'eagent_url');
      if (!account?.eagent_enabled || !account.eagent_url) return { transferred: false, skipped: 'eAgent is off for the account' };
      const note = await db('lead_events').where({ lead_id: leadId }).whereNotNull('note').whereIn('type', ['quick_action', 'note']).orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id', order: 'desc' }]).first('note', 'created_at', 'actor_user_id');
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
        note: note ? { text: note.note, at: new Date(note.created_at).toISOString(), byUserId: note.actor_user_id } : null,
      };
      const attempt = attemptNumber();
      const failed = async (data: Record<string, unknown>, type = 'eagent_transfer_failed', suffix = `attempt:${attempt}`) => {
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
      throw ApplicationFailure.retryable(`eAgent answered HTTP ${res.status}`, 'EagentUnavailable');
    },
  };
}

export type LeadActivities = ReturnType<typeof createLeadActivities>;
