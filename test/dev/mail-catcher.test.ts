// The local mail catcher: whatever nodemailer sends to it lands in caught_mail.
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMailCatcher, type MailCatcher } from '../../dev/mail-catcher.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { createAccountWithAdmin } from '../support/fixtures.ts';

let db: TestDatabase;
let catcher: MailCatcher;

beforeAll(async () => {
  db = await createTestDatabase();
  catcher = await startMailCatcher({ db: db.knex });
});

afterAll(async () => {
  await catcher?.close();
  await db?.destroy();
});

describe('mail catcher', () => {
  it('stores a message sent with nodemailer, with every envelope recipient', async () => {
    const transport = nodemailer.createTransport(catcher.url);
    const info = await transport.sendMail({
      from: 'Leadflow <no-reply@leadflow.test>',
      to: 'lsp.alex@agency.test',
      bcc: 'owner@agency.test',
      subject: 'Call back Maria Gonzalez today',
      text: 'Maria asked for a call back at 3 pm.',
      html: '<p>Maria asked for a call back at <b>3 pm</b>.</p>',
    });
    transport.close();

    const rows = await db.knex('caught_mail').where({ message_id: info.messageId });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      subject: 'Call back Maria Gonzalez today',
      from_address: 'Leadflow <no-reply@leadflow.test>',
      html: '<p>Maria asked for a call back at <b>3 pm</b>.</p>',
    });
    expect(rows[0].text.trim()).toBe('Maria asked for a call back at 3 pm.');
    expect([...rows[0].to_addresses].sort()).toEqual(['lsp.alex@agency.test', 'owner@agency.test']);
    expect(rows[0].received_at).toBeInstanceOf(Date);
  });

  it('accepts a sender that authenticates, as one configured for a real relay would', async () => {
    const transport = nodemailer.createTransport(`smtp://someone:secret@${catcher.host}:${catcher.port}`);
    const info = await transport.sendMail({ from: 'a@leadflow.test', to: 'b@agency.test', subject: 'With credentials', text: 'hi' });
    transport.close();
    expect(await db.knex('caught_mail').where({ message_id: info.messageId }).first()).toMatchObject({ subject: 'With credentials', to_addresses: ['b@agency.test'] });
  });

  it('files a message under the account its sender named, and one of no or an unknown account under nobody', async () => {
    const { accountId } = await createAccountWithAdmin(db.knex);
    const transport = nodemailer.createTransport(catcher.url);
    const send = async (headers?: Record<string, string>) =>
      (await transport.sendMail({ from: 'a@leadflow.test', to: 'same@example.test', subject: 'Filed', text: 'hi', headers })).messageId;
    const sent = {
      own: await send({ 'X-Leadflow-Account': accountId }),
      none: await send(),
      unknown: await send({ 'X-Leadflow-Account': crypto.randomUUID() }),
      garbage: await send({ 'X-Leadflow-Account': "x' OR 1=1" }),
    };
    transport.close();
    const accountOf = async (messageId: string) => (await db.knex('caught_mail').where({ message_id: messageId }).first('account_id')).account_id;
    expect(await accountOf(sent.own)).toBe(accountId);
    expect(await accountOf(sent.none)).toBeNull();
    expect(await accountOf(sent.unknown)).toBeNull();
    expect(await accountOf(sent.garbage)).toBeNull();
  });
});
