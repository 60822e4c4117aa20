// The CSV import workflow end to end: a worker runs importWorkflow and its real activities
// against this file's database; lead workflows are started by name on a queue nobody polls.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WorkflowFailedError } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createImportActivities, type ImportMapping } from '../../activities/import.ts';
import { importProgressQuery, importWorkflow } from '../../workflows/import/workflow.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { createAccountWithAdmin } from '../support/fixtures.ts';
import { createTimeSkippingEnv, uniqueTaskQueue, uniqueWorkflowId, withWorker } from '../support/temporal.ts';

const WORKFLOWS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../workflows/import/workflow.ts');
// import-batches.json, the path before the import-streamed-once patch, was recorded from the
// batch-by-batch workflow and must never be re-recorded.
const STREAMED_HISTORY_FILE = fileURLToPath(new URL('../histories/import-streamed.json', import.meta.url));

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

/** Stores `csv` as an upload and runs its import to the end: the workflow's result, or its failure. */
async function runImport(name: string, csv: string, batchSize?: number) {
  const [imp] = await db.knex('imports').insert({ account_id: accountId, name, file_name: `${name}.csv` }).returning('id');
  await db.knex('import_files').insert({ import_id: imp.id, content: Buffer.from(csv), mapping: JSON.stringify(MAPPING), source: 'spreadsheet' });
  const taskQueue = uniqueTaskQueue('import');
  const activities = createImportActivities({ db: db.knex, temporal: env.client, taskQueue: uniqueTaskQueue('leads-nobody-polls') });
  const result = await withWorker(env, { taskQueue, workflowsPath: WORKFLOWS, activities }, () =>
    env.client.workflow.execute(importWorkflow, { taskQueue, workflowId: uniqueWorkflowId('import'), args: [{ importId: imp.id, batchSize }] }).catch((e: unknown) => e),
  );
  return { imp: imp.id as string, result };
}

describe('importWorkflow', () => {
  it('streams the file in batches, lets the good rows in, records each bad row with its line and reports progress', async () => {
    const [imp] = await db.knex('imports').insert({ account_id: accountId, name: 'March list', file_name: 'march.csv' }).returning('id');
    await db.knex('import_files').insert({ import_id: imp.id, content: Buffer.from(CSV), mapping: JSON.stringify(MAPPING), source: 'spreadsheet' });
    const taskQueue = uniqueTaskQueue('import');
    const activities = createImportActivities({ db: db.knex, temporal: env.client, taskQueue: uniqueTaskQueue('leads-nobody-polls') });

    const progress = await withWorker(env, { taskQueue, workflowsPath: WORKFLOWS, activities }, async () => {
      const handle = await env.client.workflow.start(importWorkflow, { taskQueue, workflowId: uniqueWorkflowId('import'), args: [{ importId: imp.id, batchSize: 3 }] });
      await handle.result();
      // Recorded for the replay test: the streamed path (RECORD_HISTORIES=1 refreshes it).
      if (process.env.RECORD_HISTORIES === '1' || !fs.existsSync(STREAMED_HISTORY_FILE)) fs.writeFileSync(STREAMED_HISTORY_FILE, historyToJSON(await handle.fetchHistory()));
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

  it('reports a record with a quote never closed at the line it starts, and still takes the rows before and after it', async () => {
    const csv = ['First,Last,Street,City,State,Zip', 'Gil,Good,1 Oak St,Austin,TX,78701', 'Hal,Open,"2 Elm St,Austin,TX,78701', 'Ivy,After,3 Ash St,Austin,TX,78701', ''].join('\n');
    const { imp, result } = await runImport('Broken quote', csv);
    expect(result).toMatchObject({ status: 'done', processed: 3, ok: 2, errors: 1 });
    const errors = await db.knex('import_row_errors').where({ import_id: imp });
    expect(errors.map((e) => e.line_number)).toEqual([3]);
    expect(errors[0].reason).toMatch(/^Malformed CSV: Quote Not Closed/);
    expect((await db.knex('leads').where({ import_id: imp }).orderBy('last_name')).map((l) => l.last_name)).toEqual(['After', 'Good']);
  });

  it('costs a quote never closed on line 6 of a long file only that line, whatever the line endings', async () => {
    // Far longer than a record may grow, so the parser gives up on the open quote mid-file.
    const lines = ['First,Last,Street,City,State,Zip'];
    for (let n = 2; n <= 5; n++) lines.push(`Al${n},Before,${n} Oak St,Austin,TX,78701`);
    lines.push('Bo,Open,"6 Elm St,Austin,TX,78701');
    // Rows without a state are read and reported one by one: cheap, and proof they were read.
    for (let n = 7; n <= 4000; n++) lines.push(n % 500 === 0 ? `Cy${n},After,${n} Ash St,Austin,TX,78701` : `Cy${n},After,${n} Ash St,Austin,,78701`);
    const csv = lines.slice(0, 2000).join('\r\n') + '\r\n' + lines.slice(2000).join('\n') + '\n';
    const { imp, result } = await runImport('Long broken quote', csv, 100);
    const after = lines.length - 6;
    expect(result).toMatchObject({ status: 'done', processed: 4 + 1 + after, ok: 4 + 8, errors: 1 + after - 8 });
    const errors = await db.knex('import_row_errors').where({ import_id: imp }).orderBy('line_number');
    expect(errors[0]).toMatchObject({ line_number: 6, reason: expect.stringMatching(/^Malformed CSV: Quote Not Closed/) });
    expect(errors.slice(1).map((e) => e.line_number)).toEqual(Array.from({ length: after }, (_, i) => i + 7).filter((n) => n % 500 !== 0));
    expect(new Set(errors.map((e) => e.line_number)).size).toBe(errors.length);
    expect(await db.knex('leads').where({ import_id: imp }).count({ n: '*' })).toEqual([{ n: '12' }]);
  });

  it("reports a row PostgreSQL refuses as that row's error and takes the rest of its batch", async () => {
    // Stands in for any value intake lets through but the database will not store.
    await db.knex.raw(`CREATE OR REPLACE FUNCTION refuse_lead() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.last_name = 'Refused' THEN RAISE EXCEPTION 'value not storable' USING ERRCODE = '22021'; END IF; RETURN NEW; END $$`);
    await db.knex.raw('CREATE TRIGGER refuse_lead BEFORE INSERT ON leads FOR EACH ROW EXECUTE FUNCTION refuse_lead()');
    try {
      const csv = ['First,Last,Street,City,State,Zip', 'Di,Kept,1 Oak St,Austin,TX,78701', 'Ed,Refused,2 Elm St,Austin,TX,78701', 'Fay,Also Kept,3 Ash St,Austin,TX,78701', 'Gus,Nul\u0000Byte,4 Fir St,Austin,TX,78701'].join('\n');
      const { imp, result } = await runImport('Refused row', csv);
      expect(result).toMatchObject({ status: 'done', processed: 4, ok: 2, errors: 2 });
      const errors = await db.knex('import_row_errors').where({ import_id: imp }).orderBy('line_number');
      expect(errors.map((e) => e.line_number)).toEqual([3, 5]);
      expect(errors[0].reason).toBe('Could not be saved: value not storable');
      expect((await db.knex('leads').where({ import_id: imp }).orderBy('last_name')).map((l) => l.last_name)).toEqual(['Also Kept', 'Kept']);
    } finally {
      await db.knex.raw('DROP TRIGGER refuse_lead ON leads');
    }
  });

  it('fails the import with its reason when a batch keeps failing, instead of retrying it for ever', async () => {
    // Not a row's fault (an object in the wrong state): retried, but only so many times.
    await db.knex.raw(`CREATE OR REPLACE FUNCTION stall_lead() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.last_name = 'Stuck' THEN RAISE EXCEPTION 'leads are locked for maintenance' USING ERRCODE = '55000'; END IF; RETURN NEW; END $$`);
    await db.knex.raw('CREATE TRIGGER stall_lead BEFORE INSERT ON leads FOR EACH ROW EXECUTE FUNCTION stall_lead()');
    try {
      const csv = ['First,Last,Street,City,State,Zip', 'Hu,Fine,1 Oak St,Austin,TX,78701', 'Io,Fine Too,2 Oak St,Austin,TX,78701', 'Jo,Stuck,3 Elm St,Austin,TX,78701'].join('\n');
      const { imp, result } = await runImport('Stuck batch', csv, 2);
      expect(result).toBeInstanceOf(WorkflowFailedError);
      const row = await db.knex('imports').where({ id: imp }).first();
      expect(row).toMatchObject({ status: 'failed', total_rows: 2, ok_rows: 2, error_rows: 0 });
      expect(row.failure_reason).toBe('The rows from line 4 could not be imported: leads are locked for maintenance');
    } finally {
      await db.knex.raw('DROP TRIGGER stall_lead ON leads');
    }
  });

  it('fails an import without a usable column mapping at once, as bad input', async () => {
    const [imp] = await db.knex('imports').insert({ account_id: accountId, name: 'Unmapped', file_name: 'unmapped.csv' }).returning('id');
    await db.knex('import_files').insert({ import_id: imp.id, content: Buffer.from('a,b\n1,2\n'), mapping: JSON.stringify({}), source: 'spreadsheet' });
    const taskQueue = uniqueTaskQueue('import');
    const activities = createImportActivities({ db: db.knex, temporal: env.client, taskQueue: uniqueTaskQueue('leads-nobody-polls') });
    const err = await withWorker(env, { taskQueue, workflowsPath: WORKFLOWS, activities }, () =>
      env.client.workflow.execute(importWorkflow, { taskQueue, workflowId: uniqueWorkflowId('import'), args: [{ importId: imp.id }] }).catch((e: unknown) => e),
    );
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect(await db.knex('imports').where({ id: imp.id }).first()).toMatchObject({ status: 'failed', failure_reason: 'The import has no complete column mapping' });
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
