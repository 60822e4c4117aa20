// The LSP's side of distribution in real browsers: Alex presses Next lead on My Leads and lands
// on the lead's page with it as his; Sam, who opened that same pool lead's page before, clicks
// Claim afterwards and is told it is Alex's. And My Leads, left open, shows a lead an owner
// assigns to Alex meanwhile, without a reload. Each LSP has a browser of their own (their own
// session); no worker runs, since none of this waits for the lead workflow.
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assignLeads } from '../../db/distribution/assign.ts';
import { browserUnavailable, launchBrowser } from '../support/browser.ts';
import { browserSuite } from '../support/browser-suite.ts';
import { insertLeads } from '../support/fixtures.ts';

const suite = browserSuite('claim-next-browser');
let samBrowser: { context: BrowserContext; close(): Promise<void> } | undefined;
let accountId: string;
const users: Record<string, string> = {};

async function signIn(page: Page, username: string, password: string) {
  await suite.signIn(page, username, password);
  await page.getByRole('heading', { name: 'My Leads' }).waitFor();
}

/** Opens `path` in Alex's browser, signing in first if this browser is not yet. */
async function openAsAlex(page: Page, path: string) {
  await page.goto(`${suite.web.url}${path}`);
  if (new URL(page.url()).pathname === '/login') {
    await signIn(page, 'lsp.alex', 'alex-demo-pass');
    await page.goto(`${suite.web.url}${path}`);
  }
}

/** A page's marker that only a full reload would lose. */
const markDocument = (page: Page) => page.evaluate(() => ((window as unknown as { __noReload: boolean }).__noReload = true));
const stillSameDocument = (page: Page) => page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload === true);

describe.skipIf(browserUnavailable)(`Next, claim and live My Leads in real browsers${browserUnavailable ? ` (skipped: ${browserUnavailable})` : ''}`, () => {
  beforeAll(async () => {
    for (const u of await suite.db.knex('users').select('id', 'username', 'account_id')) users[u.username] = u.id;
    accountId = (await suite.db.knex('users').where({ username: 'lsp.alex' }).first('account_id')).account_id;
    samBrowser = await launchBrowser();
  });
  afterAll(async () => {
    await samBrowser?.close();
  });

  it('Next opens the best pool lead as Alex’s; Sam, on that lead’s page from before, clicks Claim and is told whose it is', async () => {
    const { db, web, context } = suite;
    await db.knex('accounts').where({ id: accountId }).update({ shark_tank: true });
    // The freshest highly engaged lead in the pool: the best one for Alex.
    const [leadId] = await insertLeads(db.knex, accountId, [{ firstName: 'Nina', lastName: 'Next', segment: 'highly_engaged', state: 'TX' }]);

    const sam = await samBrowser!.context.newPage();
    await signIn(sam, 'lsp.sam', 'sam-demo-pass');
    await sam.goto(`${web.url}/leads/${leadId}`);
    await sam.getByRole('button', { name: 'Claim this lead' }).waitFor();

    const alex = await context.newPage();
    await openAsAlex(alex, '/leads');
    await alex.getByRole('button', { name: 'Next lead' }).click();
    await alex.waitForURL(`${web.url}/leads/${leadId}`);
    await expect.poll(() => alex.locator('dt:has-text("Assignee") + dd').textContent()).toBe('Alex Rivera (lsp.alex)');
    const why = alex.getByRole('region', { name: "Why is this lead Alex Rivera's?" });
    await why.waitFor();
    expect(await why.textContent()).toContain('Next button');
    expect(await alex.getByRole('button', { name: 'Claim this lead' }).count()).toBe(0);
    await alex.screenshot({ path: path.join(os.tmpdir(), 'leadflow-next-lead.png'), fullPage: true });

    await sam.getByRole('button', { name: 'Claim this lead' }).click();
    await sam.getByText("Nina Next is already Alex Rivera's lead").waitFor();
    await sam.screenshot({ path: path.join(os.tmpdir(), 'leadflow-claim-taken.png'), fullPage: true });
    expect((await db.knex('leads').where({ id: leadId }).first('assigned_user_id')).assigned_user_id).toBe(users['lsp.alex']);
    expect(await db.knex('assignments').where({ lead_id: leadId }).select('method', 'user_id')).toEqual([{ method: 'next', user_id: users['lsp.alex'] }]);
    await alex.close();
    await sam.close();
  });

  it('My Leads, left open, shows a lead assigned to Alex meanwhile, without a reload', async () => {
    const { db, context } = suite;
    // Without Shark Tank, My Leads lists only Alex's own leads: the new one is new to the list.
    await db.knex('accounts').where({ id: accountId }).update({ shark_tank: false });
    const [leadId] = await insertLeads(db.knex, accountId, [{ firstName: 'Liam', lastName: 'Live', state: 'TX' }]);
    const page = await context.newPage();
    const streaming = page.waitForResponse((r) => new URL(r.url()).pathname === '/leads/live');
    await openAsAlex(page, '/leads');
    await page.getByRole('heading', { name: 'My Leads' }).waitFor();
    // The list's row (the notice links to the lead too).
    const row = page.locator(`table a[href="/leads/${leadId}"]`);
    expect(await row.count()).toBe(0);
    await markDocument(page);
    // The page listens once it is live in the browser.
    expect((await streaming).headers()['content-type']).toContain('text/event-stream');

    await assignLeads({ db: db.knex, temporal: null }, { accountId, leadIds: [leadId!], userId: users['lsp.alex']!, byUserId: users['A0DEMO1']!, reason: 'Alex knows Texas' });
    await expect.poll(() => row.count(), { timeout: 8_000, interval: 200 }).toBeGreaterThan(0);
    await page.getByRole('status').filter({ hasText: 'New lead: Liam Live' }).waitFor({ timeout: 2_000 });
    expect(await stillSameDocument(page)).toBe(true);
    await page.screenshot({ path: path.join(os.tmpdir(), 'leadflow-live-my-leads.png'), fullPage: true });
    await page.close();
  });
});
