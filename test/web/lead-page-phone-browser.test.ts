// The lead page at phone width in a real browser: nothing runs off the side, the lead's clock
// and whether a call is allowed are there, the phone is a tel: link inside calling hours, the
// history reads in words, and a note saved from the page shows in it with its author.
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { browserUnavailable } from '../support/browser.ts';
import { browserSuite } from '../support/browser-suite.ts';

const suite = browserSuite('lead-page-phone');

/** A fixed-offset zone where the local hour is `hour` right now (Etc/GMT-N is UTC+N). */
function zoneAtHour(hour: number, now = new Date()): string {
  let n = (hour - now.getUTCHours() + 48) % 24;
  if (n > 12) n -= 24;
  return n === 0 ? 'Etc/GMT' : `Etc/GMT${n > 0 ? '-' : '+'}${Math.abs(n)}`;
}

describe.skipIf(browserUnavailable)(`The lead page at phone width${browserUnavailable ? ` (skipped: ${browserUnavailable})` : ''}`, () => {
  it('fits a 390 px screen, links the phone while the lead may be called, and shows a saved note in the history', async () => {
    const { db, web, context } = suite;
    const alex = await db.knex('users').where({ username: 'lsp.alex' }).first('id');
    const lead = await db.knex('leads').where({ assigned_user_id: alex.id }).orderBy('created_at').first('id');
    await db
      .knex('leads')
      .where({ id: lead.id })
      .update({ time_zone: zoneAtHour(13), dnc: false, phones: JSON.stringify([{ raw: '(504) 555-0101', e164: '+15045550101', valid: true }]) });
    const page = await context.newPage();
    await page.setViewportSize({ width: 390, height: 844 });
    await suite.signInAsAlex(page);
    await page.goto(`${web.url}/leads/${lead.id}`);
    await page.getByRole('heading', { name: 'History' }).waitFor();

    expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
    expect(await page.locator('dt:has-text("Call now?") + dd').textContent()).toMatch(/for the lead, callable until 9:00 PM$/);
    const tel = page.locator('a[href="tel:+15045550101"]');
    expect(await tel.isVisible()).toBe(true);
    expect(await tel.textContent()).toBe('+1 504-555-0101');

    const note = 'Asked for a call back after the school run.';
    await page.getByLabel('Note').fill(note);
    await page.getByRole('button', { name: 'Save note' }).click();
    const history = page.getByRole('region', { name: 'History' });
    await expect.poll(() => history.textContent(), { timeout: 10_000 }).toContain(`Note by Alex Rivera${note}`);
    // The form is fresh for the next note.
    await expect.poll(() => page.getByLabel('Note').inputValue()).toBe('');
    expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
    await page.screenshot({ path: path.join(os.tmpdir(), 'leadflow-lead-page-phone.png'), fullPage: true });
  });
});
