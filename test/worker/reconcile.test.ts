import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { registerSearchAttributes } from '../../temporal.config.ts';
import { createReconcileActivities, reconcileLeads } from '../../activities/reconcile.ts';
import { ensureLeadReconcileWorkflow, LEAD_RECONCILE_WORKFLOW_ID } from '../../worker/clients/housekeeping.ts';
import { leadReconcileStatusQuery } from '../../workflows/reconcile/workflow.ts';
import { eventually } from '../support/eventually.ts';
import { leadWorkflowId } from '../../workflows/lead/messages.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { createTimeSkippingEnv, uniqueTaskQueue, withWorker } from '../support/temporal.ts';

const workflowsPath = new URL('./fixtures/stand-in-lead-workflow.ts', import.meta.url).pathname;
let db: TestDatabase;
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  [db, env] = await Promise.all([createTestDatabase(), createTimeSkippingEnv()]);
  await registerSearchAttributes(env.connection, env.namespace ?? 'default');
});
afterAll(async () => {
  await Promise.all([db?.destroy(), env?.teardown()]);
});

async function lead(accountId: string, n: number, status = 'new', createdAt?: Date) {
  const [row] = await db
    .knex('leads')
    .insert({ account_id: accountId, first_name: `F${n}`, last_name: `L${n}`, dup_key: `k${n}`, source: 'manual', status, ...(createdAt ? { created_at: createdAt } : {}) })
    .returning('id');
  return row.id as string;
}

const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000);

/**
 * Ends the lead workflows a test started while its worker still runs. One whose first workflow
 * task is still waiting when the worker goes holds the test server's clock, and a later test's
 * skipped time then never passes.
 */
async function terminateLeadWorkflows(...leadIds: string[]) {
  await Promise.all(leadIds.map((id) => env.client.workflow.getHandle(leadWorkflowId(id)).terminate('test over').catch(() => undefined)));
}

describe('reconcile', () => {
  it('starts the workflow of every open lead that has none running, and only those', async () => {
    const taskQueue = uniqueTaskQueue('reconcile');
    const [account] = await db.knex('accounts').insert({ name: 'A', agent_ids: ['A1'] }).returning('id');
    const running = await lead(account.id, 1);
    const lost = await lead(account.id, 2, 'active');
    const recycled = await lead(account.id, 3, 'recycled');
    await withWorker(env, { taskQueue, workflowsPath }, async () => {
      await env.client.workflow.start('leadWorkflow', { taskQueue, workflowId: leadWorkflowId(running), args: [{ leadId: running, accountId: account.id }] });
      const first = await reconcileLeads(env.client, db.knex, { accountId: account.id, taskQueue });
      expect(first).toEqual({ checked: 2, restarted: [lost] });
      expect((await env.client.workflow.getHandle(leadWorkflowId(lost)).describe()).status.name).toBe('RUNNING');
      await expect(env.client.workflow.getHandle(leadWorkflowId(recycled)).describe()).rejects.toThrow();

      const second = await reconcileLeads(env.client, db.knex, { accountId: account.id, taskQueue });
      expect(second.restarted).toEqual([]);
      await terminateLeadWorkflows(running, lost);
    });
  });

  it('restarts a lead whose workflow was terminated', async () => {
    const taskQueue = uniqueTaskQueue('reconcile');
    const [account] = await db.knex('accounts').insert({ name: 'B', agent_ids: ['B1'] }).returning('id');
    const id = await lead(account.id, 10);
    await withWorker(env, { taskQueue, workflowsPath }, async () => {
      const h = await env.client.workflow.start('leadWorkflow', { taskQueue, workflowId: leadWorkflowId(id), args: [{ leadId: id, accountId: account.id }] });
      await h.terminate('lost server');
      expect((await reconcileLeads(env.client, db.knex, { accountId: account.id, taskQueue })).restarted).toEqual([id]);
      await terminateLeadWorkflows(id);
    });
  });

  it('a sweep since a time looks at leads created since then and at leads whose start failed', async () => {
    const taskQueue = uniqueTaskQueue('reconcile');
    const [account] = await db.knex('accounts').insert({ name: 'C', agent_ids: ['C1'] }).returning('id');
    const old = await lead(account.id, 20, 'new', minutesAgo(600));
    const oldFailed = await lead(account.id, 21, 'new', minutesAgo(600));
    await db.knex('lead_events').insert({ lead_id: oldFailed, account_id: account.id, actor_system: 'intake', type: 'workflow_start_failed', note: 'Temporal unreachable' });
    const recent = await lead(account.id, 22, 'new', minutesAgo(5));
    const justNow = await lead(account.id, 23, 'new');
    await withWorker(env, { taskQueue, workflowsPath }, async () => {
      const r = await reconcileLeads(env.client, db.knex, { accountId: account.id, taskQueue, since: minutesAgo(30), until: minutesAgo(1) });
      // A lead saved a moment ago is still its own request's to start.
      expect(r.restarted.sort()).toEqual([oldFailed, recent].sort());
      expect(r.checked).toBe(2);
      await expect(env.client.workflow.getHandle(leadWorkflowId(old)).describe()).rejects.toThrow();
      await expect(env.client.workflow.getHandle(leadWorkflowId(justNow)).describe()).rejects.toThrow();
      await terminateLeadWorkflows(oldFailed, recent);
    });
  });

  it('the lead reconcile workflow starts the workflow of a lead saved without one within minutes', async () => {
    const taskQueue = uniqueTaskQueue('reconcile');
    const [account] = await db.knex('accounts').insert({ name: 'D', agent_ids: ['D1'] }).returning('id');
    const saved = await lead(account.id, 30, 'new', minutesAgo(3));
    // No settling time: the database's clock is the wall clock, which time skipping does not move.
    const activities = createReconcileActivities({ db: db.knex, temporal: async () => env.client, taskQueue, settleMs: 0 });
    await withWorker(env, { taskQueue, workflowsPath, activities }, async () => {
      const first = await ensureLeadReconcileWorkflow(env.client, taskQueue);
      // A second worker start finds the running one.
      expect((await ensureLeadReconcileWorkflow(env.client, taskQueue)).runId).toBe(first.runId);
      const handle = env.client.workflow.getHandle(LEAD_RECONCILE_WORKFLOW_ID);
      await eventually(async () => ((await handle.query(leadReconcileStatusQuery)).sweeps >= 1 ? true : null), 'the first sweep');
      expect((await env.client.workflow.getHandle(leadWorkflowId(saved)).describe()).status.name).toBe('RUNNING');

      // A lead saved after the first sweep, whose start was lost: the next sweeps pick it up.
      const later = await lead(account.id, 31);
      const sweeps = (await handle.query(leadReconcileStatusQuery)).sweeps;
      await env.sleep('5 minutes');
      await eventually(
        async () => ((await handle.query(leadReconcileStatusQuery)).sweeps > sweeps && (await env.client.workflow.getHandle(leadWorkflowId(later)).describe()).status.name === 'RUNNING' ? true : null),
        'a later sweep to start it',
      );
      await handle.terminate('test over');
    });
  });
});
