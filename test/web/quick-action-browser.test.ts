// The whole Quick Action path in a real browser, with the real lead workflow: an LSP clicks
// "Quoted" on a lead page and, without reloading, sees the milestone change once the
// workflow has recorded it (web -> signal -> worker -> activity -> Postgres -> page).
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities/index.ts';
import { seedDemoAccount } from '../../db/seed.ts';
import { registerSearchAttributes } from '../../temporal.config.ts';
import { startWebServer, type RunningWebServer } from '../../web/server.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { TEST_SESSION_SECRET } from '../support/http.ts';
import { createLocalEnv, uniqueTaskQueue, withWorker } from '../support/temporal.ts';
import { browserUnavailable, launchBrowser } from '../support/browser.ts';

const WORKFLOWS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../workflows/index.ts');
let db: TestDatabase;
let env: TestWorkflowEnvironment;
let web: RunningWebServer;
let context: BrowserContext;
let closeBrowser: (() => Promise<void>) | undefined;
const taskQueue = uniqueTaskQueue('quick-action-browser');

beforeAll(async () => {
  db = await createTestDatabase();
  await seedDemoAccount(db.knex);
  // Real time: the lead's cadence must not race ahead while the browser looks.
  env = await createLocalEnv();
  await registerSearchAttributes(env.connection, env.namespace ?? 'default');
  web = await startWebServer({ port: 0, databaseUrl: db.url, sessionSecret: TEST_SESSION_SECRET, mode: 'development', temporal: { client: env.client }, taskQueue });
  ({ context, close: closeBrowser } = await launchBrowser());
});

afterAll(async () => {
  await closeBrowser?.();
  await web?.close();
  await env?.teardown();
  await db?.destroy();
});

describe.skipIf(browserUnavailable)(`Quick Action in a real browser${browserUnavailable ? ` (skipped: ${browserUnavailable})` : ''}`, () => {
  it('shows the new milestone after a click, without a reload', async () => {
    const alex = await db.knex('users').where({ username: 'lsp.alex' }).first('id');
    const lead = await db.knex('leads').where({ assigned_user_id: alex.id }).orderBy('created_at').first('id');
    const sent: string[] = [];
    const activities = createActivities({ db: db.knex, mailer: { sendMail: async (m: { subject?: string }) => void sent.push(String(m.subject)) } as never, temporal: env.client, taskQueue, workerIdentity: 'browser-test-worker' });
    await withWorker(env, { taskQueue, workflowsPath: WORKFLOWS, activities }, async () => {
      const page = await context.newPage();
      await page.goto(`${web.url}/login`);
      await page.getByLabel('Username').fill('lsp.alex');
      await page.getByLabel('Password').fill('alex-demo-pass');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'My Leads' }).or(page.getByRole('heading', { name: 'Leads' })).first().waitFor();
      await page.goto(`${web.url}/leads/${lead.id}`);
      const milestone = page.locator('dt:has-text("Milestone") + dd');
      await expect.poll(() => milestone.textContent()).toBe('New');
      // Mark the document: a full reload would lose this property.
      await page.evaluate(() => ((window as unknown as { __noReload: boolean }).__noReload = true));
      await page.getByRole('button', { name: 'Quoted', exact: true }).click();
      await expect.poll(() => milestone.textContent(), { timeout: 20_000, interval: 250 }).toBe('Quoted');
      expect(await page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload)).toBe(true);
      await page.screenshot({ path: path.join(os.tmpdir(), 'leadflow-quick-action.png'), fullPage: true });
      expect((await db.knex('leads').where({ id: lead.id }).first('milestone')).milestone).toBe('quoted');
      await env.client.workflow.getHandle(`lead-${lead.id}`).terminate('test over');
    });
  });
});
