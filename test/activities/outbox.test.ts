// sendOutboxEmail against a real SMTP server on a local port and this file's own database.
import net from 'node:net';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { simpleParser, type ParsedMail } from 'mailparser';
import knexFactory from 'knex';
import { SMTPServer } from 'smtp-server';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createActivities, type SendOutboxEmailResult } from '../../activities/index.ts';
import { createMailer } from '../../activities/mailer.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { createAccountWithAdmin } from '../support/fixtures.ts';

interface Received {
  rcptTo: string[];
  mail: ParsedMail;
}

/**
 * A real SMTP server; `delayMs` holds each message before accepting it, `rejectRcpt` answers
 * 550, `duringData` runs while the message is being received, before the server accepts it.
 */
async function startSmtp(opts: { delayMs?: number; rejectRcpt?: string; duringData?: (mail: ParsedMail) => Promise<void> } = {}) {
  const received: Received[] = [];
  const server = new SMTPServer({
    logger: false,
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onRcptTo(address, _session, callback) {
      if (address.address === opts.rejectRcpt) return callback(Object.assign(new Error('No such mailbox'), { responseCode: 550 }));
      callback();
    },
    onData(stream, session, callback) {
      simpleParser(stream)
        .then(async (mail) => {
          if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs));
          await opts.duringData?.(mail);
          received.push({ rcptTo: session.envelope.rcptTo.map((r) => r.address), mail });
          callback();
        })
        .catch(callback);
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as net.AddressInfo;
  return { received, url: `smtp://127.0.0.1:${port}`, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** A localhost port nothing listens on: connecting is refused at once. */
async function deadSmtpUrl(): Promise<string> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as net.AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return `smtp://127.0.0.1:${port}`;
}

const activityEnv = (info?: { attempt: number; retryPolicy?: { maximumAttempts: number } }) =>
  new MockActivityEnvironment(info, { logger: new DefaultLogger('ERROR') });

const sentAt = new Date('2026-03-04T05:06:07Z');
const clock = { now: () => sentAt };
/** These activities start no workflow: a Temporal client asked for fails the test. */
const noTemporal = { temporal: () => Promise.reject(new Error('outbox tests use no Temporal client')), taskQueue: 'unpolled' };

let db: TestDatabase;
let accountId: string;
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  db = await createTestDatabase();
  ({ accountId } = await createAccountWithAdmin(db.knex));
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

afterAll(async () => {
  await db?.destroy();
});

async function outboxRow(overrides: Record<string, unknown> = {}): Promise<string> {
  const [row] = await db.knex('email_outbox')
    .insert({
      account_id: accountId,
      idempotency_key: `test-${crypto.randomUUID()}`,
      to_address: 'lead@example.test',
      subject: 'Your quote is ready',
      body_text: 'Hello, your quote is ready.',
      body_html: '<p>Hello, your quote is ready.</p>',
      ...overrides,
    })
    .returning('id');
  return row.id;
}

async function smtp(opts?: Parameters<typeof startSmtp>[0]) {
  const server = await startSmtp(opts);
  cleanups.push(server.close);
  return server;
}

function activitiesFor(smtpUrl: string) {
  const mailer = createMailer(smtpUrl);
  cleanups.push(async () => mailer.close?.());
  return createActivities({ db: db.knex, mailer, ...noTemporal, clock, mailFrom: 'Leadflow Test <noreply@leadflow.test>' });
}

const row = (id: string) => db.knex('email_outbox').where({ id }).first();

describe('sendOutboxEmail', () => {
  it('delivers a pending e-mail once and marks the row sent', async () => {
    const server = await smtp();
    const id = await outboxRow();

    const result = await activityEnv().run(activitiesFor(server.url).sendOutboxEmail, id);

    expect(result).toMatchObject({ outboxId: id, status: 'sent' });
    expect(server.received).toHaveLength(1);
    const [{ rcptTo, mail }] = server.received as [Received];
    expect(rcptTo).toEqual(['lead@example.test']);
    expect(mail.subject).toBe('Your quote is ready');
    expect(mail.text?.trim()).toBe('Hello, your quote is ready.');
    expect(mail.from?.text).toContain('noreply@leadflow.test');
    expect(mail.messageId).toBe(`<${id}@leadflow>`);
    expect(mail.headers.get('x-leadflow-account')).toBe(accountId);
    expect(await row(id)).toMatchObject({ status: 'sent', attempts: 1, last_error: null, sent_at: sentAt, attempted_at: sentAt });
  });

  it('commits the attempt before the SMTP server has the message', async () => {
    const id = await outboxRow();
    let seenDuringData: Record<string, unknown> | undefined;
    // Read on the test's own connection: only what the sender has committed is visible here.
    const server = await smtp({ duringData: async () => void (seenDuringData = await row(id)) });

    await activityEnv().run(activitiesFor(server.url).sendOutboxEmail, id);

    expect(seenDuringData).toMatchObject({ status: 'pending', attempts: 1, attempted_at: sentAt, sent_at: null });
    expect(await row(id)).toMatchObject({ status: 'sent', attempts: 1 });
  });

  it('sends again, with the same Message-ID, a row whose earlier attempt stopped mid-send', async () => {
    // What a worker killed after starting the SMTP conversation leaves: an attempt counted, no
    // error, not sent. Whether that server accepted the message, nobody can know.
    const id = await outboxRow({ attempts: 1, attempted_at: new Date('2026-03-04T05:00:00Z') });
    const server = await smtp();

    const result = await activityEnv({ attempt: 2 }).run(activitiesFor(server.url).sendOutboxEmail, id);

    expect(result).toMatchObject({ status: 'sent', messageId: `<${id}@leadflow>` });
    expect(server.received.map((r) => r.mail.messageId)).toEqual([`<${id}@leadflow>`]);
    expect(await row(id)).toMatchObject({ status: 'sent', attempts: 2 });
  });

  it('gives mail of no account no account header', async () => {
    const server = await smtp();
    const id = await outboxRow({ account_id: null });
    await activityEnv().run(activitiesFor(server.url).sendOutboxEmail, id);
    expect(server.received[0]!.mail.headers.has('x-leadflow-account')).toBe(false);
  });

  it('does not send again when called for a row already sent', async () => {
    const server = await smtp();
    const id = await outboxRow();
    const activities = activitiesFor(server.url);

    await activityEnv().run(activities.sendOutboxEmail, id);
    const again = await activityEnv({ attempt: 2 }).run(activities.sendOutboxEmail, id);

    expect(again).toEqual({ outboxId: id, status: 'already-sent' });
    expect(server.received).toHaveLength(1);
    expect(await row(id)).toMatchObject({ status: 'sent', attempts: 1 });
  });

  it('throws when the SMTP server is down, leaving the row pending with the error, and sends on a later attempt', async () => {
    const id = await outboxRow();

    await expect(activityEnv({ attempt: 1, retryPolicy: { maximumAttempts: 5 } }).run(activitiesFor(await deadSmtpUrl()).sendOutboxEmail, id)).rejects.toThrow(
      /ECONNREFUSED|ESOCKET|ECONNECTION/,
    );
    const failed = await row(id);
    expect(failed).toMatchObject({ status: 'pending', attempts: 1, sent_at: null });
    expect(failed.last_error).toMatch(/ECONNREFUSED|ESOCKET|ECONNECTION/);

    const server = await smtp();
    await activityEnv({ attempt: 2, retryPolicy: { maximumAttempts: 5 } }).run(activitiesFor(server.url).sendOutboxEmail, id);
    expect(server.received).toHaveLength(1);
    expect(await row(id)).toMatchObject({ status: 'sent', attempts: 2, last_error: null });
  });

  it('marks the row failed when the last attempt the retry policy allows fails', async () => {
    const id = await outboxRow();
    await expect(activityEnv({ attempt: 3, retryPolicy: { maximumAttempts: 3 } }).run(activitiesFor(await deadSmtpUrl()).sendOutboxEmail, id)).rejects.toThrow();
    expect(await row(id)).toMatchObject({ status: 'failed', attempts: 1 });
  });

  it('gives up for good, without retries, when the server rejects the recipient permanently', async () => {
    const server = await smtp({ rejectRcpt: 'gone@example.test' });
    const id = await outboxRow({ to_address: 'gone@example.test' });

    await expect(activityEnv().run(activitiesFor(server.url).sendOutboxEmail, id)).rejects.toMatchObject({ type: 'EmailRejected', nonRetryable: true });
    const rejected = await row(id);
    expect(rejected).toMatchObject({ status: 'failed', attempts: 1 });
    expect(rejected.last_error).toContain('550');
    expect(server.received).toHaveLength(0);
  });

  it('sends once when two attempts for the same row overlap', async () => {
    // The first attempt is still inside the SMTP conversation when the second starts, as when
    // Temporal retries after a start-to-close timeout while the first attempt lives on.
    const server = await smtp({ delayMs: 300 });
    const id = await outboxRow();
    const activities = activitiesFor(server.url);

    const send = (attempt: number) => activityEnv({ attempt }).run(activities.sendOutboxEmail, id) as Promise<SendOutboxEmailResult>;
    const results = await Promise.all([send(1), send(2)]);

    expect(results.map((r) => r.status).sort()).toEqual(['already-sent', 'sent']);
    expect(server.received).toHaveLength(1);
  });

  it('keeps one pooled connection per attempt, so a full pool of senders never waits on itself', async () => {
    const server = await smtp({ delayMs: 200 });
    const mailer = createMailer(server.url);
    cleanups.push(async () => mailer.close?.());
    const small = knexFactory({ client: 'pg', connection: db.url, pool: { min: 0, max: 2 }, acquireConnectionTimeout: 5_000 });
    cleanups.push(() => small.destroy());
    const activities = createActivities({ db: small, mailer, ...noTemporal, clock });
    const ids = [await outboxRow(), await outboxRow()];

    const results = await Promise.all(ids.map((id) => activityEnv().run(activities.sendOutboxEmail, id) as Promise<SendOutboxEmailResult>));

    expect(results.map((r) => r.status)).toEqual(['sent', 'sent']);
    expect(server.received).toHaveLength(2);
  });

  it('fails for good for an outbox id that does not exist', async () => {
    const server = await smtp();
    await expect(activityEnv().run(activitiesFor(server.url).sendOutboxEmail, crypto.randomUUID())).rejects.toMatchObject({
      type: 'OutboxEmailNotFound',
      nonRetryable: true,
    });
  });

  it('refuses for good to e-mail an address on a do-not-email list or of a DNE lead', async () => {
    const server = await smtp();
    const activities = activitiesFor(server.url);
    await db.knex('suppression_entries').insert({ account_id: accountId, list: 'dne', value: 'listed@example.test', source: 'internal' });
    await db.knex('leads').insert({
      account_id: accountId,
      first_name: 'Dee',
      last_name: 'Ney',
      dup_key: `dee|ney|${crypto.randomUUID()}`,
      source: 'manual',
      emails: JSON.stringify([{ raw: 'Flagged@Example.test', address: 'flagged@example.test', valid: true }]),
      dne: true,
    });

    for (const to of ['Listed@example.test', 'flagged@example.test']) {
      const id = await outboxRow({ to_address: to });
      await expect(activityEnv().run(activities.sendOutboxEmail, id)).rejects.toMatchObject({ type: 'EmailSuppressed', nonRetryable: true });
      const refused = await row(id);
      expect(refused.status).toBe('failed');
      expect(refused.last_error).toMatch(/do-not-email/);
    }
    expect(server.received).toHaveLength(0);
  });
});
