// The call-back reminder: to whom it goes (the lead's LSP, else whoever booked it, else the
// account's owner; never a user who has left) and how it says the time (the reader's zone, with
// the lead's clock beside it).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { createAccountWithAdmin } from '../support/fixtures.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.destroy();
});

const activities = () =>
  createActivities({ db: db.knex, mailer: { sendMail: async () => undefined } as never, temporal: () => Promise.reject(new Error('no Temporal here')), taskQueue: 'unpolled', appUrl: 'https://leads.agency.example' });

let n = 0;
async function leadBookedBy(status: 'active' | 'inactive') {
  const { accountId } = await createAccountWithAdmin(db.knex);
  await db.knex('accounts').where({ id: accountId }).update({ time_zone: 'America/Los_Angeles' });
  const [lsp] = await db.knex('users').insert({ account_id: accountId, username: `booker-${++n}`, email: `booker${n}@agency.test`, name: 'Bo Oker', role: 'lsp', password_hash: 'x', status }).returning('id');
  const [lead] = await db
    .knex('leads')
    .insert({ account_id: accountId, first_name: 'Pat', last_name: `Callback${n}`, address_line1: `${n} Main St`, city: 'Springfield', state: 'IL', zip: '62701', dup_key: `cb-${n}`, source: 'web_vendor', time_zone: 'America/Chicago' })
    .returning('id');
  return { leadId: lead.id as string, lspId: lsp.id as string };
}

describe('queueCallBackReminder', () => {
  it('tells the booker the time on their agency’s clock, with the lead’s beside it', async () => {
    const { leadId, lspId } = await leadBookedBy('active');
    const { outboxId } = await activities().queueCallBackReminder({ leadId, dueAt: '2026-12-03T20:00:00.000Z', byUserId: lspId });
    const mail = await db.knex('email_outbox').where({ id: outboxId }).first('to_address', 'body_text');
    expect(mail.to_address).toBe(`booker${n}@agency.test`);
    expect(mail.body_text).toContain('You have a call-back with Pat Callback');
    expect(mail.body_text).toContain('on Thu, Dec 3, 12:00 PM PST (2:00 PM CST for the lead)');
    expect(mail.body_text).not.toContain('2026-12-03T20:00');
  });

  it('reminds nobody when the booker has left and the lead has no LSP', async () => {
    const { leadId, lspId } = await leadBookedBy('inactive');
    const { outboxId } = await activities().queueCallBackReminder({ leadId, dueAt: '2026-12-03T20:00:00.000Z', byUserId: lspId });
    expect(outboxId).toBeNull();
    expect(await db.knex('email_outbox').where({ to_address: `booker${n}@agency.test` })).toHaveLength(0);
    expect(await db.knex('lead_events').where({ lead_id: leadId, type: 'callback_due' }).first('data')).toMatchObject({ data: { reminder: 'nobody to remind' } });
  });

  it('reminds the account’s owner when the lead is in the pool and its booker has left, saying nobody works it', async () => {
    const { leadId, lspId } = await leadBookedBy('inactive');
    const { account_id: accountId } = await db.knex('leads').where({ id: leadId }).first('account_id');
    const [owner] = await db.knex('users').insert({ account_id: accountId, username: `owner-${n}`, email: `owner${n}@agency.test`, name: 'Dana Owner', role: 'owner', password_hash: 'x', time_zone: 'America/New_York' }).returning('id');
    const { outboxId } = await activities().queueCallBackReminder({ leadId, dueAt: '2026-12-03T20:00:00.000Z', byUserId: lspId });
    const mail = await db.knex('email_outbox').where({ id: outboxId }).first('to_address', 'body_text');
    expect(mail.to_address).toBe(`owner${n}@agency.test`);
    expect(mail.body_text).toContain('Hello Dana Owner');
    expect(mail.body_text).toContain('on Thu, Dec 3, 3:00 PM EST (2:00 PM CST for the lead)');
    expect(mail.body_text).toContain('Nobody works this lead now: assign it to an LSP, or make the call yourself.');
    expect(await db.knex('lead_events').where({ lead_id: leadId, type: 'callback_due' }).first('data')).toMatchObject({ data: { userId: owner.id, as: 'owner' } });
  });

  it('reminds the lead’s holder, not the booker, and passes over a holder who has left', async () => {
    const { leadId, lspId } = await leadBookedBy('active');
    const { account_id: accountId } = await db.knex('leads').where({ id: leadId }).first('account_id');
    const [holder] = await db.knex('users').insert({ account_id: accountId, username: `holder-${n}`, email: `holder${n}@agency.test`, name: 'Sam Lee', role: 'lsp', password_hash: 'x' }).returning('id');
    await db.knex('leads').where({ id: leadId }).update({ assigned_user_id: holder.id });
    const first = await activities().queueCallBackReminder({ leadId, dueAt: '2026-12-03T20:00:00.000Z', byUserId: lspId });
    expect(await db.knex('email_outbox').where({ id: first.outboxId }).first('to_address', 'body_text')).toEqual({ to_address: `holder${n}@agency.test`, body_text: expect.not.stringContaining('Nobody works this lead') });
    await db.knex('users').where({ id: holder.id }).update({ status: 'inactive' });
    const second = await activities().queueCallBackReminder({ leadId, dueAt: '2026-12-04T20:00:00.000Z', byUserId: lspId });
    expect((await db.knex('email_outbox').where({ id: second.outboxId }).first('to_address')).to_address).toBe(`booker${n}@agency.test`);
  });
});
