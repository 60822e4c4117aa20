// Bulk never delays live: an import's lead workflows start on the bulk twin of the worker's task
// queue, and a hot lead that arrives while that backlog waits is still saved, assigned by
// auto-assign and worked on the live queue. The real import and lead workflows and activities,
// this file's database, the offline Temporal server.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities/index.ts';
import type { ImportMapping } from '../../activities/import.ts';
import { requestAutoAssign } from '../../db/distribution/auto-assign-trigger.ts';
import { intakeLead } from '../../db/intake/index.ts';
import { bulkTaskQueue } from '../../temporal.config.ts';
import { startImportWorkflow } from '../../worker/clients/import.ts';
import { distributionWorkflowId } from '../../workflows/distribution/messages.ts';
import { leadStateQuery, leadWorkflowId } from '../../workflows/lead/messages.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { eventually } from '../support/eventually.ts';
import { createAccountWithAdmin, createLsp, setTemplate } from '../support/fixtures.ts';
import { createTimeSkippingEnv, uniqueTaskQueue, withWorker } from '../support/temporal.ts';

const WORKFLOWS = new URL('../../workflows/index.ts', import.meta.url).pathname;
const MAPPING: ImportMapping = { firstName: 0, lastName: 1, line1: 2, city: 3, state: 4, zip: 5, phones: [6] };

let db: TestDatabase;
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  [db, env] = await Promise.all([createTestDatabase(), createTimeSkippingEnv()]);
});

afterAll(async () => {
  await Promise.all([env?.teardown(), db?.destroy()]);
});

const activitiesFor = (taskQueue: string) =>
  createActivities({ db: db.knex, mailer: { sendMail: async () => undefined } as never, temporal: env.client, taskQueue, workerIdentity: 'import-bulk-test-worker' });

async function storeImport(accountId: string, name: string, rows: string[]): Promise<string> {
  const csv = ['First,Last,Street,City,State,Zip,Phone', ...rows].join('\n') + '\n';
  const [imp] = await db.knex('imports').insert({ account_id: accountId, name, file_name: `${name}.csv` }).returning('id');
  await db.knex('import_files').insert({ import_id: imp.id, content: Buffer.from(csv), mapping: JSON.stringify(MAPPING), source: 'spreadsheet' });
  return imp.id as string;
}

const importLeadIds = async (importId: string) => (await db.knex('leads').where({ import_id: importId }).orderBy('id').pluck('id')) as string[];

describe('an import’s lead workflows', () => {
  it('start and run on the bulk twin of the worker’s task queue', async () => {
    const { accountId } = await createAccountWithAdmin(db.knex, 'Bulk Agency');
    const live = uniqueTaskQueue('live');
    const importId = await storeImport(
      accountId,
      'Spring list',
      Array.from({ length: 12 }, (_, i) => `Ann,Bulk${i},${i} Oak St,Austin,TX,78701,512-555-${String(1000 + i)}`),
    );
    const activities = activitiesFor(live);
    // One worker per queue, as worker/main.ts runs them: the same activities and workflows.
    await withWorker(env, { taskQueue: live, workflowsPath: WORKFLOWS, activities }, () =>
      withWorker(env, { taskQueue: bulkTaskQueue(live), workflowsPath: WORKFLOWS, activities }, async () => {
        await (await startImportWorkflow(env.client, { importId }, { taskQueue: live })).result();
        const ids = await importLeadIds(importId);
        expect(ids).toHaveLength(12);
        for (const id of ids) {
          const handle = env.client.workflow.getHandle(leadWorkflowId(id));
          const d = await handle.describe();
          expect(d.taskQueue).toBe(`${live}-bulk`);
          expect(d.status.name).toBe('RUNNING');
          // It runs there: a query needs a worker polling its queue to answer.
          expect((await handle.query(leadStateQuery)).status).toBe('new');
        }
      }),
    );
  }, 120_000);

  it('wait on a stuck bulk queue while a hot lead is saved, auto-assigned and worked on the live queue', async () => {
    const { accountId } = await createAccountWithAdmin(db.knex, 'Hot Agency');
    await db.knex('accounts').where({ id: accountId }).update({ workday_start_minutes: 0 });
    await setTemplate(db.knex, accountId, 'auto_assign', true);
    // Away until the hot lead's workflow has taken its first step: that step holds the lead's
    // row for a moment, and a pass running just then passes the lead over (it does not wait).
    const dana = await createLsp(db.knex, accountId, { name: 'Dana Desk', states: ['TX'], target: 5, available: false });
    const live = uniqueTaskQueue('live');
    // Oklahoma: nobody is licensed there, so the import's leads stay in the pool.
    const importId = await storeImport(
      accountId,
      'Cold list',
      Array.from({ length: 30 }, (_, i) => `Cy,Cold${i},${i} Elm St,Tulsa,OK,74103,918-555-${String(1000 + i)}`),
    );

    // Only the live queue is polled: the bulk backlog cannot move.
    await withWorker(env, { taskQueue: live, workflowsPath: WORKFLOWS, activities: activitiesFor(live) }, async () => {
      await (await startImportWorkflow(env.client, { importId }, { taskQueue: live })).result();
      const ids = await importLeadIds(importId);
      expect(ids).toHaveLength(30);
      for (const id of ids.slice(0, 5)) {
        const d = await env.client.workflow.getHandle(leadWorkflowId(id)).describe();
        expect(d.taskQueue).toBe(`${live}-bulk`);
        // Started, never run: no worker took its first workflow task.
        const { events } = await env.client.workflow.getHandle(leadWorkflowId(id)).fetchHistory();
        expect(events!.some((e) => e.workflowTaskStartedEventAttributes)).toBe(false);
      }
      // The import's intake was the first to tell the account's distribution workflow that
      // leads arrived, and still it runs on the live queue.
      expect((await env.client.workflow.getHandle(distributionWorkflowId(accountId)).describe()).taskQueue).toBe(live);

      // A hot lead through intake, as the intake API takes it.
      const { id } = await intakeLead({ db: db.knex, temporal: env.client, taskQueue: live }, accountId, {
        firstName: 'Hana',
        lastName: 'Hot',
        address: { line1: '9 Congress Ave', city: 'Austin', state: 'TX', zip: '78701' },
        phones: ['512-555-0199'],
        emails: ['hana@example.com'],
        source: 'web_vendor',
      });
      expect(await db.knex('leads').where({ id }).first('scrubbed_at', 'segment')).toMatchObject({ segment: 'highly_engaged', scrubbed_at: expect.any(Date) });
      const handle = env.client.workflow.getHandle(leadWorkflowId(id));
      expect((await handle.describe()).taskQueue).toBe(live);
      // Its workflow is worked at once, on the live queue, while the import's wait.
      await eventually(async () => (await db.knex('lead_events').where({ lead_id: id }).whereIn('type', ['call_task', 'email_queued', 'step_skipped']).first('id')) !== undefined, 'the hot lead’s first cadence step');
      // Dana is back: the web app asks for a pass, as it does when an LSP becomes available.
      await db.knex('users').where({ id: dana }).update({ available: true });
      await requestAutoAssign({ db: db.knex, temporal: env.client, taskQueue: live }, accountId, 'Dana Desk is available');
      await eventually(async () => (await db.knex('leads').where({ id }).first('assigned_user_id')).assigned_user_id === dana, 'the hot lead assigned to Dana by auto-assign');
      const assignment = await db.knex('assignments').where({ lead_id: id }).first('method', 'user_id');
      expect(assignment).toEqual({ method: 'auto', user_id: dana });
      await eventually(async () => (await handle.query(leadStateQuery)).assignedUserId === dana, 'the hot lead’s workflow told of its assignee');
      // The import's leads are still in the pool, their workflows still waiting.
      expect(await db.knex('leads').where({ import_id: importId }).whereNotNull('assigned_user_id').count({ n: '*' })).toEqual([{ n: '0' }]);
    });
  }, 120_000);

  it('are already on the bulk queue when auto-assign takes the import’s leads: the assignment signals them there', async () => {
    const { accountId } = await createAccountWithAdmin(db.knex, 'Assigning Agency');
    await db.knex('accounts').where({ id: accountId }).update({ workday_start_minutes: 0 });
    await setTemplate(db.knex, accountId, 'auto_assign', true);
    const ray = await createLsp(db.knex, accountId, { name: 'Ray Rivera', states: ['TX'], target: 500 });
    const live = uniqueTaskQueue('live');
    // Many small batches: the file takes a while to save, and auto-assign would run meanwhile.
    const importId = await storeImport(
      accountId,
      'Warm list',
      Array.from({ length: 200 }, (_, i) => `Al,Warm${i},${i} Pecan St,Austin,TX,78701,512-555-${String(1000 + i)}`),
    );
    const activities = activitiesFor(live);
    await withWorker(env, { taskQueue: live, workflowsPath: WORKFLOWS, activities }, () =>
      withWorker(env, { taskQueue: bulkTaskQueue(live), workflowsPath: WORKFLOWS, activities }, async () => {
        await (await startImportWorkflow(env.client, { importId, batchSize: 10 }, { taskQueue: live })).result();
        const assigned = async () => (await db.knex('leads').where({ import_id: importId, assigned_user_id: ray }).pluck('id')) as string[];
        await eventually(async () => (await assigned()).length === 200, 'every imported lead assigned to Ray');
        const queues = new Set<string>();
        for (const id of await assigned()) queues.add((await env.client.workflow.getHandle(leadWorkflowId(id)).describe()).taskQueue);
        expect([...queues]).toEqual([`${live}-bulk`]);
      }),
    );
  }, 120_000);
});
