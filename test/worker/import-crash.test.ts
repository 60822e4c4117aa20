// The worker is SIGKILLed in the middle of an import and another takes over: the import must
// finish with every good row exactly one lead, every arrival exactly one source touch and one
// history event, and every bad row reported exactly once, and every lead must have its
// workflow, on the bulk task queue, even those whose start the dead worker still had queued
// when it died (the import sends starts beside the saving). Real parts throughout: the worker
// (worker/main.ts) in a process of its own, the offline Temporal server in dev mode (real
// time, so the heartbeat timeout is what notices the dead worker), PostgreSQL.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImportMapping } from '../../activities/import.ts';
import { bulkTaskQueue, registerSearchAttributes } from '../../temporal.config.ts';
import { startChildWorker, type ChildWorker } from '../../worker/child-worker.ts';
import { importProgressQuery } from '../../workflows/import/messages.ts';
import { leadWorkflowId } from '../../workflows/lead/messages.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { eventually } from '../support/eventually.ts';
import { createAccountWithAdmin } from '../support/fixtures.ts';
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

const ROWS = 1200;
const MAPPING: ImportMapping = { firstName: 0, lastName: 1, line1: 2, city: 3, state: 4, zip: 5 };

/**
 * Every 4th row lacks its state; the others are 700 people, most of them twice (in capitals the
 * second time, far down the file). The first 200 come once, early: the worker dies after their
 * rows are saved, so only the dead worker ever asked for their workflows.
 */
function crashCsv() {
  const lines = ['First,Last,Street,City,State,Zip'];
  const badLines: number[] = [];
  const people = new Set<number>();
  let good = 0;
  for (let i = 1; i <= ROWS; i++) {
    if (i % 4 === 0) {
      lines.push(`Bad,Row${i},${i} Elm St,Austin,,78701`);
      badLines.push(i + 1);
      continue;
    }
    const p = i <= 700 ? i % 700 : (i % 700) + 200;
    const row = `Ann,Crash${p},${p} Oak St,Austin,TX,78701`;
    lines.push(people.has(p) ? row.toUpperCase() : row);
    people.add(p);
    good++;
  }
  return { csv: lines.join('\n') + '\n', badLines, good, people: people.size };
}

describe('an import whose worker is killed', () => {
  it('finishes on another worker with nothing lost and nothing doubled', { timeout: 150_000 }, async () => {
    const { accountId } = await createAccountWithAdmin(db.knex);
    const { csv, badLines, good, people } = crashCsv();
    const [imp] = await db.knex('imports').insert({ account_id: accountId, name: 'Crash list', file_name: 'crash.csv' }).returning('id');
    await db.knex('import_files').insert({ import_id: imp.id, content: Buffer.from(csv), mapping: JSON.stringify(MAPPING), source: 'spreadsheet' });
    const taskQueue = uniqueTaskQueue('crash');
    const workerEnv = {
      DATABASE_URL: db.url,
      SMTP_URL: smtp.url,
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_NAMESPACE: env.namespace ?? 'default',
      TEMPORAL_TASK_QUEUE: taskQueue,
      WORKER_ACTIVITY_CONCURRENCY: '8',
    };
    const checkpoint = async () => Number((await db.knex('imports').where({ id: imp.id }).first('resume_offset')).resume_offset ?? 0);
    let worker: ChildWorker | undefined = await startChildWorker({ env: workerEnv });
    try {
      // Small batches, so the kill lands with many still to go.
      const handle = await env.client.workflow.start('importWorkflow', { taskQueue, workflowId: `import-${imp.id}`, args: [{ importId: imp.id, batchSize: 20 }] });
      // What the import page shows, while the one long activity is still running.
      const seen = await eventually(async () => {
        const p = await handle.query(importProgressQuery);
        return p.processed >= 60 ? p : null;
      }, 'progress on the import page', 60_000);
      expect(seen).toMatchObject({ status: 'running', bytesTotal: Buffer.byteLength(csv) });

      await worker.kill();
      const killedAt = Date.now();
      // A commit already on its way when the process died may still land: read after it has.
      await new Promise((r) => setTimeout(r, 300));
      const atKill = await checkpoint();
      expect(atKill).toBeLessThan(Buffer.byteLength(csv));
      worker = await startChildWorker({ env: workerEnv });
      await eventually(async () => (await checkpoint()) > atKill, 'the import moving again', 60_000);
      const recoverySecs = (Date.now() - killedAt) / 1000;
      console.log(`import moving again ${recoverySecs.toFixed(1)} s after the worker was killed`);
      expect(recoverySecs).toBeLessThan(45);

      const result = await handle.result();
      expect(result).toEqual({ status: 'done', processed: ROWS, ok: good, errors: badLines.length, bytesTotal: Buffer.byteLength(csv), bytesDone: Buffer.byteLength(csv) });
    } finally {
      await worker?.stop();
    }

    expect(await db.knex('imports').where({ id: imp.id }).first()).toMatchObject({ status: 'done', total_rows: ROWS, ok_rows: good, error_rows: badLines.length });
    const count = async (q: ReturnType<typeof db.knex>) => Number(((await q.count({ n: '*' })) as Array<{ n: string }>)[0]!.n);
    // Every person once; every good row one arrival: one touch, one history event, one key.
    expect(await count(db.knex('leads').where({ import_id: imp.id }))).toBe(people);
    expect(await count(db.knex('lead_source_touches').where({ account_id: accountId }))).toBe(good);
    expect(await count(db.knex('lead_events').where({ account_id: accountId }).whereIn('type', ['created', 'merged']))).toBe(good);
    expect(await count(db.knex('lead_events').where({ account_id: accountId, type: 'created' }))).toBe(people);
    expect(await count(db.knex('intake_idempotency').where({ account_id: accountId }).where('key', 'like', `import:${imp.id}:%`))).toBe(good);
    // Every bad row reported, once, at its line.
    const errors = await db.knex('import_row_errors').where({ import_id: imp.id }).orderBy('line_number').pluck('line_number');
    expect(errors).toEqual(badLines);
    // Every lead has its workflow, on the bulk queue: none was lost with the dead worker's
    // queue of starts. (Visibility lists every workflow the server knows of.)
    const ids: string[] = await db.knex('leads').where({ import_id: imp.id }).pluck('id');
    const workflows = new Map<string, string>();
    for await (const w of env.client.workflow.list({ query: `WorkflowType = 'leadWorkflow'` })) workflows.set(w.workflowId, w.taskQueue);
    expect(ids.filter((id) => !workflows.has(leadWorkflowId(id)))).toEqual([]);
    expect(new Set(ids.map((id) => workflows.get(leadWorkflowId(id))))).toEqual(new Set([bulkTaskQueue(taskQueue)]));
  });
});
