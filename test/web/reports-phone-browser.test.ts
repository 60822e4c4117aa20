// The reports at phone width in a real browser: the charts are drawn (server-rendered SVG that
// scales to the screen), nothing runs off the side, the table reads as one card per row, a
// column header sorts it, and the CSV link carries the page's filters.
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { browserUnavailable } from '../support/browser.ts';
import { browserSuite } from '../support/browser-suite.ts';

const suite = browserSuite('reports-phone');

describe.skipIf(browserUnavailable)(`Reports at phone width${browserUnavailable ? ` (skipped: ${browserUnavailable})` : ''}`, () => {
  it('fits a 390 px screen with its charts, sorts by a header and links the CSV with the filters', async () => {
    const { db, web, context } = suite;
    const k = db.knex;
    const owner = await k('users').where({ username: 'A0DEMO1' }).first('id', 'account_id');
    const lsps = await k('users').where({ account_id: owner.account_id, role: 'lsp' }).orderBy('username').select('id');
    const leads = await k('leads').where({ account_id: owner.account_id }).orderBy('created_at').select('id', 'created_at');
    // A few Quick Actions over the last days, by both LSPs, so every chart has something to draw.
    const actions = ['attempted_contact', 'contacted', 'quoted', 'sold'];
    const rows = leads.flatMap((l, i) =>
      actions.slice(0, 1 + (i % 4)).map((action, j) => ({
        lead_id: l.id,
        account_id: owner.account_id,
        actor_user_id: lsps[i % 2]!.id,
        type: 'quick_action',
        data: JSON.stringify({ action, milestone: action }),
        created_at: new Date(Math.min(Date.now(), new Date(l.created_at).getTime() + (j + 1) * 20 * 60_000)),
      })),
    );
    await k('lead_events').insert(rows);

    const page = await context.newPage();
    await page.setViewportSize({ width: 390, height: 844 });
    await suite.signIn(page, 'A0DEMO1', 'owner-demo-pass');

    await page.goto(`${web.url}/reports`);
    await page.getByRole('link', { name: 'Account Status & Metrics' }).click();
    await page.getByRole('heading', { name: 'Account Status & Metrics' }).waitFor();
    const funnel = page.getByRole('img', { name: /MWI unsold quote: 1 lead, / });
    expect(await funnel.isVisible()).toBe(true);
    const box = (await funnel.boundingBox())!;
    expect(box.width).toBeGreaterThan(300);
    expect(box.x + box.width).toBeLessThanOrEqual(390);
    expect(await page.getByRole('img', { name: /median/ }).isVisible()).toBe(true);
    expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
    // One card per row: the header row is tucked away (for screen readers) and each cell says what it is.
    expect((await page.locator('table.data-table thead').boundingBox())!.width).toBeLessThanOrEqual(1);
    expect(await page.locator('td[data-label="Leads"]').first().isVisible()).toBe(true);
    await page.screenshot({ path: path.join(os.tmpdir(), 'leadflow-reports-metrics-phone.png'), fullPage: true });

    await page.goto(`${web.url}/reports/user-activity`);
    expect(await page.getByRole('img', { name: /Quick Actions per day by 2 users/ }).isVisible()).toBe(true);
    expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
    // The filters, then a sort: both stay in the URL, and the CSV link carries them.
    await page.getByText('Dates and filters').click();
    await page.getByLabel('User (who entered them)').selectOption({ label: 'Alex Rivera' });
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL(/user=/);
    // The URL can change before the filtered rows are on the page: wait for the rows.
    await expect.poll(async () => new Set(await page.locator('td[data-label="User"]').allTextContents()), { timeout: 30_000 }).toEqual(new Set(['Alex Rivera']));
    await page.setViewportSize({ width: 1024, height: 844 });
    await page.getByRole('link', { name: 'Entered' }).click();
    await page.waitForURL(/sort=actions/);
    // As above: the link is the new page's once its data is in.
    await expect.poll(() => page.getByRole('link', { name: 'Download CSV' }).getAttribute('href'), { timeout: 30_000 }).toContain('sort=actions');
    const csv = await page.getByRole('link', { name: 'Download CSV' }).getAttribute('href');
    expect(csv).toMatch(/^\/reports\/user-activity\.csv\?/);
    expect(csv).toContain('user=');
    expect(csv).toContain('sort=actions');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: path.join(os.tmpdir(), 'leadflow-reports-activity-phone.png'), fullPage: true });
  }, 240_000);
});
