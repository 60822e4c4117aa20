// Auto-assign end to end on the offline Temporal server: intake triggers the account's
// distribution workflow, which runs passes (real activity, real PostgreSQL) and tells each lead's
// workflow. A thousand concurrent intakes never put an LSP over target or assign a lead twice;
// the workday start comes round by the workflow's own timer (time skipping), on a new day in
// the account's zone, with that day's follow-ups counted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createDistributionActivities } from '../../activities/distribution.ts';
import { nextWorkdayStart } from '../../db/distribution/ledger.ts';
import { intakeLead } from '../../db/intake/index.ts';
import type { AutoAssignDetail } from '../../db/models/index.ts';
import { ensureDistributionRunning } from '../../db/distribution/auto-assign-trigger.ts';
import { distributionRunning, distributionStatus } from '../../worker/clients/distribution.ts';
import { distributionWorkflowId } from '../../workflows/distribution/messages.ts';
import { leadWorkflowId } from '../../workflows/lead/messages.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { eventually } from '../support/eventually.ts';
import { createAccountWithAdmin, createLsp, insertLeads, setTemplate } from '../support/fixtures.ts';
import { createTimeSkippingEnv, uniqueTaskQueue, withWorker } from '../support/temporal.ts';
import { toldAssigneeQuery } from './fixtures/distribution-workflows.ts';

const workflowsPath = new URL('./fixtures/distribution-workflows.ts', import.meta.url).pathname;
const STATES = ['TX', 'OK', 'LA', 'AR'];
let db: TestDatabase;
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  [db, env] = await Promise.all([createTestDatabase(), createTimeSkippingEnv()]);
});
afterAll(async () => {
  await Promise.all([db?.destroy(), env?.teardown()]);
});

const activities = (taskQueue: string) => createDistributionActivities({ db: db.knex, temporal: async () => env.client, taskQueue });

function arrival(i: number) {
  return {
    firstName: 'Jordan',
    lastName: `Burst${i}`,
    address: { line1: `${i} Oak Lane`, city: 'Tulsa', state: STATES[i % STATES.length]!, zip: '74103' },
    phones: [`(918) 555-${String(1000 + (i % 9000)).padStart(4, '0')}`],
    emails: [],
    // A third each: highly engaged (web vendor), engaged (MWI), cold (spreadsheet).
    source: (['web_vendor', 'mwi', 'spreadsheet'] as const)[i % 3],
  };
}

describe('auto-assign through the distribution workflow', () => {
  it('keeps every LSP at target through 1,000 concurrent intakes: none over, no lead twice, every assignment with its reason', async () => {
    const taskQueue = uniqueTaskQueue('distribution');
    const { accountId } = await createAccountWithAdmin(db.knex, 'Burst Agency');
    await db.knex('accounts').where({ id: accountId }).update({ workday_start_minutes: 0 });
    await setTemplate(db.knex, accountId, 'auto_assign', true);
    const lsps = await Promise.all(
      Array.from({ length: 12 }, (_, i) => createLsp(db.knex, accountId, { name: `LSP ${String(i).padStart(2, '0')}`, states: i % 3 === 0 ? STATES : [STATES[i % 4]!], target: 20 + (i % 4) * 5 })),
    );
    const targets = new Map((await db.knex('users').whereIn('id', lsps).select('id', 'daily_target')).map((u: { id: string; daily_target: number }) => [u.id, u.daily_target]));
    const totalTarget = [...targets.values()].reduce((a, b) => a + b, 0);

    await withWorker(env, { taskQueue, workflowsPath, activities: activities(taskQueue) }, async () => {
      const deps = { db: db.knex, temporal: env.client, taskQueue };
      const results = await Promise.allSettled(Array.from({ length: 1000 }, (_, i) => intakeLead(deps, accountId, arrival(i))));
      expect(results.filter((r) => r.status === 'rejected')).toEqual([]);

      // Capacity (≈ 360) is well below 1,000 contactable leads in licensed states: every LSP fills.
      const assignedCount = async () => Number((await db.knex('assignments').where({ account_id: accountId }).count({ n: '*' }))[0]!.n);
      await eventually(async () => (await assignedCount()) >= totalTarget, 'every LSP filled to target', 60_000);
      expect(await assignedCount()).toBe(totalTarget);

      const perLead: Array<{ n: number }> = await db.knex('assignments').where({ account_id: accountId }).groupBy('lead_id').select(db.knex.raw('count(*)::int as n'));
      expect(perLead.every((r) => r.n === 1)).toBe(true);
      const perUser: Array<{ assigned_user_id: string; n: number }> = await db.knex('leads').where({ account_id: accountId }).whereNotNull('assigned_user_id').groupBy('assigned_user_id').select('assigned_user_id', db.knex.raw('count(*)::int as n'));
      for (const { assigned_user_id, n } of perUser) expect(n).toBe(targets.get(assigned_user_id));
      const rows: Array<{ method: string; detail: AutoAssignDetail; reason: string; user_id: string; lead_id: string }> = await db.knex('assignments').where({ account_id: accountId }).select('method', 'detail', 'reason', 'user_id', 'lead_id');
      for (const r of rows) {
        expect(r.method).toBe('auto');
        expect(r.detail.chosen.userId).toBe(r.user_id);
        expect(r.detail.others).toHaveLength(lsps.length - 1);
        expect(r.reason).toMatch(/^Auto-assign \(/);
      }
      // Every licensed lead that was assigned went to someone licensed for its state.
      const licensed = new Map((await db.knex('users').whereIn('id', lsps).select('id', 'licensed_states')).map((u: { id: string; licensed_states: string[] }) => [u.id, u.licensed_states]));
      const states = new Map((await db.knex('leads').whereIn('id', rows.map((r) => r.lead_id)).select('id', 'state')).map((l: { id: string; state: string }) => [l.id, l.state]));
      for (const r of rows) expect(licensed.get(r.user_id)).toContain(states.get(r.lead_id));
      // Highly engaged leads went first: none of them is left in the pool while a cold one was taken.
      const coldTaken = await db.knex('leads').where({ account_id: accountId, segment: 'cold' }).whereNotNull('assigned_user_id').count({ n: '*' });
      const hotLeft = await db.knex('leads').where({ account_id: accountId, segment: 'highly_engaged' }).whereNull('assigned_user_id').count({ n: '*' });
      expect(Number(coldTaken[0]!.n) > 0 && Number(hotLeft[0]!.n) > 0).toBe(false);

      // The lead workflows were told (sampled).
      for (const r of rows.slice(0, 5)) {
        await eventually(async () => (await env.client.workflow.getHandle(leadWorkflowId(r.lead_id)).query(toldAssigneeQuery)) === r.user_id, 'the lead workflow told its assignee');
      }
      const status = await distributionStatus(env.client, accountId);
      expect(status.enabled).toBe(true);
      // Its next workday start would come round in a later test's skipped time with no worker
      // for it, and a workflow task nobody takes holds the test server's clock.
      await env.client.workflow.getHandle(distributionWorkflowId(accountId)).terminate('test over');
    });
  }, 180_000);

  it('fills again at the next workday start in the account’s zone, counting that day’s follow-ups', async () => {
    const taskQueue = uniqueTaskQueue('distribution-day');
    const { accountId } = await createAccountWithAdmin(db.knex, 'Rollover Agency');
    const zone = 'America/Denver';
    const startMinutes = 8 * 60;
    await db.knex('accounts').where({ id: accountId }).update({ time_zone: zone, workday_start_minutes: startMinutes });
    await setTemplate(db.knex, accountId, 'auto_assign', true);
    const alex = await createLsp(db.knex, accountId, { name: 'Alex', states: ['TX'], target: 3 });
    const pool = await insertLeads(db.knex, accountId, Array.from({ length: 10 }, () => ({})));

    await withWorker(env, { taskQueue, workflowsPath, activities: activities(taskQueue) }, async () => {
      const client = env.client;
      const { requestAutoAssignPass } = await import('../../worker/clients/distribution.ts');
      await requestAutoAssignPass(client, accountId, 'test start', { taskQueue });
      const status = await eventually(async () => {
        const s = await distributionStatus(client, accountId).catch(() => null);
        return s?.lastRunAt ? s : null;
      }, 'the first pass');
      const now = new Date(status.lastRunAt!);
      const next = nextWorkdayStart(zone, startMinutes, now);
      expect(status.nextRunAt).toBe(next.toISOString());
      // The first pass fills today if the workday has started, else nothing until it does.
      const before = await db.knex('leads').whereIn('id', pool).where({ assigned_user_id: alex }).count({ n: '*' });
      const firstDay = Number(before[0]!.n);
      expect([0, 3]).toContain(firstDay);

      // A call-back due during the next workday on one of Alex's leads: it counts on that day.
      await insertLeads(db.knex, accountId, [{ assignedUserId: alex, status: 'active', milestone: 'appointment', nextFollowUpAt: new Date(next.getTime() + 2 * 3600_000) }]);
      await env.sleep(next.getTime() - now.getTime() + 60_000);
      const s = await eventually(async () => {
        const st = await distributionStatus(client, accountId);
        return Date.parse(st.lastRunAt!) >= next.getTime() ? st : null;
      }, 'the workday-start pass');
      expect(s.nextRunAt).toBe(nextWorkdayStart(zone, startMinutes, new Date(next.getTime() + 1000)).toISOString());
      const after = await db.knex('leads').whereIn('id', pool).where({ assigned_user_id: alex }).count({ n: '*' });
      // The new day: target 3, one follow-up due → two new leads.
      expect(Number(after[0]!.n) - firstDay).toBe(2);
    });
  }, 120_000);

  it('is started again, at a worker start, for an account with auto-assign on whose workflow is gone', async () => {
    const taskQueue = uniqueTaskQueue('distribution-reconcile');
    const { accountId } = await createAccountWithAdmin(db.knex, 'Lost Agency');
    await db.knex('accounts').where({ id: accountId }).update({ workday_start_minutes: 0 });
    await setTemplate(db.knex, accountId, 'auto_assign', true);
    const alex = await createLsp(db.knex, accountId, { name: 'Alex', target: 5 });
    const off = await createAccountWithAdmin(db.knex, 'Off Agency');
    await setTemplate(db.knex, off.accountId, 'auto_assign', false);
    await withWorker(env, { taskQueue, workflowsPath, activities: activities(taskQueue) }, async () => {
      const ensure = () => ensureDistributionRunning({ db: db.knex, temporal: env.client, taskQueue });
      const first = await ensure();
      expect(first).toContain(accountId);
      expect(first).not.toContain(off.accountId);
      expect(await distributionRunning(env.client, accountId)).toBe(true);
      // Running: the next check leaves it alone.
      expect(await ensure()).not.toContain(accountId);

      await env.client.workflow.getHandle(distributionWorkflowId(accountId)).terminate('lost');
      const [lead] = await insertLeads(db.knex, accountId, [{}]);
      expect(await ensure()).toContain(accountId);
      // Its first pass takes what waited meanwhile.
      await eventually(async () => (await db.knex('leads').where({ id: lead }).first('assigned_user_id')).assigned_user_id === alex, 'the waiting lead assigned');
    });
  }, 60_000);
});
