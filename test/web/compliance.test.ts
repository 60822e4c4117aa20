// The compliance page: DNC files into the account's internal list (owner or admin) and into the
// federal list (owner only), with the bad lines reported by line number.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../db/passwords.ts';
import { seedDemoAccount } from '../../db/seed.ts';
import { createLeadActivities } from '../../activities/lead.ts';
import type { RunningWebServer } from '../../web/server.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { startTestWebServer, visibleText, WebClient } from '../support/http.ts';

let db: TestDatabase;
let web: RunningWebServer;
let accountId: string;

beforeAll(async () => {
  db = await createTestDatabase();
  accountId = (await seedDemoAccount(db.knex)).accountId;
  await db.knex('users').insert({ account_id: accountId, username: 'admin.ivy', name: 'Ivy Admin', email: 'ivy@leadflow.test', role: 'admin', password_hash: await hashPassword('ivy-admin-pass') });
  web = await startTestWebServer(db);
});

afterAll(async () => {
  await web?.close();
  await db?.destroy();
});

async function signedIn(username: string, password: string) {
  const c = new WebClient(web.url);
  expect((await c.login(username, password)).status).toBe(302);
  return c;
}

describe('compliance page', () => {
  it('adds an internal DNC file to the account’s list and reports the bad line with its number', async () => {
    const ivy = await signedIn('admin.ivy', 'ivy-admin-pass');
    const file = ['(202) 555-0143', '555', '1-609-456-7890', '202.555.0143', ''].join('\n');
    const res = await ivy.upload('/compliance', { list: 'internal' }, { file: { name: 'dnc.txt', content: file, type: 'text/plain' } });
    expect(res.status).toBe(200);
    const text = visibleText(res.text);
    expect(text).toContain('Added 2');
    expect(text).toContain('Already listed 1');
    expect(text).toContain('Line 2 expected 10 digits, got 3');
    const rows = await db.knex('suppression_entries').where({ account_id: accountId, list: 'dnc' }).orderBy('value');
    expect(rows.map((r) => [r.value, r.source])).toEqual([
      ['+12025550143', 'internal'],
      ['+16094567890', 'internal'],
    ]);
    expect(await db.knex('suppression_entries').whereNull('account_id')).toHaveLength(0);
  });

  it('lets only the owner load the federal list', async () => {
    const ivy = await signedIn('admin.ivy', 'ivy-admin-pass');
    expect(visibleText((await ivy.get('/compliance')).text)).not.toContain('Federal DNC list (used');
    const refused = await ivy.upload('/compliance', { list: 'federal' }, { file: { name: 'federal.txt', content: '3035550188\n' } });
    expect(refused.status).toBe(403);
    expect(await db.knex('suppression_entries').whereNull('account_id')).toHaveLength(0);

    const dana = await signedIn('A0DEMO1', 'owner-demo-pass');
    const ok = await dana.upload('/compliance', { list: 'federal' }, { file: { name: 'federal.txt', content: '3035550188\r\n3035550199\r\n' } });
    expect(ok.status).toBe(200);
    expect(visibleText(ok.text)).toContain('Federal list: upload result');
    const federal = await db.knex('suppression_entries').whereNull('account_id').orderBy('value');
    expect(federal.map((r) => [r.value, r.source])).toEqual([
      ['+13035550188', 'federal'],
      ['+13035550199', 'federal'],
    ]);
  });

  it('keeps LSPs out', async () => {
    const alex = await signedIn('lsp.alex', 'alex-demo-pass');
    expect((await alex.get('/compliance')).status).toBe(403);
  });
});

describe('upload size', () => {
  it('refuses a file over 20 MB with a clear message', async () => {
    const dana = await signedIn('A0DEMO1', 'owner-demo-pass');
    const big = Buffer.alloc(20 * 1024 * 1024 + 10, '2125550143\n');
    const res = await dana.upload('/compliance', { list: 'internal' }, { file: { name: 'big.txt', content: big, type: 'text/plain' } });
    expect(res.status).toBe(413);
    expect(visibleText(res.text)).toContain('The file is larger than 20 MB');
    expect(await db.knex('suppression_entries').where({ account_id: accountId }).where('value', '+12125550143').first()).toBeUndefined();
  });

  it('loads a current-customer list, and the next scrub removes a prospect on it with the reason', async () => {
    const dana = await signedIn('A0DEMO1', 'owner-demo-pass');
    const csv = ['First Name,Last Name,Address,City,State,ZIP', 'JAMES,  smith,400 Pine  Ave,Columbus,OH,43004', ',NoFirst,1 Road,X,TX,75001', ''].join('\n');
    const res = await dana.upload('/compliance', { list: 'customer' }, { file: { name: 'customers.csv', content: csv, type: 'text/csv' } });
    expect(res.status).toBe(200);
    const text = visibleText(res.text);
    expect(text).toContain('Customer list');
    expect(text).toMatch(/line 3/i);
    const james = await db.knex('leads').where({ account_id: accountId, first_name: 'James' }).first('id');
    await createLeadActivities({ db: db.knex, clock: { now: () => new Date() } }).scrubLead(james.id);
    const row = await db.knex('leads').where({ id: james.id }).first('status');
    expect(row.status).toBe('removed');
    const ev = await db.knex('lead_events').where({ lead_id: james.id, type: 'removed' }).first('note');
    expect(ev.note).toContain('current customer');
  });

  it('refuses a customer list without name and address columns, saying what it found', async () => {
    const dana = await signedIn('A0DEMO1', 'owner-demo-pass');
    const res = await dana.upload('/compliance', { list: 'customer' }, { file: { name: 'c.csv', content: 'phone,email\n1,2\n', type: 'text/csv' } });
    expect(res.status).toBe(400);
    expect(visibleText(res.text)).toContain('Not a customer list: the header row needs first name, last name, address, city, state and ZIP columns (found: phone, email)');
  });
});
