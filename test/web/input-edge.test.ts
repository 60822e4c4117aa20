// Bad input at the edge of the web app answers a specific 4xx, never a 500: bodies that are not
// forms posted to form actions, forms that do not parse, control characters in any form field,
// and an intake API whose Temporal cannot be reached at all.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomSecret, sha256 } from '../../db/passwords.ts';
import { seedDemoAccount } from '../../db/seed.ts';
import { startWebServer, type RunningWebServer } from '../../web/server.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { csrfToken, startTestWebServer, TEST_SESSION_SECRET, WebClient } from '../support/http.ts';

let db: TestDatabase;
let web: RunningWebServer;
let accountId: string;

beforeAll(async () => {
  db = await createTestDatabase();
  ({ accountId } = await seedDemoAccount(db.knex));
  web = await startTestWebServer(db);
});

afterAll(async () => {
  await web?.close();
  await db?.destroy();
});

async function owner(): Promise<WebClient> {
  const c = new WebClient(web.url);
  expect((await c.login('A0DEMO1', 'owner-demo-pass')).status).toBe(302);
  return c;
}

describe('bodies posted to form actions', () => {
  it('answers a JSON body to a form action with 415, signed in or not', async () => {
    const anonymous = new WebClient(web.url);
    const login = await anonymous.request('/login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"username":"A0DEMO1","password":"x"}' });
    expect(login.status).toBe(415);
    expect(login.text).toContain('application/x-www-form-urlencoded');

    const signedIn = await owner();
    for (const path of ['/leads/new', '/imports?index', '/users', '/logout']) {
      const res = await signedIn.request(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
      expect([path, res.status]).toEqual([path, 415]);
    }
    const plain = await signedIn.request('/leads/new', { method: 'POST', body: 'firstName=x', headers: { 'Content-Type': 'text/plain' } });
    expect(plain.status).toBe(415);
  });

  it('answers a multipart body that does not parse with 400, on plain forms and on uploads', async () => {
    const anonymous = new WebClient(web.url);
    const noBoundary = await anonymous.request('/login', { method: 'POST', headers: { 'Content-Type': 'multipart/form-data' }, body: 'username=x' });
    expect(noBoundary.status).toBe(400);
    const broken = await anonymous.request('/login', { method: 'POST', headers: { 'Content-Type': 'multipart/form-data; boundary=XX' }, body: '--XX\r\nContent-Disposition: form-data; name="a"\r\n\r\nno closing boundary' });
    expect(broken.status).toBe(400);
    expect(broken.text).toContain('not valid form data');

    const signedIn = await owner();
    const token = csrfToken((await signedIn.get('/imports')).text)!;
    const truncated = await signedIn.request('/imports?index', {
      method: 'POST',
      headers: { 'Content-Type': 'multipart/form-data; boundary=XX' },
      body: `--XX\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n${token}\r\n--XX\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\nFirst,Last\r\nPat,Lee`,
    });
    expect(truncated.status).toBeGreaterThanOrEqual(400);
    expect(truncated.status).toBeLessThan(500);
  });

  it('refuses a NUL byte or another control character in any form field with 400 naming the field, signed in or not', async () => {
    const anonymous = new WebClient(web.url);
    const login = await anonymous.submit('/login', { username: 'A0DEMO1\u0000', password: 'owner-demo-pass' });
    expect(login.status).toBe(400);
    expect(login.text).toContain('username');
    expect(login.text).toContain('U+0000');

    const signedIn = await owner();
    const user = await signedIn.submit('/users', { intent: 'create', username: 'new\u0007user', name: 'New User', email: 'new@example.com', role: 'lsp', password: 'a-long-enough-password' });
    expect(user.status).toBe(400);
    expect(user.text).toContain('U+0007');
    expect(await db.knex('users').where('username', 'like', 'new%')).toHaveLength(0);
  });
});

describe('addresses', () => {
  it('answers 400 to a path that does not decode (a lone surrogate in UTF-8), not 500', async () => {
    for (const path of ['/api/v1/leads/%ED%A0%80', '/leads/%ED%A0%80', '/%ED%A0%80']) {
      const res = await fetch(`${web.url}${path}`);
      expect([path, res.status]).toEqual([path, 400]);
    }
  });
});

describe('intake API with Temporal unreachable', () => {
  it('answers 20 concurrent posts with 201 and workflowPending when Temporal cannot be connected to at all, and the next at once', async () => {
    // A port that was free a moment ago: nothing listens there.
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const { port: p } = s.address() as net.AddressInfo;
        s.close(() => resolve(p));
      });
    });
    const key = randomSecret('lf_');
    await db.knex('api_keys').insert({ account_id: accountId, name: 'vendor', prefix: key.slice(0, 8), key_hash: sha256(key) });
    const offline = await startWebServer({
      port: 0,
      host: '127.0.0.1',
      databaseUrl: db.url,
      sessionSecret: TEST_SESSION_SECRET,
      mode: 'development',
      temporal: { address: `127.0.0.1:${port}`, namespace: 'default', taskQueue: 'leadflow', tls: false },
    });
    try {
      const answers = await Promise.all(
        Array.from({ length: 20 }, async (_, i) => {
          const res = await fetch(`${offline.url}/api/v1/leads`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${key}` },
            body: JSON.stringify({ firstName: 'Robin', lastName: `Offline${'x'.repeat(i + 1)}`, address: { line1: '9 Oak St', city: 'Camden', state: 'NJ', zip: '08102' }, source: 'web_vendor' }),
          });
          return { status: res.status, body: (await res.json()) as { id: string; workflowPending?: boolean } };
        }),
      );
      expect(answers.map((a) => a.status)).toEqual(Array(20).fill(201));
      expect(answers.every((a) => a.body.workflowPending === true)).toBe(true);
      const ids = answers.map((a) => a.body.id);
      expect(await db.knex('leads').whereIn('id', ids)).toHaveLength(20);
      expect(await db.knex('lead_events').whereIn('lead_id', ids).where({ type: 'workflow_start_failed' })).toHaveLength(20);

      // Right after a failed connect the next caller does not wait out another connect timeout.
      const started = Date.now();
      const next = await fetch(`${offline.url}/api/v1/leads`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${key}` },
        body: JSON.stringify({ firstName: 'Robin', lastName: 'Offline', address: { line1: '9 Oak St', city: 'Camden', state: 'NJ', zip: '08102' }, source: 'web_vendor' }),
      });
      expect(next.status).toBe(201);
      expect(await next.json()).toMatchObject({ workflowPending: true });
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      await offline.close();
    }
  });
});
