import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoAccount } from '../../db/seed.ts';
import { startWebServer, type RunningWebServer } from '../../web/server.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { TEST_SESSION_SECRET, visibleText, WebClient } from '../support/http.ts';
import { createTimeSkippingEnv, uniqueTaskQueue, withWorker } from '../support/temporal.ts';

const WORKFLOWS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/restore-recorder-workflow.ts');
let db: TestDatabase;
let env: TestWorkflowEnvironment;
let web: RunningWebServer;
let recycledId: string;
const taskQueue = uniqueTaskQueue('recycle-bin');

beforeAll(async () => {
  db = await createTestDatabase();
  const { accountId } = await seedDemoAccount(db.knex);
  const lead = await db.knex('leads').where({ account_id: accountId, first_name: 'Omar' }).first('id');
  recycledId = lead.id;
  await db.knex('leads').where({ id: recycledId }).update({ status: 'recycled', recycled_at: new Date() });
  await db.knex('lead_events').insert({ lead_id: recycledId, account_id: accountId, actor_system: 'workflow', type: 'recycled', note: 'unassigned and uncontactable for 3 days' });
  env = await createTimeSkippingEnv();
  web = await startWebServer({ port: 0, databaseUrl: db.url, sessionSecret: TEST_SESSION_SECRET, mode: 'development', temporal: { client: env.client }, taskQueue });
});
afterAll(async () => {
  await web?.close();
  await env?.teardown();
  await db?.destroy();
});

describe('recycle bin', () => {
  it('lists the account’s recycled leads with why they were recycled', async () => {
    const dana = new WebClient(web.url);
    await dana.login('A0DEMO1', 'owner-demo-pass');
    const page = await dana.get('/recycle-bin');
    expect(page.status).toBe(200);
    const text = visibleText(page.text);
    expect(text).toContain('Haddad, Omar');
    expect(text).toContain('unassigned and uncontactable for 3 days');
    expect(text).not.toContain('Gonzalez');
  });

  it('restores a lead by signalling its workflow with who restored it', async () => {
    const dana = new WebClient(web.url);
    await dana.login('A0DEMO1', 'owner-demo-pass');
    const danaId = (await db.knex('users').where({ username: 'A0DEMO1' }).first('id')).id;
    await withWorker(env, { taskQueue, workflowsPath: WORKFLOWS }, async () => {
      const res = await dana.submit('/recycle-bin', { leadId: recycledId });
      expect(res.status).toBe(200);
      const restores = await env.client.workflow.getHandle(`lead-${recycledId}`).query<Array<{ byUserId: string }>>('restores');
      expect(restores).toEqual([expect.objectContaining({ byUserId: danaId })]);
    });
  });

  it('answers 404 for a lead that is not in this account’s bin, and keeps LSPs out', async () => {
    const dana = new WebClient(web.url);
    await dana.login('A0DEMO1', 'owner-demo-pass');
    const active = await db.knex('leads').where({ status: 'active' }).first('id');
    expect((await dana.submit('/recycle-bin', { leadId: active.id })).status).toBe(404);
    const alex = new WebClient(web.url);
    await alex.login('lsp.alex', 'alex-demo-pass');
    expect([403, 404]).toContain((await alex.get('/recycle-bin')).status);
  });
});
