// Password-reset links through the real web server and a real SMTP listener: single use, short
// lived, retired by a newer link, and bound to the user they were made for.
import { describe, expect, it } from 'vitest';
import { parseWebEnv } from '../../web/app/utils/env.server.ts';
import { startWebServer } from '../../web/server.ts';
import { TEST_SESSION_SECRET, visibleText, WebClient } from '../support/http.ts';
import { demoWebSuite } from '../support/web-suite.ts';

const suite = demoWebSuite();
const client = suite.client;

/** Asks for a link for the user and returns the text of the mail that brings it. */
async function askForMail(username: string, email: string, browser = client()): Promise<string> {
  const seen = suite.smtp.messages.length;
  expect((await browser.submit('/forgot-password', { username, email })).status).toBe(200);
  const mail = await suite.smtp.waitFor((m) => suite.smtp.messages.indexOf(m) >= seen && m.to.includes(email));
  return mail.text;
}

/** Asks for a link for the user and returns the token of the mail that brings it. */
async function askForLink(username: string, email: string): Promise<string> {
  return /\/reset-password\/([A-Za-z0-9_-]+)/.exec(await askForMail(username, email))![1]!;
}

describe('password-reset links', () => {
  it('last 30 minutes', async () => {
    await askForLink('lsp.sam', 'sam@leadflow.test');
    const row = await suite.db.knex('password_reset_tokens').orderBy('created_at', 'desc').first(suite.db.knex.raw('extract(epoch from expires_at - created_at)::int as ttl'));
    expect(row.ttl).toBe(30 * 60);
    const mail = suite.smtp.messages.at(-1)!;
    expect(mail.text).toContain('expires in 30 minutes');
  });

  it('asking for a new link retires the older ones', async () => {
    const first = await askForLink('lsp.alex', 'alex@leadflow.test');
    const second = await askForLink('lsp.alex', 'alex@leadflow.test');
    expect(second).not.toBe(first);
    const old = await client().get(`/reset-password/${first}`);
    expect(old.status).toBe(410);
    expect(visibleText(old.text)).toContain('This reset link has expired or a newer one was sent');
    const c = client();
    const refused = await c.submit(`/reset-password/${first}`, { password: 'alex-old-link-pass', confirm: 'alex-old-link-pass' }, { from: '/forgot-password' });
    expect(refused.status).toBe(410);
    expect((await client().login('lsp.alex', 'alex-old-link-pass')).status).toBe(401);
    expect((await client().get(`/reset-password/${second}`)).status).toBe(200);
    expect((await c.submit(`/reset-password/${second}`, { password: 'alex-new-link-pass', confirm: 'alex-new-link-pass' })).status).toBe(302);
    expect((await client().login('lsp.alex', 'alex-new-link-pass')).status).toBe(302);
  });

  it('say clearly when a link was already used, has expired or is unknown', async () => {
    const token = await askForLink('support.kim', 'kim@leadflow.test');
    const c = client();
    expect((await c.submit(`/reset-password/${token}`, { password: 'kim-reset-pass-1', confirm: 'kim-reset-pass-1' })).status).toBe(302);
    const used = await client().get(`/reset-password/${token}`);
    expect(used.status).toBe(410);
    expect(visibleText(used.text)).toContain('This reset link was already used');
    const usedAgain = await c.submit(`/reset-password/${token}`, { password: 'kim-reset-pass-2', confirm: 'kim-reset-pass-2' }, { from: '/forgot-password' });
    expect(usedAgain.status).toBe(410);
    expect(visibleText(usedAgain.text)).toContain('This reset link was already used');

    const late = await askForLink('support.kim', 'kim@leadflow.test');
    await suite.db.knex('password_reset_tokens').whereNull('used_at').update({ expires_at: suite.db.knex.raw("now() - interval '1 second'") });
    const expired = await client().get(`/reset-password/${late}`);
    expect(expired.status).toBe(410);
    expect(visibleText(expired.text)).toContain('This reset link has expired');

    const unknown = await client().get('/reset-password/this-is-not-a-real-token-at-all');
    expect(unknown.status).toBe(404);
    expect(visibleText(unknown.text)).toContain('This reset link is not valid');
    expect((await client().login('support.kim', 'kim-reset-pass-1')).status).toBe(302);
  });

  it('change the password of the user the link was made for, whoever is signed in on the browser', async () => {
    await suite.db.knex('password_reset_tokens').del();
    const token = await askForLink('A0DEMO1', 'a0demo1@leadflow.test');
    const other = client();
    await other.login('lsp.sam', 'sam-demo-pass');
    const page = await other.get(`/reset-password/${token}`);
    expect(visibleText(page.text)).toContain('For user A0DEMO1');
    expect((await other.submit(`/reset-password/${token}`, { password: 'owner-reset-pass', confirm: 'owner-reset-pass' })).status).toBe(302);
    expect((await client().login('A0DEMO1', 'owner-reset-pass')).status).toBe(302);
    expect((await client().login('lsp.sam', 'sam-demo-pass')).status).toBe(302);
    // The link does not sign anyone in: the browser is still Sam's.
    expect(visibleText((await other.get('/leads')).text)).toContain('Sam Chen');
  });
});

describe('password-reset links point at the public address', () => {
  it('of the server itself when APP_URL is not set', async () => {
    expect(await askForMail('lsp.sam', 'sam@leadflow.test')).toContain(`${suite.web.url}/reset-password/`);
  });

  it('of APP_URL when it is set: behind a proxy the address the server listens on is not the public one', async () => {
    expect(parseWebEnv({ NODE_ENV: 'development', DATABASE_URL: suite.db.url, SESSION_SECRET: TEST_SESSION_SECRET, APP_URL: 'https://leads.agency.example/' }).appUrl).toBe('https://leads.agency.example/');
    const proxied = await startWebServer({
      port: 0,
      host: '127.0.0.1',
      databaseUrl: suite.db.url,
      sessionSecret: TEST_SESSION_SECRET,
      smtpUrl: suite.smtp.url,
      mode: 'development',
      appUrl: 'https://leads.agency.example/',
    });
    try {
      const text = await askForMail('lsp.sam', 'sam@leadflow.test', new WebClient(proxied.url));
      expect(text).toMatch(/^https:\/\/leads\.agency\.example\/reset-password\/[A-Za-z0-9_-]+$/m);
    } finally {
      await proxied.close();
    }
  });
});
