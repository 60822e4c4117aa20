// The users API over real HTTP against the demo account: who works today and how much room each
// LSP has (GET), and a scheduling system changing an LSP's day (PATCH), scoped to the key's
// account, with a message per bad field.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountDay } from '../../db/distribution/ledger.ts';
import { randomSecret, sha256 } from '../../db/passwords.ts';
import { seedDemoAccount } from '../../db/seed.ts';
import type { RunningWebServer } from '../../web/server.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { createAccountWithAdmin } from '../support/fixtures.ts';
import { startTestWebServer } from '../support/http.ts';

let db: TestDatabase;
let web: RunningWebServer;
let apiKey: string;
let otherKey: string;
let otherAdmin: string;
let accountId: string;
const ids: Record<string, string> = {};

beforeAll(async () => {
  db = await createTestDatabase();
  const seeded = await seedDemoAccount(db.knex);
  apiKey = seeded.apiKey!;
  accountId = seeded.accountId;
  for (const u of await db.knex('users').where({ account_id: seeded.accountId }).select('id', 'username')) ids[u.username] = u.id;
  const other = await createAccountWithAdmin(db.knex, 'Other Agency');
  otherAdmin = other.userId;
  otherKey = randomSecret('lf_');
  await db.knex('api_keys').insert({ account_id: other.accountId, name: 'other', prefix: otherKey.slice(0, 8), key_hash: sha256(otherKey) });

  // A known day for Alex: 2 follow-ups due today, 1 lead newly assigned today (still his), and
  // a lead assigned today then taken away again; Sam has nothing today.
  const { start } = accountDay('America/Chicago');
  const inToday = (minutes: number) => new Date(start.getTime() + minutes * 60_000);
  await db.knex('assignments').where({ account_id: seeded.accountId }).del();
  await db.knex('leads').where({ account_id: seeded.accountId }).update({ next_follow_up_at: null });
  const leads = await db.knex('leads').where({ account_id: seeded.accountId }).orderBy('id').select('id');
  await db.knex('leads').whereIn('id', [leads[0].id, leads[1].id]).update({ assigned_user_id: ids['lsp.alex'], status: 'active', next_follow_up_at: inToday(1) });
  await db.knex('leads').where({ id: leads[2].id }).update({ assigned_user_id: ids['lsp.alex'], status: 'active' });
  await db.knex('assignments').insert({ account_id: seeded.accountId, lead_id: leads[2].id, user_id: ids['lsp.alex'], reason: 'test', created_at: inToday(2) });
  await db.knex('leads').where({ id: leads[3].id }).update({ assigned_user_id: null });
  await db.knex('assignments').insert({ account_id: seeded.accountId, lead_id: leads[3].id, user_id: ids['lsp.alex'], reason: 'test', created_at: inToday(2) });
  await db.knex('assignments').insert({ account_id: seeded.accountId, lead_id: leads[3].id, user_id: null, reason: 'test', created_at: inToday(3) });
  await db.knex('leads').where({ assigned_user_id: ids['lsp.sam'] }).update({ assigned_user_id: null });

  web = await startTestWebServer(db);
});

afterAll(async () => {
  await web?.close();
  await db?.destroy();
});

async function call(method: string, path: string, opts: { key?: string | null; body?: unknown } = {}) {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  const key = opts.key === undefined ? apiKey : opts.key;
  if (key) headers.Authorization = `Bearer ${key}`;
  const res = await fetch(`${web.url}${path}`, { method, headers, body: opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body) });
  return { status: res.status, body: await res.json() };
}

describe('GET /api/v1/users', () => {
  it('lists every user of the key’s account with today’s ledger for LSPs only', async () => {
    const res = await call('GET', '/api/v1/users');
    expect(res.status).toBe(200);
    const byName = Object.fromEntries(res.body.users.map((u: { name: string }) => [u.name, u]));
    expect(Object.keys(byName).sort()).toEqual(['Alex Rivera', 'Dana Owner', 'Kim Patel', 'Sam Chen']);
    const states = (await db.knex('accounts').where({ id: accountId }).first('licensed_states')).licensed_states;
    expect(states.length).toBeGreaterThan(0);
    expect(byName['Alex Rivera']).toEqual({
      id: ids['lsp.alex'],
      name: 'Alex Rivera',
      role: 'lsp',
      active: true,
      available: true,
      licensedStates: states,
      dailyTarget: 50,
      today: { followUpsDue: 2, newAssigned: 1, capacityLeft: 47 },
    });
    expect(byName['Sam Chen'].today).toEqual({ followUpsDue: 0, newAssigned: 0, capacityLeft: 50 });
    expect(byName['Dana Owner']).toMatchObject({ role: 'owner', today: null });
    expect(byName['Kim Patel']).toMatchObject({ role: 'support', today: null });
    // Nothing secret and nothing of the other account.
    expect(JSON.stringify(res.body)).not.toContain('scrypt');
    expect(JSON.stringify(res.body)).not.toContain(otherAdmin);
  });

  it('needs a valid key', async () => {
    expect((await call('GET', '/api/v1/users', { key: null })).status).toBe(401);
    expect((await call('GET', '/api/v1/users', { key: 'lf_not-a-key' })).status).toBe(401);
  });

  it('shows the other account only its own users', async () => {
    const res = await call('GET', '/api/v1/users', { key: otherKey });
    expect(res.body.users.map((u: { id: string }) => u.id)).toEqual([otherAdmin]);
  });
});

describe('PATCH /api/v1/users/:id', () => {
  it('changes any of available, dailyTarget and licensedStates and answers the user as GET shows them', async () => {
    const res = await call('PATCH', `/api/v1/users/${ids['lsp.sam']}`, { body: { available: false, dailyTarget: 30, licensedStates: ['ok', 'TX', 'TX'] } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: ids['lsp.sam'], available: false, dailyTarget: 30, licensedStates: ['OK', 'TX'], today: { followUpsDue: 0, newAssigned: 0, capacityLeft: 30 } });
    expect(await db.knex('users').where({ id: ids['lsp.sam'] }).first('available', 'daily_target', 'licensed_states')).toEqual({ available: false, daily_target: 30, licensed_states: ['OK', 'TX'] });

    // A field left out is left as it is.
    const again = await call('PATCH', `/api/v1/users/${ids['lsp.sam']}`, { body: { available: true } });
    expect(again.body).toMatchObject({ available: true, dailyTarget: 30, licensedStates: ['OK', 'TX'] });
    expect((await call('GET', `/api/v1/users/${ids['lsp.sam']}`)).body).toEqual(again.body);
  });

  it.each([
    [{ dailyTarget: 0 }, 'dailyTarget', 'Must be a whole number from 1 to 500'],
    [{ dailyTarget: 501 }, 'dailyTarget', 'Must be a whole number from 1 to 500'],
    [{ dailyTarget: 12.5 }, 'dailyTarget', 'Must be a whole number from 1 to 500'],
    [{ dailyTarget: '40' }, 'dailyTarget', 'Must be a whole number from 1 to 500'],
    [{ available: 'yes' }, 'available', 'Must be true or false'],
    [{ licensedStates: 'TX' }, 'licensedStates', 'Must be a list of two-letter state codes'],
    [{ licensedStates: ['TX', 'ZZ'] }, 'licensedStates', 'Not a US state, DC or territory: "ZZ"'],
    [{ role: 'owner' }, 'role', 'Unknown field'],
    [{}, 'body', 'Send at least one of'],
    [[], 'body', 'Must be a JSON object'],
    ['{not json', 'body', 'Must be a JSON object'],
  ])('refuses %j with a message for %s and changes nothing', async (body, field, message) => {
    const before = await db.knex('users').where({ id: ids['lsp.alex'] }).first('available', 'daily_target', 'licensed_states', 'role');
    const res = await call('PATCH', `/api/v1/users/${ids['lsp.alex']}`, { body });
    expect(res.status).toBe(400);
    expect(res.body.errors[field]).toContain(message);
    expect(await db.knex('users').where({ id: ids['lsp.alex'] }).first('available', 'daily_target', 'licensed_states', 'role')).toEqual(before);
  });

  it('answers 404 for an unknown user and for another account’s, and changes nothing there', async () => {
    expect((await call('PATCH', '/api/v1/users/00000000-0000-4000-8000-000000000000', { body: { available: false } })).status).toBe(404);
    expect((await call('PATCH', '/api/v1/users/not-a-uuid', { body: { available: false } })).status).toBe(404);
    expect((await call('PATCH', `/api/v1/users/${otherAdmin}`, { body: { dailyTarget: 7 } })).status).toBe(404);
    expect((await call('GET', `/api/v1/users/${otherAdmin}`)).status).toBe(404);
    expect((await db.knex('users').where({ id: otherAdmin }).first('daily_target')).daily_target).toBe(50);
    // The other account's key cannot reach this account's LSP either.
    expect((await call('PATCH', `/api/v1/users/${ids['lsp.alex']}`, { key: otherKey, body: { dailyTarget: 7 } })).status).toBe(404);
    expect((await call('PATCH', `/api/v1/users/${ids['lsp.alex']}`, { key: null, body: { dailyTarget: 7 } })).status).toBe(401);
    expect((await db.knex('users').where({ id: ids['lsp.alex'] }).first('daily_target')).daily_target).toBe(50);
  });
});
