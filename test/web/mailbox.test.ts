// The Mailbox through HTTP, with the real mail catcher: an account sees only the mail Leadflow
// sent on its behalf, even when another account has a lead with the same address as one of its
// users or leads; and in production there is no Mailbox at all.
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import type { AppLoadContext } from '@remix-run/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities/index.ts';
import { createMailer, type Mailer } from '../../activities/mailer.ts';
import { hashPassword } from '../../db/passwords.ts';
import { seedDemoAccount } from '../../db/seed.ts';
import { startMailCatcher, type MailCatcher } from '../../dev/mail-catcher.ts';
import { loader as mailboxIndexLoader } from '../../web/app/routes/_app.mailbox._index.tsx';
import { loader as mailboxMessageLoader } from '../../web/app/routes/_app.mailbox.$mailId.tsx';
import { navFor } from '../../web/app/utils/navigation.ts';
import type { RunningWebServer } from '../../web/server.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { eventually } from '../support/eventually.ts';
import { startTestWebServer, visibleText, WebClient } from '../support/http.ts';

let db: TestDatabase;
let catcher: MailCatcher;
let web: RunningWebServer;
let mailer: Mailer;
let accountA: string;
let accountB: string;
const mail: Record<'resetA' | 'nurtureA' | 'nurtureB', string> = { resetA: '', nurtureA: '', nurtureB: '' };

async function signedIn(username: string, password: string): Promise<WebClient> {
  const c = new WebClient(web.url);
  expect((await c.login(username, password)).status, `login ${username}`).toBe(302);
  return c;
}

/** Queues a nurture e-mail for an account and sends it through the real outbox activity. */
async function sendNurture(accountId: string, to: string, subject: string): Promise<string> {
  const [row] = await db.knex('email_outbox').insert({ account_id: accountId, idempotency_key: `test-${crypto.randomUUID()}`, to_address: to, subject, body_text: 'Hello' }).returning('id');
  // Sending mail starts no workflow: a Temporal client asked for fails the test.
  const activities = createActivities({ db: db.knex, mailer, temporal: () => Promise.reject(new Error('the mailbox uses no Temporal client')), taskQueue: 'unpolled' });
  await new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') }).run(activities.sendOutboxEmail, row.id);
  const caught = await db.knex('caught_mail').where({ message_id: `<${row.id}@leadflow>` }).first('id');
  return String(caught.id);
}

beforeAll(async () => {
  db = await createTestDatabase();
  catcher = await startMailCatcher({ db: db.knex });
  mailer = createMailer(catcher.url);
  accountA = (await seedDemoAccount(db.knex)).accountId;

  // Agency B's owner adds a lead carrying A's admin address and A's lead's address.
  const [b] = await db.knex('accounts').insert({ name: 'Other Agency', agent_ids: ['B0OTHER'], paid_seats: 0 }).returning('id');
  accountB = b.id;
  await db.knex('users').insert({ account_id: accountB, username: 'B0OTHER', name: 'Bea Owner', email: 'bea@other.test', role: 'owner', password_hash: await hashPassword('bea-owner-pass') });
  await db.knex('leads').insert({
    account_id: accountB,
    first_name: 'Copy',
    last_name: 'Cat',
    dup_key: 'copy|cat|',
    source: 'manual',
    emails: JSON.stringify([
      { raw: 'a0demo1@leadflow.test', address: 'a0demo1@leadflow.test', valid: true },
      { raw: 'maria.g@example.com', address: 'maria.g@example.com', valid: true },
    ]),
  });

  web = await startTestWebServer(db, { smtpUrl: catcher.url });

  const stranger = new WebClient(web.url);
  expect((await stranger.submit('/forgot-password', { username: 'A0DEMO1', email: 'a0demo1@leadflow.test' })).status).toBe(200);
  mail.resetA = String((await eventually(() => db.knex('caught_mail').where({ subject: 'Reset your Leadflow password' }).first('id'), 'the reset e-mail')).id);
  mail.nurtureA = await sendNurture(accountA, 'maria.g@example.com', 'Nurture from agency A');
  mail.nurtureB = await sendNurture(accountB, 'maria.g@example.com', 'Nurture from agency B');
}, 60_000);

afterAll(async () => {
  await web?.close();
  mailer?.close?.();
  await catcher?.close();
  await db?.destroy();
});

describe('Mailbox', () => {
  it('files each message under the account it was sent for', async () => {
    const accounts = Object.fromEntries((await db.knex('caught_mail').select('id', 'account_id')).map((r) => [String(r.id), r.account_id]));
    expect(accounts).toEqual({ [mail.resetA]: accountA, [mail.nurtureA]: accountA, [mail.nurtureB]: accountB });
  });

  it('never shows another account’s mail, even to the same addresses', async () => {
    const bea = await signedIn('B0OTHER', 'bea-owner-pass');
    const box = visibleText((await bea.get('/mailbox')).text);
    expect(box).toContain('Nurture from agency B');
    expect(box).not.toContain('Reset your Leadflow password');
    expect(box).not.toContain('Nurture from agency A');
    expect((await bea.get(`/mailbox/${mail.resetA}`)).status).toBe(404);
    expect((await bea.get(`/mailbox/${mail.nurtureA}`)).status).toBe(404);
    expect((await bea.get(`/mailbox/${mail.nurtureB}`)).status).toBe(200);
  });

  it('shows the account its own mail, the reset link included', async () => {
    const dana = await signedIn('A0DEMO1', 'owner-demo-pass');
    const box = visibleText((await dana.get('/mailbox')).text);
    expect(box).toContain('Reset your Leadflow password');
    expect(box).toContain('Nurture from agency A');
    expect(box).not.toContain('Nurture from agency B');
    const reset = await dana.get(`/mailbox/${mail.resetA}`);
    expect(reset.status).toBe(200);
    expect(reset.text).toContain('/reset-password/');
    expect(visibleText(reset.text)).toContain('Mailbox');
  });

  it('does not exist in production: its pages answer 404 and the navigation has no link to it', async () => {
    const production = { services: { mode: 'production', db: db.knex }, clientIp: '127.0.0.1' } as unknown as AppLoadContext;
    const request = new Request(`${web.url}/mailbox`);
    await expect(mailboxIndexLoader({ request, params: {}, context: production })).rejects.toMatchObject({ status: 404 });
    await expect(mailboxMessageLoader({ request, params: { mailId: mail.resetA }, context: production })).rejects.toMatchObject({ status: 404 });
    expect(navFor('owner', { mailbox: false }).map((i) => i.to)).not.toContain('/mailbox');
    expect(navFor('owner', { mailbox: true }).map((i) => i.to)).toContain('/mailbox');
  });
});
