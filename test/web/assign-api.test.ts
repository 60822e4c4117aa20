// PUT /api/v1/leads/:id/assignee and the assignments in GET /api/v1/leads/:id, over real HTTP
// with the account's API key. The web server runs without Temporal here, so every answer says
// the workflow is pending (test/db/assign.test.ts covers the signal).
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { randomSecret, sha256 } from '../../db/passwords.ts';
import { createAccountWithAdmin } from '../support/fixtures.ts';
import { demoWebSuite } from '../support/web-suite.ts';

const suite = demoWebSuite();
const DEMO_STATES = ['AZ', 'CO', 'IL', 'MA', 'NJ', 'OH', 'TX', 'WA'];
let accountId: string;
let apiKey: string;
let otherKey: string;
let otherAdmin: string;
const users: Record<string, string> = {};
const leads: Record<string, string> = {};

async function addKey(account: string): Promise<string> {
  const key = randomSecret('lf_');
  await suite.db.knex('api_keys').insert({ account_id: account, name: 'hr-system', prefix: key.slice(0, 8), key_hash: sha256(key) });
  return key;
}

async function put(leadId: string, body: unknown, key: string | null = apiKey) {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (key) headers.Authorization = `Bearer ${key}`;
  const res = await fetch(`${suite.web.url}/api/v1/leads/${leadId}/assignee`, { method: 'PUT', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}
async function get(leadId: string, key = apiKey) {
  const res = await fetch(`${suite.web.url}/api/v1/leads/${leadId}`, { headers: { Authorization: `Bearer ${key}` } });
  return { status: res.status, body: await res.json() };
}

beforeAll(async () => {
  const knex = suite.db.knex;
  for (const u of await knex('users').select('id', 'username')) users[u.username] = u.id;
  accountId = (await knex('users').where({ username: 'A0DEMO1' }).first('account_id')).account_id;
  for (const l of await knex('leads').where({ account_id: accountId }).select('id', 'last_name')) leads[l.last_name] = l.id;
  apiKey = await addKey(accountId);
  const other = await createAccountWithAdmin(knex, 'Other Agency');
  otherAdmin = other.userId;
  otherKey = await addKey(other.accountId);
});
beforeEach(async () => {
  await suite.db.knex('users').where({ account_id: accountId, role: 'lsp' }).update({ licensed_states: DEMO_STATES, status: 'active' });
});

describe('PUT /api/v1/leads/:id/assignee', () => {
  it('assigns: 200 with the assignment and the lead’s assignee, recorded with its reason; GET shows it', async () => {
    const leadId = leads['Novak']!; // CO, unassigned
    const res = await put(leadId, { userId: users['lsp.sam'], reason: 'HR system: Sam is on the Colorado desk' });
    expect(res).toEqual({
      status: 200,
      body: {
        changed: true,
        assignment: { id: expect.any(String), userId: users['lsp.sam'], assignedByUserId: null, method: 'api', reason: 'HR system: Sam is on the Colorado desk', createdAt: expect.any(String) },
        lead: { id: leadId, assignee: { id: users['lsp.sam'], name: 'Sam Chen' } },
        workflowPending: true,
      },
    });
    const row = await suite.db.knex('assignments').where({ id: res.body.assignment.id }).first();
    expect(row).toMatchObject({ lead_id: leadId, user_id: users['lsp.sam'], assigned_by_user_id: null });
    const ev = await suite.db.knex('lead_events').where({ lead_id: leadId, type: 'assigned' }).first();
    expect(ev).toMatchObject({ actor_user_id: null, actor_system: 'api', note: 'Assigned to Sam Chen by the API: HR system: Sam is on the Colorado desk' });

    // The same again: nothing new, the same assignment answered.
    const again = await put(leadId, { userId: users['lsp.sam'], reason: 'again' });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ changed: false, assignment: { id: res.body.assignment.id } });
    expect(again.body.workflowPending).toBeUndefined();

    const got = await get(leadId);
    expect(got.status).toBe(200);
    expect(got.body.assignee).toMatchObject({ id: users['lsp.sam'], name: 'Sam Chen' });
    expect(got.body.assignments[0]).toMatchObject({ id: res.body.assignment.id, userId: users['lsp.sam'], to: 'Sam Chen', assignedByUserId: null, by: null, method: 'api', reason: 'HR system: Sam is on the Colorado desk' });

    // Unassign with null.
    const un = await put(leadId, { userId: null, reason: 'Sam left the desk' });
    expect(un.status).toBe(200);
    expect(un.body).toMatchObject({ changed: true, assignment: { userId: null, reason: 'Sam left the desk' }, lead: { id: leadId, assignee: null } });
    expect((await get(leadId)).body.assignments.map((a: { reason: string }) => a.reason).slice(0, 2)).toEqual(['Sam left the desk', 'HR system: Sam is on the Colorado desk']);
  });

  it('answers 409 with a message for an LSP not licensed in the lead’s state, and for an inactive one', async () => {
    const leadId = leads['Walsh']!; // IL
    await suite.db.knex('users').where({ id: users['lsp.alex'] }).update({ licensed_states: ['TX'] });
    expect(await put(leadId, { userId: users['lsp.alex'], reason: 'x' })).toEqual({ status: 409, body: { error: 'Alex Rivera is not licensed in IL' } });
    await suite.db.knex('users').where({ id: users['lsp.sam'] }).update({ status: 'inactive' });
    expect(await put(leadId, { userId: users['lsp.sam'], reason: 'x' })).toEqual({ status: 409, body: { error: 'Sam Chen is inactive' } });
    expect((await suite.db.knex('leads').where({ id: leadId }).first()).assigned_user_id).toBeNull();
  });

  it('answers 404 for an unknown lead or user, and for another account’s lead or user', async () => {
    const leadId = leads['Walsh']!;
    expect((await put('00000000-0000-4000-8000-000000000000', { userId: users['lsp.alex'], reason: 'x' })).status).toBe(404);
    expect((await put('not-a-lead', { userId: users['lsp.alex'], reason: 'x' })).status).toBe(404);
    expect(await put(leadId, { userId: '00000000-0000-4000-8000-000000000000', reason: 'x' })).toEqual({ status: 404, body: { error: 'User not found' } });
    expect((await put(leadId, { userId: otherAdmin, reason: 'x' })).status).toBe(404);
    // The other account's key cannot reach this account's lead or LSP.
    expect((await put(leadId, { userId: users['lsp.alex'], reason: 'x' }, otherKey)).status).toBe(404);
    expect((await get(leadId, otherKey)).status).toBe(404);
    expect((await suite.db.knex('leads').where({ id: leadId }).first()).assigned_user_id).toBeNull();
  });

  it('answers 400 with field errors for bad input, and 401 without a key', async () => {
    const leadId = leads['Walsh']!;
    expect(await put(leadId, { userId: users['lsp.alex'] })).toEqual({ status: 400, body: { errors: { reason: 'Required: why this assignment' } } });
    expect(await put(leadId, { userId: users['lsp.alex'], reason: '   ' })).toEqual({ status: 400, body: { errors: { reason: 'Required: why this assignment' } } });
    expect(await put(leadId, { userId: users['lsp.alex'], reason: 'x'.repeat(501) })).toEqual({ status: 400, body: { errors: { reason: 'At most 500 characters' } } });
    expect(await put(leadId, { userId: users['lsp.alex'], reason: 'a\u0000b' })).toMatchObject({ status: 400, body: { errors: { reason: expect.stringContaining('control character') } } });
    expect(await put(leadId, { userId: 'alex', reason: 'x' })).toEqual({ status: 400, body: { errors: { userId: 'Must be a user id (uuid) or null' } } });
    expect(await put(leadId, { reason: 'x' })).toEqual({ status: 400, body: { errors: { userId: 'Required: a user id, or null to unassign' } } });
    expect(await put(leadId, { userId: users['lsp.alex'], reason: 'x', priority: 1 })).toEqual({ status: 400, body: { errors: { body: 'Unknown field: priority' } } });
    expect(await put(leadId, '{nope')).toEqual({ status: 400, body: { errors: { body: 'Must be a JSON object' } } });
    expect(await put(leadId, [1])).toEqual({ status: 400, body: { errors: { body: 'Must be a JSON object' } } });
    expect((await put(leadId, { userId: null, reason: 'x' }, null)).status).toBe(401);
    expect((await suite.db.knex('leads').where({ id: leadId }).first()).assigned_user_id).toBeNull();
  });

  it('answers 405 to other methods', async () => {
    const res = await fetch(`${suite.web.url}/api/v1/leads/${leads['Walsh']}/assignee`, { headers: { Authorization: `Bearer ${apiKey}` } });
    expect(res.status).toBe(405);
    expect(res.headers.get('Allow')).toBe('PUT');
  });
});
