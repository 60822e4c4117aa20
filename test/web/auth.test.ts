// Sign-in, sign-out, throttling, forced password change, e-mailed reset and CSRF, through
// the real web server over HTTP, with mail delivered to a real SMTP listener.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { csrfToken, visibleText } from '../support/http.ts';
import { demoWebSuite } from '../support/web-suite.ts';

const suite = demoWebSuite();
const client = suite.client;

describe('sign-in', () => {
  it('signs in by username in any case and lands on the leads list', async () => {
    const c = client();
    const res = await c.login('a0demo1', 'owner-demo-pass');
    expect(res.status).toBe(302);
    expect(res.location).toBe('/leads');
    const cookie = res.headers.getSetCookie().find((l) => l.startsWith('lf_session='))!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    const leads = await c.get('/leads');
    expect(leads.status).toBe(200);
    expect(visibleText(leads.text)).toContain('Dana Owner');
  });

  it('refuses a wrong password with one message for unknown users and wrong passwords', async () => {
    const wrong = await client().login('A0DEMO1', 'not-the-password');
    const unknown = await client().login('nobody.here', 'not-the-password');
    for (const res of [wrong, unknown]) {
      expect(res.status).toBe(401);
      expect(visibleText(res.text)).toContain('That username and password do not match.');
    }
    const c = client();
    await c.login('A0DEMO1', 'nope-nope-nope');
    expect((await c.get('/leads')).location).toMatch(/^\/login/);
  });

  it('sends a signed-out visitor to the login page and back where they were going', async () => {
    const c = client();
    const res = await c.get('/users');
    expect(res.status).toBe(302);
    expect(res.location).toBe('/login?redirectTo=%2Fusers');
    const login = await c.submit('/login?redirectTo=%2Fusers', { username: 'A0DEMO1', password: 'owner-demo-pass', redirectTo: '/users' });
    expect(login.location).toBe('/users');
    // Only same-site paths: an absolute or protocol-relative target falls back to the app.
    const evil = await client().submit('/login', { username: 'A0DEMO1', password: 'owner-demo-pass', redirectTo: '//evil.example/x' });
    expect(evil.location).toBe('/leads');
  });

  it('signs out on POST and the old session no longer works', async () => {
    const c = client();
    await c.login('lsp.alex', 'alex-demo-pass');
    expect((await c.get('/leads')).status).toBe(200);
    const res = await c.logout();
    expect(res.status).toBe(302);
    expect(res.location).toBe('/login');
    expect((await c.get('/leads')).location).toMatch(/^\/login/);
    // GET /logout does nothing: a link on another site cannot sign anyone out.
    const d = client();
    await d.login('lsp.alex', 'alex-demo-pass');
    await d.get('/logout');
    expect((await d.get('/leads')).status).toBe(200);
  });
});

describe('throttling', () => {
  it('answers 429 after 5 failures for a username, even with the right password, and other users still sign in', async () => {
    for (let i = 0; i < 5; i++) expect((await client().login('lsp.sam', `wrong-${i}`)).status).toBe(401);
    const locked = await client().login('lsp.sam', 'sam-demo-pass');
    expect(locked.status).toBe(429);
    expect(locked.headers.get('retry-after')).toBe('900');
    expect(visibleText(locked.text)).toContain('Too many failed sign-in attempts. Wait 15 minutes');
    expect((await client().login('lsp.alex', 'alex-demo-pass')).status).toBe(302);
    // The window passes (moved back in the table): the user signs in again.
    await suite.db.knex('login_attempts').update({ attempted_at: suite.db.knex.raw("attempted_at - interval '16 minutes'") });
    expect((await client().login('lsp.sam', 'sam-demo-pass')).status).toBe(302);
  });

  it('answers 429 after 20 failures from one address across usernames', async () => {
    for (let i = 0; i < 20; i++) expect((await client().login(`guess-${i}`, 'wrong-password')).status).toBe(401);
    const res = await client().login('A0DEMO1', 'owner-demo-pass');
    expect(res.status).toBe(429);
  });

  it('a successful sign-in restarts the username count', async () => {
    for (let i = 0; i < 4; i++) await client().login('support.kim', `wrong-${i}`);
    expect((await client().login('support.kim', 'kim-demo-pass')).status).toBe(302);
    for (let i = 0; i < 4; i++) expect((await client().login('support.kim', `wrong-again-${i}`)).status).toBe(401);
    expect((await client().login('support.kim', 'kim-demo-pass')).status).toBe(302);
  });
});

describe('forced password change', () => {
  it('keeps a user with a temporary password on /account/password until they choose one', async () => {
    const owner = client();
    await owner.login('A0DEMO1', 'owner-demo-pass');
    await suite.db.knex('accounts').update({ paid_seats: 5 });
    const created = await owner.submit('/users', { intent: 'create', username: 'new.lsp', name: 'New Person', email: 'new@leadflow.test', role: 'lsp' });
    expect(created.status).toBe(200);
    const temporary = /class="secret">([^<]+)</.exec(created.text)?.[1];
    expect(temporary).toMatch(/^[A-Za-z0-9]{4}(-[A-Za-z0-9]{4}){3}$/);

    const c = client();
    expect((await c.login('new.lsp', temporary!)).status).toBe(302);
    for (const path of ['/leads', '/due-today', '/leads?page=2']) {
      const res = await c.get(path);
      expect(res.status, path).toBe(302);
      expect(res.location, path).toBe('/account/password');
    }
    expect((await c.get('/account/password')).status).toBe(200);

    const mismatch = await c.submit('/account/password', { current: temporary!, password: 'a-brand-new-pass', confirm: 'something-else' });
    expect(mismatch.status).toBe(400);
    expect(visibleText(mismatch.text)).toContain('The two passwords differ');
    const badCurrent = await c.submit('/account/password', { current: 'not-it-at-all', password: 'a-brand-new-pass', confirm: 'a-brand-new-pass' });
    expect(badCurrent.status).toBe(400);

    const changed = await c.submit('/account/password', { current: temporary!, password: 'a-brand-new-pass', confirm: 'a-brand-new-pass' });
    expect(changed.status).toBe(302);
    expect(changed.location).toBe('/leads');
    expect((await c.get('/leads')).status).toBe(200);
    expect((await client().login('new.lsp', temporary!)).status).toBe(401);
    expect((await client().login('new.lsp', 'a-brand-new-pass')).status).toBe(302);
  });

  it('a password change ends the user’s other sessions', async () => {
    const laptop = client();
    const phone = client();
    await laptop.login('support.kim', 'kim-demo-pass');
    await phone.login('support.kim', 'kim-demo-pass');
    const changed = await laptop.submit('/account/password', { current: 'kim-demo-pass', password: 'kim-second-pass', confirm: 'kim-second-pass' });
    expect(changed.status).toBe(302);
    expect((await laptop.get('/leads')).status).toBe(200);
    expect((await phone.get('/leads')).location).toMatch(/^\/login/);
  });
});

describe('password reset by e-mail', () => {
  const resetLink = (text: string) => /http:\/\/[^\s]+\/reset-password\/([A-Za-z0-9_-]+)/.exec(text);

  it('mails a single-use link that sets a new password', async () => {
    const c = client();
    const asked = await c.submit('/forgot-password', { username: 'LSP.ALEX', email: 'Alex@leadflow.test' });
    expect(asked.status).toBe(200);
    expect(visibleText(asked.text)).toContain('If that username and e-mail address belong to an active user, we have sent a link');
    const mail = await suite.smtp.waitFor((m) => m.to.includes('alex@leadflow.test'));
    expect(mail.subject).toBe('Reset your Leadflow password');
    const link = resetLink(mail.text);
    expect(link, mail.text).not.toBeNull();
    expect(link![0].startsWith(suite.web.url)).toBe(true);
    const token = link![1]!;
    // Only the hash is stored.
    const row = await suite.db.knex('password_reset_tokens').orderBy('created_at', 'desc').first();
    expect(row.token_hash).not.toBe(token);
    expect(row.token_hash).toMatch(/^[0-9a-f]{64}$/);

    const page = await c.get(`/reset-password/${token}`);
    expect(page.status).toBe(200);
    const reset = await c.submit(`/reset-password/${token}`, { password: 'alex-reset-pass', confirm: 'alex-reset-pass' });
    expect(reset.status).toBe(302);
    expect(reset.location).toBe('/login?reset=1');
    expect((await client().login('lsp.alex', 'alex-demo-pass')).status).toBe(401);
    expect((await client().login('lsp.alex', 'alex-reset-pass')).status).toBe(302);

    // Used once: the same link is refused, on the page and on submit.
    expect((await c.get(`/reset-password/${token}`)).status).toBe(410);
    const again = await c.post(`/reset-password/${token}`, { csrf: csrfToken(page.text)!, password: 'alex-third-pass', confirm: 'alex-third-pass' });
    expect(again.status).toBe(410);
    expect(visibleText(again.text)).toContain('This reset link was already used');
    expect((await client().login('lsp.alex', 'alex-reset-pass')).status).toBe(302);
  });

  it('refuses an expired link', async () => {
    const c = client();
    await c.submit('/forgot-password', { username: 'lsp.sam', email: 'sam@leadflow.test' });
    const mail = await suite.smtp.waitFor((m) => m.to.includes('sam@leadflow.test'));
    const token = resetLink(mail.text)![1]!;
    await suite.db.knex('password_reset_tokens').update({ expires_at: suite.db.knex.raw("now() - interval '1 second'") }).whereNull('used_at');
    expect((await c.get(`/reset-password/${token}`)).status).toBe(410);
    const res = await c.submit(`/reset-password/${token}`, { password: 'sam-reset-pass-1', confirm: 'sam-reset-pass-1' }, { from: '/forgot-password' });
    expect(res.status).toBe(410);
    expect((await client().login('lsp.sam', 'sam-demo-pass')).status).toBe(302);
  });

  it('answers the same and sends nothing when username and e-mail do not match', async () => {
    const before = suite.smtp.messages.length;
    const tokensBefore = (await suite.db.knex('password_reset_tokens').count({ n: '*' }))[0]!.n;
    const c = client();
    const wrongEmail = await c.submit('/forgot-password', { username: 'support.kim', email: 'someone-else@example.com' });
    const unknownUser = await c.submit('/forgot-password', { username: 'no.such.user', email: 'kim@leadflow.test' });
    for (const res of [wrongEmail, unknownUser]) {
      expect(res.status).toBe(200);
      expect(visibleText(res.text)).toContain('If that username and e-mail address belong to an active user');
    }
    await new Promise((r) => setTimeout(r, 300));
    expect(suite.smtp.messages.length).toBe(before);
    expect((await suite.db.knex('password_reset_tokens').count({ n: '*' }))[0]!.n).toBe(tokensBefore);
  });

  it('rejects a made-up token', async () => {
    expect((await client().get('/reset-password/this-is-not-a-real-token-at-all')).status).toBe(404);
  });
});

describe('CSRF', () => {
  it('rejects a POST without a token, with a wrong token and with another session’s token (403)', async () => {
    const c = client();
    const page = await c.get('/login');
    const mine = csrfToken(page.text)!;
    const other = csrfToken((await client().get('/login')).text)!;
    expect(other).not.toBe(mine);
    for (const fields of [{}, { csrf: 'wrong' }, { csrf: other }] as Array<Record<string, string>>) {
      const res = await c.post('/login', { username: 'A0DEMO1', password: 'owner-demo-pass', ...fields });
      expect(res.status).toBe(403);
      expect(visibleText(res.text)).toContain('This form has expired or did not come from Leadflow');
    }
    expect((await c.get('/leads')).location).toMatch(/^\/login/);
    // And the same session with its own token signs in.
    expect((await c.post('/login', { csrf: mine, username: 'A0DEMO1', password: 'owner-demo-pass' })).status).toBe(302);
  });

  it('protects actions of signed-in users too', async () => {
    const owner = client();
    await owner.login('A0DEMO1', 'owner-demo-pass');
    await suite.db.knex('accounts').update({ paid_seats: 10 });
    const forged = await owner.post('/users', { intent: 'create', username: 'forged.user', name: 'Forged', email: 'forged@example.com', role: 'admin' });
    expect(forged.status).toBe(403);
    expect(await suite.db.knex('users').where({ username: 'forged.user' }).first()).toBeUndefined();
    expect((await owner.post('/logout', {})).status).toBe(403);
    expect((await owner.get('/leads')).status).toBe(200);
  });

  it('every route with an action refuses a signed-in POST without the token', async () => {
    // Found from the route files, so a new form route is covered without touching this test.
    const routesDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web/app/routes');
    const paths = fs
      .readdirSync(routesDir)
      // API routes (api.*) authenticate with an API key, not a session: CSRF does not apply.
      .filter((f) => !f.startsWith('api.') && /export (async )?function action\b/.test(fs.readFileSync(path.join(routesDir, f), 'utf8')))
      .map((f) =>
        f
          .replace(/\.tsx?$/, '')
          .split('.')
          .filter((seg) => !seg.startsWith('_'))
          .map((seg) => (seg.startsWith('$') ? 'some-token-value-1234567890' : seg))
          .join('/'),
      )
      .map((p) => `/${p}`);
    expect(paths.length).toBeGreaterThanOrEqual(7);
    const owner = client();
    await owner.login('A0DEMO1', 'owner-demo-pass');
    for (const p of paths) {
      const res = await owner.post(p, { intent: 'create', username: 'no.token', name: 'No Token', email: 'n@x.test', role: 'lsp' });
      expect(res.status, p).toBe(403);
    }
    expect(await suite.db.knex('users').where({ username: 'no.token' }).first()).toBeUndefined();
    expect((await owner.get('/leads')).status).toBe(200);
  });

  it('rotates the token at sign-in, so a token planted before sign-in is useless after', async () => {
    const c = client();
    const before = csrfToken((await c.get('/login')).text)!;
    await c.login('A0DEMO1', 'owner-demo-pass');
    const after = csrfToken((await c.get('/leads')).text)!;
    expect(after).not.toBe(before);
    expect((await c.post('/logout', { csrf: before })).status).toBe(403);
  });
});

describe('health', () => {
  it('GET /healthz reports the database without secrets', async () => {
    const res = await fetch(`${suite.web.url}/healthz`);
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toEqual({ status: 'ok', database: 'ok' });
  });
});
