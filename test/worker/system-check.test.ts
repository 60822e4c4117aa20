// The system check end to end: startSystemCheck writes the row and starts the workflow, a real
// worker with the real activities runs it against this file's database, and the row completes.
import { Client } from '@temporalio/client';
import { DefaultLogger } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities/index.ts';
import type { Mailer } from '../../activities/mailer.ts';
import { registerSearchAttributes } from '../../temporal.config.ts';
import { WORKFLOWS_PATH } from '../../worker/main.ts';
import { startSystemCheck } from '../../worker/clients/system-check.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { createAccountWithAdmin } from '../support/fixtures.ts';
import { createTimeSkippingEnv, uniqueTaskQueue, withWorker } from '../support/temporal.ts';

const noMail: Mailer = {
  sendMail: async () => {
    throw new Error('the system check sends no e-mail');
  },
};

const activityEnv = (info?: { attempt: number }) => new MockActivityEnvironment(info, { logger: new DefaultLogger('ERROR') });
/** What activities run outside a worker need of Temporal: this file's server and a queue nobody polls. */
const temporal = () => ({ temporal: env.client, taskQueue: uniqueTaskQueue('system-check-unpolled') });

let db: TestDatabase;
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  [db, env] = await Promise.all([createTestDatabase(), createTimeSkippingEnv()]);
  await registerSearchAttributes(env.connection, env.namespace ?? 'default');
  // Every process registers at start-up: a second registration must be a no-op, not an error.
  expect(await registerSearchAttributes(env.connection, env.namespace ?? 'default')).toEqual([]);
});

afterAll(async () => {
  await env?.teardown();
  await db?.destroy();
});

describe('system check', () => {
  it('completes the check row through Temporal, a worker and the real activity', async () => {
    const { accountId, userId } = await createAccountWithAdmin(db.knex);
    const taskQueue = uniqueTaskQueue('system-check');

    // Started before any worker polls, so the 'started' row is observable.
    const { checkId, workflowId } = await startSystemCheck(env.client, db.knex, { accountId, userId, taskQueue });
    expect(workflowId).toBe(`system-check-${checkId}`);
    expect(await db.knex('system_checks').where({ id: checkId }).first()).toMatchObject({ status: 'started', completed_at: null, requested_by: userId });

    const result = await withWorker(
      env,
      {
        taskQueue,
        workflowsPath: WORKFLOWS_PATH,
        activities: createActivities({ db: db.knex, mailer: noMail, temporal: env.client, taskQueue, workerIdentity: 'test-worker@here' }),
      },
      () => env.client.workflow.getHandle(workflowId).result(),
    );

    const row = await db.knex('system_checks').where({ id: checkId }).first();
    expect(row).toMatchObject({ status: 'completed', worker_identity: 'test-worker@here', workflow_id: workflowId, account_id: accountId });
    expect(row.completed_at).toBeInstanceOf(Date);
    expect(result).toEqual({ checkId, completedAt: row.completed_at.toISOString(), workerIdentity: 'test-worker@here', alreadyCompleted: false });

    const description = await env.client.workflow.getHandle(workflowId).describe();
    expect(description.typedSearchAttributes.getAll().find((p) => p.key.name === 'LeadflowAccountId')?.value).toBe(accountId);
  });

  it('a repeated recordSystemCheck reports the first completion and changes nothing', async () => {
    const { accountId } = await createAccountWithAdmin(db.knex);
    const checkId = crypto.randomUUID();
    const workflowId = `system-check-${checkId}`;
    await db.knex('system_checks').insert({ id: checkId, account_id: accountId, workflow_id: workflowId, status: 'started' });
    const first = createActivities({ db: db.knex, mailer: noMail, ...temporal(), workerIdentity: 'first', clock: { now: () => new Date('2026-01-01T10:00:00Z') } });
    const retry = createActivities({ db: db.knex, mailer: noMail, ...temporal(), workerIdentity: 'second', clock: { now: () => new Date('2026-01-01T11:00:00Z') } });

    const a = await activityEnv().run(first.recordSystemCheck, { checkId, workflowId });
    const b = await activityEnv({ attempt: 2 }).run(retry.recordSystemCheck, { checkId, workflowId });

    expect(a).toMatchObject({ alreadyCompleted: false, workerIdentity: 'first', completedAt: '2026-01-01T10:00:00.000Z' });
    expect(b).toMatchObject({ alreadyCompleted: true, workerIdentity: 'first', completedAt: '2026-01-01T10:00:00.000Z' });
    expect(await db.knex('system_checks').where({ id: checkId }).first()).toMatchObject({ worker_identity: 'first', completed_at: new Date('2026-01-01T10:00:00Z') });
  });

  it('fails for good, without retrying, when the check row does not exist', async () => {
    const activities = createActivities({ db: db.knex, mailer: noMail, ...temporal() });
    const checkId = crypto.randomUUID();
    await expect(activityEnv().run(activities.recordSystemCheck, { checkId, workflowId: `system-check-${checkId}` })).rejects.toMatchObject({
      type: 'SystemCheckNotFound',
      nonRetryable: true,
    });
  });

  it('marks the check failed when its workflow cannot be started', async () => {
    const { accountId, userId } = await createAccountWithAdmin(db.knex);
    const nowhere = new Client({ connection: env.connection, namespace: 'no-such-namespace' });
    const before = await db.knex('system_checks').where({ account_id: accountId }).count<{ count: string }[]>('* as count');
    expect(Number(before[0]!.count)).toBe(0);

    await expect(startSystemCheck(nowhere, db.knex, { accountId, userId, taskQueue: uniqueTaskQueue() })).rejects.toThrow();

    const rows = await db.knex('system_checks').where({ account_id: accountId });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 'failed', completed_at: null });
  });
});
