// The stuck-lead finder against the offline Temporal server, real workers running the real
// lead workflow and activities, this file's own Postgres, and a real local HTTP server standing
// in for eAgent. Each case has its own account, which also checks that a report holds only its
// account's leads.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities/index.ts';
import { startLead } from '../../worker/clients/lead.ts';
import { findStuckLeads, reconcileLead } from '../../worker/clients/stuck-leads.ts';
import { WORKFLOWS_PATH } from '../../worker/main.ts';
import { leadStateQuery, leadWorkflowId, quickActionSignal } from '../../workflows/lead/messages.ts';
import { WORKFLOW_TEMPLATES } from '../../workflows/lead/templates.ts';
import { LeadNextWakeAt } from '../../workflows/search-attributes.ts';
import { stuckWords } from '../../web/app/utils/stuck-words.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { eventually } from '../support/eventually.ts';
import { createAccountWithAdmin, createLsp, insertLeads } from '../support/fixtures.ts';
import { createLocalEnv, uniqueTaskQueue, withWorker } from '../support/temporal.ts';
import { registerSearchAttributes } from '../../temporal.config.ts';

const BROKEN_WORKFLOWS = fileURLToPath(new URL('./fixtures/broken-lead-workflow.ts', import.meta.url));

let db: TestDatabase;
let env: TestWorkflowEnvironment;
let eagent: { url: string; status: number; hits: number; close(): Promise<void> };

async function startEagent(): Promise<typeof eagent> {
  const state = { status: 503, hits: 0 };
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      state.hits++;
      res.writeHead(state.status, { 'content-type': 'application/json' }).end(state.status < 300 ? '{"ok":true}' : 'busy');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, { url: `http://127.0.0.1:${port}/leads`, close: () => new Promise<void>((r) => server.close(() => r())) }) as typeof eagent;
}

beforeAll(async () => {
  [db, env, eagent] = await Promise.all([createTestDatabase(), createLocalEnv(), startEagent()]);
  await registerSearchAttributes(env.connection, env.namespace ?? 'default');
});

afterAll(async () => {
  await env?.teardown();
  await Promise.all([db?.destroy(), eagent?.close()]);
});

const started: string[] = [];

async function account(opts: { eagent?: boolean } = {}) {
  const k = db.knex;
  const { accountId, userId: adminId } = await createAccountWithAdmin(k);
  // Auto-assign off: this file is about one lead at a time.
  await k('workflow_templates').insert(WORKFLOW_TEMPLATES.map((t) => ({ account_id: accountId, key: t.key, name: t.name, enabled: t.key !== 'auto_assign' })));
  if (opts.eagent) await k('accounts').where({ id: accountId }).update({ eagent_enabled: true, eagent_url: eagent.url, eagent_milestone: 'contacted' });
  const lspId = await createLsp(k, accountId, { name: 'Alex Rivera', states: ['TX'] });
  return { accountId, adminId, lspId };
}

function activities(taskQueue: string) {
  return createActivities({ db: db.knex, mailer: { sendMail: async () => Promise.reject(new Error('no mail here')) }, temporal: env.client, taskQueue, eagentAllowPrivate: true });
}

async function start(taskQueue: string, accountId: string, leadId: string) {
  const handle = await startLead(env.client, { leadId, accountId }, { taskQueue });
  started.push(handle.workflowId);
  return handle;
}

/** Runs `fn` with a real worker on its own queue; the leads it started are terminated after. */
async function withLeadWorker<T>(fn: (taskQueue: string) => Promise<T>): Promise<T> {
  const taskQueue = uniqueTaskQueue('stuck');
  return withWorker(env, { taskQueue, workflowsPath: WORKFLOWS_PATH, activities: activities(taskQueue) }, async () => {
    try {
      return await fn(taskQueue);
    } finally {
      for (const id of started.splice(0)) await env.client.workflow.getHandle(id).terminate('test over').catch(() => undefined);
    }
  });
}

const report = (accountId: string, extra: { now?: Date; noProgressDays?: number } = {}) => findStuckLeads({ db: db.knex, client: env.client, accountId, ...extra });

describe('stuck-lead finder', () => {
  it('lists a lead whose eAgent endpoint answers 503 as retrying, with the step, attempt and message, until eAgent recovers', async () => {
    const { accountId, lspId } = await account({ eagent: true });
    const other = await account({ eagent: true });
    const [leadId] = await insertLeads(db.knex, accountId, [{ assignedUserId: lspId, firstName: 'Erin' }]);
    const [otherLead] = await insertLeads(db.knex, other.accountId, [{ assignedUserId: other.lspId }]);
    eagent.status = 503;
    await withLeadWorker(async (tq) => {
      const handle = await start(tq, accountId, leadId!);
      const otherHandle = await start(tq, other.accountId, otherLead!);
      await eventually(async () => (await handle.query(leadStateQuery)).nextWakeAt, 'asleep');
      await handle.signal(quickActionSignal, { actionId: 'e-1', byUserId: lspId, at: new Date().toISOString(), action: 'contacted' });
      await otherHandle.signal(quickActionSignal, { actionId: 'e-2', byUserId: other.lspId, at: new Date().toISOString(), action: 'contacted' });

      const r = await eventually(async () => {
        const r = await report(accountId);
        return r.items.activity_retrying.length > 0 ? r : null;
      }, 'retrying eAgent listed', 40_000);
      expect(r.counts.activity_retrying).toBe(1);
      const item = r.items.activity_retrying[0]!;
      expect(item).toMatchObject({ leadId, name: expect.stringMatching(/^Erin /), assignee: 'Alex Rivera', activity: { type: 'transferToEagent', lastFailure: 'eAgent answered HTTP 503' } });
      expect(item.activity!.attempt).toBeGreaterThanOrEqual(3);
      expect(item.activity!.attempt).toBeLessThanOrEqual(eagent.hits);
      expect(Date.parse(item.activity!.nextRetryAt!)).toBeGreaterThan(Date.now() - 1000);
      expect(stuckWords(item, 'UTC')).toMatch(/^eAgent answers 503 since .*Check the eAgent URL on My Company/);
      // The other account's lead, stuck the same way, is not in this account's report.
      expect(JSON.stringify(r)).not.toContain(otherLead!);

      eagent.status = 201;
      await eventually(async () => (await report(accountId)).counts.activity_retrying === 0, 'eAgent recovered', 40_000);
      expect((await handle.query(leadStateQuery)).eagentTransferred).toBe(true);
    });
  });

  it('lists a lead whose workflow was terminated as not running, and Reconcile starts it again', async () => {
    const { accountId } = await account();
    const [leadId, fine] = await insertLeads(db.knex, accountId, [{ firstName: 'Terry' }, {}]);
    await withLeadWorker(async (tq) => {
      const handle = await start(tq, accountId, leadId!);
      await start(tq, accountId, fine!);
      await eventually(async () => (await handle.query(leadStateQuery)).nextWakeAt, 'asleep');
      expect((await report(accountId)).counts.not_running).toBe(0);
      await handle.terminate('support was testing');

      const r = await report(accountId);
      expect(r.counts.not_running).toBe(1);
      expect(r.items.not_running[0]).toMatchObject({ leadId, notRunning: { lastStatus: 'terminated' } });
      expect(stuckWords(r.items.not_running[0]!, 'UTC')).toMatch(/^Its workflow terminated on .*Press Reconcile/);

      // Another account cannot reconcile this lead.
      const stranger = await account();
      expect(await reconcileLead(env.client, db.knex, { accountId: stranger.accountId, leadId: leadId!, taskQueue: tq })).toBe('not_found');
      expect(await reconcileLead(env.client, db.knex, { accountId, leadId: leadId!, taskQueue: tq })).toBe('started');
      started.push(leadWorkflowId(leadId!));
      expect((await report(accountId)).counts.not_running).toBe(0);
      expect(await reconcileLead(env.client, db.knex, { accountId, leadId: leadId!, taskQueue: tq })).toBe('already_running');
    });
  });

  it('lists a lead whose workflow code fails as a workflow task failing, with the error', async () => {
    const { accountId } = await account();
    const [leadId] = await insertLeads(db.knex, accountId, [{}]);
    const taskQueue = uniqueTaskQueue('broken');
    await withWorker(env, { taskQueue, workflowsPath: BROKEN_WORKFLOWS }, async () => {
      const handle = await start(taskQueue, accountId, leadId!);
      try {
        const r = await eventually(async () => {
          const r = await report(accountId);
          return r.items.workflow_task_failing.length > 0 ? r : null;
        }, 'failing workflow task listed', 40_000);
        expect(r.items.workflow_task_failing[0]).toMatchObject({ leadId, workflowTask: { failure: "Cannot read properties of undefined (reading 'milestone')", timedOut: false } });
        expect(stuckWords(r.items.workflow_task_failing[0]!, 'UTC')).toContain('Workflow code error after a deploy');
      } finally {
        await handle.terminate('test over');
        started.splice(0);
      }
    });
  });

  it('lists a lead whose wake-up passed with the worker stopped as overdue', async () => {
    const { accountId } = await account();
    const [leadId] = await insertLeads(db.knex, accountId, [{}]);
    const taskQueue = uniqueTaskQueue('stopped');
    const handle = await withWorker(env, { taskQueue, workflowsPath: WORKFLOWS_PATH, activities: activities(taskQueue) }, async () => {
      const h = await start(taskQueue, accountId, leadId!);
      await eventually(async () => (await h.query(leadStateQuery)).nextWakeAt, 'asleep');
      return h;
    });
    started.splice(0);
    try {
      // The worker is gone. Its lead sleeps until its next cadence step; the finder looks two
      // minutes after that moment, as support would on a morning the worker did not start.
      const wake = (await handle.describe()).typedSearchAttributes.get(LeadNextWakeAt)!;
      expect((await report(accountId, { now: new Date(wake.getTime() - 60_000) })).counts.timer_overdue).toBe(0);
      const r = await report(accountId, { now: new Date(wake.getTime() + 2 * 60_000) });
      expect(r.counts.timer_overdue).toBe(1);
      expect(r.items.timer_overdue[0]).toMatchObject({ leadId, overdue: { dueAt: wake.toISOString() } });
      expect(stuckWords(r.items.timer_overdue[0]!, 'UTC')).toContain('start the worker');
    } finally {
      await handle.terminate('test over');
    }
  });

  it('lists open assigned leads with no history entry for N days, N as asked', async () => {
    const { accountId, lspId } = await account();
    const [quiet, recent, unassigned] = await insertLeads(db.knex, accountId, [{ assignedUserId: lspId, firstName: 'Quinn' }, { assignedUserId: lspId }, {}]);
    const k = db.knex;
    const daysAgo = (d: number) => new Date(Date.now() - d * 86_400_000);
    await k('lead_events').insert([
      { lead_id: quiet, account_id: accountId, type: 'quick_action', created_at: daysAgo(10) },
      // The weekly scrub is not progress.
      { lead_id: quiet, account_id: accountId, type: 'scrubbed', created_at: daysAgo(1) },
      { lead_id: recent, account_id: accountId, type: 'quick_action', created_at: daysAgo(2) },
      { lead_id: unassigned, account_id: accountId, type: 'created', created_at: daysAgo(30) },
    ]);
    const week = await findStuckLeads({ db: k, client: null, accountId, noProgressDays: 7 });
    expect(week.counts.no_progress).toBe(1);
    expect(week.items.no_progress[0]).toMatchObject({ leadId: quiet, assignee: 'Alex Rivera' });
    expect(week.temporalProblem).toContain('not configured');
    const day = await findStuckLeads({ db: k, client: null, accountId, noProgressDays: 1 });
    expect(day.items.no_progress.map((i) => i.leadId).sort()).toEqual([quiet, recent].sort());
  });
});
