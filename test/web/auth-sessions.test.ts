// Server-side sessions through the real web server: a session ends when its row goes, so a
// cookie copied before sign-out, a password change, a reset or deactivation is worthless after.
import { createHash } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { WebClient } from '../support/http.ts';
import { demoWebSuite } from '../support/web-suite.ts';

const suite = demoWebSuite();
const client = suite.client;

beforeEach(async () => {
  await suite.db.knex('sessions').del();
});

/** A second browser holding a copy of `c`'s cookies (what a thief of the cookie holds). */
function copyOf(c: WebClient): WebClient {
  const copy = client();
  for (const [k, v] of c.cookies) copy.cookies.set(k, v);
  return copy;
}

const userId = async (username: string) => (await suite.db.knex('users').where({ username }).first('id')).id as string;

describe('server-side sessions', () => {
  it('a cookie copied before sign-out answers as signed out after it', async () => {
    const c = client();
    expect((await c.login('lsp.alex', 'alex-demo-pass')).status).toBe(302);
    const stolen = copyOf(c);
    expect((await stolen.get('/leads')).status).toBe(200);
    expect((await c.logout()).status).toBe(302);
    const after = await stolen.get('/leads');
    expect(after.status).toBe(302);
    expect(after.location).toMatch(/^\/login/);
    expect(await suite.db.knex('sessions').where({ user_id: await userId('lsp.alex') })).toHaveLength(0);
  });

  it('the cookie carries only a random id, and the table only its SHA-256', async () => {
    const c = client();
    await c.login('support.kim', 'kim-demo-pass');
    const value = decodeURIComponent(c.cookies.get('lf_session')!);
    const payload = JSON.parse(Buffer.from(value.slice(0, value.lastIndexOf('.')), 'base64').toString('utf8')) as Record<string, unknown>;
    expect(Object.keys(payload)).toEqual(['sid']);
    const sid = payload.sid as string;
    expect(Buffer.from(sid, 'base64url')).toHaveLength(32);
    const kimId = await userId('support.kim');
    expect(JSON.stringify(payload)).not.toContain(kimId);
    const rows = await suite.db.knex('sessions').where({ user_id: kimId });
    expect(rows).toHaveLength(1);
    expect(rows[0].token_hash).toBe(createHash('sha256').update(sid).digest('hex'));
    expect(JSON.stringify(rows[0])).not.toContain(sid);
    // The cookie's signature still matters: a forged id is not a session.
    const forged = client();
    forged.cookies.set('lf_session', c.cookies.get('lf_session')!.replace(/.$/, (ch) => (ch === 'A' ? 'B' : 'A')));
    expect((await forged.get('/leads')).status).toBe(302);
  });

  it('a session past its expiry answers as signed out', async () => {
    const c = client();
    await c.login('lsp.sam', 'sam-demo-pass');
    expect((await c.get('/leads')).status).toBe(200);
    await suite.db.knex('sessions').where({ user_id: await userId('lsp.sam') }).update({ expires_at: suite.db.knex.raw("now() - interval '1 second'") });
    expect((await c.get('/leads')).location).toMatch(/^\/login/);
  });

  it('a password change deletes every other session of the user, copied cookies included', async () => {
    const laptop = client();
    const phone = client();
    await laptop.login('support.kim', 'kim-demo-pass');
    await phone.login('support.kim', 'kim-demo-pass');
    const copy = copyOf(laptop);
    const changed = await laptop.submit('/account/password', { current: 'kim-demo-pass', password: 'kim-second-pass', confirm: 'kim-second-pass' });
    expect(changed.status).toBe(302);
    expect((await laptop.get('/leads')).status).toBe(200);
    expect((await phone.get('/leads')).location).toMatch(/^\/login/);
    // The copy is the same session as the laptop's: it lives on with it (same id).
    expect((await copy.get('/leads')).status).toBe(200);
    expect(await suite.db.knex('sessions').where({ user_id: await userId('support.kim') })).toHaveLength(1);
  });

  it('deactivating a user deletes their sessions', async () => {
    const owner = client();
    await owner.login('A0DEMO1', 'owner-demo-pass');
    const sam = client();
    await sam.login('lsp.sam', 'sam-demo-pass');
    const samId = await userId('lsp.sam');
    expect(await suite.db.knex('sessions').where({ user_id: samId })).toHaveLength(1);
    expect((await owner.submit('/users', { intent: 'status', userId: samId, status: 'inactive' })).status).toBe(302);
    expect(await suite.db.knex('sessions').where({ user_id: samId })).toHaveLength(0);
    // Reactivated, the old cookie does not come back to life.
    await suite.db.knex('accounts').update({ paid_seats: 10 });
    expect((await owner.submit('/users', { intent: 'status', userId: samId, status: 'active' })).status).toBe(302);
    expect((await sam.get('/leads')).location).toMatch(/^\/login/);
  });

  it('a password reset by e-mail ends every session of that user', async () => {
    const desk = client();
    await desk.login('lsp.alex', 'alex-demo-pass');
    expect((await desk.get('/leads')).status).toBe(200);
    const anon = client();
    await anon.submit('/forgot-password', { username: 'lsp.alex', email: 'alex@leadflow.test' });
    const mail = await suite.smtp.waitFor((m) => m.to.includes('alex@leadflow.test'));
    const token = /\/reset-password\/([A-Za-z0-9_-]+)/.exec(mail.text)![1]!;
    expect((await anon.submit(`/reset-password/${token}`, { password: 'alex-reset-pass', confirm: 'alex-reset-pass' })).status).toBe(302);
    expect((await desk.get('/leads')).location).toMatch(/^\/login/);
    expect(await suite.db.knex('sessions').where({ user_id: await userId('lsp.alex') })).toHaveLength(0);
  });

  it('a visitor who is not signed in gets a CSRF token but no session row', async () => {
    const before = (await suite.db.knex('sessions').count<{ n: string }[]>({ n: '*' }))[0]!.n;
    for (let i = 0; i < 5; i++) expect((await client().get('/login')).status).toBe(200);
    expect((await suite.db.knex('sessions').count<{ n: string }[]>({ n: '*' }))[0]!.n).toBe(before);
  });
});
