// Manual assignment (db/distribution/assign.ts) against the real database: licensing, user and
// lead checks, idempotency, concurrency and the bulk report; and, with a time-skipping Temporal
// server and a worker running a recorder workflow, the signal each changed lead's workflow gets.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AssignmentError, assignLeads, type AssignDeps, type AssignRequest } from '../../db/distribution/assign.ts';
import { seedDemoAccount } from '../../db/seed.ts';
import type { AssignmentChange } from '../../workflows/lead/messages.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { createAccountWithAdmin } from '../support/fixtures.ts';
import { createTimeSkippingEnv, uniqueTaskQueue, withWorker } from '../support/temporal.ts';

const RECORDER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/assignment-recorder-workflow.ts');
let db: TestDatabase;
let deps: AssignDeps;
let accountId: string;
let ownerId: string;
let alexId: string;
let samId: string;
let otherAccount: { accountId: string; userId: string };

const user = async (username: string) => (await db.knex('users').where({ username }).first('id')).id as string;
const leadBy = async (lastName: string) => (await db.knex('leads').where({ account_id: accountId, last_name: lastName }).first('id')).id as string;
const assign = (over: Partial<AssignRequest> & Pick<AssignRequest, 'leadIds'>) =>
  assignLeads(deps, { accountId, userId: alexId, byUserId: ownerId, reason: 'works the west', ...over });

async function refusal(p: Promise<unknown>): Promise<AssignmentError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AssignmentError);
  return err as AssignmentError;
}

beforeAll(async () => {
  db = await createTestDatabase();
  await seedDemoAccount(db.knex);
  deps = { db: db.knex, temporal: null };
  ownerId = await user('A0DEMO1');
  alexId = await user('lsp.alex');
  samId = await user('lsp.sam');
  accountId = (await db.knex('users').where({ id: ownerId }).first('account_id')).account_id;
  otherAccount = await createAccountWithAdmin(db.knex, 'Other Agency');
});
afterAll(async () => {
  await db?.destroy();
});
beforeEach(async () => {
  await db.knex('users').whereIn('id', [alexId, samId]).update({ status: 'active', licensed_states: ['AZ', 'CO', 'IL', 'MA', 'NJ', 'OH', 'TX', 'WA'] });
});

describe('assignLeads', () => {
  it('assigns a lead: the lead row, one assignments row and one history row, in words', async () => {
    const leadId = await leadBy('Novak'); // Denver, CO, unassigned in the seed
    const result = await assign({ leadIds: [leadId], reason: 'Colorado lead for Alex' });
    expect(result.assigned).toHaveLength(1);
    expect(result.user).toEqual({ id: alexId, name: 'Alex Rivera' });
    const lead = await db.knex('leads').where({ id: leadId }).first();
    expect(lead.assigned_user_id).toBe(alexId);
    expect(lead.status).toBe('new'); // assignment does not start the work; a Quick Action does
    const rows = await db.knex('assignments').where({ lead_id: leadId });
    expect(rows).toEqual([expect.objectContaining({ user_id: alexId, assigned_by_user_id: ownerId, reason: 'Colorado lead for Alex', account_id: accountId })]);
    const events = await db.knex('lead_events').where({ lead_id: leadId, type: 'assigned' });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actor_user_id: ownerId, note: 'Assigned to Alex Rivera by Dana Owner: Colorado lead for Alex' });
    expect(events[0].data).toMatchObject({ userId: alexId, byUserId: ownerId, reason: 'Colorado lead for Alex', previousUserId: null });
    // Temporal is off here: the assignment stands and the result says the workflow was not told.
    expect(result.signalFailures).toEqual([{ leadId, message: expect.stringContaining('Temporal is not configured') }]);
  });

  it('is idempotent: assigning a lead to the user it already has writes nothing', async () => {
    const leadId = await leadBy('Haddad');
    await assign({ leadIds: [leadId] });
    const again = await assign({ leadIds: [leadId], reason: 'again' });
    expect(again.assigned).toEqual([]);
    expect(again.unchanged).toEqual([leadId]);
    expect(await db.knex('assignments').where({ lead_id: leadId }).count({ n: '*' })).toEqual([{ n: '1' }]);
    expect(await db.knex('lead_events').where({ lead_id: leadId }).whereIn('type', ['assigned', 'unassigned']).count({ n: '*' })).toEqual([{ n: '1' }]);
  });

  it('refuses a user not licensed in the lead’s state, naming the LSP and the state', async () => {
    const leadId = await leadBy('Walsh'); // Chicago, IL
    await db.knex('users').where({ id: alexId }).update({ licensed_states: ['TX'] });
    const err = await refusal(assign({ leadIds: [leadId] }));
    expect(err.kind).toBe('conflict');
    expect(err.message).toBe('Alex Rivera is not licensed in IL');
    expect((await db.knex('leads').where({ id: leadId }).first()).assigned_user_id).toBeNull();
    expect(await db.knex('assignments').where({ lead_id: leadId })).toEqual([]);
  });

  it('refuses an inactive user (conflict) and an unknown or other account’s user or lead (not found)', async () => {
    const leadId = await leadBy('Walsh');
    await db.knex('users').where({ id: samId }).update({ status: 'inactive' });
    const inactive = await refusal(assign({ leadIds: [leadId], userId: samId }));
    expect([inactive.kind, inactive.message]).toEqual(['conflict', 'Sam Chen is inactive']);
    const otherUser = await refusal(assign({ leadIds: [leadId], userId: otherAccount.userId }));
    expect([otherUser.kind, otherUser.status]).toEqual(['not_found', 404]);
    expect((await refusal(assign({ leadIds: [leadId], userId: '00000000-0000-4000-8000-000000000000' }))).kind).toBe('not_found');
    expect((await refusal(assign({ leadIds: ['not-a-uuid'] }))).kind).toBe('not_found');
    // Another account's lead, assigned by that account's admin to our LSP, or by us.
    const [foreign] = await db
      .knex('leads')
      .insert({ account_id: otherAccount.accountId, first_name: 'Ann', last_name: 'Other', dup_key: 'ann other x', source: 'manual', state: 'CO', city: 'Denver', zip: '80202', address_line1: '1 Main' })
      .returning('id');
    expect((await refusal(assign({ leadIds: [foreign.id] }))).kind).toBe('not_found');
    expect((await refusal(assignLeads(deps, { accountId: otherAccount.accountId, leadIds: [foreign.id], userId: alexId, byUserId: otherAccount.userId, reason: 'x' }))).kind).toBe('not_found');
    // The owner is a user of the account but not an LSP.
    expect((await refusal(assign({ leadIds: [leadId], userId: ownerId }))).message).toBe('Dana Owner is not an LSP: leads are assigned to LSPs');
    expect((await refusal(assign({ leadIds: [leadId], reason: '   ' }))).kind).toBe('invalid');
  });

  it('refuses a recycled lead alone, and skips it in bulk', async () => {
    const leadId = await leadBy('Walsh');
    await db.knex('leads').where({ id: leadId }).update({ status: 'recycled' });
    try {
      expect((await refusal(assign({ leadIds: [leadId] }))).message).toBe('Peter Walsh is recycled: restore the lead before assigning it');
      const bulk = await assign({ leadIds: [leadId], bulk: true });
      expect(bulk.skipped).toEqual([{ leadId, reason: 'Peter Walsh is recycled: restore the lead before assigning it' }]);
    } finally {
      await db.knex('leads').where({ id: leadId }).update({ status: 'new' });
    }
  });

  it('in bulk assigns the licensed leads and skips and reports the others', async () => {
    const texas = await leadBy('Gonzalez');
    const ohio = await leadBy('Smith');
    const jersey = await leadBy('Khan');
    await db.knex('users').where({ id: samId }).update({ licensed_states: ['TX', 'NJ'] });
    const result = await assign({ leadIds: [texas, ohio, jersey], userId: samId, bulk: true, reason: 'rebalance' });
    expect(result.assigned.map((a) => a.leadId).sort()).toEqual([texas].sort());
    expect(result.unchanged).toEqual([jersey]); // already Sam's
    expect(result.skipped).toEqual([{ leadId: ohio, reason: 'Sam Chen is not licensed in OH' }]);
    expect((await db.knex('leads').where({ id: ohio }).first()).assigned_user_id).toBe(alexId);
    // onlyUnassigned: a lead someone holds is skipped, not taken over.
    const held = await assign({ leadIds: [ohio], userId: samId, bulk: true, onlyUnassigned: true, reason: 'pool only' });
    expect(held.skipped[0]!.reason).toMatch(/^James Smith is (already assigned to Alex Rivera|not licensed in OH)$/);
    await db.knex('users').where({ id: samId }).update({ licensed_states: ['OH'] });
    const held2 = await assign({ leadIds: [ohio], userId: samId, bulk: true, onlyUnassigned: true, reason: 'pool only' });
    expect(held2.skipped).toEqual([{ leadId: ohio, reason: 'James Smith is already assigned to Alex Rivera' }]);
    // Back to Alex for the other tests.
    await assign({ leadIds: [texas] });
  });

  it('unassigns, recording from whom', async () => {
    const leadId = await leadBy('Kim'); // Alex's in the seed
    const result = await assign({ leadIds: [leadId], userId: null, reason: 'Alex is on leave' });
    expect(result.assigned).toHaveLength(1);
    expect((await db.knex('leads').where({ id: leadId }).first()).assigned_user_id).toBeNull();
    const ev = await db.knex('lead_events').where({ lead_id: leadId, type: 'unassigned' }).first();
    expect(ev.note).toBe('Unassigned from Alex Rivera by Dana Owner: Alex is on leave');
    expect((await db.knex('assignments').where({ lead_id: leadId }).orderBy('id').select('user_id', 'reason')).at(-1)).toEqual({ user_id: null, reason: 'Alex is on leave' });
  });

  it('two concurrent assignments of one lead happen one after the other: the last one holds, both are in the history in order', async () => {
    const leadId = await leadBy('Haddad');
    await assign({ leadIds: [leadId], userId: null, reason: 'reset' });
    for (let round = 0; round < 5; round++) {
      const before = await db.knex('assignments').where({ lead_id: leadId }).count<{ n: string }[]>({ n: '*' });
      await Promise.all([assign({ leadIds: [leadId], userId: alexId, reason: `a${round}` }), assign({ leadIds: [leadId], userId: samId, reason: `s${round}` })]);
      const rows = await db.knex('assignments').where({ lead_id: leadId }).orderBy('id');
      expect(rows.length - Number(before[0]!.n)).toBe(2);
      const [first, second] = rows.slice(-2);
      expect(first.user_id).not.toBe(second.user_id);
      expect(second.created_at.getTime()).toBeGreaterThanOrEqual(first.created_at.getTime());
      const lead = await db.knex('leads').where({ id: leadId }).first();
      expect(lead.assigned_user_id).toBe(second.user_id);
      const events = await db.knex('lead_events').where({ lead_id: leadId, type: 'assigned' }).orderBy('created_at').orderBy('id');
      expect(events.slice(-2).map((e) => e.data.userId)).toEqual([first.user_id, second.user_id]);
      // The second saw the first's assignee: its history says from whom.
      expect(events.at(-1).data.previousUserId).toBe(first.user_id);
      await assign({ leadIds: [leadId], userId: null, reason: 'reset' });
    }
  });
});

describe('assignLeads with Temporal', () => {
  let env: TestWorkflowEnvironment;
  const taskQueue = uniqueTaskQueue('assign');
  beforeAll(async () => {
    env = await createTimeSkippingEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('tells each changed lead’s workflow, after the commit, starting one that was not running', async () => {
    const texas = await leadBy('Gonzalez');
    const colorado = await leadBy('Novak');
    await assign({ leadIds: [texas, colorado], userId: null, reason: 'reset' });
    await withWorker(env, { taskQueue, workflowsPath: RECORDER }, async () => {
      const result = await assignLeads({ db: db.knex, temporal: env.client, taskQueue }, { accountId, leadIds: [texas, colorado], userId: samId, byUserId: ownerId, reason: 'Sam takes these', bulk: true });
      expect(result.signalFailures).toEqual([]);
      for (const leadId of [texas, colorado]) {
        const changes = await env.client.workflow.getHandle(`lead-${leadId}`).query<AssignmentChange[]>('assignmentChanges');
        expect(changes).toEqual([{ userId: samId, byUserId: ownerId, reason: 'Sam takes these', at: expect.any(String) }]);
      }
    });
  });

  it('keeps the assignment when the signal fails, and reports it', async () => {
    const leadId = await leadBy('Gonzalez');
    const result = await assignLeads({ db: db.knex, temporal: () => Promise.reject(new Error('Temporal is down')), taskQueue }, { accountId, leadIds: [leadId], userId: alexId, byUserId: ownerId, reason: 'back to Alex' });
    expect(result.signalFailures).toEqual([{ leadId, message: 'Temporal is down' }]);
    expect((await db.knex('leads').where({ id: leadId }).first()).assigned_user_id).toBe(alexId);
  });
});
