// Who sees what, through HTTP: accounts never see each other's data, LSPs see only their own
// leads (plus the unassigned pool with Shark Tank on), roles guard pages and actions, and an
// inactive user is out at once.
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { hashPassword } from '../../db/passwords.ts';
import { seedDemoAccount } from '../../db/seed.ts';
import type { RunningWebServer } from '../../web/server.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { leadIds, startTestWebServer, visibleText, WebClient } from '../support/http.ts';

let db: TestDatabase;
let web: RunningWebServer;
let accountA: string;
let accountB: string;
let leadOfB: string;
const leadsOfA: Record<string, string> = {};
let mailToA: string;
let mailToB: string;

async function signedIn(username: string, password: string): Promise<WebClient> {
  const c = new WebClient(web.url);
  const res = await c.login(username, password);
  expect(res.status, `login ${username}`).toBe(302);
  return c;
}

beforeAll(async () => {
  db = await createTestDatabase();
  accountA = (await seedDemoAccount(db.knex)).accountId;
  for (const l of await db.knex('leads').where({ account_id: accountA }).select('id', 'last_name')) leadsOfA[l.last_name] = l.id;

  // Account B: another agency with its owner, an LSP and a lead of its own.
  const [b] = await db.knex('accounts').insert({ name: 'Other Agency', agent_ids: ['B0OTHER'], paid_seats: 0 }).returning('id');
  accountB = b.id;
  const [ownerB, lspB] = await db
    .knex('users')
    .insert([
      { account_id: accountB, username: 'B0OTHER', name: 'Bea Owner', email: 'bea@other.test', role: 'owner', password_hash: await hashPassword('bea-owner-pass') },
      { account_id: accountB, username: 'lsp.bo', name: 'Bo LSP', email: 'bo@other.test', role: 'lsp', password_hash: await hashPassword('bo-lsp-pass') },
    ])
    .returning('id');
  const [lead] = await db
    .knex('leads')
    .insert({ account_id: accountB, first_name: 'Zed', last_name: 'Otheraccount', dup_key: 'zed|otheraccount|', source: 'manual', assigned_user_id: lspB.id, emails: JSON.stringify([{ raw: 'zed@example.org', address: 'zed@example.org', valid: true }]) })
    .returning('id');
  leadOfB = lead.id;
  void ownerB;

  const mails = await db
    .knex('caught_mail')
    .insert([
      { account_id: accountA, from_address: 'noreply@leadflow.local', to_addresses: ['maria.g@example.com'], subject: 'Nurture for Maria (account A lead)', text: 'hello Maria' },
      { account_id: accountB, from_address: 'noreply@leadflow.local', to_addresses: ['Zed <zed@example.org>'], subject: 'Nurture for Zed (account B lead)', text: 'hello Zed' },
      { from_address: 'noreply@leadflow.local', to_addresses: ['stranger@nowhere.test'], subject: 'Nobody’s mail', text: 'x' },
    ])
    .returning('id');
  mailToA = String(mails[0].id);
  mailToB = String(mails[1].id);

  web = await startTestWebServer(db);
});

afterAll(async () => {
  await web?.close();
  await db?.destroy();
});

beforeEach(async () => {
  await db.knex('login_attempts').del();
});

describe('accounts are isolated', () => {
  it('a user of account B gets 404 for account A’s lead and never sees it listed', async () => {
    const bea = await signedIn('B0OTHER', 'bea-owner-pass');
    const res = await bea.get(`/leads/${leadsOfA.Gonzalez}`);
    expect(res.status).toBe(404);
    expect(res.text).not.toContain('Gonzalez');
    const list = await bea.get('/leads');
    expect(leadIds(list.text)).toEqual([leadOfB]);
    expect((await bea.get(`/leads/${leadOfB}`)).status).toBe(200);
  });

  it('account A’s owner gets 404 for account B’s lead', async () => {
    const dana = await signedIn('A0DEMO1', 'owner-demo-pass');
    expect((await dana.get(`/leads/${leadOfB}`)).status).toBe(404);
    expect(leadIds((await dana.get('/leads')).text)).not.toContain(leadOfB);
    // A malformed id is a 404 too, not a database error.
    const bad = await dana.get('/leads/not-a-uuid');
    expect(bad.status).toBe(404);
    expect(bad.text).not.toMatch(/invalid input syntax|uuid/i);
  });

  it('the mailbox shows only mail sent for the account', async () => {
    const dana = await signedIn('A0DEMO1', 'owner-demo-pass');
    const box = visibleText((await dana.get('/mailbox')).text);
    expect(box).toContain('Nurture for Maria (account A lead)');
    expect(box).not.toContain('Zed');
    expect(box).not.toContain('Nobody');
    expect((await dana.get(`/mailbox/${mailToA}`)).status).toBe(200);
    expect((await dana.get(`/mailbox/${mailToB}`)).status).toBe(404);
    const bea = await signedIn('B0OTHER', 'bea-owner-pass');
    expect(visibleText((await bea.get('/mailbox')).text)).toContain('Nurture for Zed (account B lead)');
    expect((await bea.get(`/mailbox/${mailToA}`)).status).toBe(404);
  });

  it('an owner cannot change a user of another account', async () => {
    const bea = await signedIn('B0OTHER', 'bea-owner-pass');
    const alex = await db.knex('users').where({ username: 'lsp.alex' }).first('id');
    const res = await bea.submit('/users', { intent: 'status', userId: alex.id, status: 'inactive' });
    expect(res.status).toBe(404);
    expect((await db.knex('users').where({ id: alex.id }).first('status')).status).toBe('active');
  });
});

describe('LSPs see their own leads', () => {
  it('lists only the LSP’s leads and answers 404 for another LSP’s and for unassigned ones', async () => {
    await db.knex('accounts').where({ id: accountA }).update({ shark_tank: false });
    const alex = await signedIn('lsp.alex', 'alex-demo-pass');
    const list = await alex.get('/leads');
    expect(visibleText(list.text)).toContain('My Leads');
    expect(new Set(leadIds(list.text))).toEqual(new Set([leadsOfA.Gonzalez, leadsOfA.Smith, leadsOfA.Kim]));
    expect((await alex.get(`/leads/${leadsOfA.Gonzalez}`)).status).toBe(200);
    expect((await alex.get(`/leads/${leadsOfA.Khan}`)).status).toBe(404); // Sam's
    expect((await alex.get(`/leads/${leadsOfA.Novak}`)).status).toBe(404); // unassigned
    // A filter cannot widen the scope.
    const sam = await db.knex('users').where({ username: 'lsp.sam' }).first('id');
    expect(leadIds((await alex.get(`/leads?assignee=${sam.id}`)).text)).toEqual([]);
  });

  it('with Shark Tank on, also lists and opens unassigned leads, but still not another LSP’s', async () => {
    await db.knex('accounts').where({ id: accountA }).update({ shark_tank: true });
    try {
      const alex = await signedIn('lsp.alex', 'alex-demo-pass');
      const list = await alex.get('/leads');
      expect(new Set(leadIds(list.text))).toEqual(new Set([leadsOfA.Gonzalez, leadsOfA.Smith, leadsOfA.Kim, leadsOfA.Novak, leadsOfA.Haddad, leadsOfA.Walsh]));
      expect((await alex.get(`/leads/${leadsOfA.Novak}`)).status).toBe(200);
      expect((await alex.get(`/leads/${leadsOfA.Khan}`)).status).toBe(404);
    } finally {
      await db.knex('accounts').where({ id: accountA }).update({ shark_tank: false });
    }
  });
});

describe('roles guard pages and actions', () => {
  it('an LSP gets 403 on users, mailbox and support', async () => {
    const alex = await signedIn('lsp.alex', 'alex-demo-pass');
    for (const path of ['/users', '/mailbox', `/mailbox/${mailToA}`, '/support']) expect((await alex.get(path)).status, path).toBe(403);
    const created = await alex.submit('/users', { intent: 'create', username: 'sneaky', name: 'Sneaky', email: 's@x.test', role: 'admin' }, { from: '/leads' });
    expect(created.status).toBe(403);
    expect(await db.knex('users').where({ username: 'sneaky' }).first()).toBeUndefined();
  });

  it('support sees all leads and the support page, but cannot see or create users', async () => {
    const kim = await signedIn('support.kim', 'kim-demo-pass');
    expect(leadIds((await kim.get('/leads')).text)).toHaveLength(8);
    expect((await kim.get(`/leads/${leadsOfA.Khan}`)).status).toBe(200);
    expect((await kim.get('/support')).status).toBe(200);
    // This server has no Temporal: the check is refused with a clear answer and nothing is recorded.
    const check = await kim.submit('/support', {});
    expect(check.status).toBe(503);
    expect(visibleText(check.text)).toContain('Temporal is not configured for this web server');
    expect(await db.knex('system_checks').first()).toBeUndefined();
    expect((await kim.get('/users')).status).toBe(403);
    expect((await kim.get('/mailbox')).status).toBe(403);
    await db.knex('accounts').where({ id: accountA }).update({ paid_seats: 10 });
    const res = await kim.submit('/users', { intent: 'create', username: 'kims.friend', name: 'Friend', email: 'f@x.test', role: 'admin' }, { from: '/leads' });
    expect(res.status).toBe(403);
    expect(await db.knex('users').where({ username: 'kims.friend' }).first()).toBeUndefined();
  });

  it('an admin sees users and seats read-only and cannot change them', async () => {
    await db.knex('users').insert({ account_id: accountA, username: 'admin.ana', name: 'Ana Admin', email: 'ana@leadflow.test', role: 'admin', password_hash: await hashPassword('ana-admin-pass') });
    const ana = await signedIn('admin.ana', 'ana-admin-pass');
    const page = await ana.get('/users');
    expect(page.status).toBe(200);
    expect(visibleText(page.text)).toContain('Only the account owner adds users');
    const res = await ana.submit('/users', { intent: 'create', username: 'anas.pick', name: 'Pick', email: 'p@x.test', role: 'lsp' });
    expect(res.status).toBe(403);
  });

  it('each role gets its own navigation', async () => {
    const nav = async (c: WebClient) => {
      const html = (await c.get('/leads')).text;
      const block = /<nav aria-label="Main"[\s\S]*?<\/nav>/.exec(html)![0];
      return [...block.matchAll(/>([^<>]+)<\/a>/g)].map((m) => m[1]!.replace('&amp;', '&'));
    };
    expect(await nav(await signedIn('A0DEMO1', 'owner-demo-pass'))).toEqual(['Leads', 'Upcoming', 'Live activity', 'Reports', 'Recycle bin', 'Imports', 'Sources', 'Compliance', 'Templates', 'Users & Seats', 'My Company', 'Subscription', 'API keys', 'E-mail templates', 'Mailbox', 'Support']);
    expect(await nav(await signedIn('lsp.alex', 'alex-demo-pass'))).toEqual(['My Leads', 'Due today', 'Upcoming', 'Sources']);
    expect(await nav(await signedIn('support.kim', 'kim-demo-pass'))).toEqual(['Leads', 'Support']);
  });
});

describe('inactive users', () => {
  it('cannot sign in, and a session they already had stops working at once', async () => {
    const sam = await signedIn('lsp.sam', 'sam-demo-pass');
    expect((await sam.get('/leads')).status).toBe(200);
    const dana = await signedIn('A0DEMO1', 'owner-demo-pass');
    const samId = (await db.knex('users').where({ username: 'lsp.sam' }).first('id')).id;
    expect((await dana.submit('/users', { intent: 'status', userId: samId, status: 'inactive' })).status).toBe(302);

    const after = await sam.get('/leads');
    expect(after.status).toBe(302);
    expect(after.location).toMatch(/^\/login/);
    expect(after.headers.getSetCookie().some((c) => c.startsWith('lf_session=;') || /Max-Age=0|Expires=Thu, 01 Jan 1970/i.test(c))).toBe(true);
    const login = await new WebClient(web.url).login('lsp.sam', 'sam-demo-pass');
    expect(login.status).toBe(403);
    expect(visibleText(login.text)).toContain('This user is inactive');
  });
});

describe('errors', () => {
  it('a database error reaches the browser only as a generic message', async () => {
    const dana = await signedIn('A0DEMO1', 'owner-demo-pass');
    // The server runs in this process and logs the real error; keep the test output quiet.
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    await db.knex.raw('ALTER TABLE caught_mail RENAME TO caught_mail_moved');
    try {
      const res = await dana.get('/mailbox');
      expect(res.status).toBe(500);
      expect(visibleText(res.text)).toContain('Something went wrong on our side');
      expect(res.text).not.toMatch(/caught_mail|relation|does not exist|select |postgres/i);
      expect(logged).toHaveBeenCalled();
    } finally {
      await db.knex.raw('ALTER TABLE caught_mail_moved RENAME TO caught_mail');
      logged.mockRestore();
    }
  });
});
