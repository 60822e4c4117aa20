// The Support page's stuck leads and the workflow inspector in a real browser: support sees a
// lead whose workflow was terminated, opens its inspector, goes back and presses Reconcile, and
// the lead leaves the list with its workflow running again.
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createActivities } from '../../activities/index.ts';
import { startLead } from '../../worker/clients/lead.ts';
import { leadStateQuery, leadWorkflowId } from '../../workflows/lead/messages.ts';
import { browserUnavailable } from '../support/browser.ts';
import { browserSuite, WORKFLOWS } from '../support/browser-suite.ts';
import { eventually } from '../support/eventually.ts';
import { insertLeads } from '../support/fixtures.ts';
import { withWorker } from '../support/temporal.ts';

const suite = browserSuite('stuck-leads-browser');

describe.skipIf(browserUnavailable)(`Stuck leads in a real browser${browserUnavailable ? ` (skipped: ${browserUnavailable})` : ''}`, () => {
  it('lists a terminated lead workflow, inspects it, and reconciles it', async () => {
    const { db, env, web, context, taskQueue } = suite;
    const k = db.knex;
    const account = await k('users').where({ username: 'support.kim' }).first('account_id');
    const demoLeads: Array<{ id: string }> = await k('leads').where({ account_id: account.account_id }).select('id');
    const [leadId] = await insertLeads(k, account.account_id, [{ firstName: 'Bea', lastName: 'Browser', state: 'TX' }]);
    const activities = createActivities({ db: k, mailer: { sendMail: async () => Promise.reject(new Error('no mail here')) }, temporal: env.client, taskQueue });
    await withWorker(env, { taskQueue, workflowsPath: WORKFLOWS, activities }, async () => {
      const ids = [...demoLeads.map((l) => l.id), leadId!];
      try {
        for (const id of ids) await startLead(env.client, { leadId: id, accountId: account.account_id }, { taskQueue });
        const handle = env.client.workflow.getHandle(leadWorkflowId(leadId!));
        await eventually(async () => (await handle.query(leadStateQuery)).nextWakeAt, 'asleep');
        await handle.terminate('lost in a test');

        const page = await context.newPage();
        await suite.signIn(page, 'support.kim', 'kim-demo-pass');
        await page.goto(`${web.url}/support`);
        await page.getByRole('heading', { name: 'Stuck leads' }).waitFor();
        expect(await page.locator('dd[data-kind="not_running"]').textContent()).toBe('1');
        const row = page.locator(`tr[data-lead-id="${leadId}"][data-kind="not_running"]`);
        expect(await row.textContent()).toMatch(/Bea Browser.*Its workflow terminated on .*Press Reconcile/);
        await page.screenshot({ path: path.join(os.tmpdir(), 'leadflow-stuck-leads.png'), fullPage: true });

        await row.getByRole('link', { name: 'Inspect' }).click();
        await page.getByRole('heading', { name: 'Workflow of Bea Browser' }).waitFor();
        expect(await page.getByTestId('workflow-status').textContent()).toBe('terminated');
        expect(await page.getByRole('list', { name: 'Recent workflow events' }).textContent()).toContain('Terminated: lost in a test');
        await page.screenshot({ path: path.join(os.tmpdir(), 'leadflow-workflow-inspector.png'), fullPage: true });
        await page.getByRole('link', { name: 'Support' }).last().click();

        await page.locator(`tr[data-lead-id="${leadId}"][data-kind="not_running"]`).getByRole('button', { name: 'Reconcile' }).click();
        await page.getByText('Its workflow is running again').waitFor();
        await expect.poll(() => page.locator(`tr[data-lead-id="${leadId}"][data-kind="not_running"]`).count(), { timeout: 10_000 }).toBe(0);
        await page.screenshot({ path: path.join(os.tmpdir(), 'leadflow-stuck-leads-reconciled.png'), fullPage: true });
        expect((await handle.describe()).status.name).toBe('RUNNING');
      } finally {
        for (const id of ids) await env.client.workflow.getHandle(leadWorkflowId(id)).terminate('test over').catch(() => undefined);
      }
    });
  });
});
