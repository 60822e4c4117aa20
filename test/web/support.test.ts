// The support page's end-to-end check for real: the button goes through the web server to
// Temporal (the offline dev server), a worker runs the workflow, its activity marks the row
// completed, and the page shows it with a link to the workflow in Temporal Web.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities/index.ts';
import { seedDemoAccount } from '../../db/seed.ts';
import { registerSearchAttributes } from '../../temporal.config.ts';
import { startWebServer, type RunningWebServer } from '../../web/server.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { TEST_SESSION_SECRET, visibleText, WebClient } from '../support/http.ts';
import { createLocalEnv, uniqueTaskQueue, withWorker } from '../support/temporal.ts';

const WORKFLOWS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../workflows/index.ts');
const TEMPORAL_WEB = 'http://temporal-web.test:8233';

let db: TestDatabase;
let env: TestWorkflowEnvironment;
let web: RunningWebServer;
let accountId: string;
const taskQueue = uniqueTaskQueue('web-support');

beforeAll(async () => {
  db = await createTestDatabase();
  accountId = (await seedDemoAccount(db.knex)).accountId;
  env = await createLocalEnv();
  await registerSearchAttributes(env.connection, env.namespace ?? 'default');
  web = await startWebServer({
    port: 0,
    databaseUrl: db.url,
    sessionSecret: TEST_SESSION_SECRET,
    mode: 'development',
    temporal: { client: env.client },
    taskQueue,
    temporalWebUrl: TEMPORAL_WEB,
  });
});

afterAll(async () => {
  await web?.close();
  await env?.teardown();
  await db?.destroy();
});

describe('support page', () => {
  it('runs the end-to-end check through Temporal and a worker and shows it completed', async () => {
    const kim = new WebClient(web.url);
    expect((await kim.login('support.kim', 'kim-demo-pass')).status).toBe(302);
    const before = await kim.get('/support');
    expect(before.status).toBe(200);
    expect(before.text).toContain(`href="${TEMPORAL_WEB}"`);

    const activities = createActivities({ db: db.knex, mailer: { sendMail: async () => Promise.reject(new Error('a system check sends no mail')) }, temporal: env.client, taskQueue, workerIdentity: 'web-support-test-worker' });
    await withWorker(env, { taskQueue, workflowsPath: WORKFLOWS, activities }, async () => {
      const res = await kim.submit('/support', {});
      expect(res.status).toBe(302);
      expect(res.location).toBe('/support');
      await expect
        .poll(async () => (await db.knex('system_checks').where({ account_id: accountId }).first())?.status, { timeout: 20_000, interval: 200 })
        .toBe('completed');
    });

    const check = await db.knex('system_checks').where({ account_id: accountId }).first();
    expect(check.worker_identity).toBe('web-support-test-worker');
    const kimId = (await db.knex('users').where({ username: 'support.kim' }).first('id')).id;
    expect(check.requested_by).toBe(kimId);
    const page = await kim.get('/support');
    const text = visibleText(page.text);
    expect(text).toContain('completed');
    expect(text).toContain('Kim Patel');
    expect(page.text).toContain(`href="${TEMPORAL_WEB}/namespaces/default/workflows/${check.workflow_id}"`);
  });

  it('lists only this account’s checks', async () => {
    const [other] = await db.knex('accounts').insert({ name: 'Elsewhere', agent_ids: ['E0ELSE'] }).returning('id');
    await db.knex('system_checks').insert({ account_id: other.id, workflow_id: 'system-check-of-another-account', status: 'completed' });
    const dana = new WebClient(web.url);
    await dana.login('A0DEMO1', 'owner-demo-pass');
    const page = await dana.get('/support');
    expect(page.status).toBe(200);
    expect(page.text).not.toContain('system-check-of-another-account');
  });

  it('reconciles: starts the workflow of each open lead that has none, and says how many', async () => {
    const dana = new WebClient(web.url);
    await dana.login('A0DEMO1', 'owner-demo-pass');
    const open = await db.knex('leads').where({ account_id: accountId }).whereIn('status', ['new', 'active']).pluck('id');
    const res = await dana.submit('/support', { intent: 'reconcile' });
    expect(res.status).toBe(200);
    expect(visibleText(res.text)).toContain(`Checked ${open.length} open leads; restarted ${open.length}.`);
    for (const id of open) {
      expect((await env.client.workflow.getHandle(`lead-${id}`).describe()).status.name).toBe('RUNNING');
    }
    const again = await dana.submit('/support', { intent: 'reconcile' });
    expect(visibleText(again.text)).toContain('restarted 0.');
    for (const id of open) await env.client.workflow.getHandle(`lead-${id}`).terminate('test over');
  });
});
