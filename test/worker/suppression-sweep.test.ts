// The sweep workflow an upload starts (workflows/compliance/): on the offline Temporal server
// with its real activity, the leads on the new entries are flagged, and the workflow answers
// what it did.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createComplianceActivities } from '../../activities/compliance.ts';
import { importDncNumbers } from '../../db/compliance/suppression-lists.ts';
import { startSuppressionSweep } from '../../worker/clients/compliance.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { createAccountWithAdmin, insertLeads } from '../support/fixtures.ts';
import { createTimeSkippingEnv, uniqueTaskQueue, withWorker } from '../support/temporal.ts';

const workflowsPath = new URL('../../workflows/index.ts', import.meta.url).pathname;
let db: TestDatabase;
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  [db, env] = await Promise.all([createTestDatabase(), createTimeSkippingEnv()]);
});
afterAll(async () => {
  await Promise.all([db?.destroy(), env?.teardown()]);
});

async function* lines(...values: string[]) {
  yield* values;
}

describe('suppression sweep workflow', () => {
  it('flags the leads on an upload’s new numbers', async () => {
    const taskQueue = uniqueTaskQueue('sweep');
    const { accountId } = await createAccountWithAdmin(db.knex);
    const ids = await insertLeads(db.knex, accountId, [{}, {}]);
    await db.knex('leads').where({ id: ids[1] }).update({ phones: JSON.stringify([{ raw: '+17135550111', e164: '+17135550111', valid: true }]) });
    const since = (await db.knex.raw('SELECT clock_timestamp() AS now')).rows[0].now as Date;
    await importDncNumbers(db.knex, lines('713-555-0111'), { accountId, source: 'internal', reason: 'uploaded by dana (dnc.txt)' });
    await withWorker(env, { taskQueue, workflowsPath, activities: createComplianceActivities({ db: db.knex }) }, async () => {
      const workflowId = await startSuppressionSweep(env.client, { accountId, since: since.toISOString(), at: new Date().toISOString() }, { taskQueue });
      expect(await env.client.workflow.getHandle(workflowId).result()).toEqual({ matched: 1, flagged: 1, removed: 0 });
    });
    const rows = await db.knex('leads').whereIn('id', ids).orderBy('id').select('id', 'dnc');
    expect(Object.fromEntries(rows.map((r) => [r.id, r.dnc]))).toEqual({ [ids[0]!]: false, [ids[1]!]: true });
  });
});
