// Times as people read them: every page shows instants in the viewer's zone (their own, else
// the account's), and Due today ends at the account's midnight, not UTC's.
import { describe, expect, it } from 'vitest';
import { accountDay } from '../../db/distribution/ledger.ts';
import { visibleText } from '../support/http.ts';
import { demoWebSuite } from '../support/web-suite.ts';

const suite = demoWebSuite();
const ZONE = 'Pacific/Honolulu';

async function alexAndAccount() {
  const alex = await suite.db.knex('users').where({ username: 'lsp.alex' }).first('id', 'account_id');
  await suite.db.knex('accounts').where({ id: alex.account_id }).update({ time_zone: ZONE });
  const client = suite.client();
  expect((await client.login('lsp.alex', 'alex-demo-pass')).status).toBe(302);
  return { alex, client };
}

describe('times in the viewer’s zone', () => {
  it('shows the lead page’s times in the account’s zone, not UTC', async () => {
    const { alex, client } = await alexAndAccount();
    const lead = await suite.db.knex('leads').where({ assigned_user_id: alex.id }).orderBy('created_at').first('id');
    await suite.db.knex('leads').where({ id: lead.id }).update({ created_at: new Date('2026-11-30T07:15:00Z') });
    const text = visibleText((await client.get(`/leads/${lead.id}`)).text);
    expect(text).toContain('Nov 29, 2026, 21:15 HST');
    expect(text).not.toMatch(/\d{2}:\d{2} UTC/);
  });

  it('lists on Due today what is due before the account’s midnight, not UTC’s', async () => {
    const { alex, client } = await alexAndAccount();
    const now = new Date();
    const accountEnd = accountDay(ZONE, now).end.getTime();
    const utcEnd = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
    // A follow-up between the two midnights: due today for the agency exactly when the agency's
    // day ends after UTC's.
    const dueAt = new Date(Math.min(accountEnd, utcEnd) + 30 * 60_000);
    const dueToday = accountEnd > utcEnd;
    const leads = await suite.db.knex('leads').where({ assigned_user_id: alex.id }).orderBy('created_at').select('id', 'last_name');
    await suite.db.knex('leads').whereIn('id', leads.map((l) => l.id)).update({ next_follow_up_at: null });
    await suite.db.knex('leads').where({ id: leads[0]!.id }).update({ next_follow_up_at: dueAt, status: 'active' });
    const text = visibleText((await client.get('/due-today')).text);
    if (dueToday) expect(text).toContain(leads[0]!.last_name);
    else expect(text).toContain('Nothing due today.');
  });
});
