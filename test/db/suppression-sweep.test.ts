// A list upload acts at once (db/compliance/sweep.ts): the leads already in Leadflow that the
// new entries match are flagged (or removed, for customers) with the list and time as the
// reason; leads matching only older entries, other accounts' lists, or nothing are untouched;
// the federal list reaches every account; a sweep run twice records nothing twice. A big file
// can flag its leads batch by batch as it goes in (flagLeads), and is re-run after a crash.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importCustomerList, importDncNumbers, importDneAddresses, importDnmAddresses } from '../../db/compliance/suppression-lists.ts';
import { leadsMatchingNewEntries, sweepNewEntries } from '../../db/compliance/sweep.ts';
import { duplicateKey } from '../../workflows/lead/dedupe.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { createAccountWithAdmin, insertLeads } from '../support/fixtures.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.destroy();
});

async function* lines(...values: string[]) {
  yield* values;
}
const now = async () => (await db.knex.raw('SELECT clock_timestamp() AS now')).rows[0].now as Date;
const withPhone = (e164: string) => ({ phones: [{ raw: e164, e164, valid: true }] });
const lead = (id: string) => db.knex('leads').where({ id }).first('dnc', 'dnc_at', 'dnc_reason', 'dne', 'dne_reason', 'dnm', 'dnm_reason', 'status');

async function leadWithPhone(accountId: string, e164: string, extra: Record<string, unknown> = {}) {
  const [id] = await insertLeads(db.knex, accountId, [{}]);
  await db.knex('leads').where({ id }).update({ phones: JSON.stringify(withPhone(e164).phones), ...extra });
  return id!;
}

describe('sweepNewEntries', () => {
  it('flags the account’s leads on newly uploaded DNC numbers at once, with the list, the upload and the time', async () => {
    const { accountId } = await createAccountWithAdmin(db.knex);
    const other = await createAccountWithAdmin(db.knex);
    const listed = await leadWithPhone(accountId, '+15045550101');
    const clean = await leadWithPhone(accountId, '+15045550102');
    const otherAccounts = await leadWithPhone(other.accountId, '+15045550101');
    const since = await now();
    await importDncNumbers(db.knex, lines('504-555-0101'), { accountId, source: 'internal', reason: 'uploaded by dana (dnc.txt)' });
    const at = new Date();
    const r = await sweepNewEntries(db.knex, { accountId, since, at });
    expect(r).toEqual({ matched: 1, flagged: 1, removed: 0 });
    const row = await lead(listed);
    expect(row).toMatchObject({ dnc: true, dnc_reason: 'account DNC list: +15045550101 (uploaded by dana (dnc.txt))' });
    expect(row.dnc_at.getTime()).toBe(at.getTime());
    expect((await lead(clean)).dnc).toBe(false);
    expect((await lead(otherAccounts)).dnc).toBe(false);
    const events = await db.knex('lead_events').where({ lead_id: listed, type: 'flagged' });
    expect(events.map((e) => e.note)).toEqual(['account DNC list: +15045550101 (uploaded by dana (dnc.txt))']);
    // Again: nothing new to match, nothing recorded twice.
    expect(await sweepNewEntries(db.knex, { accountId, since, at })).toEqual({ matched: 0, flagged: 0, removed: 0 });
    expect(await db.knex('lead_events').where({ lead_id: listed, type: 'flagged' })).toHaveLength(1);
  });

  it('does not look at entries older than the upload', async () => {
    const { accountId } = await createAccountWithAdmin(db.knex);
    await importDncNumbers(db.knex, lines('5045550177'), { accountId, source: 'internal' });
    const old = await leadWithPhone(accountId, '+15045550177');
    const since = await now();
    await importDncNumbers(db.knex, lines('5045550178'), { accountId, source: 'internal' });
    expect(await leadsMatchingNewEntries(db.knex, { accountId, since })).toEqual([]);
    expect((await lead(old)).dnc).toBe(false);
  });

  it('flags e-mails on a DNE upload and people at addresses on a DNM upload, and removes prospects on a customer upload', async () => {
    const { accountId } = await createAccountWithAdmin(db.knex);
    const [byEmail, atAddress, customer, currentCustomer] = await insertLeads(db.knex, accountId, [
      { email: true, lastName: 'Mailer' },
      { lastName: 'Doorstep' },
      { lastName: 'Already' },
      { lastName: 'Kept' },
    ]);
    const emailOf = (await db.knex('leads').where({ id: byEmail }).first('emails')).emails[0].address as string;
    // The fixture's keys are not intake's: point them at the people the CSVs name.
    const person = (last: string) => ({ firstName: 'Pat', lastName: last, addressLine1: '9 Elm St', addressLine2: null, city: 'Austin', state: 'TX', zip: '73301' });
    await db.knex('leads').where({ id: atAddress }).update({ dup_key: duplicateKey(person('Doorstep')) });
    await db.knex('leads').where({ id: customer }).update({ dup_key: duplicateKey(person('Already')) });
    await db.knex('leads').where({ id: currentCustomer }).update({ dup_key: duplicateKey(person('Kept')), kind: 'C' });
    const since = await now();
    const dne = await importDneAddresses(db.knex, lines(emailOf.toUpperCase(), 'not-an-address'), { accountId, reason: 'uploaded by dana (dne.txt)' });
    expect(dne.errors).toEqual([{ line: 2, reason: 'not an e-mail address: "not-an-address"' }]);
    const csv = (last: string) => Buffer.from(`First Name,Last Name,Address,City,State,ZIP\nPat,${last},9 Elm St,Austin,TX,73301\n`);
    await importDnmAddresses(db.knex, accountId, csv('Doorstep'), { reason: 'uploaded by dana (dnm.csv)' });
    await importCustomerList(db.knex, accountId, Buffer.concat([csv('Already'), Buffer.from('Pat,Kept,9 Elm St,Austin,TX,73301\n')]));
    const r = await sweepNewEntries(db.knex, { accountId, since, at: new Date() });
    expect(r).toEqual({ matched: 3, flagged: 2, removed: 1 });
    expect(await lead(byEmail!)).toMatchObject({ dne: true, dne_reason: `account DNE list: ${emailOf.toLowerCase()} (uploaded by dana (dne.txt))` });
    expect(await lead(atAddress!)).toMatchObject({ dnm: true, dnm_reason: 'account DNM list: name and address (uploaded by dana (dnm.csv))' });
    expect((await lead(customer!)).status).toBe('removed');
    expect((await lead(currentCustomer!)).status).toBe('new');
  });

  it('reaches every account’s leads from the federal list', async () => {
    const a = await createAccountWithAdmin(db.knex);
    const b = await createAccountWithAdmin(db.knex);
    const inA = await leadWithPhone(a.accountId, '+12145550190');
    const inB = await leadWithPhone(b.accountId, '+12145550190');
    const since = await now();
    await importDncNumbers(db.knex, lines('2145550190'), { accountId: null, source: 'federal' });
    const r = await sweepNewEntries(db.knex, { accountId: null, since, at: new Date() });
    expect(r.flagged).toBe(2);
    for (const id of [inA, inB]) expect(await lead(id)).toMatchObject({ dnc: true, dnc_reason: 'federal DNC list: +12145550190' });
  });
});

describe('flagging leads as a list file goes in (flagLeads)', () => {
  it('flags the leads on the file’s numbers batch by batch, with the list, the upload and the time, and only those', async () => {
    const { accountId } = await createAccountWithAdmin(db.knex);
    const other = await createAccountWithAdmin(db.knex);
    // One number early in the file, one after the first batch of 20,000, one at its end.
    const numbers = ['+12145550101', '+12145550102', '+12145550103'];
    const listed = [];
    for (const n of numbers) listed.push(await leadWithPhone(accountId, n));
    const clean = await leadWithPhone(accountId, '+12145550199');
    const otherAccounts = await leadWithPhone(other.accountId, numbers[0]!);
    async function* file() {
      yield '214-555-0101';
      for (let i = 0; i < 25_000; i++) yield `989${String(2000000 + i)}`;
      yield '(214) 555-0102';
      for (let i = 25_000; i < 41_000; i++) yield `989${String(2000000 + i)}`;
      yield '2145550103';
    }
    const at = new Date();
    const r = await importDncNumbers(db.knex, file(), { accountId, source: 'internal', reason: 'uploaded by dana (big.txt)', flagLeads: { at } });
    expect(r).toMatchObject({ inserted: 41_003, errorCount: 0, sweep: { matched: 3, flagged: 3, removed: 0 } });
    for (const [i, id] of listed.entries()) {
      const row = await lead(id);
      expect(row).toMatchObject({ dnc: true, dnc_reason: `account DNC list: ${numbers[i]} (uploaded by dana (big.txt))` });
      expect(row.dnc_at.getTime()).toBe(at.getTime());
    }
    expect((await lead(clean)).dnc).toBe(false);
    expect((await lead(otherAccounts)).dnc).toBe(false);
    const events = await db.knex('lead_events').whereIn('lead_id', listed).where({ type: 'flagged', actor_system: 'list upload' });
    expect(events).toHaveLength(3);
    // Nothing is left for the sweep after the upload.
    expect(await leadsMatchingNewEntries(db.knex, { accountId, since: new Date(at.getTime() - 60_000) })).toEqual([]);
  });

  it('is run again after a crash: the same file adds nothing twice and flags the leads the first run had not reached', async () => {
    const { accountId } = await createAccountWithAdmin(db.knex);
    const reached = await leadWithPhone(accountId, '+13125550101');
    const notReached = await leadWithPhone(accountId, '+13125550102');
    const at = new Date();
    // The first run wrote both numbers and flagged only the first lead before it stopped.
    await importDncNumbers(db.knex, lines('3125550101'), { accountId, source: 'internal', reason: 'uploaded by dana (dnc.txt)', flagLeads: { at } });
    await importDncNumbers(db.knex, lines('3125550102'), { accountId, source: 'internal', reason: 'uploaded by dana (dnc.txt)' });
    expect((await lead(notReached)).dnc).toBe(false);
    const again = await importDncNumbers(db.knex, lines('3125550101', '3125550102'), { accountId, source: 'internal', reason: 'uploaded by dana (dnc.txt)', flagLeads: { at } });
    expect(again).toMatchObject({ inserted: 0, alreadyListed: 2, sweep: { flagged: 1 } });
    expect(await lead(notReached)).toMatchObject({ dnc: true, dnc_reason: 'account DNC list: +13125550102 (uploaded by dana (dnc.txt))' });
    for (const id of [reached, notReached]) expect(await db.knex('lead_events').where({ lead_id: id, type: 'flagged' })).toHaveLength(1);
    expect(await db.knex('suppression_entries').where({ account_id: accountId })).toHaveLength(2);
  });

  it('reaches every account’s leads from the federal list, and e-mail addresses from a DNE file', async () => {
    const a = await createAccountWithAdmin(db.knex);
    const b = await createAccountWithAdmin(db.knex);
    const inA = await leadWithPhone(a.accountId, '+14155550190');
    const inB = await leadWithPhone(b.accountId, '+14155550190');
    const r = await importDncNumbers(db.knex, lines('415 555 0190'), { accountId: null, source: 'federal', flagLeads: { at: new Date() } });
    expect(r.sweep).toEqual({ matched: 2, flagged: 2, removed: 0 });
    for (const id of [inA, inB]) expect(await lead(id)).toMatchObject({ dnc: true, dnc_reason: 'federal DNC list: +14155550190' });

    const [byEmail] = await insertLeads(db.knex, a.accountId, [{ email: true }]);
    const address = (await db.knex('leads').where({ id: byEmail }).first('emails')).emails[0].address as string;
    const dne = await importDneAddresses(db.knex, lines(address.toUpperCase()), { accountId: a.accountId, reason: 'uploaded by dana (dne.txt)', flagLeads: { at: new Date() } });
    expect(dne.sweep).toEqual({ matched: 1, flagged: 1, removed: 0 });
    expect(await lead(byEmail!)).toMatchObject({ dne: true, dne_reason: `account DNE list: ${address.toLowerCase()} (uploaded by dana (dne.txt))` });
  });
});
