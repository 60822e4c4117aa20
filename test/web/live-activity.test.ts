// The agency's live activity view through the real web server and database: the page shows the
// latest entries in words, and /activity/live sends each entry of the account as it commits
// (within a second), including one whose transaction began first and committed last, never
// another account's, and only to owners and admins.
import { describe, expect, it } from 'vitest';
import { createAccountWithAdmin, insertLeads } from '../support/fixtures.ts';
import { listenToStream, visibleText } from '../support/http.ts';
import { demoWebSuite } from '../support/web-suite.ts';

const suite = demoWebSuite();

async function signedIn(username: string, password: string) {
  const c = suite.client();
  await c.login(username, password);
  return c;
}
const owner = () => signedIn('A0DEMO1', 'owner-demo-pass');

async function demo() {
  const account = await suite.db.knex('accounts').where({ name: 'Demo Agency' }).first('id');
  const alex = await suite.db.knex('users').where({ username: 'lsp.alex' }).first('id');
  return { accountId: account.id as string, alexId: alex.id as string };
}

describe('live activity', () => {
  it('shows the latest entries in words, newest first', async () => {
    const { accountId, alexId } = await demo();
    const [leadId] = await insertLeads(suite.db.knex, accountId, [{ firstName: 'Quinn', lastName: 'Feedtest' }]);
    await suite.db.knex('lead_events').insert({ lead_id: leadId, account_id: accountId, actor_user_id: alexId, type: 'quick_action', note: null, data: { action: 'attempted_contact' } });
    const page = await (await owner()).get('/activity');
    expect(page.status).toBe(200);
    const text = visibleText(page.text);
    expect(text).toContain('Quinn Feedtest');
    expect(text).toContain('Alex Rivera');
    // In words, not codes.
    expect(text).not.toContain('quick_action');
    expect(text).not.toMatch(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/);
  });

  it('sends each new entry of the account within a second, one that committed late too, and never another account’s', async () => {
    const { accountId, alexId } = await demo();
    const other = await createAccountWithAdmin(suite.db.knex, 'Other Agency');
    const [mine, late] = await insertLeads(suite.db.knex, accountId, [
      { firstName: 'Rowan', lastName: 'Livefeed' },
      { firstName: 'Sky', lastName: 'Latecommit' },
    ]);
    const [theirs] = await insertLeads(suite.db.knex, other.accountId, [{ firstName: 'Tess', lastName: 'Otheragency' }]);
    const stream = await listenToStream(await owner(), '/activity/live');
    try {
      expect(stream.res.status).toBe(200);
      expect(stream.res.headers.get('content-type')).toContain('text/event-stream');
      await stream.until('retry:');
      // A transaction that takes its id first and commits after a later one.
      const slow = await suite.db.knex.transaction();
      await slow('lead_events').insert({ lead_id: late, account_id: accountId, actor_user_id: alexId, type: 'quick_action', data: { action: 'attempted_contact' } });
      await suite.db.knex('lead_events').insert({ lead_id: theirs, account_id: other.accountId, actor_system: 'intake', type: 'created', note: 'Lead received' });
      const written = Date.now();
      await suite.db.knex('lead_events').insert({ lead_id: mine, account_id: accountId, actor_user_id: alexId, type: 'quick_action', data: { action: 'attempted_contact' } });
      await stream.until('Rowan Livefeed', 3_000);
      expect(Date.now() - written).toBeLessThan(2_000);
      await slow.commit();
      await stream.until('Sky Latecommit', 3_000);
      expect(stream.text()).toMatch(/event: activity\ndata: \{[^\n]*"leadName":"Rowan Livefeed"[^\n]*"text":"[^"]*Alex Rivera/);
      // Each entry once.
      expect(stream.text().match(/Rowan Livefeed/g)).toHaveLength(1);
    } finally {
      await stream.close();
    }
    expect(stream.text()).not.toContain('Otheragency');
    expect(stream.text()).not.toContain(theirs);
  });

  it('is for owners and admins: LSPs and support are refused the page and the stream', async () => {
    for (const [u, p] of [
      ['lsp.alex', 'alex-demo-pass'],
      ['support.kim', 'kim-demo-pass'],
    ] as const) {
      const c = await signedIn(u, p);
      expect((await c.get('/activity')).status).toBe(403);
      const stream = await listenToStream(c, '/activity/live');
      expect(stream.res.status).toBe(403);
      await stream.close();
    }
  });
});
