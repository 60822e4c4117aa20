// The holding period's decision, made in PostgreSQL when the lead's timer fires: a lead goes
// back to the pool only if the same LSP still holds it, no Quick Action came in the period and
// the period (as the account has it now) is over; otherwise the workflow is told when to look
// again. The lead's workflow and the account's distribution workflow are told after the commit.
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHoldingPeriodActivities } from '../../activities/lead/holding-period.ts';
import { createQuickActionActivities } from '../../activities/lead/quick-action.ts';
import { systemClock } from '../../activities/index.ts';
import { lockDistribution, LOCKED_LEAD_COLUMNS, writeAssignments } from '../../db/distribution/assign.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { createAccountWithAdmin, createLsp, insertLeads, setTemplate } from '../support/fixtures.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.destroy();
});

const DAY = 86_400_000;

/** A client that records what would have been sent: signal-with-start is all the activity uses. */
function recordingClient() {
  const sent: Array<{ workflowId: string; signal: string; args: unknown[] }> = [];
  const client = {
    workflow: {
      signalWithStart: async (_type: string, opts: { workflowId: string; signal: { name: string } | string; signalArgs: unknown[] }) => {
        sent.push({ workflowId: opts.workflowId, signal: typeof opts.signal === 'string' ? opts.signal : opts.signal.name, args: opts.signalArgs });
        return {};
      },
    },
  } as unknown as Client;
  return { client, sent };
}

function activities(temporal: Client | null = null) {
  const deps = { db: db.knex, clock: systemClock, appUrl: 'https://leads.agency.example', eagentAllowPrivate: false };
  return { ...createHoldingPeriodActivities({ ...deps, temporal, taskQueue: 'leads' }), ...createQuickActionActivities(deps) };
}

/** An account holding leads `days` days, Alex and Sam (LSPs), and one lead. */
async function setup(days: number | null) {
  const { accountId, userId: adminId } = await createAccountWithAdmin(db.knex);
  await db.knex('accounts').where({ id: accountId }).update({ holding_days: days });
  const alex = await createLsp(db.knex, accountId, { name: 'Alex Rivera' });
  const sam = await createLsp(db.knex, accountId, { name: 'Sam Ortiz' });
  const [leadId] = await insertLeads(db.knex, accountId, [{ status: 'active', milestone: 'new' }]);
  return { accountId, adminId, alex, sam, leadId: leadId! };
}

/** Assigns the way db/distribution/assign.ts writes it, stamped `at`. */
async function assignAt(accountId: string, leadId: string, userId: string | null, at: Date) {
  await db.knex.transaction(async (trx) => {
    await lockDistribution(trx, accountId);
    const lead = await trx('leads').where({ id: leadId }).forUpdate().first(...LOCKED_LEAD_COLUMNS);
    await writeAssignments(trx, accountId, at, [{ lead, userId, byUserId: null, actorSystem: 'api', reason: 'test', method: 'api', note: 'assigned by the test' }]);
  });
}

const leadNow = (leadId: string) => db.knex('leads').where({ id: leadId }).first('assigned_user_id', 'updated_at');
const assignmentsOf = (leadId: string) => db.knex('assignments').where({ lead_id: leadId }).orderBy('created_at').select('user_id', 'method', 'reason', 'detail', 'assigned_by_user_id', 'created_at');
const historyOf = (leadId: string, type: string) => db.knex('lead_events').where({ lead_id: leadId, type }).orderBy('id').select('note', 'actor_system', 'actor_user_id', 'data');

describe('returnHeldLead', () => {
  it('returns a lead its LSP has held past the period without a Quick Action, records why, and tells its workflow and auto-assign', async () => {
    const { accountId, alex, leadId } = await setup(3);
    await setTemplate(db.knex, accountId, 'auto_assign', true);
    const assignedAt = new Date(Date.now() - 4 * DAY);
    await assignAt(accountId, leadId, alex, assignedAt);
    const { client, sent } = recordingClient();

    const check = await activities(client).returnHeldLead({ leadId, userId: alex, since: assignedAt.toISOString(), at: new Date().toISOString() });
    expect(check).toMatchObject({ returned: true, days: 3, dueAt: null, assignee: { userId: null } });
    expect((await leadNow(leadId)).assigned_user_id).toBeNull();
    const rows = await assignmentsOf(leadId);
    expect(rows).toHaveLength(2);
    expect(rows[1]).toMatchObject({
      user_id: null,
      method: 'holding_period',
      assigned_by_user_id: null,
      reason: 'Holding period: no Quick Action by Alex Rivera for 3 days',
      detail: { holdingDays: 3, heldSince: assignedAt.toISOString(), dueAt: new Date(assignedAt.getTime() + 3 * DAY).toISOString(), previousUserId: alex },
    });
    expect(rows[1].created_at.toISOString()).toBe(check.assignee.at);
    expect(await historyOf(leadId, 'unassigned')).toEqual([
      {
        note: 'Returned to the pool: Alex Rivera recorded no Quick Action for 3 days (the holding period)',
        actor_system: 'holding-period',
        actor_user_id: null,
        data: expect.objectContaining({ userId: null, method: 'holding_period', previousUserId: alex, reason: 'Holding period: no Quick Action by Alex Rivera for 3 days' }),
      },
    ]);
    expect(sent).toEqual([
      { workflowId: `lead-${leadId}`, signal: 'assignmentChanged', args: [{ userId: null, byUserId: null, reason: 'Holding period: no Quick Action by Alex Rivera for 3 days', at: check.assignee.at }] },
      { workflowId: `distribution-${accountId}`, signal: 'autoAssignRequested', args: [{ why: 'a lead returned to the pool' }] },
    ]);

    // A retry after the commit (the worker died before reporting) finds the lead in the pool and does nothing.
    const again = await activities(client).returnHeldLead({ leadId, userId: alex, since: assignedAt.toISOString(), at: new Date().toISOString() });
    expect(again).toEqual({ returned: false, days: 3, dueAt: null, assignee: { userId: null, at: check.assignee.at } });
    expect(await assignmentsOf(leadId)).toHaveLength(2);
    expect(await historyOf(leadId, 'unassigned')).toHaveLength(1);
    expect(sent).toHaveLength(2);
  });

  it('leaves a lead reassigned meanwhile to its new LSP, and says who holds it since when', async () => {
    const { accountId, alex, sam, leadId } = await setup(3);
    const first = new Date(Date.now() - 5 * DAY);
    const second = new Date(Date.now() - 1 * DAY);
    await assignAt(accountId, leadId, alex, first);
    await assignAt(accountId, leadId, sam, second);
    const { client, sent } = recordingClient();
    const check = await activities(client).returnHeldLead({ leadId, userId: alex, since: first.toISOString(), at: new Date().toISOString() });
    expect(check).toEqual({ returned: false, days: 3, dueAt: null, assignee: { userId: sam, at: second.toISOString() } });
    expect((await leadNow(leadId)).assigned_user_id).toBe(sam);
    expect(await assignmentsOf(leadId)).toHaveLength(2);
    expect(sent).toEqual([]);

    // Asked for Sam with what the workflow knew of Alex: Sam's own assignment starts the period.
    const forSam = await activities(client).returnHeldLead({ leadId, userId: sam, since: first.toISOString(), at: new Date().toISOString() });
    expect(forSam).toMatchObject({ returned: false, dueAt: new Date(second.getTime() + 3 * DAY).toISOString() });
  });

  it('keeps a lead with a Quick Action in the period, and says when its period now ends', async () => {
    const { accountId, alex, leadId } = await setup(3);
    const assignedAt = new Date(Date.now() - 4 * DAY);
    await assignAt(accountId, leadId, alex, assignedAt);
    const a = activities();
    await a.recordQuickAction({ leadId, request: { actionId: 'qa-1', action: 'attempted_contact', byUserId: alex, at: new Date().toISOString() }, milestone: 'attempted_contact' });
    const recorded = await db.knex('lead_events').where({ lead_id: leadId, type: 'quick_action' }).first('created_at');

    // The workflow did not count the action (its copy was behind): the history here does.
    const check = await a.returnHeldLead({ leadId, userId: alex, since: assignedAt.toISOString(), at: new Date().toISOString() });
    expect(check).toEqual({ returned: false, days: 3, dueAt: new Date(recorded.created_at.getTime() + 3 * DAY).toISOString(), assignee: { userId: alex, at: assignedAt.toISOString() } });
    expect((await leadNow(leadId)).assigned_user_id).toBe(alex);
    expect(await historyOf(leadId, 'unassigned')).toEqual([]);
  });

  it('judges by the period the account has now: longer waits, off keeps the lead, shorter returns it', async () => {
    const { accountId, alex, leadId } = await setup(2);
    const assignedAt = new Date(Date.now() - 3 * DAY);
    await assignAt(accountId, leadId, alex, assignedAt);
    const ask = () => activities().returnHeldLead({ leadId, userId: alex, since: assignedAt.toISOString(), at: new Date().toISOString() });

    await db.knex('accounts').where({ id: accountId }).update({ holding_days: 5 });
    expect(await ask()).toMatchObject({ returned: false, days: 5, dueAt: new Date(assignedAt.getTime() + 5 * DAY).toISOString() });
    await db.knex('accounts').where({ id: accountId }).update({ holding_days: null });
    expect(await ask()).toMatchObject({ returned: false, days: null, dueAt: null });
    expect((await leadNow(leadId)).assigned_user_id).toBe(alex);

    await db.knex('accounts').where({ id: accountId }).update({ holding_days: 1 });
    expect(await ask()).toMatchObject({ returned: true, days: 1 });
    expect(await assignmentsOf(leadId)).toMatchObject([{ user_id: alex }, { user_id: null, method: 'holding_period', reason: 'Holding period: no Quick Action by Alex Rivera for 1 day' }]);
  });

  it('waits until the period is over as the workflow counts it', async () => {
    const { accountId, alex, leadId } = await setup(3);
    const assignedAt = new Date(Date.now() - 4 * DAY);
    await assignAt(accountId, leadId, alex, assignedAt);
    // The workflow counted from a later moment (its clock ran ahead): the later start wins.
    const since = new Date(Date.now() - 2 * DAY);
    const check = await activities().returnHeldLead({ leadId, userId: alex, since: since.toISOString(), at: new Date().toISOString() });
    expect(check).toMatchObject({ returned: false, dueAt: new Date(since.getTime() + 3 * DAY).toISOString() });
    expect((await leadNow(leadId)).assigned_user_id).toBe(alex);
  });

  it.each([
    ['sold', 'active'],
    ['new', 'archived'],
    ['new', 'recycled'],
  ])('keeps a lead whose milestone is %s and status %s: nobody works it any more', async (milestone, status) => {
    const { accountId, alex, leadId } = await setup(1);
    const assignedAt = new Date(Date.now() - 4 * DAY);
    await assignAt(accountId, leadId, alex, assignedAt);
    await db.knex('leads').where({ id: leadId }).update({ milestone, status });
    const check = await activities().returnHeldLead({ leadId, userId: alex, since: assignedAt.toISOString(), at: new Date().toISOString() });
    expect(check).toMatchObject({ returned: false, dueAt: null });
    expect((await leadNow(leadId)).assigned_user_id).toBe(alex);
  });

  it('stamps the return after the assignment it ends, even when the clocks disagree', async () => {
    const { accountId, alex, leadId } = await setup(1);
    // Stamped ahead of the database's clock (another host's clock, or a test server's skipped time).
    const assignedAt = new Date(Date.now() + 1 * DAY);
    await assignAt(accountId, leadId, alex, assignedAt);
    const check = await activities().returnHeldLead({ leadId, userId: alex, since: assignedAt.toISOString(), at: new Date(assignedAt.getTime() + 2 * DAY).toISOString() });
    expect(check.returned).toBe(true);
    expect(Date.parse(check.assignee.at!)).toBe(assignedAt.getTime() + 1);
  });
});

describe('holdingPeriod', () => {
  it('reads the account’s period, null when off', async () => {
    const on = await setup(7);
    const off = await setup(null);
    expect(await activities().holdingPeriod({ accountId: on.accountId })).toEqual({ days: 7 });
    expect(await activities().holdingPeriod({ accountId: off.accountId })).toEqual({ days: null });
  });
});
