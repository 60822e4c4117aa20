// A test file's web suite: its own database with the demo account, a real SMTP listener and
// the real web server, set up once for the file. Every test starts with clean sign-in
// throttles, since they all sign in from 127.0.0.1.
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { seedDemoAccount } from '../../db/seed.ts';
import type { RunningWebServer } from '../../web/server.ts';
import { createTestDatabase, type TestDatabase } from './db.ts';
import { startTestWebServer, WebClient } from './http.ts';
import { startSmtpListener, type SmtpListener } from './smtp.ts';

export interface DemoWebSuite {
  db: TestDatabase;
  smtp: SmtpListener;
  web: RunningWebServer;
  /** A new browser (its own cookie jar) on the suite's server. */
  client(): WebClient;
}

export function demoWebSuite(): DemoWebSuite {
  const suite = { client: () => new WebClient(suite.web.url) } as DemoWebSuite;
  beforeAll(async () => {
    suite.db = await createTestDatabase();
    await seedDemoAccount(suite.db.knex);
    suite.smtp = await startSmtpListener();
    suite.web = await startTestWebServer(suite.db, { smtpUrl: suite.smtp.url });
  });
  afterAll(async () => {
    await suite.web?.close();
    await suite.smtp?.close();
    await suite.db?.destroy();
  });
  beforeEach(async () => {
    await suite.db.knex('login_attempts').del();
  });
  return suite;
}
