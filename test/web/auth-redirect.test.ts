// Where sign-in sends the browser: only ever a path of this site, whatever spelling of another
// host the redirectTo parameter tries (browsers drop tabs and newlines and read `\` as `/`).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningWebServer } from '../../web/server.ts';
import { seedDemoAccount } from '../../db/seed.ts';
import { safeRedirectPath } from '../../web/app/utils/auth.server.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { startTestWebServer, WebClient } from '../support/http.ts';

const OFF_SITE = [
  '/\t/evil.example',
  '/\t/evil.example/path?x=1',
  '/\n/evil.example',
  '/\r\n/evil.example',
  '\t//evil.example',
  ' //evil.example',
  '\u0000//evil.example',
  '\u001f//evil.example',
  '//evil.example',
  '//evil.example/x',
  '///evil.example',
  '/\\evil.example',
  '\\\\evil.example',
  '\\/evil.example',
  '/\\/evil.example',
  '/.//evil.example',
  '/x/..//evil.example',
  '/%2e//evil.example',
  'https://evil.example',
  'https:evil.example',
  'HTTPS://evil.example',
  'javascript:alert(1)',
  'data:text/html,<script>alert(1)</script>',
  'http://leadflow.invalid@evil.example/',
  '//leadflow.invalid',
];

// What a browser would make of a Location header value on https://app.example.
const browserTarget = (location: string) => new URL(location, 'https://app.example/login');

describe('safeRedirectPath', () => {
  it.each(OFF_SITE)('never leaves the site for %j', (target) => {
    const path = safeRedirectPath(target, '/leads');
    expect(browserTarget(path).origin).toBe('https://app.example');
    expect(path).toMatch(/^\/(?![/\\])/);
  });

  it('falls back for targets that name another host', () => {
    for (const target of ['/\t/evil.example', '//evil.example', '/\\evil.example', '\\\\evil.example', '/.//evil.example', 'https://evil.example', 'javascript:alert(1)']) {
      expect(safeRedirectPath(target, '/leads'), JSON.stringify(target)).toBe('/leads');
    }
  });

  it('keeps same-site paths with their query and fragment', () => {
    expect(safeRedirectPath('/users')).toBe('/users');
    expect(safeRedirectPath('/leads?page=2&q=a%20b#top')).toBe('/leads?page=2&q=a%20b#top');
    // Encoded slashes stay encoded: a path on this site, not a host.
    expect(safeRedirectPath('/%2F%2Fevil.example')).toBe('/%2F%2Fevil.example');
    expect(safeRedirectPath('/%09/evil.example')).toBe('/%09/evil.example');
  });

  it('falls back for anything that is not a string', () => {
    for (const target of [undefined, null, 42, ['/users'], '']) expect(safeRedirectPath(target, '/x')).toBe('/x');
  });
});

describe('sign-in redirect over HTTP', () => {
  let db: TestDatabase;
  let web: RunningWebServer;

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDemoAccount(db.knex);
    web = await startTestWebServer(db);
  });

  afterAll(async () => {
    await web?.close();
    await db?.destroy();
  });

  it.each(['/\t/evil.example', '/\\evil.example', '\\\\evil.example', '/.//evil.example', '//evil.example'])(
    'signs in and stays on the site for redirectTo=%j',
    async (redirectTo) => {
      const c = new WebClient(web.url);
      const res = await c.submit(`/login?${new URLSearchParams({ redirectTo })}`, { username: 'A0DEMO1', password: 'owner-demo-pass', redirectTo });
      expect(res.status).toBe(302);
      const location = res.headers.get('location')!;
      expect(new URL(location, web.url).origin).toBe(new URL(web.url).origin);
      expect(location).toBe('/leads');
    },
  );

  it('goes back to a same-site path it was given', async () => {
    const c = new WebClient(web.url);
    const res = await c.submit('/login?redirectTo=%2Fusers%3Fx%3D1', { username: 'A0DEMO1', password: 'owner-demo-pass', redirectTo: '/users?x=1' });
    expect(res.headers.get('location')).toBe('/users?x=1');
  });
});
