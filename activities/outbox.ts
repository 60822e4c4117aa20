// The outbox sender: one email_outbox row to SMTP, at most once as far as SMTP allows.
import { ApplicationFailure, Context, log } from '@temporalio/activity';
import type { Knex } from 'knex';
import { FailureType } from '../workflows/failures.ts';
import type { Clock } from './index.ts';
import { emailSuppressed } from '../db/compliance/email-suppression.ts';
import type { EmailOutbox, Row } from '../db/models/index.ts';
import { accountHeaders, outboxMessageId, type Mailer } from './mailer.ts';

export type SendOutboxEmailResult = { outboxId: string; status: 'sent'; messageId: string } | { outboxId: string; status: 'already-sent' };

type OutboxRow = Row<EmailOutbox>;

interface SmtpError {
  message?: string;
  code?: string;
  responseCode?: number;
  permanent?: boolean;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

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

/** pg_advisory_lock(class, object) keys: one lock per outbox row, in a class of its own. */
const LOCK = `select pg_advisory_lock(hashtext('email_outbox'), hashtext(?))`;
const UNLOCK = `select pg_advisory_unlock(hashtext('email_outbox'), hashtext(?))`;

type Claim =
  | { kind: 'missing' }
  | { kind: 'already-sent' }
  | { kind: 'failed-before'; lastError: string | null }
  | { kind: 'suppressed'; reason: string }
  | { kind: 'claimed'; row: OutboxRow; earlierOutcomeUnknown: boolean };

export function createOutboxActivities({ db, mailer, clock, mailFrom }: { db: Knex; mailer: Mailer; clock: Clock; mailFrom: string }) {
  const notFound = (outboxId: string) =>
    ApplicationFailure.create({ type: FailureType.OutboxEmailNotFound, message: `No outbox e-mail ${outboxId}`, nonRetryable: true });

  return {
    /**
     * Sends one email_outbox row. Throws on a transient SMTP failure so Temporal retries, and
     * fails for good (status 'failed', non-retryable) when the server rejects the message
     * permanently or the retry policy has no attempts left.
     *
     * The attempt (attempts + 1, attempted_at) is committed before SMTP hears of the message,
     * and 'sent' is committed by one UPDATE right after the server accepts it, with nothing in
     * between. The one window no SMTP client can close: a crash after the server's acceptance
     * and before that UPDATE commits. The retry then finds an attempt with no outcome
     * (attempts > 0, last_error null, still pending), logs it, and sends again with the same
     * Message-ID (<outbox id@leadflow>), so receiving systems and mail clients can fold the two.
     *
     * At most one attempt talks to the SMTP server for a row at a time: each holds a session
     * advisory lock on the row from before the claim until after the outcome is written, so an
     * overlapping attempt (a retry started after a timeout while the first is still sending)
     * waits and then sees 'sent'. The lock lives on the attempt's one pooled connection, which
     * every statement of the attempt uses, so a crashed worker's lock goes with its connection
     * and an attempt never needs a second connection from the pool.
     */
    async sendOutboxEmail(outboxId: string): Promise<SendOutboxEmailResult> {
      if (!UUID.test(outboxId)) throw notFound(outboxId);
      const conn: unknown = await db.client.acquireConnection();
      let keep = true;
      try {
        await db.raw(LOCK, [outboxId]).connection(conn);
        try {
          return await sendLocked(outboxId, conn);
        } finally {
          await db
            .raw(UNLOCK, [outboxId])
            .connection(conn)
            .catch(() => {
              keep = false;
            });
        }
      } finally {
        // A connection that may still hold the lock must never serve another attempt: knex's
        // pool discards connections marked disposed.
        if (!keep) (conn as { __knex__disposed?: string }).__knex__disposed = 'outbox lock not released';
        await db.client.releaseConnection(conn);
      }
    },
  };

  async function sendLocked(outboxId: string, conn: unknown): Promise<SendOutboxEmailResult> {
    const claim = await db.transaction(
      async (trx): Promise<Claim> => {
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
        // last_error is cleared so that an attempt which dies mid-send leaves a recognisable
        // trace: counted, no error, not sent.
        await trx('email_outbox').where({ id: row.id }).update({ attempts: row.attempts + 1, attempted_at: clock.now(), last_error: null });
        return { kind: 'claimed', row, earlierOutcomeUnknown: row.attempts > 0 && row.last_error === null };
      },
      { connection: conn },
    );

    switch (claim.kind) {
      case 'missing':
        throw notFound(outboxId);
      case 'already-sent':
        log.info('Outbox e-mail already sent; not sending again', { outboxId });
        return { outboxId, status: 'already-sent' };
      case 'failed-before':
        throw ApplicationFailure.create({
          type: FailureType.EmailRejected,
          message: `Outbox e-mail ${outboxId} was given up on earlier: ${claim.lastError ?? 'no error recorded'}`,
          nonRetryable: true,
        });
      case 'suppressed':
        throw ApplicationFailure.create({ type: FailureType.EmailSuppressed, message: `Outbox e-mail ${outboxId} not sent: recipient ${claim.reason}`, nonRetryable: true });
      case 'claimed':
        break;
    }

    const { row } = claim;
    if (claim.earlierOutcomeUnknown) {
      log.warn('An earlier attempt of this outbox e-mail stopped mid-send; the server may have accepted it. Sending again with the same Message-ID', { outboxId, attempts: row.attempts });
    }
    const messageId = outboxMessageId(row.id);
    let info: { messageId?: string };
    try {
      info = await mailer.sendMail({
        from: mailFrom,
        to: row.to_address,
        subject: row.subject,
        text: row.body_text,
        html: row.body_html ?? undefined,
        messageId,
        headers: accountHeaders(row.account_id),
      });
    } catch (error) {
      const permanent = (error as SmtpError | null)?.permanent === true;
      const final = permanent || isFinalAttempt();
      await db('email_outbox')
        .connection(conn)
        .where({ id: row.id })
        .update({ last_error: describeSmtpError(error), status: final ? 'failed' : 'pending' });
      if (permanent) {
        throw ApplicationFailure.create({
          type: FailureType.EmailRejected,
          message: `SMTP server rejected outbox e-mail ${outboxId}: ${describeSmtpError(error)}`,
          nonRetryable: true,
          cause: error instanceof Error ? error : undefined,
        });
      }
      // A plain error keeps Temporal's retry policy in charge of when to try again.
      throw error;
    }
    // Straight after acceptance, alone: the shorter this step, the smaller the window above.
    await db('email_outbox').connection(conn).where({ id: row.id }).update({ status: 'sent', sent_at: clock.now() });
    log.info('Outbox e-mail sent', { outboxId, messageId: info.messageId ?? messageId });
    return { outboxId, status: 'sent', messageId: info.messageId ?? messageId };
  }
}
