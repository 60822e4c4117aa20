// The search box and the Upcoming view in a real browser at phone width: an LSP types a number
// as it was written down and gets the lead; Upcoming shows the call-back booked for tomorrow
// under tomorrow; nothing scrolls sideways.
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserUnavailable, launchBrowser } from '../support/browser.ts';
import { insertLeads } from '../support/fixtures.ts';
import { demoWebSuite } from '../support/web-suite.ts';
import type { BrowserContext } from 'playwright-core';

const suite = demoWebSuite();
let context: BrowserContext;
let closeBrowser: (() => Promise<void>) | undefined;

beforeAll(async () => {
  if (browserUnavailable) return;
  ({ context, close: closeBrowser } = await launchBrowser({ viewport: { width: 390, height: 844 } }));
});
afterAll(async () => {
  await closeBrowser?.();
});

describe.skipIf(browserUnavailable)(`Search and Upcoming at phone width${browserUnavailable ? ` (skipped: ${browserUnavailable})` : ''}`, () => {
  it('finds a lead by a typed number and shows tomorrow’s call-back under tomorrow', async () => {
    const { db, web } = suite;
    const alex = await db.knex('users').where({ username: 'lsp.alex' }).first('id', 'account_id');
    const [id] = await insertLeads(db.knex, alex.account_id, [{ firstName: 'Odile', lastName: 'Fontenot', assignedUserId: alex.id, status: 'active' }]);
    await db.knex('leads').where({ id }).update({ phones: JSON.stringify([{ raw: '(337) 555-0161', e164: '+13375550161', valid: true }]) });
    const tomorrow = new Date(Date.now() + 86_400_000);
    await db.knex('lead_events').insert({ lead_id: id, account_id: alex.account_id, actor_user_id: alex.id, type: 'quick_action', data: { action: 'appointment', milestone: 'appointment', dueAt: tomorrow.toISOString() } });

    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${web.url}/login`);
    await page.getByLabel('Username').fill('lsp.alex');
    await page.getByLabel('Password').fill('alex-demo-pass');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'My Leads' }).waitFor();

    const box = page.getByRole('searchbox', { name: 'Search leads' });
    expect(await box.isVisible()).toBe(true);
    await box.fill('337-555-0161');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await expect.poll(() => new URL(page.url()).searchParams.get('q')).toBe('337-555-0161');
    const rows = page.locator('table.lead-table tbody tr');
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().getByRole('link', { name: 'Fontenot, Odile' }).isVisible()).toBe(true);
    // The next call-back is in the row.
    expect(await rows.first().locator('[data-label="Next call-back"] time').getAttribute('datetime')).toBe(tomorrow.toISOString());
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: path.join(os.tmpdir(), 'leadflow-search-phone.png'), fullPage: true });

    const nav = page.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: 'Upcoming', exact: true }).click();
    await page.getByRole('heading', { name: 'Upcoming', level: 1 }).waitFor();
    const day = page.locator('section', { has: page.getByRole('heading', { name: /^Tomorrow, / }) });
    expect(await day.getByRole('link', { name: 'Odile Fontenot' }).isVisible()).toBe(true);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: path.join(os.tmpdir(), 'leadflow-upcoming-phone.png'), fullPage: true });
    expect(errors).toEqual([]);
  });
});
