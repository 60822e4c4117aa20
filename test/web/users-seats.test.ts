// Users & Seats through HTTP: the owner adds users while seats last, gets the seat rule's own
// message when they do not, and frees a seat by setting a user inactive.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
