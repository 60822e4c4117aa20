// After an Archive or a Quick Action the lead page re-reads itself until the workflow has
// recorded what was sent, then stops; in a real browser, with the real lead workflow. The
// workflow's history writes are slowed down here (as a busy worker would be): the page must
// keep waiting past its first re-read, and it must recognise an archive's record, which is
// keyed `lead-<id>:archive:<at>`, not like a Quick Action's `lead-<id>:action:<actionId>`.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { BrowserContext, Page } from 'playwright-core';
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
/** How long the workflow takes to record an archive or a Quick Action here. */
const RECORD_DELAY_MS = 2_500;
let db: TestDatabase;
let env: TestWorkflowEnvironment;
let web: RunningWebServer;
let context: BrowserContext;
let closeBrowser: (() => Promise<void>) | undefined;
const taskQueue = uniqueTaskQueue('lead-page-wait');

beforeAll(async () => {
  db = await createTestDatabase();
  await seedDemoAccount(db.knex);
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

/** The real activities, with the two history writes of the lead page's actions slowed down. */
function slowActivities() {
  const activities = createActivities({ db: db.knex, mailer: { sendMail: async () => undefined } as never, temporal: env.client, taskQueue, workerIdentity: 'lead-page-wait-test-worker' });
  const slow =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      await new Promise((r) => setTimeout(r, RECORD_DELAY_MS));
      return fn(...args);
    };
  return { ...activities, archiveLead: slow(activities.archiveLead), recordQuickAction: slow(activities.recordQuickAction) };
}

let signedIn = false;
async function openLeadPage(leadId: string): Promise<{ page: Page; reads: number[] }> {
  const page = await context.newPage();
  if (!signedIn) {
    // The browser context keeps the session cookie for the next test.
    await page.goto(`${web.url}/login`);
    await page.getByLabel('Username').fill('lsp.alex');
    await page.getByLabel('Password').fill('alex-demo-pass');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'My Leads' }).or(page.getByRole('heading', { name: 'Leads' })).first().waitFor();
    signedIn = true;
  }
  await page.goto(`${web.url}/leads/${leadId}`);
  // Each re-read of the page is a GET of the route's data (single fetch).
  const reads: number[] = [];
  page.on('request', (r) => {
    if (r.method() === 'GET' && new URL(r.url()).pathname.endsWith('.data')) reads.push(Date.now());
  });
  return { page, reads };
}

/** The page re-reads itself every 500 ms while it waits: none in 2.5 s means it stopped. */
async function expectNoMoreReads(page: Page, reads: number[]) {
  await page.waitForTimeout(700);
  const before = reads.length;
  await page.waitForTimeout(2_500);
  expect(reads.length - before).toBe(0);
}

async function leadOfAlex(offset: number): Promise<string> {
  const alex = await db.knex('users').where({ username: 'lsp.alex' }).first('id');
  const lead = await db.knex('leads').where({ assigned_user_id: alex.id }).orderBy('created_at').offset(offset).first('id');
  return lead.id as string;
}

describe.skipIf(browserUnavailable)(`The lead page waits for the workflow's record${browserUnavailable ? ` (skipped: ${browserUnavailable})` : ''}`, () => {
  it('shows an archive once recorded, then stops re-reading', async () => {
    const leadId = await leadOfAlex(0);
    // The page offers Archive only to a lead at Personalized Proposal.
    await db.knex('leads').where({ id: leadId }).update({ milestone: 'personalized_proposal', status: 'active' });
    await withWorker(env, { taskQueue, workflowsPath: WORKFLOWS, activities: slowActivities() }, async () => {
      const { page, reads } = await openLeadPage(leadId);
      await page.getByRole('button', { name: 'Archive lead' }).click();
      await expect.poll(() => page.locator('.timeline').textContent(), { timeout: 15_000, interval: 250 }).toContain('archived');
      await expect.poll(() => page.locator('.badges').textContent()).toContain('Archived');
      const archived = await db.knex('lead_events').where({ lead_id: leadId, type: 'archived' }).first('idempotency_key');
      expect(archived.idempotency_key).toMatch(new RegExp(`^lead-${leadId}:archive:`));
      await expectNoMoreReads(page, reads);
      await env.client.workflow.getHandle(`lead-${leadId}`).terminate('test over');
    });
  });

  it('shows a slowly recorded Quick Action, then stops re-reading', async () => {
    const leadId = await leadOfAlex(1);
    await db.knex('leads').where({ id: leadId }).update({ milestone: 'new', status: 'active' });
    await withWorker(env, { taskQueue, workflowsPath: WORKFLOWS, activities: slowActivities() }, async () => {
      const { page, reads } = await openLeadPage(leadId);
      const milestone = page.locator('dt:has-text("Milestone") + dd');
      await expect.poll(() => milestone.textContent()).toBe('New');
      await page.getByRole('button', { name: 'Quoted', exact: true }).click();
      await expect.poll(() => page.getByRole('status').textContent()).toContain('Sent');
      await expect.poll(() => milestone.textContent(), { timeout: 15_000, interval: 250 }).toBe('Quoted');
      await expect.poll(() => page.getByRole('status').count()).toBe(0);
      await expectNoMoreReads(page, reads);
      await env.client.workflow.getHandle(`lead-${leadId}`).terminate('test over');
    });
  });
});
