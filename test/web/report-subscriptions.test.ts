// E-mailed reports through the web app over real HTTP: an owner or admin subscribes to the
// daily and the weekly report at an hour of the agency's day (weekly: a weekday), changes and
// stops them; each user sees and changes only their own; LSPs and support get 403; a form
// without its CSRF token is refused.
import { beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../db/passwords.ts';
import { csrfToken, visibleText, type WebClient } from '../support/http.ts';
import { demoWebSuite } from '../support/web-suite.ts';

const suite = demoWebSuite();
const PAGE = '/reports/subscriptions';

async function signedIn(username: string, password: string): Promise<WebClient> {
  const client = suite.client();
  expect((await client.login(username, password)).status).toBe(302);
  return client;
}

const rowsOf = async (username: string) => {
  const user = await suite.db.knex('users').where({ username }).first('id');
  return suite.db.knex('report_subscriptions').where({ user_id: user.id }).orderBy('kind').select('kind', 'hour', 'weekday');
};

beforeAll(async () => {
  const knex = suite.db.knex;
  const [other] = await knex('accounts').insert({ name: 'Other Agency', agent_ids: ['B0REPORTS'], time_zone: 'America/Denver' }).returning('id');
  await knex('users').insert({ account_id: other.id, username: 'admin.other', name: 'Olga Admin', email: 'olga@other.test', role: 'admin', password_hash: await hashPassword('olga-admin-pass') });
});

describe('E-mailed reports page', () => {
  it('lets the owner subscribe to the daily and the weekly report, change the hour and stop one', async () => {
    const dana = await signedIn('A0DEMO1', 'owner-demo-pass');
    const first = await dana.get(PAGE);
    expect(first.status).toBe(200);
    const text = visibleText(first.text);
    expect(text).toContain('E-mailed reports');
    expect(text).toContain('Daily report');
    expect(text).toContain('Weekly report');
    expect(text).toContain('Hours are the agency’s time (America/Chicago)');

    let res = await dana.submit(PAGE, { intent: 'save', kind: 'daily', hour: '7' });
    expect(res.status).toBe(302);
    expect(res.location).toBe(`${PAGE}?saved=on`);
    res = await dana.submit(PAGE, { intent: 'save', kind: 'weekly', hour: '8', weekday: '1' });
    expect(res.status).toBe(302);
    expect(await rowsOf('A0DEMO1')).toEqual([
      { kind: 'daily', hour: 7, weekday: null },
      { kind: 'weekly', hour: 8, weekday: 1 },
    ]);
    const page = await dana.get(`${PAGE}?saved=on`);
    expect(visibleText(page.text)).toContain('Saved.');
    expect(visibleText(page.text)).toContain('On: the next one comes');
    expect(page.text).toMatch(/<option value="8" selected="">8:00 AM<\/option>/);
    expect(page.text).toMatch(/<option value="1" selected="">Monday<\/option>/);
    // Times on the page are on the viewer's clock, never raw ISO strings.
    expect(visibleText(page.text)).not.toMatch(/\d{4}-\d{2}-\d{2}T/);

    // A new hour replaces the old one; there is still one daily subscription.
    await dana.submit(PAGE, { intent: 'save', kind: 'daily', hour: '18' });
    expect((await rowsOf('A0DEMO1'))[0]).toEqual({ kind: 'daily', hour: 18, weekday: null });

    res = await dana.submit(PAGE, { intent: 'stop', kind: 'daily' });
    expect(res.location).toBe(`${PAGE}?saved=off`);
    expect(await rowsOf('A0DEMO1')).toEqual([{ kind: 'weekly', hour: 8, weekday: 1 }]);
    expect(visibleText((await dana.get(`${PAGE}?saved=off`)).text)).toContain('Stopped.');
  });

  it.each([
    [{ kind: 'daily', hour: '24' }, 'Choose an hour from the list'],
    [{ kind: 'daily', hour: 'seven' }, 'Choose an hour from the list'],
    [{ kind: 'weekly', hour: '8' }, 'Choose a weekday from the list'],
    [{ kind: 'weekly', hour: '8', weekday: '7' }, 'Choose a weekday from the list'],
    [{ kind: 'monthly', hour: '8' }, 'Choose a daily or a weekly report'],
  ])('refuses %o with a reason and saves nothing', async (fields, message) => {
    const dana = await signedIn('A0DEMO1', 'owner-demo-pass');
    const before = await rowsOf('A0DEMO1');
    const res = await dana.submit(PAGE, { intent: 'save', ...fields });
    expect(res.status).toBe(400);
    expect(visibleText(res.text)).toContain(message);
    expect(await rowsOf('A0DEMO1')).toEqual(before);
  });

  it('shows and changes only the signed-in user’s own subscriptions', async () => {
    const dana = await signedIn('A0DEMO1', 'owner-demo-pass');
    await dana.submit(PAGE, { intent: 'save', kind: 'daily', hour: '6' });
    const olga = await signedIn('admin.other', 'olga-admin-pass');
    const page = await olga.get(PAGE);
    expect(page.status).toBe(200);
    expect(visibleText(page.text)).toContain('America/Denver');
    expect(visibleText(page.text)).not.toContain('On: the next one comes');
    // Stopping "the daily report" stops Olga's (she has none), never Dana's.
    await olga.submit(PAGE, { intent: 'stop', kind: 'daily' });
    expect((await rowsOf('A0DEMO1')).map((r) => r.kind)).toContain('daily');
    await olga.submit(PAGE, { intent: 'save', kind: 'daily', hour: '9' });
    const olgaRow = await suite.db.knex('report_subscriptions as s').join('users as u', 'u.id', 's.user_id').where('u.username', 'admin.other').first('s.account_id', 'u.account_id as user_account');
    expect(olgaRow.account_id).toBe(olgaRow.user_account);
  });

  it('answers 403 to LSPs and support, on the page and on a post', async () => {
    const dana = await signedIn('A0DEMO1', 'owner-demo-pass');
    const token = csrfToken((await dana.get(PAGE)).text)!;
    for (const [username, password] of [
      ['lsp.alex', 'alex-demo-pass'],
      ['support.kim', 'kim-demo-pass'],
    ] as const) {
      const client = await signedIn(username, password);
      expect((await client.get(PAGE)).status, username).toBe(403);
      // Their own session's token, from a page they can open.
      const own = csrfToken((await client.follow('/account/preferences')).text) ?? token;
      const res = await client.post(PAGE, { csrf: own, intent: 'save', kind: 'daily', hour: '7' });
      expect(res.status, username).toBe(403);
      expect(await rowsOf(username)).toEqual([]);
    }
  });

  it('refuses a post without its CSRF token', async () => {
    const dana = await signedIn('A0DEMO1', 'owner-demo-pass');
    await dana.submit(PAGE, { intent: 'stop', kind: 'weekly' });
    const res = await dana.post(PAGE, { intent: 'save', kind: 'weekly', hour: '8', weekday: '2' });
    expect(res.status).toBe(403);
    expect((await rowsOf('A0DEMO1')).map((r) => r.kind)).not.toContain('weekly');
  });

  it('sends a signed-out visitor to the sign-in page', async () => {
    const res = await suite.client().get(PAGE);
    expect(res.status).toBe(302);
    expect(res.location).toContain('/login');
  });
});
