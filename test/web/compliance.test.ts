// The compliance page: DNC files into the account's own lists (owner or admin), with the bad
// lines reported by line number. The federal list is the operator's: no account writes it, and
// no account sees who loaded what in another account.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../db/passwords.ts';
import { seedDemoAccount } from '../../db/seed.ts';
import { createLeadActivities } from '../../activities/lead/index.ts';
import { importDncNumbers } from '../../db/compliance/suppression-lists.ts';
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

  it('offers no way to write the federal list, and answers a forged federal upload with 400', async () => {
    for (const [username, password] of [
      ['A0DEMO1', 'owner-demo-pass'],
      ['admin.ivy', 'ivy-admin-pass'],
    ] as const) {
      const user = await signedIn(username, password);
      expect((await user.get('/compliance')).text).not.toContain('value="federal"');
      const forged = await user.upload('/compliance', { list: 'federal' }, { file: { name: 'federal.txt', content: '3035550188\n' } });
      expect(forged.status).toBe(400);
      expect(visibleText(forged.text)).toContain('The federal list is loaded by the operator');
    }
    const dana = await signedIn('A0DEMO1', 'owner-demo-pass');
    expect((await dana.upload('/compliance', { list: 'everyone' }, { file: { name: 'x.txt', content: '3035550188\n' } })).status).toBe(400);
    // A phone number is not an e-mail address: reported, not stored.
    const dne = await dana.upload('/compliance', { list: 'dne' }, { file: { name: 'x.txt', content: '3035550188\n' } });
    expect(visibleText(dne.text)).toContain('Line 1 not an e-mail address');
    expect(await db.knex('suppression_entries').whereNull('account_id')).toHaveLength(0);
    expect(await db.knex('suppression_entries').where({ value: '+13035550188' })).toHaveLength(0);
  });

  it('shows the federal list as a count and a date only, and lists only this account’s own loads', async () => {
    // The operator's command; the file name it passes must not reach any account.
    await importDncNumbers(db.knex, (async function* () {
      yield '2175550177';
      yield '2175550178';
    })(), { accountId: null, source: 'federal', reason: 'imported from /srv/operator/federal-2026.txt' });
    const [other] = await db.knex('accounts').insert({ name: 'Other Agency', agent_ids: ['B0OTHER'] }).returning('id');
    await db.knex('users').insert({ account_id: other.id, username: 'B0OTHER', name: 'Bea Owner', email: 'bea@other.test', role: 'owner', password_hash: await hashPassword('bea-owner-pass') });
    const bea = await signedIn('B0OTHER', 'bea-owner-pass');
    expect((await bea.upload('/compliance', { list: 'internal' }, { file: { name: 'bea-secret-list.txt', content: '7185550123\n' } })).status).toBe(200);
    const dana = await signedIn('A0DEMO1', 'owner-demo-pass');
    expect((await dana.upload('/compliance', { list: 'internal' }, { file: { name: 'dana-list.txt', content: '7185550124\n' } })).status).toBe(200);

    const page = visibleText((await dana.get('/compliance')).text);
    expect(page).toMatch(/Federal list: 2 numbers, updated /);
    expect(page).toContain('uploaded by A0DEMO1 (dana-list.txt)');
    for (const secret of ['B0OTHER', 'bea-secret-list', 'federal-2026', '/srv/operator']) expect(page).not.toContain(secret);
    expect(visibleText((await bea.get('/compliance')).text)).not.toContain('dana-list.txt');

    // A scrub quotes the match's reason on the lead: a federal match names no file.
    const [lead] = await db.knex('leads')
      .insert({ account_id: accountId, first_name: 'Fed', last_name: 'Listed', dup_key: `fed|listed|${crypto.randomUUID()}`, source: 'manual', phones: JSON.stringify([{ raw: '217-555-0177', e164: '+12175550177', valid: true }]) })
      .returning('id');
    await createLeadActivities({ db: db.knex, clock: { now: () => new Date() } }).scrubLead(lead.id);
    const flagged = await db.knex('leads').where({ id: lead.id }).first('dnc', 'dnc_reason');
    expect(flagged.dnc).toBe(true);
    expect(flagged.dnc_reason).not.toMatch(/operator|federal-2026|imported/);
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

  it('loads a current-customer list, and a prospect on it is removed at once with the reason', async () => {
    const dana = await signedIn('A0DEMO1', 'owner-demo-pass');
    const csv = ['First Name,Last Name,Address,City,State,ZIP', 'JAMES,  smith,400 Pine  Ave,Columbus,OH,43004', ',NoFirst,1 Road,X,TX,75001', ''].join('\n');
    const res = await dana.upload('/compliance', { list: 'customer' }, { file: { name: 'customers.csv', content: csv, type: 'text/csv' } });
    expect(res.status).toBe(200);
    const text = visibleText(res.text);
    expect(text).toContain('Customer list');
    expect(text).toMatch(/line 3/i);
    expect(text).toContain('removed as current customers: 1');
    const james = await db.knex('leads').where({ account_id: accountId, first_name: 'James' }).first('id');
    const row = await db.knex('leads').where({ id: james.id }).first('status');
    expect(row.status).toBe('removed');
    const ev = await db.knex('lead_events').where({ lead_id: james.id, type: 'removed' }).first('note');
    expect(ev.note).toContain('current customer');
  });

  it('flags the leads already on a new DNC, DNE or DNM upload at once, with the list and the upload as the reason', async () => {
    const dana = await signedIn('A0DEMO1', 'owner-demo-pass');
    const leads = await db.knex('leads').where({ account_id: accountId, dnc: false, dne: false, dnm: false }).whereNot('status', 'removed').orderBy('last_name').limit(3).select('id', 'first_name', 'last_name', 'address_line1', 'city', 'state', 'zip', 'phones', 'emails');
    expect(leads).toHaveLength(3);
    const [byPhone, byEmail, byAddress] = leads;
    const phone = byPhone.phones[0].e164 as string;
    const email = byEmail.emails[0].address as string;

    let res = await dana.upload('/compliance', { list: 'internal' }, { file: { name: 'dnc.txt', content: `${phone.slice(2)}\n`, type: 'text/plain' } });
    expect(visibleText(res.text)).toContain('newly flagged: 1');
    expect(await db.knex('leads').where({ id: byPhone.id }).first('dnc', 'dnc_reason')).toEqual({ dnc: true, dnc_reason: `account DNC list: ${phone} (uploaded by A0DEMO1 (dnc.txt))` });

    res = await dana.upload('/compliance', { list: 'dne' }, { file: { name: 'dne.txt', content: `${email}\nnot-an-address\n`, type: 'text/plain' } });
    const dneText = visibleText(res.text);
    expect(dneText).toContain('Do-not-email list');
    expect(dneText).toContain('Line 2 not an e-mail address');
    expect(dneText).toContain('newly flagged: 1');
    expect(await db.knex('leads').where({ id: byEmail.id }).first('dne')).toEqual({ dne: true });

    const csv = `First Name,Last Name,Address,City,State,ZIP\n${byAddress.first_name},${byAddress.last_name},${byAddress.address_line1},${byAddress.city},${byAddress.state},${byAddress.zip}\n`;
    res = await dana.upload('/compliance', { list: 'dnm' }, { file: { name: 'dnm.csv', content: csv, type: 'text/csv' } });
    expect(visibleText(res.text)).toContain('newly flagged: 1');
    expect(await db.knex('leads').where({ id: byAddress.id }).first('dnm', 'dnm_reason')).toEqual({ dnm: true, dnm_reason: 'account DNM list: name and address (uploaded by A0DEMO1 (dnm.csv))' });
    const flagged = await db.knex('lead_events').whereIn('lead_id', [byPhone.id, byEmail.id, byAddress.id]).where({ type: 'flagged', actor_system: 'list upload' }).count({ n: '*' });
    expect(Number(flagged[0]!.n)).toBe(3);
  });

  it('refuses a customer list without name and address columns, saying what it found', async () => {
    const dana = await signedIn('A0DEMO1', 'owner-demo-pass');
    const res = await dana.upload('/compliance', { list: 'customer' }, { file: { name: 'c.csv', content: 'phone,email\n1,2\n', type: 'text/csv' } });
    expect(res.status).toBe(400);
    expect(visibleText(res.text)).toContain('Not a customer list: the header row needs first name, last name, address, city, state and ZIP columns (found: phone, email)');
  });
});
