// Every side effect Leadflow's workflows cause lives behind these activities. The worker
// injects the real database and mail transport; tests inject their own.
import os from 'node:os';
import { ApplicationFailure, Context, log } from '@temporalio/activity';
import type { Knex } from 'knex';
import { FailureType } from '../workflows/failures.ts';
import { createHousekeepingActivities } from './housekeeping.ts';
import { createLeadActivities, emailSuppressed } from './lead.ts';
import type { Mailer } from './mailer.ts';

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export interface ActivityDeps {
  db: Knex;
  mailer: Mailer;
  clock?: Clock;
  /** The From of every outgoing e-mail. */
  mailFrom?: string;
  /** Recorded on system checks; pass the Worker's identity so it matches what Temporal Web shows. */
  workerIdentity?: string;
}

export const DEFAULT_MAIL_FROM = 'Leadflow <no-reply@leadflow.local>';

/** The SDK's own default worker identity. */
export function defaultWorkerIdentity(): string {
  return `${process.pid}@${os.hostname()}`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface SystemCheckResult {
  checkId: string;
  completedAt: string;
  workerIdentity: string;
  /** True when an earlier attempt had already recorded the check (a retry after a lost reply). */
  alreadyCompleted: boolean;
}

export type SendOutboxEmailResult = { outboxId: string; status: 'sent'; messageId: string } | { outboxId: string; status: 'already-sent' };

interface OutboxRow {
  id: string;
  account_id: string | null;
  to_address: string;
  subject: string;
  body_text: string;
  body_html: string | null;
  status: 'pending' | 'sent' | 'failed';
  attempts: number;
  last_error: string | null;
}

interface SmtpError {
  message?: string;
  code?: string;
  responseCode?: number;
  permanent?: boolean;
}

function describeSmtpError(err: unknown): string {
  const e = (err ?? {}) as SmtpError;
  const parts = [e.code, e.responseCode, e.message ?? String(err)].filter((p) => p !== undefined && p !== '');
  return parts.join(' ').slice(0, 2000);
}

/** Whether Temporal will not schedule another attempt after this one fails. */
function isFinalAttempt(): boolean {
  let info: Context['info'];
  try {
    info = Context.current().info;
  } catch {
    return false; // called outside an activity (a script): nothing retries, but nothing decided it is final either
  }
  const max = info.retryPolicy?.maximumAttempts;
  return max !== undefined && max > 0 && info.attempt >= max;
}

export function createActivities({ db, mailer, clock = systemClock, mailFrom = DEFAULT_MAIL_FROM, workerIdentity = defaultWorkerIdentity() }: ActivityDeps) {
  return {
    ...createLeadActivities({ db, clock }),
    ...createHousekeepingActivities({ db, clock }),

    /**
     * Marks a system check completed. Idempotent: a retry after the first attempt's reply was
     * lost finds the row completed and reports the first attempt's result.
     */
    async recordSystemCheck({ checkId, workflowId }: { checkId: string; workflowId: string }): Promise<SystemCheckResult> {
      const notFound = () =>
        ApplicationFailure.create({
          type: FailureType.SystemCheckNotFound,
          message: `No system check ${checkId} for workflow ${workflowId}`,
          nonRetryable: true,
        });
      if (!UUID.test(checkId)) throw notFound();
      const [updated] = await db('system_checks')
        .where({ id: checkId, workflow_id: workflowId })
        .whereNot({ status: 'completed' })
        .update({ status: 'completed', completed_at: clock.now(), worker_identity: workerIdentity })
        .returning(['completed_at', 'worker_identity']);
      if (updated) {
        log.info('System check completed', { checkId, workerIdentity });
        return { checkId, completedAt: new Date(updated.completed_at).toISOString(), workerIdentity, alreadyCompleted: false };
      }
      const row = await db('system_checks').where({ id: checkId, workflow_id: workflowId }).first();
      if (!row) throw notFound();
      return {
        checkId,
        completedAt: new Date(row.completed_at).toISOString(),
        workerIdentity: row.worker_identity,
        alreadyCompleted: true,
      };
    },

    /**
     * Sends one email_outbox row. Throws on a transient SMTP failure so Temporal retries, and
     * fails for good (status 'failed', non-retryable) when the server rejects the message
     * permanently or the retry policy has no attempts left.
     *
     * At most one attempt talks to the SMTP server for a row at a time: the row stays locked
     * (FOR UPDATE) from before the send until 'sent' is committed, so an overlapping attempt
     * (a retry started after a timeout while the first is still sending) waits and then sees
     * 'sent'. The one window left is a crash between the server's acceptance and the commit;
     * the retry then sends again, with the same Message-ID, which lets mail clients fold the
     * two. The lock costs one pooled connection per e-mail in flight: size the worker's knex
     * pool with its activity concurrency in mind.
     */
    async sendOutboxEmail(outboxId: string): Promise<SendOutboxEmailResult> {
      if (!UUID.test(outboxId)) {
        throw ApplicationFailure.create({ type: FailureType.OutboxEmailNotFound, message: `No outbox e-mail ${outboxId}`, nonRetryable: true });
      }
      type Outcome =
        | { kind: 'missing' }
        | { kind: 'already-sent' }
        | { kind: 'failed-before'; lastError: string | null }
        | { kind: 'suppressed'; reason: string }
        | { kind: 'sent'; messageId: string }
        | { kind: 'error'; error: unknown; permanent: boolean; final: boolean };

      const outcome = await db.transaction(async (trx): Promise<Outcome> => {
        const row: OutboxRow | undefined = await trx('email_outbox').where({ id: outboxId }).forUpdate().first();
        if (!row) return { kind: 'missing' };
        if (row.status === 'sent') return { kind: 'already-sent' };
        if (row.status === 'failed') return { kind: 'failed-before', lastError: row.last_error };
        // Last line of defence: whoever queued the mail, a do-not-email recipient never gets it.
        const suppressed = await emailSuppressed(trx, row.account_id, row.to_address);
        if (suppressed) {
          await trx('email_outbox').where({ id: row.id }).update({ status: 'failed', last_error: `not sent: recipient ${suppressed}` });
          return { kind: 'suppressed', reason: suppressed };
        }
        const attempts = row.attempts + 1;
        try {
          const messageId = `<${row.id}@leadflow>`;
          const info = await mailer.sendMail({
            from: mailFrom,
            to: row.to_address,
            subject: row.subject,
            text: row.body_text,
            html: row.body_html ?? undefined,
            messageId,
          });
          await trx('email_outbox').where({ id: row.id }).update({ status: 'sent', sent_at: clock.now(), attempts, last_error: null });
          return { kind: 'sent', messageId: info.messageId ?? messageId };
        } catch (error) {
          const permanent = (error as SmtpError | null)?.permanent === true;
          const final = permanent || isFinalAttempt();
          await trx('email_outbox')
            .where({ id: row.id })
            .update({ attempts, last_error: describeSmtpError(error), status: final ? 'failed' : 'pending' });
          return { kind: 'error', error, permanent, final };
        }
      });

      switch (outcome.kind) {
        case 'missing':
          throw ApplicationFailure.create({ type: FailureType.OutboxEmailNotFound, message: `No outbox e-mail ${outboxId}`, nonRetryable: true });
        case 'already-sent':
          log.info('Outbox e-mail already sent; not sending again', { outboxId });
          return { outboxId, status: 'already-sent' };
        case 'failed-before':
          throw ApplicationFailure.create({
            type: FailureType.EmailRejected,
            message: `Outbox e-mail ${outboxId} was given up on earlier: ${outcome.lastError ?? 'no error recorded'}`,
            nonRetryable: true,
          });
        case 'suppressed':
          throw ApplicationFailure.create({
            type: FailureType.EmailSuppressed,
            message: `Outbox e-mail ${outboxId} not sent: recipient ${outcome.reason}`,
            nonRetryable: true,
          });
        case 'sent':
          log.info('Outbox e-mail sent', { outboxId, messageId: outcome.messageId });
          return { outboxId, status: 'sent', messageId: outcome.messageId };
        case 'error':
          if (outcome.permanent) {
            throw ApplicationFailure.create({
              type: FailureType.EmailRejected,
              message: `SMTP server rejected outbox e-mail ${outboxId}: ${describeSmtpError(outcome.error)}`,
              nonRetryable: true,
              cause: outcome.error instanceof Error ? outcome.error : undefined,
            });
          }
          // A plain error keeps Temporal's retry policy in charge of when to try again.
          throw outcome.error;
      }
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
