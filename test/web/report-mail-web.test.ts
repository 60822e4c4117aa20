// E-mailed reports from the page to the inbox: the owner subscribes on /reports/subscriptions
// of a web app that talks to a (time-skipping) Temporal server, which starts the account's
// report-mail workflow; a real worker sends the report at the chosen hour of the agency's day
// to a real SMTP listener, without any lead's details; a new hour saved on the page is what
// the workflow waits for at once.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities/index.ts';
import { createMailer, type Mailer } from '../../activities/mailer.ts';
import { nextDueAt } from '../../db/report-mail/schedule.ts';
import { seedDemoAccount } from '../../db/seed.ts';
import { startWebServer, type RunningWebServer } from '../../web/server.ts';
import { reportMailStatus } from '../../worker/clients/report-mail.ts';
import { WORKFLOWS_PATH } from '../../worker/main.ts';
import { reportMailWorkflowId } from '../../workflows/reports/messages.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { eventually } from '../support/eventually.ts';
import { TEST_SESSION_SECRET, visibleText, WebClient } from '../support/http.ts';
import { startSmtpListener, type SmtpListener } from '../support/smtp.ts';
import { createTimeSkippingEnv, uniqueTaskQueue, withWorker } from '../support/temporal.ts';

const PAGE = '/reports/subscriptions';
const OWNER_EMAIL = 'a0demo1@leadflow.test';
let db: TestDatabase;
let env: TestWorkflowEnvironment;
let web: RunningWebServer;
let smtp: SmtpListener;
let mailer: Mailer;
let accountId: string;
const taskQueue = uniqueTaskQueue('report-mail-web');

beforeAll(async () => {
  [db, env, smtp] = await Promise.all([createTestDatabase(), createTimeSkippingEnv(), startSmtpListener()]);
  ({ accountId } = await seedDemoAccount(db.knex));
  mailer = createMailer(smtp.url);
  web = await startWebServer({ port: 0, host: '127.0.0.1', databaseUrl: db.url, sessionSecret: TEST_SESSION_SECRET, mode: 'development', temporal: { client: env.client }, taskQueue });
});
afterAll(async () => {
  await web?.close();
  mailer?.close?.();
  await env?.teardown();
  await Promise.all([db?.destroy(), smtp?.close()]);
});

describe('e-mailed reports through the web app', () => {
  it('e-mails the daily report at the hour chosen on the page, and follows a new hour at once', async () => {
    const activities = createActivities({ db: db.knex, mailer, temporal: env.client, taskQueue, appUrl: 'https://leads.agency.example' });
    await withWorker(env, { taskQueue, workflowsPath: WORKFLOWS_PATH, activities }, async () => {
      try {
        const zone: string = (await db.knex('accounts').where({ id: accountId }).first('time_zone')).time_zone;
        const localHour = (at: number) => Number(new Intl.DateTimeFormat('en-US', { hour: 'numeric', hourCycle: 'h23', timeZone: zone }).format(at));
        const hour = (localHour(await env.currentTimeMs()) + 2) % 24;
        const dana = new WebClient(web.url);
        expect((await dana.login('A0DEMO1', 'owner-demo-pass')).status).toBe(302);
        const res = await dana.submit(PAGE, { intent: 'save', kind: 'daily', hour: String(hour) });
        expect(res.status).toBe(302);

        // The page's save started the account's workflow, which waits for that hour.
        const due = nextDueAt(zone, { kind: 'daily', hour, weekday: null }, new Date(await env.currentTimeMs()));
        await eventually(async () => (await reportMailStatus(env.client, accountId).catch(() => null))?.nextDueAt === due.toISOString(), 'the workflow waiting for the chosen hour');
        expect(smtp.messages).toHaveLength(0);
        await env.sleep(due.getTime() + 60_000 - (await env.currentTimeMs()));
        const mail = await smtp.waitFor((m) => m.to.includes(OWNER_EMAIL));
        expect(mail.subject).toMatch(/^Daily report, \w+day, \w+ \d{1,2}, \d{4}: \d+ leads? arrived, \d+ Quick Actions?$/);
        expect(mail.text).toContain('Hello Dana Owner,');
        expect(mail.text).toContain('https://leads.agency.example/reports/subscriptions');
        const leads = await db.knex('leads').where({ account_id: accountId }).select('first_name', 'last_name', 'address_line1');
        expect(leads.length).toBeGreaterThan(0);
        for (const l of leads) for (const secret of [l.first_name, l.last_name, l.address_line1]) expect(mail.text).not.toContain(secret);

        const page = visibleText((await dana.get(PAGE)).text);
        expect(page).toContain('Last e-mailed: the report for');

        // One hour later from now on: the workflow hears of it from the page and waits for that.
        const later = (hour + 1) % 24;
        await dana.submit(PAGE, { intent: 'save', kind: 'daily', hour: String(later) });
        const next = nextDueAt(zone, { kind: 'daily', hour: later, weekday: null }, new Date(await env.currentTimeMs()));
        await eventually(async () => (await reportMailStatus(env.client, accountId)).nextDueAt === next.toISOString(), 'the new hour');
        expect(smtp.messages.filter((m) => m.to.includes(OWNER_EMAIL))).toHaveLength(1);

        // The agency moves to another zone on My Company: the workflow waits for that zone's hour at once.
        const farZone = zone === 'Pacific/Honolulu' ? 'America/New_York' : 'Pacific/Honolulu';
        const saved = await dana.submit('/company', { timeZone: farZone, workdayStart: '08:00' });
        expect(saved.status).toBe(200);
        const moved = nextDueAt(farZone, { kind: 'daily', hour: later, weekday: null }, new Date(await env.currentTimeMs()));
        expect(moved.toISOString()).not.toBe(next.toISOString());
        await eventually(async () => (await reportMailStatus(env.client, accountId)).nextDueAt === moved.toISOString(), 'the new zone’s hour');
      } finally {
        await env.client.workflow
          .getHandle(reportMailWorkflowId(accountId))
          .terminate('test over')
          .catch(() => undefined);
      }
    });
  });
});
