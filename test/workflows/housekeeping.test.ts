// The housekeeping workflow on a time-skipping server, with a real worker running the real
// pruning activity against this file's own Postgres database; and the worker's start-up call
// that keeps one housekeeping workflow per namespace.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHousekeepingActivities } from '../../activities/housekeeping.ts';
import { systemClock } from '../../activities/index.ts';
import { ensureHousekeepingWorkflow, HOUSEKEEPING_WORKFLOW_ID } from '../../worker/clients/housekeeping.ts';
import { WORKFLOWS_PATH } from '../../worker/main.ts';
import { housekeepingStatusQuery, housekeepingWorkflow, type HousekeepingStatus } from '../../workflows/housekeeping/workflow.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { eventually } from '../support/eventually.ts';
import { createTimeSkippingEnv, uniqueTaskQueue, uniqueWorkflowId, withWorker } from '../support/temporal.ts';

let db: TestDatabase;
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  [db, env] = await Promise.all([createTestDatabase(), createTimeSkippingEnv()]);
});

afterAll(async () => {
  await env?.teardown();
  await db?.destroy();
});

// Against the wall clock, which the real activity (systemClock) reads too.
const ago = (days: number) => new Date(Date.now() - days * 86_400_000);

async function expiredLoginAttempts(key: string, n: number) {
  await db.knex('login_attempts').insert(Array.from({ length: n }, () => ({ key, succeeded: false, attempted_at: ago(45) })));
}

const attemptsOf = async (key: string) => (await db.knex('login_attempts').where({ key })).length;

const worker = (taskQueue: string) => ({ taskQueue, workflowsPath: WORKFLOWS_PATH, activities: createHousekeepingActivities({ db: db.knex, clock: systemClock }) });

describe('housekeepingWorkflow', () => {
  it('prunes at once, sleeps a day, then prunes what expired meanwhile', async () => {
    const [account] = await db.knex('accounts').insert({ name: 'Housekeeping', agent_ids: ['HK1'] }).returning('id');
    await db.knex('intake_idempotency').insert([
      { account_id: account.id, key: 'old-vendor-retry', request_hash: 'h', created_at: ago(31) },
      { account_id: account.id, key: 'fresh-vendor-retry', request_hash: 'h', created_at: ago(1) },
    ]);
    await expiredLoginAttempts('login:user:first-day', 2);
    await db.knex('login_attempts').insert({ key: 'login:user:fresh', succeeded: false, attempted_at: ago(1) });
    const taskQueue = uniqueTaskQueue('housekeeping');

    await withWorker(env, worker(taskQueue), async () => {
      const handle = await env.client.workflow.start(housekeepingWorkflow, { taskQueue, workflowId: uniqueWorkflowId('housekeeping'), args: [{}] });
      const status = () => handle.query(housekeepingStatusQuery);
      const first = await eventually(async () => ((await status()).prunes === 1 ? status() : null), 'the first prune');
      expect(first).toEqual<HousekeepingStatus>({ prunes: 1, last: { intakeIdempotency: 1, loginAttempts: 2, sessions: 0 }, lastError: null });

      // Rows that expire while the workflow sleeps wait for the next day's prune.
      await expiredLoginAttempts('login:user:second-day', 3);
      await env.sleep('23 hours');
      expect((await status()).prunes).toBe(1);
      expect(await attemptsOf('login:user:second-day')).toBe(3);

      await env.sleep('1 hour');
      const second = await eventually(async () => ((await status()).prunes === 2 ? status() : null), 'the second prune');
      expect(second.last).toEqual({ intakeIdempotency: 0, loginAttempts: 3, sessions: 0 });
      expect(await attemptsOf('login:user:second-day')).toBe(0);
      expect(await attemptsOf('login:user:fresh')).toBe(1);
      expect(await db.knex('intake_idempotency').where({ account_id: account.id }).pluck('key')).toEqual(['fresh-vendor-retry']);
      expect((await handle.describe()).status.name).toBe('RUNNING');
      await handle.terminate('test done');
    });
  });

  it('continues as new after its prunes per run, and the new run prunes at once', async () => {
    const taskQueue = uniqueTaskQueue('housekeeping');
    await withWorker(env, worker(taskQueue), async () => {
      const started = await env.client.workflow.start(housekeepingWorkflow, { taskQueue, workflowId: uniqueWorkflowId('housekeeping'), args: [{ prunesPerRun: 2 }] });
      const latest = env.client.workflow.getHandle<typeof housekeepingWorkflow>(started.workflowId);
      await eventually(async () => (await latest.query(housekeepingStatusQuery)).prunes === 1, 'the first prune');
      await env.sleep('1 day');
      await eventually(async () => (await latest.query(housekeepingStatusQuery)).prunes === 2, 'the second prune');

      await env.sleep('1 day');
      const next = await eventually(async () => {
        const d = await latest.describe();
        return d.runId !== started.firstExecutionRunId ? d : null;
      }, 'the next run');
      expect(next.status.name).toBe('RUNNING');
      expect((await env.client.workflow.getHandle(started.workflowId, started.firstExecutionRunId).describe()).status.name).toBe('CONTINUED_AS_NEW');
      // The input crossed continue-as-new, and the new run pruned without waiting another day.
      await eventually(async () => (await latest.query(housekeepingStatusQuery)).prunes === 1, 'the new run’s first prune');
      await latest.terminate('test done');
    });
  });
});

describe('starting housekeeping from the worker', () => {
  it('keeps one execution under the fixed id however often workers start it, and starts a new one after it ended', async () => {
    const taskQueue = uniqueTaskQueue('housekeeping');
    await withWorker(env, worker(taskQueue), async () => {
      const first = await ensureHousekeepingWorkflow(env.client, taskQueue);
      const second = await ensureHousekeepingWorkflow(env.client, taskQueue);
      expect(first.workflowId).toBe(HOUSEKEEPING_WORKFLOW_ID);
      expect(second).toEqual(first);

      const handle = env.client.workflow.getHandle<typeof housekeepingWorkflow>(HOUSEKEEPING_WORKFLOW_ID);
      await eventually(async () => (await handle.query(housekeepingStatusQuery)).prunes === 1, 'the first prune');
      // Both starts landed on the one run: it pruned once, not twice.
      expect((await handle.query(housekeepingStatusQuery)).prunes).toBe(1);
      const executions = [];
      for await (const e of env.client.workflow.list({ query: `WorkflowId = '${HOUSEKEEPING_WORKFLOW_ID}'` })) executions.push(e);
      expect(executions.map((e) => [e.runId, e.type, e.status.name])).toEqual([[first.runId, 'housekeepingWorkflow', 'RUNNING']]);

      // A terminated housekeeping workflow comes back at the next worker start.
      await handle.terminate('test');
      const third = await ensureHousekeepingWorkflow(env.client, taskQueue);
      expect(third.runId).not.toBe(first.runId);
      expect((await handle.describe()).status.name).toBe('RUNNING');
      await eventually(async () => (await handle.query(housekeepingStatusQuery)).prunes === 1, 'the new run’s first prune');
      await handle.terminate('test done');
    });
  });
});
