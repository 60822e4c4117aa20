import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { registerSearchAttributes } from '../../temporal.config.ts';
import { reconcileLeads } from '../../worker/reconcile.ts';
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

async function lead(accountId: string, n: number, status = 'new') {
  const [row] = await db.knex('leads').insert({ account_id: accountId, first_name: `F${n}`, last_name: `L${n}`, dup_key: `k${n}`, source: 'manual', status }).returning('id');
  return row.id as string;
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
    });
  });
});
