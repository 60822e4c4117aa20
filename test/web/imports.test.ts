// CSV import through the web app, end to end: upload, the mapping page's guesses, the start,
// a real worker running the real import workflow and activities, and the progress page.
// Lead workflows the import starts go to a queue nobody polls: this file is about the import.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities/index.ts';
import { hashPassword } from '../../db/passwords.ts';
import { seedDemoAccount } from '../../db/seed.ts';
import { registerSearchAttributes } from '../../temporal.config.ts';
import { startWebServer, type RunningWebServer } from '../../web/server.ts';
import { guessMapping } from '../../web/app/utils/import-mapping.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { createAccountWithAdmin } from '../support/fixtures.ts';
import { csrfToken, TEST_SESSION_SECRET, visibleText, WebClient } from '../support/http.ts';
import { createLocalEnv, uniqueTaskQueue, withWorker } from '../support/temporal.ts';

const WORKFLOWS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../workflows/index.ts');

let db: TestDatabase;
let env: TestWorkflowEnvironment;
let web: RunningWebServer;
let accountId: string;
const taskQueue = uniqueTaskQueue('web-imports');

beforeAll(async () => {
  db = await createTestDatabase();
  accountId = (await seedDemoAccount(db.knex)).accountId;
  env = await createLocalEnv();
  await registerSearchAttributes(env.connection, env.namespace ?? 'default');
  web = await startWebServer({ port: 0, databaseUrl: db.url, sessionSecret: TEST_SESSION_SECRET, mode: 'development', temporal: { client: env.client }, taskQueue });
});

afterAll(async () => {
  await web?.close();
  await env?.teardown();
  await db?.destroy();
});

const CSV = [
  'First Name,Last Name,Street Address,Apt,City,ST,Postal Code,Phone1,Phone2,E-mail,Customer',
  'Iris,Nolan,10 Birch Rd,,Trenton,NJ,08608,609-456-7890,,iris@example.com,no', // line 2
  'Jon,Ortiz,11 Cedar Rd,Unit 4,Austin,TX,78701,,512-456-7890,,yes', // 3
  'Kay,Price,12 Maple Rd,,Nowhere,ZZ,99999,,,,', // 4: bad state
  'Lou,Quinn,13 Spruce Rd,,Denver,CO,80202,,,lou@example.com,', // 5
].join('\n');

async function signedIn(username: string, password: string) {
  const c = new WebClient(web.url);
  expect((await c.login(username, password)).status).toBe(302);
  return c;
}

/** The column index a mapping select has selected (React renders defaultValue as `selected`). */
function selected(html: string, name: string): string[] {
  const select = new RegExp(`<select[^>]*name="${name}"[^>]*>([\\s\\S]*?)</select>`).exec(html)?.[1] ?? '';
  return [...select.matchAll(/<option value="(\d*)" selected=""/g)].map((m) => m[1]!);
}

describe('guessMapping', () => {
  it('recognises the usual header spellings', () => {
    expect(guessMapping(['fname', 'LAST_NAME', 'address', 'address2', 'Town', 'State', 'zip', 'Cell', 'Work Phone', 'Email Address', 'is_customer'])).toEqual({
      firstName: 0,
      lastName: 1,
      line1: 2,
      line2: 3,
      city: 4,
      state: 5,
      zip: 6,
      phones: [7, 8],
      emails: [9],
      customer: 10,
    });
    expect(guessMapping(['Notes', 'Zip'])).toEqual({ zip: 1, phones: [], emails: [] });
  });
});

describe('imports page', () => {
  let importId: string;

  it('stores an upload without starting it and shows the mapping page with guesses', async () => {
    const dana = await signedIn('A0DEMO1', 'owner-demo-pass');
    const list = await dana.get('/imports');
    expect(list.status).toBe(200);
    const res = await dana.upload('/imports?index', { name: 'Spring list', source: 'web_vendor' }, { file: { name: 'spring.csv', content: CSV } }, { from: '/imports' });
    expect(res.status).toBe(302);
    const m = /^\/imports\/([0-9a-f-]{36})\/mapping$/.exec(res.location ?? '');
    expect(m).not.toBeNull();
    importId = m![1]!;
    expect(await db.knex('imports').where({ id: importId }).first()).toMatchObject({ account_id: accountId, name: 'Spring list', file_name: 'spring.csv', status: 'pending' });
    expect((await db.knex('import_files').where({ import_id: importId }).first()).source).toBe('web_vendor');

    const page = await dana.get(res.location!);
    expect(page.status).toBe(200);
    const text = visibleText(page.text);
    expect(text).toContain('First Name Last Name Street Address');
    expect(text).toContain('Jon Ortiz 11 Cedar Rd Unit 4');
    expect(text).not.toContain('Lou'); // only the first three rows
    const guesses = Object.fromEntries(['firstName', 'lastName', 'line1', 'line2', 'city', 'state', 'zip', 'customer', 'phones', 'emails'].map((f) => [f, selected(page.text, f)]));
    expect(guesses).toEqual({
      firstName: ['0'],
      lastName: ['1'],
      line1: ['2'],
      line2: ['3'],
      city: ['4'],
      state: ['5'],
      zip: ['6'],
      customer: ['10'],
      phones: ['7', '8'],
      emails: ['9'],
    });
    expect(visibleText((await dana.get('/imports')).text)).toContain('Spring list spring.csv waiting for mapping');
  });

  it('starts the import workflow from the mapping, and the progress page shows the counts and the bad row', async () => {
    const dana = await signedIn('A0DEMO1', 'owner-demo-pass');
    const mappingPath = `/imports/${importId}/mapping`;
    const token = csrfToken((await dana.get(mappingPath)).text)!;
    const body = new URLSearchParams({ csrf: token, firstName: '0', lastName: '1', line1: '2', line2: '3', city: '4', state: '5', zip: '6', customer: '10', emails: '9' });
    body.append('phones', '7');
    body.append('phones', '8');

    const activities = {
      ...createActivities({
        db: db.knex,
        mailer: { sendMail: async () => Promise.reject(new Error('an import sends no mail')) },
        temporal: env.client,
        taskQueue: uniqueTaskQueue('leads-nobody-polls'),
        workerIdentity: 'web-imports-test-worker',
      }),
    };
    await withWorker(env, { taskQueue, workflowsPath: WORKFLOWS, activities }, async () => {
      const res = await dana.request(mappingPath, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: body.toString() });
      expect(res.status).toBe(302);
      expect(res.location).toBe(`/imports/${importId}`);
      await env.client.workflow.getHandle(`import-${importId}`).result();
      const page = await dana.get(`/imports/${importId}`);
      expect(page.status).toBe(200);
      expect(page.text).toMatch(/<label for="([^"]+)">Import progress<\/label><progress id="\1" max="100" value="100"/);
      const text = visibleText(page.text);
      expect(text).toContain('Rows read 4 Imported 3 Bad rows 1');
      expect(text).toContain('Line 4 address.state: Not a US state, DC or territory');
    });

    expect(await db.knex('imports').where({ id: importId }).first()).toMatchObject({ status: 'done', total_rows: 4, ok_rows: 3, error_rows: 1 });
    const jon = await db.knex('leads').where({ import_id: importId, last_name: 'Ortiz' }).first();
    expect(jon).toMatchObject({ kind: 'C', address_line2: 'Unit 4', source: 'web_vendor', import_name: 'Spring list' });
    // Closed workflow: the page falls back to the imports row and stops refreshing.
    const after = visibleText((await dana.get(`/imports/${importId}`)).text);
    expect(after).toContain('Rows read 4 Imported 3 Bad rows 1');
    expect(after).toContain('Line 4');
    // The mapping cannot be changed once the import has run.
    const again = await dana.get(mappingPath);
    expect(again.status).toBe(302);
    expect(again.location).toBe(`/imports/${importId}`);
  });

  it('shows a failed import as failed, with why, and does not ask Temporal for its progress', async () => {
    const [imp] = await db.knex('imports')
      .insert({ account_id: accountId, name: 'Broken upload', file_name: 'broken.csv', status: 'failed', failure_reason: 'The file of import x is gone', total_rows: 400, ok_rows: 390, error_rows: 10 })
      .returning('id');
    const dana = await signedIn('A0DEMO1', 'owner-demo-pass');
    const text = visibleText((await dana.get(`/imports/${imp.id}`)).text);
    expect(text).toContain('Progress failed');
    expect(text).toContain('The import stopped: The file of import x is gone. The rows imported before it stopped are kept.');
    expect(text).toContain('Rows read 400 Imported 390 Bad rows 10');
  });

  it('refuses a control character in the import name or the file name with 400 naming the field, and keeps names in Unicode NFC', async () => {
    const dana = await signedIn('A0DEMO1', 'owner-demo-pass');
    const before = await db.knex('imports').count<{ n: string }[]>({ n: '*' });
    const nul = await dana.upload('/imports?index', { name: 'Spring\u0000list', source: 'web_vendor' }, { file: { name: 'spring.csv', content: CSV } }, { from: '/imports' });
    expect(nul.status).toBe(400);
    expect(visibleText(nul.text)).toContain('“name”: contains a control character (U+0000)');
    const fileName = await dana.upload('/imports?index', { name: 'Spring list', source: 'web_vendor' }, { file: { name: 'spring\u0001.csv', content: CSV } }, { from: '/imports' });
    expect(fileName.status).toBe(400);
    expect(visibleText(fileName.text)).toContain('“file”');
    expect(await db.knex('imports').count<{ n: string }[]>({ n: '*' })).toEqual(before);

    const composed = await dana.upload('/imports?index', { name: 'Cafe\u0301 list', source: 'web_vendor' }, { file: { name: 'cafe.csv', content: CSV } }, { from: '/imports' });
    expect(composed.status).toBe(302);
    const id = /^\/imports\/([0-9a-f-]{36})\/mapping$/.exec(composed.location ?? '')![1];
    expect(await db.knex('imports').where({ id }).first('name')).toEqual({ name: 'Caf\u00e9 list' });

    // A header cell only labels its column: its invisible control characters are dropped.
    const header = await dana.upload('/imports?index', { name: 'Odd header', source: 'web_vendor' }, { file: { name: 'odd.csv', content: `First\u0000 Name,Last Name\nIris,Nolan\n` } }, { from: '/imports' });
    expect(header.status).toBe(302);
    const headerId = /^\/imports\/([0-9a-f-]{36})\/mapping$/.exec(header.location ?? '')![1];
    expect((await db.knex('import_files').where({ import_id: headerId }).first('header')).header).toEqual(['First Name', 'Last Name']);
  });

  it('answers 404 to another account and refuses LSPs', async () => {
    const other = await createAccountWithAdmin(db.knex, 'Other Agency');
    const otherAdmin = await db.knex('users').where({ id: other.userId }).update({ password_hash: await hashPassword('other-admin-pass') }).returning('username');
    const eve = await signedIn(otherAdmin[0].username, 'other-admin-pass');
    expect((await eve.get(`/imports/${importId}`)).status).toBe(404);
    expect((await eve.get(`/imports/${importId}/mapping`)).status).toBe(404);
    expect(visibleText((await eve.get('/imports')).text)).not.toContain('Spring list');

    const alex = await signedIn('lsp.alex', 'alex-demo-pass');
    expect((await alex.get('/imports')).status).toBe(403);
    expect((await alex.get(`/imports/${importId}`)).status).toBe(403);
  });
});
