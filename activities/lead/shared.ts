// What every lead activity shares: its deps, the lead row, the lead's history (lead_events)
// and the e-mail outbox. Every write is keyed by an idempotency key with a unique index
// (lead_events, email_outbox), so a retried activity never records or queues anything twice,
// and every multi-row write runs in one transaction.
import { ApplicationFailure } from '@temporalio/activity';
import type { Knex } from 'knex';
import type { Lead, Row } from '../../db/models/index.ts';
import { FailureType } from '../../workflows/failures.ts';
import type { Clock } from '../index.ts';
import type { LeadEventType } from '../../db/lead-event-types.ts';

export interface LeadActivityDeps {
  db: Knex;
  clock: Clock;
  /** Where links in reminder e-mails point: the web app's public address (APP_URL). */
  appUrl?: string;
  /**
   * The operator's EAGENT_ALLOW_PRIVATE: eAgent may be plain http or on a private / loopback
   * address. Off, an eAgent URL must be https to a public address (checked again at every send).
   */
  eagentAllowPrivate?: boolean;
}

/** Where e-mail links point when APP_URL is not set: the web app as `npm start` runs it. */
export const DEFAULT_APP_URL = 'http://localhost:3000';

/** The deps every lead activity factory gets, defaults filled in by createLeadActivities. */
export type LeadDeps = Required<LeadActivityDeps>;

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** The actor of what the workflow does on its own. */
export const SYSTEM = 'lead-workflow';

/** A row of the leads table as `leadRow` reads it, typed by the Lead model. */
export type LeadRow = Row<Lead>;

export const leadNotFound = (leadId: string) => ApplicationFailure.create({ type: FailureType.LeadNotFound, message: `No lead ${leadId}`, nonRetryable: true });

export async function leadRow(q: Knex | Knex.Transaction, leadId: string, opts: { lock?: boolean } = {}): Promise<LeadRow> {
  if (!UUID.test(leadId)) throw leadNotFound(leadId);
  const query = q('leads').where({ id: leadId }).first();
  const row = (await (opts.lock ? query.forUpdate() : query)) as LeadRow | undefined;
  if (!row) throw leadNotFound(leadId);
  return row;
}

/**
 * The user of the lead's account with this id, if there is one. An id that is not a UUID
 * (Postgres would refuse the comparison) or that names a user of another account finds
 * nobody, and the history then records the act without an actor.
 */
export async function accountUser(q: Knex | Knex.Transaction, accountId: string, userId: string | null): Promise<{ id: string; email: string; name: string } | undefined> {
  if (!userId || !UUID.test(userId)) return undefined;
  return q('users').where({ id: userId, account_id: accountId }).first('id', 'email', 'name');
}

/** Inserts a lead event unless its key was recorded before; true when this call recorded it. */
export async function recordEvent(
  trx: Knex | Knex.Transaction,
  e: { leadId: string; accountId: string; type: LeadEventType; key: string; actorUserId?: string | null; note?: string | null; data?: Record<string, unknown> },
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

/** True when an event under this key is already in the lead's history. */
export async function eventRecorded(q: Knex | Knex.Transaction, key: string): Promise<boolean> {
  return !!(await q('lead_events').where({ idempotency_key: key }).first('id'));
}

/** Queues an outbox row, or finds the one an earlier attempt queued under the same key. */
export async function queueEmail(trx: Knex.Transaction, m: { accountId: string; key: string; to: string; subject: string; text: string }): Promise<string> {
  const [inserted] = await trx('email_outbox')
    .insert({ account_id: m.accountId, idempotency_key: m.key, to_address: m.to, subject: m.subject, body_text: m.text })
    .onConflict('idempotency_key')
    .ignore()
    .returning('id');
  if (inserted) return inserted.id as string;
  const existing = await trx('email_outbox').where({ idempotency_key: m.key }).first('id');
  return existing.id as string;
}
