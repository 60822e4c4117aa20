// The owner's API Keys page through the real web server and database: a named key is shown
// once, works on the API at once, shows its last use, and stops working the moment it is
// revoked; nobody but the owner sees or changes keys, and only their own account's.
import { describe, expect, it } from 'vitest';
import { sha256 } from '../../db/passwords.ts';
import { createAccountWithAdmin } from '../support/fixtures.ts';
import { visibleText } from '../support/http.ts';
import { demoWebSuite } from '../support/web-suite.ts';

const suite = demoWebSuite();

const callApi = (key: string) => fetch(`${suite.web.url}/api/v1/users`, { headers: { Authorization: `Bearer ${key}` } });

async function owner() {
  const dana = suite.client();
  await dana.login('A0DEMO1', 'owner-demo-pass');
  return dana;
}

function shownKey(html: string): string {
  const m = /data-testid="new-api-key"[^>]*>\s*([^<\s]+)\s*</.exec(html);
  if (!m) throw new Error('no new key on the page');
  return m[1]!;
}

describe('API keys', () => {
  it('makes a named key shown once, which works at once, notes its last use and is refused once revoked', async () => {
    const dana = await owner();
    const made = await dana.submit('/api-keys', { intent: 'create', name: 'EverQuote feed' });
    expect(made.status).toBe(200);
    expect(made.headers.get('cache-control')).toContain('no-store');
    const key = shownKey(made.text);
    expect(key).toMatch(/^lf_[A-Za-z0-9_-]{40,}$/);
    // Stored only as its fingerprint, with who made it.
    const row = await suite.db.knex('api_keys').where({ key_hash: sha256(key) }).first('name', 'prefix', 'created_by_user_id', 'last_used_at');
    expect(row).toMatchObject({ name: 'EverQuote feed', prefix: key.slice(0, 8), last_used_at: null });
    expect(row.created_by_user_id).toBeTruthy();

    // Listed later by name and first characters only; the secret is never on the page again.
    const list = await dana.get('/api-keys');
    expect(list.text).not.toContain(key);
    expect(visibleText(list.text)).toContain('EverQuote feed');
    expect(visibleText(list.text)).toContain(`${key.slice(0, 8)}…`);
    expect(/EverQuote feed(.*?)Active/.exec(visibleText(list.text))?.[1]).toContain('Never');

    expect((await callApi(key)).status).toBe(200);
    const used = await suite.db.knex('api_keys').where({ key_hash: sha256(key) }).first('id', 'last_used_at');
    expect(used.last_used_at).not.toBeNull();
    // Its row now shows a time where it said Never.
    const row2 = /EverQuote feed(.*?)Active/.exec(visibleText((await dana.get('/api-keys')).text))?.[1];
    expect(row2).toBeDefined();
    expect(row2).not.toContain('Never');

    const revoked = await dana.submit('/api-keys', { intent: 'revoke', keyId: used.id }, { from: '/api-keys' });
    expect(revoked.status).toBe(200);
    expect((await callApi(key)).status).toBe(401);
    expect(visibleText((await dana.get('/api-keys')).text)).toMatch(/Revoked/);
    // Revoking twice says so.
    expect((await dana.submit('/api-keys', { intent: 'revoke', keyId: used.id }, { from: '/api-keys' })).status).toBe(404);
  });

  it('refuses a key without a name, and makes nothing', async () => {
    const dana = await owner();
    const before = await suite.db.knex('api_keys').count({ n: '*' }).first();
    const res = await dana.submit('/api-keys', { intent: 'create', name: '   ' });
    expect(res.status).toBe(400);
    expect(visibleText(res.text)).toContain('Give the key a name');
    expect(await suite.db.knex('api_keys').count({ n: '*' }).first()).toEqual(before);
  });

  it('is the owner’s alone: admins, LSPs and support are refused; another account’s key cannot be revoked', async () => {
    for (const [username, password] of [
      ['lsp.alex', 'alex-demo-pass'],
      ['support.kim', 'kim-demo-pass'],
    ] as const) {
      const c = suite.client();
      await c.login(username, password);
      expect((await c.get('/api-keys')).status).toBe(403);
    }
    const other = await createAccountWithAdmin(suite.db.knex, 'Other Agency');
    const [theirs] = await suite.db.knex('api_keys').insert({ account_id: other.accountId, name: 'Theirs', prefix: 'lf_abcde', key_hash: sha256('lf_theirs-secret') }).returning('id');
    const dana = await owner();
    expect((await dana.submit('/api-keys', { intent: 'revoke', keyId: theirs.id }, { from: '/api-keys' })).status).toBe(404);
    expect(await suite.db.knex('api_keys').where({ id: theirs.id }).first('revoked_at')).toEqual({ revoked_at: null });
    expect(visibleText((await dana.get('/api-keys')).text)).not.toContain('Theirs');
  });
});
