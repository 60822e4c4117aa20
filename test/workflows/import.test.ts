// The CSV import workflow end to end: a worker runs importWorkflow and its real activities
// against this file's database; lead workflows are started by name on a queue nobody polls.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createImportActivities, type ImportMapping } from '../../activities/import.ts';
import { importProgressQuery, importWorkflow } from '../../workflows/import/workflow.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { createAccountWithAdmin } from '../support/fixtures.ts';
import { createTimeSkippingEnv, uniqueTaskQueue, uniqueWorkflowId, withWorker } from '../support/temporal.ts';

const WORKFLOWS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../workflows/import/workflow.ts');

let db: TestDatabase;
let env: TestWorkflowEnvironment;
let accountId: string;

beforeAll(async () => {
  db = await createTestDatabase();
  env = await createTimeSkippingEnv();
  accountId = (await createAccountWithAdmin(db.knex)).accountId;
});

afterAll(async () => {
  await env?.teardown();
  await db?.destroy();
});

const CSV = [
  'First,Last,Street,City,State,Zip,Phone,Email,Customer',
  'ann,LEE,1 Oak St,Trenton,NJ,8608,609-456-7890,ann@example.com,no', // line 2
  'Bo,Diaz,2 Elm St,Austin,Texas,78701,,bo@example.com,yes', // 3
  ',NoFirst,3 Ash St,Austin,TX,78701,,,', // 4: no first name
  'Cy,Park,4 Fir St,Nowhere,ZZ,99999,,,', // 5: bad state
  '',
  'ANN,lee,1 OAK ST,trenton,nj,08608,,,', // 7: duplicate of line 2
  '"Dee","Multi","5 Line St',
  'Apt 2",Denver,CO,80202,303-456-7890,,', // 8-9: a quoted field across lines
  'Ed,Zip,6 Pine St,Boston,MA,ABC,,,', // 10: bad ZIP
  'Flo,Last,7 Last St,Miami,FL,33101,,,', // 11
].join('\n');

const MAPPING: ImportMapping = { firstName: 0, lastName: 1, line1: 2, city: 3, state: 4, zip: 5, phones: [6], emails: [7], customer: 8 };

describe('importWorkflow', () => {
  it('streams the file in batches, lets the good rows in, records each bad row with its line and reports progress', async () => {
    const [imp] = await db.knex('imports').insert({ account_id: accountId, name: 'March list', file_name: 'march.csv' }).returning('id');
    await db.knex('import_files').insert({ import_id: imp.id, content: Buffer.from(CSV), mapping: JSON.stringify(MAPPING), source: 'spreadsheet' });
    const taskQueue = uniqueTaskQueue('import');
    const activities = createImportActivities({ db: db.knex, temporal: env.client, taskQueue: uniqueTaskQueue('leads-nobody-polls') });

    const progress = await withWorker(env, { taskQueue, workflowsPath: WORKFLOWS, activities }, async () => {
      const handle = await env.client.workflow.start(importWorkflow, { taskQueue, workflowId: uniqueWorkflowId('import'), args: [{ importId: imp.id, batchSize: 3 }] });
      await handle.result();
      return handle.query(importProgressQuery);
    });

    expect(progress).toEqual({ status: 'done', processed: 8, ok: 5, errors: 3, bytesTotal: Buffer.byteLength(CSV), bytesDone: Buffer.byteLength(CSV) });
    const errors = await db.knex('import_row_errors').where({ import_id: imp.id }).orderBy('line_number');
    expect(errors.map((e) => [e.line_number, e.reason])).toEqual([
      [4, 'firstName: Required'],
      [5, 'address.state: Not a US state, DC or territory'],
      [10, 'address.zip: Not a ZIP code'],
    ]);
    const leads = await db.knex('leads').where({ import_id: imp.id }).orderBy('last_name');
    expect(leads.map((l) => `${l.first_name} ${l.last_name}`)).toEqual(['Bo Diaz', 'Flo Last', 'Ann Lee', 'Dee Multi']);
    expect(leads.find((l) => l.last_name === 'Multi').address_line1).toBe('5 Line St Apt 2');
    expect(leads.find((l) => l.last_name === 'Diaz')).toMatchObject({ kind: 'C', state: 'TX', import_name: 'March list', source: 'spreadsheet' });
    const ann = leads.find((l) => l.last_name === 'Lee');
    expect(await db.knex('lead_source_touches').where({ lead_id: ann.id })).toHaveLength(2);
    expect(await db.knex('imports').where({ id: imp.id }).first()).toMatchObject({ status: 'done', total_rows: 8, ok_rows: 5, error_rows: 3 });
  });

  it('reports a record with a quote never closed at the line it starts, and still takes the rows before it', async () => {
    const csv = ['First,Last,Street,City,State,Zip', 'Gil,Good,1 Oak St,Austin,TX,78701', 'Hal,Open,"2 Elm St,Austin,TX,78701', 'Ivy,Lost,3 Ash St,Austin,TX,78701', ''].join('\n');
    const [imp] = await db.knex('imports').insert({ account_id: accountId, name: 'Broken quote', file_name: 'broken.csv' }).returning('id');
    await db.knex('import_files').insert({ import_id: imp.id, content: Buffer.from(csv), mapping: JSON.stringify(MAPPING), source: 'spreadsheet' });
    const taskQueue = uniqueTaskQueue('import');
    const activities = createImportActivities({ db: db.knex, temporal: env.client, taskQueue: uniqueTaskQueue('leads-nobody-polls') });
    const result = await withWorker(env, { taskQueue, workflowsPath: WORKFLOWS, activities }, () =>
      env.client.workflow.execute(importWorkflow, { taskQueue, workflowId: uniqueWorkflowId('import'), args: [{ importId: imp.id }] }),
    );
    expect(result).toMatchObject({ status: 'done', processed: 2, ok: 1, errors: 1 });
    const errors = await db.knex('import_row_errors').where({ import_id: imp.id });
    expect(errors.map((e) => e.line_number)).toEqual([3]);
    expect(errors[0].reason).toMatch(/^Malformed CSV: Quote Not Closed/);
    expect((await db.knex('leads').where({ import_id: imp.id })).map((l) => l.last_name)).toEqual(['Good']);
  });

  it('marks an import failed, with the reason, when it cannot go on', async () => {
    const [imp] = await db.knex('imports').insert({ account_id: accountId, name: 'Lost file', file_name: 'lost.csv' }).returning('id');
    // No import_files row: the upload is gone, which no retry can mend.
    const taskQueue = uniqueTaskQueue('import');
    const activities = createImportActivities({ db: db.knex, temporal: env.client, taskQueue: uniqueTaskQueue('leads-nobody-polls') });
    const err = await withWorker(env, { taskQueue, workflowsPath: WORKFLOWS, activities }, () =>
      env.client.workflow.execute(importWorkflow, { taskQueue, workflowId: uniqueWorkflowId('import'), args: [{ importId: imp.id }] }).catch((e: unknown) => e),
    );
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect(await db.knex('imports').where({ id: imp.id }).first()).toMatchObject({ status: 'failed', failure_reason: `The file of import ${imp.id} is gone` });
  });
});
