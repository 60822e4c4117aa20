// The whole Quick Action path in a real browser, with the real lead workflow: an LSP clicks
// "Quoted" on a lead page and, without reloading, sees the milestone change once the
// workflow has recorded it (web -> signal -> worker -> activity -> Postgres -> page).
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createActivities } from '../../activities/index.ts';
import { browserUnavailable } from '../support/browser.ts';
import { browserSuite, WORKFLOWS } from '../support/browser-suite.ts';
import { withWorker } from '../support/temporal.ts';

const suite = browserSuite('quick-action-browser');

describe.skipIf(browserUnavailable)(`Quick Action in a real browser${browserUnavailable ? ` (skipped: ${browserUnavailable})` : ''}`, () => {
  it('shows the new milestone after a click, without a reload', async () => {
    const { db, env, web, context, taskQueue } = suite;
    const alex = await db.knex('users').where({ username: 'lsp.alex' }).first('id');
    const lead = await db.knex('leads').where({ assigned_user_id: alex.id }).orderBy('created_at').first('id');
    const sent: string[] = [];
    const activities = createActivities({ db: db.knex, mailer: { sendMail: async (m: { subject?: string }) => void sent.push(String(m.subject)) } as never, temporal: env.client, taskQueue, workerIdentity: 'browser-test-worker' });
    await withWorker(env, { taskQueue, workflowsPath: WORKFLOWS, activities }, async () => {
      const page = await context.newPage();
      await suite.signInAsAlex(page);
      await page.goto(`${web.url}/leads/${lead.id}`);
      const milestone = page.locator('dt:has-text("Milestone") + dd');
      await expect.poll(() => milestone.textContent(), { timeout: 10_000 }).toBe('New');
      // Mark the document: a full reload would lose this property.
      await page.evaluate(() => ((window as unknown as { __noReload: boolean }).__noReload = true));
      await page.getByRole('button', { name: 'Quoted', exact: true }).click();
      // Generous: on a loaded CI machine the signal, the activity and the page's wait take a while.
      await expect.poll(() => milestone.textContent(), { timeout: 60_000, interval: 250 }).toBe('Quoted');
      expect(await page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload)).toBe(true);
      await page.screenshot({ path: path.join(os.tmpdir(), 'leadflow-quick-action.png'), fullPage: true });
      expect((await db.knex('leads').where({ id: lead.id }).first('milestone')).milestone).toBe('quoted');
      await env.client.workflow.getHandle(`lead-${lead.id}`).terminate('test over');
    });
  }, 180_000);
});
