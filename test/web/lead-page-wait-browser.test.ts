// After an Archive or a Quick Action the lead page re-reads itself until the workflow has
// recorded what was sent, then stops; in a real browser, with the real lead workflow. The
// workflow's history writes are slowed down here (as a busy worker would be): the page must
// keep waiting past its first re-read, and it must recognise an archive's record, which is
// keyed `lead-<id>:archive:<at>`, not like a Quick Action's `lead-<id>:action:<actionId>`.
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { createActivities } from '../../activities/index.ts';
import { browserUnavailable } from '../support/browser.ts';
import { browserSuite, WORKFLOWS } from '../support/browser-suite.ts';
import { withWorker } from '../support/temporal.ts';

/** How long the workflow takes to record an archive or a Quick Action here. */
const RECORD_DELAY_MS = 2_500;
const suite = browserSuite('lead-page-wait');
const { taskQueue } = suite;

/** The real activities, with the two history writes of the lead page's actions slowed down. */
function slowActivities() {
  const activities = createActivities({ db: suite.db.knex, mailer: { sendMail: async () => undefined } as never, temporal: suite.env.client, taskQueue, workerIdentity: 'lead-page-wait-test-worker' });
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
  const page = await suite.context.newPage();
  if (!signedIn) {
    // The browser context keeps the session cookie for the next test.
    await suite.signInAsAlex(page);
    signedIn = true;
  }
  await page.goto(`${suite.web.url}/leads/${leadId}`);
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
  const alex = await suite.db.knex('users').where({ username: 'lsp.alex' }).first('id');
  const lead = await suite.db.knex('leads').where({ assigned_user_id: alex.id }).orderBy('created_at').offset(offset).first('id');
  return lead.id as string;
}

describe.skipIf(browserUnavailable)(`The lead page waits for the workflow's record${browserUnavailable ? ` (skipped: ${browserUnavailable})` : ''}`, () => {
  it('shows an archive once recorded, then stops re-reading', async () => {
    const leadId = await leadOfAlex(0);
    // The page offers Archive only to a lead at Personalized Proposal.
    await suite.db.knex('leads').where({ id: leadId }).update({ milestone: 'personalized_proposal', status: 'active' });
    await withWorker(suite.env, { taskQueue, workflowsPath: WORKFLOWS, activities: slowActivities() }, async () => {
      const { page, reads } = await openLeadPage(leadId);
      await page.getByRole('button', { name: 'Archive lead' }).click();
      await expect.poll(() => page.locator('.timeline').textContent(), { timeout: 15_000, interval: 250 }).toContain('archived');
      await expect.poll(() => page.locator('.badges').textContent()).toContain('Archived');
      const archived = await suite.db.knex('lead_events').where({ lead_id: leadId, type: 'archived' }).first('idempotency_key');
      expect(archived.idempotency_key).toMatch(new RegExp(`^lead-${leadId}:archive:`));
      await expectNoMoreReads(page, reads);
      await suite.env.client.workflow.getHandle(`lead-${leadId}`).terminate('test over');
    });
  });

  it('shows a slowly recorded Quick Action, then stops re-reading', async () => {
    const leadId = await leadOfAlex(1);
    await suite.db.knex('leads').where({ id: leadId }).update({ milestone: 'new', status: 'active' });
    await withWorker(suite.env, { taskQueue, workflowsPath: WORKFLOWS, activities: slowActivities() }, async () => {
      const { page, reads } = await openLeadPage(leadId);
      const milestone = page.locator('dt:has-text("Milestone") + dd');
      await expect.poll(() => milestone.textContent()).toBe('New');
      await page.getByRole('button', { name: 'Quoted', exact: true }).click();
      await expect.poll(() => page.getByRole('status').textContent()).toContain('Sent');
      await expect.poll(() => milestone.textContent(), { timeout: 15_000, interval: 250 }).toBe('Quoted');
      await expect.poll(() => page.getByRole('status').count()).toBe(0);
      await expectNoMoreReads(page, reads);
      await suite.env.client.workflow.getHandle(`lead-${leadId}`).terminate('test over');
    });
  });
});
