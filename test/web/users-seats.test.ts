// Users & Seats through HTTP: the owner adds users while seats last, gets the seat rule's own
// message when they do not, and frees a seat by setting a user inactive; setting someone with
// open leads inactive asks where the leads go (the pool or an active LSP) and says where they
// went. The web server runs without Temporal here: the hand-over is Postgres's, and the answer
// says the workflows were not told (test/db/handover.test.ts covers the transaction itself).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hashPassword } from '../../db/passwords.ts';
import { seedDemoAccount } from '../../db/seed.ts';
import type { RunningWebServer } from '../../web/server.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { startTestWebServer, visibleText, WebClient } from '../support/http.ts';

let db: TestDatabase;
let web: RunningWebServer;
let owner: WebClient;
let accountId: string;

// The demo account: 2 free + 1 paid seat, all three taken by lsp.alex, lsp.sam and support.kim.
const FULL_MESSAGE = 'All 3 seats are taken (2 free, 1 paid). Set a user to Inactive to free a seat, or buy another seat ($25/month).';

const userId = async (username: string) => (await db.knex('users').where({ username }).first('id')).id as string;
const status = async (username: string) => (await db.knex('users').where({ username }).first('status')).status as string;

beforeAll(async () => {
  db = await createTestDatabase();
  accountId = (await seedDemoAccount(db.knex)).accountId;
  web = await startTestWebServer(db);
  owner = new WebClient(web.url);
  expect((await owner.login('A0DEMO1', 'owner-demo-pass')).status).toBe(302);
});

afterAll(async () => {
  await web?.close();
  await db?.destroy();
});

describe('users and seats', () => {
  it('shows users, seat usage and the monthly cost', async () => {
    const page = await owner.get('/users');
    expect(page.status).toBe(200);
    const text = visibleText(page.text);
    for (const name of ['Dana Owner', 'Alex Rivera', 'Sam Chen', 'Kim Patel']) expect(text).toContain(name);
    expect(text).toContain('In use 3 of 3');
    expect(text).toContain('Available 0');
    expect(text).toContain('Paid seats 1');
    expect(text).toContain('Cost $25 / month');
    expect(page.text).not.toContain('scrypt$');
  });

  it('refuses a new user when every seat is taken, with the seat rule’s message', async () => {
    const res = await owner.submit('/users', { intent: 'create', username: 'jo.lsp', name: 'Jo Park', email: 'jo@leadflow.test', role: 'lsp' });
    expect(res.status).toBe(409);
    expect(visibleText(res.text)).toContain(FULL_MESSAGE);
    expect(await db.knex('users').where({ username: 'jo.lsp' }).first()).toBeUndefined();
  });

  it('setting a user inactive frees a seat that a new user can take', async () => {
    const res = await owner.submit('/users', { intent: 'status', userId: await userId('support.kim'), status: 'inactive' });
    expect(res.status).toBe(302);
    expect(visibleText((await owner.get(res.location!)).text)).toContain('Kim Patel is inactive. They had no open leads.');
    expect(await status('support.kim')).toBe('inactive');
    expect(visibleText((await owner.get('/users')).text)).toContain('Available 1');

    const created = await owner.submit('/users', { intent: 'create', username: 'Jo.LSP', name: 'Jo Park', email: 'jo@leadflow.test', role: 'lsp' });
    expect(created.status).toBe(200);
    expect(created.headers.get('cache-control')).toBe('private, no-store');
    const text = visibleText(created.text);
    expect(text).toContain('Jo Park (Jo.LSP) can sign in now with this temporary password, shown only this once');
    const temporary = /class="secret">([^<]+)</.exec(created.text)![1]!;
    const row = await db.knex('users').where({ username: 'Jo.LSP' }).first();
    expect(row).toMatchObject({ account_id: accountId, role: 'lsp', status: 'active', must_change_password: true, email: 'jo@leadflow.test' });
    expect(row.password_hash).not.toContain(temporary);
    // Shown once: the users page never shows it again.
    expect((await owner.get('/users')).text).not.toContain(temporary);
    const jo = new WebClient(web.url);
    expect((await jo.login('jo.lsp', temporary)).status).toBe(302);
    expect((await jo.get('/leads')).location).toBe('/account/password');
  });

  it('refuses to reactivate a user when that would exceed the seats', async () => {
    const res = await owner.submit('/users', { intent: 'status', userId: await userId('support.kim'), status: 'active' });
    expect(res.status).toBe(409);
    expect(visibleText(res.text)).toContain(FULL_MESSAGE);
    expect(await status('support.kim')).toBe('inactive');
  });

  it('reactivates once a seat is bought', async () => {
    await db.knex('accounts').where({ id: accountId }).update({ paid_seats: 2 });
    const res = await owner.submit('/users', { intent: 'status', userId: await userId('support.kim'), status: 'active' });
    expect(res.status).toBe(302);
    expect(await status('support.kim')).toBe('active');
    const text = visibleText((await owner.get('/users')).text);
    expect(text).toContain('In use 4 of 4');
    expect(text).toContain('Cost $50 / month');
  });

  it('rejects a taken username (any case) and invalid fields with 400', async () => {
    await db.knex('accounts').where({ id: accountId }).update({ paid_seats: 5 });
    const taken = await owner.submit('/users', { intent: 'create', username: 'LSP.alex', name: 'Another Alex', email: 'a2@leadflow.test', role: 'lsp' });
    expect(taken.status).toBe(400);
    expect(visibleText(taken.text)).toContain('That username is taken');
    const invalid = await owner.submit('/users', { intent: 'create', username: 'x', name: '', email: 'not-an-email', role: 'owner' });
    expect(invalid.status).toBe(400);
    const text = visibleText(invalid.text);
    expect(text).toContain('At least 3 characters');
    expect(text).toContain('Enter a name');
    expect(text).toContain('Enter a valid e-mail address');
    expect(text).toContain('Choose a role');
  });

  it('the owner cannot be set inactive', async () => {
    const res = await owner.submit('/users', { intent: 'status', userId: await userId('A0DEMO1'), status: 'inactive' });
    expect(res.status).toBe(400);
    expect(await status('A0DEMO1')).toBe('active');
  });

  it('two owners racing for the last seat: exactly one wins', async () => {
    const used = Number((await db.knex('users').where({ account_id: accountId, status: 'active' }).whereNot({ role: 'owner' }).count({ n: '*' }))[0]!.n);
    await db.knex('accounts').where({ id: accountId }).update({ paid_seats: used - 2 + 1 });
    const second = new WebClient(web.url);
    await second.login('A0DEMO1', 'owner-demo-pass');
    const results = await Promise.all(
      [owner, second].map((c, i) => c.submit('/users', { intent: 'create', username: `race.${i}`, name: `Racer ${i}`, email: `race${i}@leadflow.test`, role: 'lsp' })),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    expect(Number((await db.knex('users').where('username', 'like', 'race.%').count({ n: '*' }))[0]!.n)).toBe(1);
  });
});

describe('setting a user with open leads inactive', () => {
  const DEMO_STATES = ['AZ', 'CO', 'IL', 'MA', 'NJ', 'OH', 'TX', 'WA'];
  const signedIn = async (username: string, password: string) => {
    const c = new WebClient(web.url);
    expect((await c.login(username, password)).status, `login ${username}`).toBe(302);
    return c;
  };
  const leadId = async (lastName: string) => (await db.knex('leads').where({ account_id: accountId, last_name: lastName }).first('id')).id as string;
  const holder = async (lastName: string) => (await db.knex('leads').where({ account_id: accountId, last_name: lastName }).first('assigned_user_id')).assigned_user_id as string | null;
  const alexsLeads = ['Gonzalez', 'Smith', 'Kim']; // TX, OH, WA: Alex's in the seed
  let other: { ownerId: string; lspId: string };

  beforeAll(async () => {
    await db.knex('accounts').where({ id: accountId }).update({ paid_seats: 20 });
    await db.knex('users').insert({ account_id: accountId, username: 'admin.demo', name: 'Ada Admin', email: 'ada@leadflow.test', role: 'admin', password_hash: await hashPassword('ada-admin-pass') });
    // Another agency, with its owner, admin and an LSP, to check that none of this account's users can be reached from it.
    const [account] = await db.knex('accounts').insert({ name: 'Other Agency', agent_ids: ['B0LEAVE'] }).returning('id');
    const hash = await hashPassword('other-pass-123');
    const rows = await db
      .knex('users')
      .insert([
        { account_id: account.id, username: 'owner.other', name: 'Otto Owner', email: 'otto@other.test', role: 'owner', password_hash: hash },
        { account_id: account.id, username: 'admin.other', name: 'Olga Admin', email: 'olga@other.test', role: 'admin', password_hash: hash },
        { account_id: account.id, username: 'lsp.other', name: 'Lou Other', email: 'lou@other.test', role: 'lsp', password_hash: hash, licensed_states: DEMO_STATES },
      ])
      .returning(['id', 'username']);
    other = { ownerId: rows.find((r) => r.username === 'owner.other')!.id, lspId: rows.find((r) => r.username === 'lsp.other')!.id };
  });

  beforeEach(async () => {
    // Alex active again with his three leads, Sam licensed where two of them are.
    const alex = await userId('lsp.alex');
    await db.knex('users').where({ id: alex }).update({ status: 'active' });
    await db.knex('users').where({ id: await userId('lsp.sam') }).update({ status: 'active', licensed_states: ['OH', 'TX'] });
    await db.knex('leads').where({ account_id: accountId }).whereIn('last_name', alexsLeads).update({ assigned_user_id: alex, status: 'active' });
  });

  it('asks where the open leads go, moves them to the chosen LSP (the unlicensed ones to the pool) with the call-back, and says so', async () => {
    const alex = await userId('lsp.alex');
    const sam = await userId('lsp.sam');
    const dueAt = new Date(Date.now() + 2 * 86_400_000);
    await db.knex('lead_events').insert({
      lead_id: await leadId('Gonzalez'),
      account_id: accountId,
      actor_user_id: alex,
      type: 'quick_action',
      data: { action: 'appointment', milestone: 'appointment', at: new Date().toISOString(), dueAt: dueAt.toISOString(), byUserId: alex },
    });
    const alexClient = await signedIn('lsp.alex', 'alex-demo-pass');

    const page = visibleText((await owner.get('/users')).text);
    expect(page).toContain('Set inactive…');
    expect(page).toMatch(/Alex Rivera’s 3 open leads go to the pool [^.]*Sam Chen \(not licensed for 1 of them: those go to the pool\) Their pending call-backs go with the leads/);
    expect(page).toContain('Set Alex Rivera inactive');

    const res = await owner.submit('/users', { intent: 'status', userId: alex, status: 'inactive', handTo: sam });
    expect(res.status).toBe(302);
    const text = visibleText((await owner.get(res.location!)).text);
    expect(text).toContain('Alex Rivera is inactive. Moved 2 leads to Sam Chen; 1 not licensed for Sam Chen went to the pool (WA: 1). 1 pending call-back went with its lead. (Saved; the workflows of 3 leads were not told.)');
    expect(await status('lsp.alex')).toBe('inactive');
    expect([await holder('Gonzalez'), await holder('Smith'), await holder('Kim')]).toEqual([sam, sam, null]);
    expect(await db.knex('leads').where({ assigned_user_id: alex }).whereIn('status', ['new', 'active'])).toEqual([]);
    // Signed out at once.
    expect((await alexClient.get('/leads')).location).toMatch(/^\/login/);
    // The lead's history says who has the call-back now, on the agency's clock.
    // On the viewer's clock (the agency's, Chicago); the lead's clock is the same, so it is not repeated.
    const when = new Intl.DateTimeFormat('en-US', { weekday: 'short', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', timeZone: 'America/Chicago' }).format(dueAt);
    const history = visibleText((await owner.get(`/leads/${await leadId('Gonzalez')}`)).text);
    expect(history).toContain(`Call back on ${when} handed to Sam Chen`);
    expect(history).toContain('Handed to Sam Chen by Dana Owner: Alex Rivera left');
    // Nothing is left to hand over: the page offers no hand-over for Alex now.
    expect(visibleText((await owner.get('/users')).text)).not.toContain('Alex Rivera’s 3 open leads');
  });

  it('returns them to the pool when the owner chooses the pool', async () => {
    const res = await owner.submit('/users', { intent: 'status', userId: await userId('lsp.alex'), status: 'inactive', handTo: 'pool' });
    expect(res.status).toBe(302);
    expect(visibleText((await owner.get(res.location!)).text)).toContain('Alex Rivera is inactive. Returned 3 leads to the pool.');
    for (const name of alexsLeads) expect(await holder(name), name).toBeNull();
  });

  it('refuses a target who cannot take leads, or a bad choice, and changes nothing', async () => {
    const alex = await userId('lsp.alex');
    const tries: Array<[string, number, string]> = [
      [await userId('support.kim'), 409, 'Kim Patel is not an LSP: leads are assigned to LSPs'],
      [alex, 400, 'Choose someone other than the user who is leaving'],
      ['somebody', 400, 'Choose the pool or an active LSP'],
    ];
    for (const [handTo, code, message] of tries) {
      const res = await owner.submit('/users', { intent: 'status', userId: alex, status: 'inactive', handTo });
      expect(res.status, handTo).toBe(code);
      expect(visibleText(res.text)).toContain(message);
    }
    await db.knex('users').where({ id: await userId('lsp.sam') }).update({ status: 'inactive' });
    const inactive = await owner.submit('/users', { intent: 'status', userId: alex, status: 'inactive', handTo: await userId('lsp.sam') });
    expect(inactive.status).toBe(409);
    expect(visibleText(inactive.text)).toContain('Sam Chen is inactive');
    expect(await status('lsp.alex')).toBe('active');
    for (const name of alexsLeads) expect(await holder(name), name).toBe(alex);
  });

  it('only the owner can, with the CSRF token; another account answers 404', async () => {
    const alex = await userId('lsp.alex');
    const form = { intent: 'status', userId: alex, status: 'inactive', handTo: 'pool' };
    // An LSP, and this account's admin (who sees the page read-only, without the form).
    const sam = await signedIn('lsp.sam', 'sam-demo-pass');
    expect((await sam.submit('/users', form, { from: '/leads' })).status).toBe(403);
    const ada = await signedIn('admin.demo', 'ada-admin-pass');
    expect(visibleText((await ada.get('/users')).text)).not.toContain('Set inactive');
    expect((await ada.submit('/users', form)).status).toBe(403);
    // Without the token.
    expect((await owner.post('/users', form)).status).toBe(403);
    // Another account's owner naming this account's user; this account's owner naming another account's LSP as the target.
    const otto = await signedIn('owner.other', 'other-pass-123');
    expect((await otto.submit('/users', form)).status).toBe(404);
    expect((await owner.submit('/users', { ...form, handTo: other.lspId })).status).toBe(404);
    // Another account's admin cannot manage users at all: refused before any id is looked at.
    const olga = await signedIn('admin.other', 'other-pass-123');
    expect((await olga.submit('/users', form)).status).toBe(403);
    expect(await status('lsp.alex')).toBe('active');
    for (const name of alexsLeads) expect(await holder(name), name).toBe(alex);
    expect(await db.knex('users').where({ id: other.ownerId }).first('status')).toEqual({ status: 'active' });
    // The page's outcome is read from this account's records: another account's inactive user in the address shows nothing.
    await db.knex('users').where({ id: other.lspId }).update({ status: 'inactive' });
    const foreign = visibleText((await owner.get(`/users?handedOver=${other.lspId}&untold=3`)).text);
    expect(foreign).not.toContain('Lou Other');
    expect(foreign).not.toContain('is inactive.');
  });
});

