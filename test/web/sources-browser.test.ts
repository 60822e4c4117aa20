// The Sources page at phone width in a real browser: nothing runs off the side, a source intake
// met for the first time is on top marked Needs classifying, and the owner classifies it from
// the phone (the page then says it is saved and the mark is gone).
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { browserUnavailable } from '../support/browser.ts';
import { browserSuite } from '../support/browser-suite.ts';

const suite = browserSuite('sources-browser');

describe.skipIf(browserUnavailable)(`Sources page at phone width${browserUnavailable ? ` (skipped: ${browserUnavailable})` : ''}`, () => {
  it('fits a 390 px screen and classifies a new source', async () => {
    const { db, web, context } = suite;
    const owner = await db.knex('users').where({ username: 'A0DEMO1' }).first('account_id');
    await db.knex('lead_sources').insert({ account_id: owner.account_id, key: 'smartfinancial', match_key: 'smartfinancial', label: 'SmartFinancial', segment: 'cold', cadence_template: 'cold_prospects', needs_review: true });

    const page = await context.newPage();
    await page.setViewportSize({ width: 390, height: 844 });
    await suite.signIn(page, 'A0DEMO1', 'owner-demo-pass');

    await page.goto(`${web.url}/sources`);
    await page.getByRole('heading', { name: 'Lead sources' }).waitFor({ timeout: 90_000 });
    // The styles and scripts Vite compiles on a first visit, in place before anything is measured.
    await page.waitForLoadState('networkidle');
    const headings = await page.locator('section.card h2[id^="source-"]').allTextContents();
    expect(headings[0]).toBe('SmartFinancial');
    const card = page.locator('section[data-source="smartfinancial"]');
    expect(await card.getByText('Needs classifying').isVisible()).toBe(true);
    expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
    await page.screenshot({ path: path.join(os.tmpdir(), 'leadflow-sources-phone.png'), fullPage: true });

    await card.getByText('Edit SmartFinancial').click();
    await card.getByLabel('What it is').fill('Shoppers from the SmartFinancial comparison site.');
    await card.getByLabel('Segment').selectOption({ label: 'Engaged or warmed' });
    await card.getByLabel('Cadence').selectOption({ label: 'Engaged or warmed prospects' });
    expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
    await card.getByRole('button', { name: /Save/ }).click();
    await page.getByText('Saved. Leads that arrive or are loaded from now on use it.').waitFor({ timeout: 60_000 });
    const saved = page.locator('section[data-source="smartfinancial"]');
    // The mark goes once the page's data is read again after the save (it may come a moment after the message).
    await saved.getByText('Needs classifying').waitFor({ state: 'detached', timeout: 30_000 });
    expect(await saved.locator('dt:has-text("Cadence") + dd').textContent()).toBe('Engaged or warmed prospects');
    expect(await db.knex('lead_sources').where({ account_id: owner.account_id, key: 'smartfinancial' }).first('segment', 'cadence_template', 'needs_review')).toEqual({ segment: 'engaged', cadence_template: 'engaged_prospects', needs_review: false });
  }, 180_000);
});
