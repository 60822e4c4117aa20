// A test file's browser suite: its own database with the demo account, a real Temporal server
// (real time, so a lead's cadence does not race ahead while the browser looks), the real web
// server and one Chromium context, set up once for the file. The tests run the lead workflow
// with a worker of their own (withWorker) on the suite's task queue.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { seedDemoAccount } from '../../db/seed.ts';
import { registerSearchAttributes } from '../../temporal.config.ts';
import { startWebServer, type RunningWebServer } from '../../web/server.ts';
import { launchBrowser } from './browser.ts';
import { createTestDatabase, type TestDatabase } from './db.ts';
import { TEST_SESSION_SECRET } from './http.ts';
import { createLocalEnv, uniqueTaskQueue } from './temporal.ts';

/** What a worker of the suite registers: every Leadflow workflow. */
export const WORKFLOWS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../workflows/index.ts');

export interface BrowserSuite {
  db: TestDatabase;
  env: TestWorkflowEnvironment;
  web: RunningWebServer;
  context: BrowserContext;
  taskQueue: string;
  /** Signs in on `page` through the login form and waits until the browser has left it. */
  signIn(page: Page, username: string, password: string): Promise<void>;
  /** Signs in as the demo LSP Alex on `page` and waits for the first page after sign-in. */
  signInAsAlex(page: Page): Promise<void>;
}

export function browserSuite(name: string): BrowserSuite {
  let closeBrowser: (() => Promise<void>) | undefined;
  const suite = {
    taskQueue: uniqueTaskQueue(name),
    async signIn(page: Page, username: string, password: string) {
      await page.goto(`${suite.web.url}/login`);
      await page.getByLabel('Username').fill(username);
      await page.getByLabel('Password').fill(password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL((u) => !u.pathname.startsWith('/login'));
    },
    async signInAsAlex(page: Page) {
      await suite.signIn(page, 'lsp.alex', 'alex-demo-pass');
      await page.getByRole('heading', { name: 'My Leads' }).or(page.getByRole('heading', { name: 'Leads' })).first().waitFor();
    },
  } as BrowserSuite;
  beforeAll(async () => {
    suite.db = await createTestDatabase();
    await seedDemoAccount(suite.db.knex);
    suite.env = await createLocalEnv();
    await registerSearchAttributes(suite.env.connection, suite.env.namespace ?? 'default');
    suite.web = await startWebServer({ port: 0, databaseUrl: suite.db.url, sessionSecret: TEST_SESSION_SECRET, mode: 'development', temporal: { client: suite.env.client }, taskQueue: suite.taskQueue });
    ({ context: suite.context, close: closeBrowser } = await launchBrowser());
  });
  afterAll(async () => {
    await closeBrowser?.();
    await suite.web?.close();
    await suite.env?.teardown();
    await suite.db?.destroy();
  });
  return suite;
}
