// The Support page's stuck leads for real: the web server, the offline Temporal server, a worker
// running the real lead workflow, and the demo account. A terminated lead workflow shows as not
// running with why in words, and Reconcile starts it again and says so in the lead's history;
// support and owners see their own account's leads only, LSPs not at all.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities/index.ts';
import { seedDemoAccount } from '../../db/seed.ts';
import { registerSearchAttributes } from '../../temporal.config.ts';
import { startLead } from '../../worker/clients/lead.ts';
import { WORKFLOWS_PATH } from '../../worker/main.ts';
import { leadStateQuery, leadWorkflowId } from '../../workflows/lead/messages.ts';
import { startWebServer, type RunningWebServer } from '../../web/server.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { eventually } from '../support/eventually.ts';
import { createAccountWithAdmin, insertLeads } from '../support/fixtures.ts';
import { TEST_SESSION_SECRET, visibleText, WebClient } from '../support/http.ts';
import { createLocalEnv, uniqueTaskQueue, withWorker } from '../support/temporal.ts';

const TEMPORAL_WEB = 'http://temporal-web.test:8233';

let db: TestDatabase;
let env: TestWorkflowEnvironment;
let web: RunningWebServer;
let accountId: string;
const taskQueue = uniqueTaskQueue('web-stuck');

beforeAll(async () => {
  db = await createTestDatabase();
  accountId = (await seedDemoAccount(db.knex)).accountId;
  env = await createLocalEnv();
  await registerSearchAttributes(env.connection, env.namespace ?? 'default');
  web = await startWebServer({ port: 0, databaseUrl: db.url, sessionSecret: TEST_SESSION_SECRET, mode: 'development', temporal: { client: env.client }, taskQueue, temporalWebUrl: TEMPORAL_WEB });
});

afterAll(async () => {
  await web?.close();
  await env?.teardown();
  await db?.destroy();
});

const signIn = async (username: string, password: string) => {
  const c = new WebClient(web.url);
  expect((await c.login(username, password)).status).toBe(302);
  return c;
};

/** The lead's row in one kind's list of stuck leads, as text. */
function rowText(html: string, leadId: string, kind = 'not_running'): string | null {
  const m = new RegExp(`<tr[^>]*data-lead-id="${leadId}" data-kind="${kind}"[^>]*>([\\s\\S]*?)</tr>`).exec(html);
  return m ? visibleText(m[1]!) : null;
}

describe('support page: stuck leads', () => {
  it('shows a terminated lead workflow as not running, Reconcile starts it again with a history entry, and only for this account', async () => {
    const k = db.knex;
    // The demo's own leads have no workflows in this test: start them, so the lists hold only what the test does.
    const demoLeads: Array<{ id: string }> = await k('leads').where({ account_id: accountId }).select('id');
    const [leadId] = await insertLeads(k, accountId, [{ firstName: 'Terry', lastName: 'Stuck', state: 'TX' }]);
    const other = await createAccountWithAdmin(k, 'Elsewhere');
    const [otherLead] = await insertLeads(k, other.accountId, [{ firstName: 'Olive', lastName: 'Other' }]);
    const activities = createActivities({ db: k, mailer: { sendMail: async () => Promise.reject(new Error('no mail here')) }, temporal: env.client, taskQueue });
    await withWorker(env, { taskQueue, workflowsPath: WORKFLOWS_PATH, activities }, async () => {
      const ids = [...demoLeads.map((l) => l.id), leadId!];
      try {
        for (const id of ids) await startLead(env.client, { leadId: id, accountId }, { taskQueue });
        await startLead(env.client, { leadId: otherLead!, accountId: other.accountId }, { taskQueue });
        const handle = env.client.workflow.getHandle(leadWorkflowId(leadId!));
        await eventually(async () => (await handle.query(leadStateQuery)).nextWakeAt, 'asleep');
        await handle.terminate('lost in a test');
        await env.client.workflow.getHandle(leadWorkflowId(otherLead!)).terminate('lost in a test');

        const kim = await signIn('support.kim', 'kim-demo-pass');
        const page = await kim.get('/support');
        expect(page.status).toBe(200);
        const row = rowText(page.text, leadId!);
        expect(row).toContain('Terry Stuck');
        expect(row).toMatch(/Its workflow terminated on .* Press Reconcile/);
        expect(row).not.toMatch(/\d{4}-\d{2}-\d{2}T/);
        expect(page.text).toContain(`href="/leads/${leadId}/workflow"`);
        expect(page.text).toContain(`href="${TEMPORAL_WEB}/namespaces/default/workflows/lead-${leadId}"`);
        expect(page.text).toMatch(/data-kind="not_running"><a href="#stuck-not_running">1</);
        // The other account's terminated lead is not on this account's page, and cannot be reconciled from here.
        expect(page.text).not.toContain(otherLead!);
        const foreign = await kim.submit('/support', { intent: 'reconcile-lead', leadId: otherLead! });
        expect(foreign.status).toBe(404);

        // The owner sees the same list.
        const dana = await signIn('A0DEMO1', 'owner-demo-pass');
        expect(rowText((await dana.get('/support')).text, leadId!)).toContain('Terry Stuck');

        const done = await kim.submit('/support', { intent: 'reconcile-lead', leadId: leadId! });
        expect(done.status).toBe(200);
        expect(visibleText(done.text)).toContain('Its workflow is running again');
        expect((await handle.describe()).status.name).toBe('RUNNING');
        const entry = await k('lead_events').where({ lead_id: leadId, type: 'workflow_restarted' }).first();
        expect(entry).toMatchObject({ note: 'Workflow started again from the database (Support: Reconcile)' });
        expect(entry.actor_user_id).toBe((await k('users').where({ username: 'support.kim' }).first('id')).id);
        expect(rowText((await kim.get('/support')).text, leadId!)).toBeNull();
      } finally {
        for (const id of [...ids, otherLead!]) await env.client.workflow.getHandle(leadWorkflowId(id)).terminate('test over').catch(() => undefined);
      }
    });
  });

  it('takes N for no progress from the page, and keeps LSPs out', async () => {
    const k = db.knex;
    const alex = await k('users').where({ username: 'lsp.alex' }).first('id', 'name');
    const [quiet] = await insertLeads(k, accountId, [{ firstName: 'Quinn', lastName: 'Quiet', state: 'TX', assignedUserId: alex.id }]);
    await k('lead_events').insert({ lead_id: quiet, account_id: accountId, type: 'quick_action', created_at: new Date(Date.now() - 3 * 86_400_000) });
    const kim = await signIn('support.kim', 'kim-demo-pass');
    expect(rowText((await kim.get('/support')).text, quiet!, 'no_progress')).toBeNull();
    const two = await kim.get('/support?days=2');
    expect(two.text).toContain('value="2"');
    expect(rowText(two.text, quiet!, 'no_progress')).toMatch(new RegExp(`Assigned to ${alex.name}, and nothing has happened to it for 2 days`));

    const lsp = await signIn('lsp.alex', 'alex-demo-pass');
    expect((await lsp.get('/support')).status).toBe(403);
    expect((await lsp.submit('/support', { intent: 'reconcile-lead', leadId: quiet! }, { from: '/leads' })).status).toBe(403);
  });

  it('inspects a lead workflow in words, and restarts it or continues it as new with a confirmation and a history entry', async () => {
    const k = db.knex;
    const [leadId] = await insertLeads(k, accountId, [{ firstName: 'Ivy', lastName: 'Inspected', state: 'TX' }]);
    const other = await createAccountWithAdmin(k, 'Elsewhere again');
    const [otherLead] = await insertLeads(k, other.accountId, [{}]);
    const activities = createActivities({ db: k, mailer: { sendMail: async () => Promise.reject(new Error('no mail here')) }, temporal: env.client, taskQueue });
    await withWorker(env, { taskQueue, workflowsPath: WORKFLOWS_PATH, activities }, async () => {
      const handle = env.client.workflow.getHandle(leadWorkflowId(leadId!));
      try {
        await startLead(env.client, { leadId: leadId!, accountId }, { taskQueue });
        await eventually(async () => (await handle.query(leadStateQuery)).nextWakeAt, 'asleep');
        const firstRun = (await handle.describe()).runId;
        const kim = await signIn('support.kim', 'kim-demo-pass');
        const page = await kim.get(`/leads/${leadId}/workflow`);
        expect(page.status).toBe(200);
        const text = visibleText(page.text);
        expect(text).toContain(`lead-${leadId}`);
        expect(text).toContain(firstRun);
        expect(text).toMatch(/Next wake-up .* for the next cadence step/);
        expect(text).toContain('Workflow started');
        expect(text).toContain('Asleep until its next wake-up');
        expect(text).not.toMatch(/\d{4}-\d{2}-\d{2}T/);
        expect(page.text).toContain(`href="${TEMPORAL_WEB}/namespaces/default/workflows/lead-${leadId}"`);

        // The lead page links to it for support, owners and admins, not for LSPs.
        expect((await kim.get(`/leads/${leadId}`)).text).toContain(`href="/leads/${leadId}/workflow"`);
        expect((await kim.get(`/leads/${otherLead}/workflow`)).status).toBe(404);
        expect((await kim.submit(`/leads/${otherLead}/workflow`, { intent: 'restart', confirm: 'yes' }, { from: `/leads/${leadId}/workflow` })).status).toBe(404);
        const lsp = await signIn('lsp.alex', 'alex-demo-pass');
        expect((await lsp.get(`/leads/${leadId}/workflow`)).status).toBe(403);

        // Without the confirmation nothing happens.
        expect((await kim.submit(`/leads/${leadId}/workflow`, { intent: 'restart' })).status).toBe(400);
        expect((await handle.describe()).runId).toBe(firstRun);

        const restarted = await kim.submit(`/leads/${leadId}/workflow`, { intent: 'restart', confirm: 'yes' });
        expect(restarted.status).toBe(200);
        expect(visibleText(restarted.text)).toContain('stopped and started again');
        const secondRun = (await handle.describe()).runId;
        expect(secondRun).not.toBe(firstRun);
        expect((await handle.describe()).status.name).toBe('RUNNING');
        expect(await k('lead_events').where({ lead_id: leadId, type: 'workflow_restarted' }).first('note')).toEqual({ note: 'Workflow restarted from the database by Kim Patel (Support)' });

        await eventually(async () => (await handle.query(leadStateQuery)).nextWakeAt, 'asleep again');
        const continued = await kim.submit(`/leads/${leadId}/workflow`, { intent: 'continue-as-new', confirm: 'yes' });
        expect(continued.status).toBe(200);
        await eventually(async () => (await handle.describe()).runId !== secondRun, 'continued as new');
        expect(await k('lead_events').where({ lead_id: leadId, type: 'workflow_continued_as_new' }).first('note')).toEqual({ note: 'Workflow asked to continue as new by Kim Patel (Support)' });
        expect(visibleText((await kim.get(`/leads/${leadId}/workflow`)).text)).toContain('Workflow continued as new');
      } finally {
        await handle.terminate('test over').catch(() => undefined);
      }
    });
  });
});
