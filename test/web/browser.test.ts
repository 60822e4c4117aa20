// One real browser (Debian's chromium through playwright-core) against the real server: the
// owner signs in, sees the leads list, opens a lead, and on a phone-sized screen can still
// use the navigation. Screenshots land in /tmp for a human look.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoAccount } from '../../db/seed.ts';
import type { RunningWebServer } from '../../web/server.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { startTestWebServer } from '../support/http.ts';
import { browserUnavailable, launchBrowser } from '../support/browser.ts';

const SCREENSHOTS = process.env.LEADFLOW_SCREENSHOTS ?? path.join(os.tmpdir(), 'leadflow-screenshots');

let db: TestDatabase;
let web: RunningWebServer;
let context: BrowserContext;
let closeBrowser: (() => Promise<void>) | undefined;

beforeAll(async () => {
  db = await createTestDatabase();
  await seedDemoAccount(db.knex);
  web = await startTestWebServer(db);
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  ({ context, close: closeBrowser } = await launchBrowser());
});

afterAll(async () => {
  await closeBrowser?.();
  await web?.close();
  await db?.destroy();
});

describe.skipIf(browserUnavailable)(`in a real browser${browserUnavailable ? ` (skipped: ${browserUnavailable})` : ''}`, () => {
  it('the owner signs in, sees the leads list and opens a lead; on a phone the navigation works', async () => {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));

    await page.goto(`${web.url}/leads`);
    await expect.poll(() => page.url()).toContain('/login');
    await page.getByLabel('Username').fill('A0DEMO1');
    await page.getByLabel('Password').fill('owner-demo-pass');
    await page.getByRole('button', { name: 'Sign in' }).click();

    await page.getByRole('heading', { name: 'Leads', exact: true }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/leads');
    const rows = page.locator('table.lead-table tbody tr');
    expect(await rows.count()).toBe(8);
    await expect.poll(() => page.getByText('Showing 1–8 of 8').isVisible()).toBe(true);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'leads-desktop.png'), fullPage: true });

    // Filtering goes through the form (with JavaScript: a client-side navigation).
    await page.getByText('Filter and sort').click();
    await page.getByLabel('Source').selectOption('spreadsheet');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => new URL(page.url()).search).toBe('?source=spreadsheet&closed=include&sort=created&dir=desc');
    await expect.poll(() => rows.count()).toBe(2);

    await page.getByRole('link', { name: 'Walsh, Peter' }).click();
    await page.getByRole('heading', { name: 'Peter Walsh' }).waitFor();
    expect(await page.locator('.badge', { hasText: 'DNC' }).first().isVisible()).toBe(true);
    expect(await page.getByText('Spring requote list').first().isVisible()).toBe(true);
    expect(await page.getByRole('heading', { name: 'History' }).isVisible()).toBe(true);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'lead-desktop.png'), fullPage: true });

    // Phone: the same session, a 390x844 screen.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${web.url}/leads`);
    const nav = page.getByRole('navigation', { name: 'Main' });
    for (const name of ['Leads', 'Users & Seats', 'Mailbox', 'Support']) {
      const link = nav.getByRole('link', { name, exact: true });
      expect(await link.isVisible(), name).toBe(true);
      const box = (await link.boundingBox())!;
      // On screen and big enough to tap.
      expect(box.x).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width).toBeLessThanOrEqual(390);
      expect(box.height).toBeGreaterThanOrEqual(40);
    }
    // No sideways scrolling on a phone.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'leads-phone.png'), fullPage: false });

    await nav.getByRole('link', { name: 'Users & Seats' }).click();
    await page.getByRole('heading', { name: 'Users & Seats' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/users');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'users-phone.png'), fullPage: true });

    expect(errors).toEqual([]);
  });
});
