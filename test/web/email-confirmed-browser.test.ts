// E-mail Confirmed in a real browser at phone width, with the real lead workflow and a real SMTP
// listener: the button fits a 390 px screen, and after one tap the page shows, without a reload,
// the confirmation in the history and the lead's "E-mail confirmed" date on the viewer's clock.
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createActivities } from '../../activities/index.ts';
import { createMailer } from '../../activities/mailer.ts';
import { browserUnavailable } from '../support/browser.ts';
import { browserSuite, WORKFLOWS } from '../support/browser-suite.ts';
import { startSmtpListener } from '../support/smtp.ts';
import { withWorker } from '../support/temporal.ts';

const suite = browserSuite('email-confirmed-browser');

describe.skipIf(browserUnavailable)(`E-mail Confirmed at phone width${browserUnavailable ? ` (skipped: ${browserUnavailable})` : ''}`, () => {
  it('fits a 390 px screen, and one tap mails the lead and shows the date and the history line without a reload', async () => {
    const { db, env, web, context, taskQueue } = suite;
    const smtp = await startSmtpListener();
    try {
      const alex = await db.knex('users').where({ username: 'lsp.alex' }).first('id');
      const lead = await db.knex('leads').where({ assigned_user_id: alex.id }).orderBy('created_at').first('id');
      await db.knex('leads').where({ id: lead.id }).update({ first_name: 'Rosa', dne: false, emails: JSON.stringify([{ raw: 'rosa.m@example.com', address: 'rosa.m@example.com', valid: true }]) });
      const activities = createActivities({ db: db.knex, mailer: createMailer(smtp.url), temporal: env.client, taskQueue, workerIdentity: 'email-confirmed-browser' });
      await withWorker(env, { taskQueue, workflowsPath: WORKFLOWS, activities }, async () => {
        const page = await context.newPage();
        await page.setViewportSize({ width: 390, height: 844 });
        await suite.signInAsAlex(page);
        await page.goto(`${web.url}/leads/${lead.id}`);
        const button = page.getByRole('button', { name: 'E-mail Confirmed', exact: true });
        await button.waitFor({ timeout: 90_000 });
        const box = (await button.boundingBox())!;
        expect(box.x).toBeGreaterThanOrEqual(0);
        expect(box.x + box.width).toBeLessThanOrEqual(390);
        expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
        const confirmed = page.locator('dt:has-text("E-mail confirmed") + dd');
        expect(await confirmed.textContent()).toBe('Not yet');

        await page.evaluate(() => ((window as unknown as { __noReload: boolean }).__noReload = true));
        await button.click();
        const history = page.getByRole('region', { name: 'History' });
        await expect.poll(() => history.textContent(), { timeout: 60_000, interval: 250 }).toContain('Confirmation e-mail sent to r…@example.com');
        // The viewer's clock (the demo account's Central time), never an ISO string.
        await expect.poll(() => confirmed.textContent(), { timeout: 10_000 }).toMatch(/^[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{2}:\d{2} C[SD]T$/);
        expect(await page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload)).toBe(true);
        const mail = await smtp.waitFor((m) => m.to.includes('rosa.m@example.com'));
        expect(mail.text).toMatch(/^Hi Rosa,/);
        expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
        await page.screenshot({ path: path.join(os.tmpdir(), 'leadflow-email-confirmed-phone.png'), fullPage: true });
        await env.client.workflow.getHandle(`lead-${lead.id}`).terminate('test over');
      });
    } finally {
      await smtp.close();
    }
  }, 180_000);

  it('lets the owner preview a template at 390 px, the merge fields filled in, nothing running off the side', async () => {
    const { context } = suite;
    // The context is shared: Alex's session from the test before must not answer for the owner.
    await context.clearCookies();
    const page = await context.newPage();
    await page.setViewportSize({ width: 390, height: 844 });
    await suite.signIn(page, 'A0DEMO1', 'owner-demo-pass');
    await page.getByRole('heading', { name: 'Leads' }).first().waitFor();
    await page.getByRole('link', { name: 'E-mail templates' }).click();
    await page.getByRole('heading', { name: 'E-mail templates' }).waitFor({ timeout: 90_000 });
    const card = page.locator('.card', { has: page.getByRole('heading', { name: 'E-mail confirmation (to the lead)' }) });
    await card.getByLabel('Body').fill('Hello {{first_name}}, thanks from {{agency_name}}.');
    await card.getByRole('button', { name: 'Preview' }).click();
    await expect.poll(() => page.getByLabel('Preview of E-mail confirmation (to the lead)').textContent(), { timeout: 30_000 }).toContain('Hello Pat, thanks from Demo Agency.');
    expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
    await page.screenshot({ path: path.join(os.tmpdir(), 'leadflow-email-templates-phone.png'), fullPage: true });
  }, 180_000);
});
