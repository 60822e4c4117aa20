// One worker process serves both task queues: the live one and its bulk twin, where an import's
// lead workflows run. startWorker (what `npm start` and `npm run start:worker` run) against the
// offline Temporal server and this file's database.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bulkTaskQueue, registerSearchAttributes, temporalSettings } from '../../temporal.config.ts';
import { startLead } from '../../worker/clients/lead.ts';
import { startWorker } from '../../worker/main.ts';
import { leadStateQuery } from '../../workflows/lead/messages.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { eventually } from '../support/eventually.ts';
import { createAccountWithAdmin, insertLeads } from '../support/fixtures.ts';
import { startSmtpListener, type SmtpListener } from '../support/smtp.ts';
import { createLocalEnv, uniqueTaskQueue } from '../support/temporal.ts';

let db: TestDatabase;
let env: TestWorkflowEnvironment;
let smtp: SmtpListener;

beforeAll(async () => {
  [db, env, smtp] = await Promise.all([createTestDatabase(), createLocalEnv(), startSmtpListener()]);
  await registerSearchAttributes(env.connection, env.namespace ?? 'default');
});

afterAll(async () => {
  await Promise.all([env?.teardown(), smtp?.close()]);
  await db?.destroy();
});

describe('startWorker', () => {
  it('runs lead workflows on the live queue and on its bulk twin, with the bulk queue’s own slots, and stops both', { timeout: 120_000 }, async () => {
    const { accountId } = await createAccountWithAdmin(db.knex);
    const [onLive, onBulk] = await insertLeads(db.knex, accountId, [{}, {}]);
    const taskQueue = uniqueTaskQueue('worker');
    const temporal = { ...temporalSettings({ TEMPORAL_ADDRESS: env.address, TEMPORAL_NAMESPACE: env.namespace ?? 'default' }), taskQueue };
    const running = await startWorker({ databaseUrl: db.url, smtpUrl: smtp.url, temporal, bulk: { activities: 2, workflowTasks: 2, workflowThreads: 1 } });
    try {
      expect(running.taskQueue).toBe(taskQueue);
      expect(running.bulkTaskQueue).toBe(`${taskQueue}-bulk`);
      expect(running.bulkWorker.options.taskQueue).toBe(bulkTaskQueue(taskQueue));
      expect(running.bulk).toEqual({ activities: 2, workflowTasks: 2, workflowThreads: 1 });

      const live = await startLead(env.client, { leadId: onLive!, accountId }, { taskQueue });
      const bulk = await startLead(env.client, { leadId: onBulk!, accountId }, { taskQueue: bulkTaskQueue(taskQueue) });
      // Each answers a query only if a worker polls its queue; both loaded their lead (an activity).
      await eventually(async () => (await live.query(leadStateQuery)).segment === 'cold', 'the live queue’s lead loaded');
      await eventually(async () => (await bulk.query(leadStateQuery)).segment === 'cold', 'the bulk queue’s lead loaded');
      expect((await bulk.describe()).taskQueue).toBe(`${taskQueue}-bulk`);
      await Promise.all([live.terminate('test over'), bulk.terminate('test over')]);
    } finally {
      await running.stop();
    }
    expect(running.worker.getState()).toBe('STOPPED');
    expect(running.bulkWorker.getState()).toBe('STOPPED');
  });
});
