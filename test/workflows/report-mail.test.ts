// E-mailed reports end to end: a time-skipping Temporal server, real workers running the real
// activities against this file's own PostgreSQL database, and a real SMTP listener. The
// account's report-mail workflow is a durable timer loop (not a Temporal Schedule): each
// subscriber gets one e-mail per period at the chosen hour on the account's clock, across a
// worker outage, a restart, a DST change and continue-as-new.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities/index.ts';
import { createMailer, type Mailer } from '../../activities/mailer.ts';
import type { QueueDueReportMailsResult } from '../../activities/report-mail.ts';
import { accountDay, localInstant } from '../../db/distribution/ledger.ts';
import { saveSubscription } from '../../db/report-mail/subscriptions.ts';
import { ensureReportMailsRunning, reportMailStatus, reportSubscriptionsChanged } from '../../worker/clients/report-mail.ts';
import { WORKFLOWS_PATH } from '../../worker/main.ts';
import { reportMailWorkflowId } from '../../workflows/reports/messages.ts';
import type { reportMailWorkflow } from '../../workflows/reports/workflow.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { eventually } from '../support/eventually.ts';
import { createAccountWithAdmin } from '../support/fixtures.ts';
import { buildReportDay, EXPECTED_LINES, reportLsps } from '../support/report-mail.ts';
import { startSmtpListener, type SmtpListener } from '../support/smtp.ts';
import { createTimeSkippingEnv, uniqueTaskQueue, withWorker } from '../support/temporal.ts';

// Recorded from the first test with RECORD_HISTORIES=1: three days, an outage and a restart.
const HISTORY_FILE = fileURLToPath(new URL('../histories/report-mail-daily.json', import.meta.url));

let db: TestDatabase;
let env: TestWorkflowEnvironment;
let smtp: SmtpListener;
let mailer: Mailer;

beforeAll(async () => {
  [db, env, smtp] = await Promise.all([createTestDatabase(), createTimeSkippingEnv(), startSmtpListener()]);
  mailer = createMailer(smtp.url);
});

afterAll(async () => {
  mailer?.close?.();
  await env?.teardown();
  await Promise.all([db?.destroy(), smtp?.close()]);
});

/** The real activities, with each wake-up's workflow time and what it queued noted. */
function activities(taskQueue: string, wakeUps: Array<{ at: string; result: QueueDueReportMailsResult }>) {
  const real = createActivities({ db: db.knex, mailer, temporal: env.client, taskQueue, appUrl: 'https://leads.agency.example' });
  return {
    ...real,
    async queueDueReportMails(req: { accountId: string; at: string }) {
      const result = await real.queueDueReportMails(req);
      wakeUps.push({ at: req.at, result });
      return result;
    },
  };
}

/** An account on `zone` whose admin subscribed to the daily report at 7:00, on the Temporal server's clock. */
async function subscribedAccount(zone: string) {
  const { accountId, userId } = await createAccountWithAdmin(db.knex, 'Prairie Insurance');
  await db.knex('accounts').where({ id: accountId }).update({ time_zone: zone });
  const email = `owner-${accountId.slice(0, 8)}@agency.example`;
  await db.knex('users').where({ id: userId }).update({ email, name: 'Dana Owner' });
  // Once a test has skipped days, the server's clock runs ahead of PostgreSQL's; in production they agree.
  await saveSubscription(db.knex, { accountId, userId, timing: { kind: 'daily', hour: 7, weekday: null }, now: new Date(await env.currentTimeMs()) });
  return { accountId, userId, email };
}

const mailsTo = (email: string) => smtp.messages.filter((m) => m.to.includes(email));
const sleepUntil = async (at: Date) => env.sleep(Math.max(1, at.getTime() - (await env.currentTimeMs())));
const terminate = (accountId: string) =>
  env.client.workflow
    .getHandle(reportMailWorkflowId(accountId))
    .terminate('test over')
    .catch(() => undefined);

describe('report-mail workflow', () => {
  it('e-mails the daily report once per day over three days, with the worker down at one due time and a new worker after', async () => {
    const zone = 'America/Chicago';
    // Noon tomorrow on the agency's clock, whatever the time the test runs.
    const [y0, m0, d0] = accountDay(zone, new Date(await env.currentTimeMs())).date.split('-').map(Number) as [number, number, number];
    await sleepUntil(localInstant(zone, y0, m0, d0 + 1, 12 * 60));
    const a = await subscribedAccount(zone);
    const today = accountDay(zone, new Date(await env.currentTimeMs()));
    const day = await buildReportDay(db.knex, a.accountId, await reportLsps(db.knex, a.accountId), today.start);
    const [y, m, d] = today.date.split('-').map(Number) as [number, number, number];
    const dueOn = (days: number) => localInstant(zone, y, m, d + days, 7 * 60);
    const taskQueue = uniqueTaskQueue('report-mail');
    const wakeUps: Array<{ at: string; result: QueueDueReportMailsResult }> = [];
    const handle = env.client.workflow.getHandle<typeof reportMailWorkflow>(reportMailWorkflowId(a.accountId));
    try {
      await withWorker(env, { taskQueue, workflowsPath: WORKFLOWS_PATH, activities: activities(taskQueue, wakeUps) }, async () => {
        await reportSubscriptionsChanged(env.client, a.accountId, { taskQueue });
        await eventually(async () => (await reportMailStatus(env.client, a.accountId)).nextDueAt === dueOn(1).toISOString(), 'the first due time');
        // Subscribed after today's 7:00: nothing yet.
        expect(mailsTo(a.email)).toHaveLength(0);

        // Day 1: today's report at 7:00 tomorrow.
        await sleepUntil(new Date(dueOn(1).getTime() + 60_000));
        const first = await smtp.waitFor((mail) => mail.to.includes(a.email));
        const dayName = new Intl.DateTimeFormat('en-US', { weekday: 'long', month: 'long', day: 'numeric', year: 'numeric', timeZone: zone }).format(today.start);
        expect(first.subject).toBe(`Daily report, ${dayName}: 3 leads arrived, 6 Quick Actions`);
        for (const line of EXPECTED_LINES) expect(first.text.split('\n')).toContain(line);
        for (const secret of day.personal) expect(`${first.subject}\n${first.text}`).not.toContain(secret);
      });

      // The worker is down when day 2's report is due: the timer fires, nothing can send.
      await sleepUntil(new Date(dueOn(2).getTime() + 1_000));
      await new Promise((r) => setTimeout(r, 1_500));
      expect(mailsTo(a.email)).toHaveLength(1);

      // A new worker (nothing cached: the workflow is replayed from its history) sends it at once, once.
      await withWorker(env, { taskQueue, workflowsPath: WORKFLOWS_PATH, activities: activities(taskQueue, wakeUps) }, async () => {
        await eventually(async () => mailsTo(a.email).length >= 2, 'the report held up by the outage');
        // A wake-up later in the same period (a subscription saved again, a worker start) sends nothing again.
        await reportSubscriptionsChanged(env.client, a.accountId, { taskQueue });
        await eventually(async () => wakeUps.length >= 4, 'the wake-up the signal asked for');
        await handle.query('reportMailStatus');
        expect(mailsTo(a.email)).toHaveLength(2);
        // Day 3, on time; then a day's quiet.
        await sleepUntil(new Date(dueOn(3).getTime() + 60_000));
        await eventually(async () => mailsTo(a.email).length >= 3, 'day 3’s report');
        await sleepUntil(new Date(dueOn(3).getTime() + 20 * 3600_000));
        await handle.query('reportMailStatus');
        await handle.terminate('test over');
        if (process.env.RECORD_HISTORIES === '1') fs.writeFileSync(HISTORY_FILE, JSON.stringify(JSON.parse(historyToJSON(await handle.fetchHistory())), null, 2));
      });
      const subjects = mailsTo(a.email).map((mail) => mail.subject.split(':')[0]);
      const dates = [0, 1, 2].map((n) => new Intl.DateTimeFormat('en-US', { weekday: 'long', month: 'long', day: 'numeric', year: 'numeric', timeZone: zone }).format(localInstant(zone, y, m, d + n, 12 * 60)));
      expect(subjects).toEqual(dates.map((date) => `Daily report, ${date}`));
      const rows = await db.knex('email_outbox').where({ account_id: a.accountId }).select('status');
      expect(rows).toEqual([{ status: 'sent' }, { status: 'sent' }, { status: 'sent' }]);
      // Each e-mail was queued by the wake-up at (or, after the outage, just after) its due time.
      const queuedAt = wakeUps.filter((w) => w.result.outboxIds.length).map((w) => Date.parse(w.at));
      expect(queuedAt).toHaveLength(3);
      expect(queuedAt[0]! - dueOn(1).getTime()).toBeLessThan(60_000);
      expect(queuedAt[2]! - dueOn(3).getTime()).toBeLessThan(60_000);
    } finally {
      await terminate(a.accountId);
    }
  });

  it('sends at 7:00 on the account’s clock across the spring DST change, through continue-as-new, and a new hour counts at once', async () => {
    const zone = 'America/New_York';
    // Friday 2027-03-12, noon in New York; the clocks spring forward on Sunday the 14th.
    await sleepUntil(new Date('2027-03-12T17:00:00Z'));
    const a = await subscribedAccount(zone);
    const taskQueue = uniqueTaskQueue('report-mail');
    const wakeUps: Array<{ at: string; result: QueueDueReportMailsResult }> = [];
    try {
      await withWorker(env, { taskQueue, workflowsPath: WORKFLOWS_PATH, activities: activities(taskQueue, wakeUps) }, async () => {
        // A small history limit: the run continues as new every day or two.
        const handle = await env.client.workflow.start<typeof reportMailWorkflow>('reportMailWorkflow', {
          taskQueue,
          workflowId: reportMailWorkflowId(a.accountId),
          args: [{ accountId: a.accountId, historyLimit: 25 }],
        });
        await eventually(async () => wakeUps.length >= 1, 'the first wake-up');
        // 7:00 EST is 12:00 UTC; 7:00 EDT is 11:00 UTC.
        await sleepUntil(new Date('2027-03-13T12:01:00Z'));
        await eventually(async () => mailsTo(a.email).length >= 1, 'Saturday’s e-mail');
        await sleepUntil(new Date('2027-03-14T11:01:00Z'));
        await eventually(async () => mailsTo(a.email).length >= 2, 'Sunday’s e-mail, at 7:00 EDT');
        await sleepUntil(new Date('2027-03-15T11:01:00Z'));
        await eventually(async () => mailsTo(a.email).length >= 3, 'Monday’s e-mail');
        const sent = wakeUps.filter((w) => w.result.outboxIds.length).map((w) => w.at.slice(0, 16));
        expect(sent).toEqual(['2027-03-13T12:00', '2027-03-14T11:00', '2027-03-15T11:00']);
        expect(mailsTo(a.email).map((mail) => mail.subject.split(':')[0])).toEqual([
          'Daily report, Friday, March 12, 2027',
          'Daily report, Saturday, March 13, 2027',
          'Daily report, Sunday, March 14, 2027',
        ]);
        // It continued as new along the way, and sent nothing twice.
        expect((await handle.describe()).runId).not.toBe(handle.firstExecutionRunId);

        // 9:00 from now on: the workflow hears of it and sleeps until then, not until 7:00.
        await saveSubscription(db.knex, { accountId: a.accountId, userId: a.userId, timing: { kind: 'daily', hour: 9, weekday: null }, now: new Date(await env.currentTimeMs()) });
        await reportSubscriptionsChanged(env.client, a.accountId, { taskQueue });
        await eventually(async () => (await reportMailStatus(env.client, a.accountId)).nextDueAt === '2027-03-15T13:00:00.000Z', 'the new hour');
        // Sunday's report, due again at today's 9:00, went out at 7:00: not a second time.
        await sleepUntil(new Date('2027-03-15T13:01:00Z'));
        await handle.query('reportMailStatus');
        expect(mailsTo(a.email)).toHaveLength(3);
        await sleepUntil(new Date('2027-03-16T13:01:00Z'));
        await eventually(async () => mailsTo(a.email).length >= 4, 'Tuesday’s e-mail at 9:00');
        expect(wakeUps.filter((w) => w.result.outboxIds.length).at(-1)!.at.slice(0, 16)).toBe('2027-03-16T13:00');
        expect(mailsTo(a.email)).toHaveLength(4);
      });
    } finally {
      await terminate(a.accountId);
    }
  });

  it('is started at worker start for each account with a subscription, and for no other', async () => {
    const a = await subscribedAccount('America/Chicago');
    const { accountId: none } = await createAccountWithAdmin(db.knex, 'No Reports Agency');
    const taskQueue = uniqueTaskQueue('report-mail');
    try {
      await withWorker(env, { taskQueue, workflowsPath: WORKFLOWS_PATH, activities: activities(taskQueue, []) }, async () => {
        const started = await ensureReportMailsRunning({ db: db.knex, temporal: env.client, taskQueue });
        expect(started).toContain(a.accountId);
        expect(started).not.toContain(none);
        await eventually(async () => (await reportMailStatus(env.client, a.accountId)).subscriptions === 1, 'the workflow reading its subscription');
        // A second worker start finds it running.
        expect(await ensureReportMailsRunning({ db: db.knex, temporal: env.client, taskQueue })).not.toContain(a.accountId);
      });
    } finally {
      await terminate(a.accountId);
    }
  });
});
