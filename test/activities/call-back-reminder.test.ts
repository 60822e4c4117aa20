// The call-back reminder: to whom it goes (the lead's LSP, else whoever booked it, never a user
// who has left) and how it says the time (the reader's zone, with the lead's clock beside it).
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
});
