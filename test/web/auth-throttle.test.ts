// Password throttling through the real web server: atomic under concurrent guesses, on every
// password check (sign-in, current password, reset links, reset mail), keyed so a stranger's
// failures do not lock the real user out, and on the address Express's trust-proxy setting gives.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startWebServer, type RunningWebServer } from '../../web/server.ts';
import { seedDemoAccount } from '../../db/seed.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { csrfToken, TEST_SESSION_SECRET, visibleText, WebClient, type Page } from '../support/http.ts';
import { startSmtpListener, type SmtpListener } from '../support/smtp.ts';

let db: TestDatabase;
let smtp: SmtpListener;
/** Behind a proxy on loopback: X-Forwarded-For is the client's address. */
let proxied: RunningWebServer;
/** No proxy configured: X-Forwarded-For is whatever a client wrote, and ignored. */
let direct: RunningWebServer;

beforeAll(async () => {
  db = await createTestDatabase();
  await seedDemoAccount(db.knex);
  smtp = await startSmtpListener();
  const common = { port: 0, host: '127.0.0.1', databaseUrl: db.url, sessionSecret: TEST_SESSION_SECRET, smtpUrl: smtp.url, mode: 'development' as const };
  proxied = await startWebServer({ ...common, trustProxy: 'loopback' });
  direct = await startWebServer(common);
});

afterAll(async () => {
  await proxied?.close();
  await direct?.close();
  await smtp?.close();
  await db?.destroy();
});

beforeEach(async () => {
  await db.knex('login_attempts').del();
});

/** A browser at `address` (sent as X-Forwarded-For, as a proxy would). */
class Browser extends WebClient {
  constructor(
    server: RunningWebServer,
    readonly address: string | null,
  ) {
    super(server.url);
  }

  override request(path: string, init: RequestInit = {}): Promise<Page> {
    const headers = new Headers(init.headers);
    if (this.address) headers.set('X-Forwarded-For', this.address);
    return super.request(path, { ...init, headers });
  }
}

const at = (address: string | null, server = proxied) => new Browser(server, address);

/** Many guesses at once, each from its own browser (own CSRF token), as a script would send them. */
async function burst(n: number, address: string, username: string, password: (i: number) => string): Promise<number[]> {
  const browsers = await Promise.all(
    Array.from({ length: n }, async () => {
      const b = at(address);
      const token = csrfToken((await b.get('/login')).text)!;
      return { b, token };
    }),
  );
  const pages = await Promise.all(browsers.map(({ b, token }, i) => b.post('/login', { csrf: token, username, password: password(i) })));
  return pages.map((p) => p.status);
}

const count = (statuses: number[], status: number) => statuses.filter((s) => s === status).length;

describe('sign-in throttling', () => {
  it('checks at most 5 of 30 concurrent wrong guesses for one username from one address', async () => {
    const statuses = await burst(30, '203.0.113.10', 'lsp.alex', (i) => `wrong-guess-${i}`);
    expect(count(statuses, 401)).toBe(5);
    expect(count(statuses, 429)).toBe(25);
    // And the right password from there is refused too, until the window passes.
    expect((await at('203.0.113.10').login('lsp.alex', 'alex-demo-pass')).status).toBe(429);
  });

  it('a stranger’s failures elsewhere do not lock the real user out', async () => {
    for (let i = 0; i < 5; i++) expect((await at('203.0.113.20').login('lsp.sam', `wrong-${i}`)).status).toBe(401);
    const stranger = await at('203.0.113.20').login('lsp.sam', 'sam-demo-pass');
    expect(stranger.status).toBe(429);
    expect(stranger.headers.get('retry-after')).toBe('900');
    expect(visibleText(stranger.text)).toContain('Too many failed sign-in attempts. Wait 15 minutes');
    expect((await at('198.51.100.20').login('lsp.sam', 'sam-demo-pass')).status).toBe(302);
  });

  it('strangers behind the user’s own address do not lock out a user who signed in from there before', async () => {
    const office = '192.0.2.30';
    expect((await at(office).login('support.kim', 'kim-demo-pass')).status).toBe(302);
    for (let i = 0; i < 20; i++) expect((await at(office).login(`someone.${i}`, 'wrong-password')).status).toBe(401);
    // The address is locked for everyone else...
    expect((await at(office).login('A0DEMO1', 'owner-demo-pass')).status).toBe(429);
    // ...but not for the user who works there.
    expect((await at(office).login('support.kim', 'kim-demo-pass')).status).toBe(302);
  });

  it('caps one username at 50 failures an hour across addresses, except where the user signed in before', async () => {
    expect((await at('192.0.2.40').login('lsp.alex', 'alex-demo-pass')).status).toBe(302);
    for (let a = 0; a < 10; a++) {
      const statuses = await burst(5, `203.0.113.${100 + a}`, 'lsp.alex', (i) => `spread-${a}-${i}`);
      expect(count(statuses, 401)).toBe(5);
    }
    const fresh = await at('198.51.100.40').login('lsp.alex', 'alex-demo-pass');
    expect(fresh.status).toBe(429);
    expect(fresh.headers.get('retry-after')).toBe('3600');
    expect((await at('192.0.2.40').login('lsp.alex', 'alex-demo-pass')).status).toBe(302);
  });
});

describe('the client address', () => {
  it('behind a trusted proxy, X-Forwarded-For is the address throttled', async () => {
    for (let i = 0; i < 5; i++) expect((await at('203.0.113.50').login('A0DEMO1', `wrong-${i}`)).status).toBe(401);
    expect((await at('203.0.113.50').login('A0DEMO1', 'owner-demo-pass')).status).toBe(429);
    expect((await at('203.0.113.51').login('A0DEMO1', 'owner-demo-pass')).status).toBe(302);
    const keys = await db.knex('login_attempts').distinct('key').pluck('key');
    expect(keys).toContain('login:ip:203.0.113.50');
    expect(keys.filter((k: string) => k.includes('127.0.0.1'))).toEqual([]);
  });

  it('without a trusted proxy, X-Forwarded-For is ignored', async () => {
    for (let i = 0; i < 5; i++) expect((await at(`203.0.113.${60 + i}`, direct).login('A0DEMO1', `wrong-${i}`)).status).toBe(401);
    expect((await at('203.0.113.99', direct).login('A0DEMO1', 'owner-demo-pass')).status).toBe(429);
    const keys = await db.knex('login_attempts').distinct('key').pluck('key');
    expect(keys.filter((k: string) => k.includes('203.0.113'))).toEqual([]);
  });
});

describe('the current password on the change-password form', () => {
  it('is throttled like sign-in, also against concurrent guesses', async () => {
    const thief = at('203.0.113.70');
    expect((await thief.login('lsp.sam', 'sam-demo-pass')).status).toBe(302);
    const token = csrfToken((await thief.get('/account/password')).text)!;
    const guesses = await Promise.all(
      Array.from({ length: 12 }, (_, i) => thief.post('/account/password', { csrf: token, current: `guess-${i}`, password: 'taken-over-pass', confirm: 'taken-over-pass' })),
    );
    expect(count(guesses.map((g) => g.status), 400)).toBe(5);
    expect(count(guesses.map((g) => g.status), 429)).toBe(7);
    const right = await thief.post('/account/password', { csrf: token, current: 'sam-demo-pass', password: 'taken-over-pass', confirm: 'taken-over-pass' });
    expect(right.status).toBe(429);
    expect(right.headers.get('retry-after')).toBe('900');
    expect(visibleText(right.text)).toContain('Too many wrong passwords');
    expect((await at('198.51.100.70').login('lsp.sam', 'taken-over-pass')).status).toBe(401);
  });
});

describe('password reset', () => {
  it('sends at most 3 reset e-mails for one username however many requests arrive at once', async () => {
    const before = smtp.messages.filter((m) => m.to.includes('kim@leadflow.test')).length;
    const browsers = await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        const b = at(`203.0.113.${80 + i}`);
        return { b, token: csrfToken((await b.get('/forgot-password')).text)! };
      }),
    );
    const pages = await Promise.all(browsers.map(({ b, token }) => b.post('/forgot-password', { csrf: token, username: 'support.kim', email: 'kim@leadflow.test' })));
    expect(pages.every((p) => p.status === 200)).toBe(true);
    await smtp.waitFor(() => smtp.messages.filter((m) => m.to.includes('kim@leadflow.test')).length >= before + 3);
    await new Promise((r) => setTimeout(r, 500));
    expect(smtp.messages.filter((m) => m.to.includes('kim@leadflow.test')).length - before).toBe(3);
  });

  it('throttles trying reset links from one address', async () => {
    const b = at('203.0.113.90');
    for (let i = 0; i < 20; i++) expect((await b.get(`/reset-password/not-a-real-token-${String(i).padStart(4, '0')}`)).status).toBe(404);
    const locked = await b.get('/reset-password/not-a-real-token-9999');
    expect(locked.status).toBe(429);
    expect(visibleText(locked.text)).toContain('Too many reset links tried');
    expect((await at('203.0.113.91').get('/reset-password/not-a-real-token-9999')).status).toBe(404);
  });
});
