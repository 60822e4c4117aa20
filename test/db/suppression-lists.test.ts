import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leadColumns, validateIntake, type IntakeInput } from '../../db/intake/index.ts';
import { createLeadActivities } from '../../activities/lead/index.ts';
import { importCustomerList, importDncNumbers, normaliseDncNumber } from '../../db/compliance/suppression-lists.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { createAccountWithAdmin } from '../support/fixtures.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.destroy();
});

async function* linesOf(...lines: string[]) {
  yield* lines;
}

describe('DNC numbers', () => {
  it('normalise 10-digit and 1-prefixed numbers to E.164 and reject the rest with a reason', () => {
    expect(normaliseDncNumber('5125550101')).toBe('+15125550101');
    expect(normaliseDncNumber('1 (512) 555-0101')).toBe('+15125550101');
    expect(normaliseDncNumber('555010')).toEqual({ error: 'expected 10 digits, got 6' });
    expect(normaliseDncNumber('0125550101')).toEqual({ error: 'not a valid US number: 0125550101' });
    expect(normaliseDncNumber('call me')).toMatchObject({ error: expect.stringMatching(/not a phone number/) });
  });

  it('read every way a number is written the same, and refuse the same lines with the same reasons', () => {
    for (const line of ['5125550101', '15125550101', '512-555-0101', '512.555.0101', '(512) 555-0101', '+1 512 555 0101', '1\t512\t5550101', '+1\u00a0512\u00a0555\u00a00101']) {
      expect(normaliseDncNumber(line), line).toBe('+15125550101');
    }
    expect(normaliseDncNumber('5121550101')).toEqual({ error: 'not a valid US number: 5121550101' });
    expect(normaliseDncNumber('25125550101')).toEqual({ error: 'expected 10 digits, got 11' });
    expect(normaliseDncNumber('()-')).toEqual({ error: 'not a phone number: "()-"' });
    expect(normaliseDncNumber('512555O101')).toEqual({ error: 'not a phone number: "512555O101"' });
    expect(normaliseDncNumber('５１２5550101')).toEqual({ error: 'not a phone number: "５１２5550101"' });
  });
});

describe('importing a DNC file', () => {
  it('adds the good numbers to the federal list and reports bad lines by line number', async () => {
    const r = await importDncNumbers(db.knex, linesOf('5125550101', 'oops', '', '2125550199', '12125550199', '123'), { accountId: null, source: 'federal' });
    expect(r).toMatchObject({ lines: 6, inserted: 2, alreadyListed: 1, errorCount: 2 });
    expect(r.errors).toEqual([
      { line: 2, reason: 'not a phone number: "oops"' },
      { line: 6, reason: 'expected 10 digits, got 3' },
    ]);
    const rows = await db.knex('suppression_entries').whereNull('account_id').where({ list: 'dnc' }).pluck('value');
    expect(rows.sort()).toEqual(['+12125550199', '+15125550101']);
  });

  it('adds nothing when the same file is imported again', async () => {
    const r = await importDncNumbers(db.knex, linesOf('5125550101', '2125550199'), { accountId: null, source: 'federal' });
    expect(r).toMatchObject({ inserted: 0, alreadyListed: 2 });
  });

  it('keeps an account internal list apart from the federal one', async () => {
    const [account] = await db.knex('accounts').insert({ name: 'A', agent_ids: ['A1'] }).returning('id');
    const r = await importDncNumbers(db.knex, linesOf('5125550101'), { accountId: account.id, source: 'internal' });
    expect(r.inserted).toBe(1);
    expect(await db.knex('suppression_entries').where({ account_id: account.id }).count('* as n').first()).toEqual({ n: '1' });
  });

  it('refuses an entry for an account that does not exist, and deletes an account’s entries with it', async () => {
    const [account] = await db.knex('accounts').insert({ name: 'Gone', agent_ids: ['GONE1'] }).returning('id');
    await importDncNumbers(db.knex, linesOf('5125550101', '5125550102'), { accountId: account.id, source: 'internal' });
    await expect(importDncNumbers(db.knex, linesOf('5125550103'), { accountId: '00000000-0000-4000-8000-000000000000', source: 'internal' })).rejects.toMatchObject({ code: '23503' });
    await db.knex('accounts').where({ id: account.id }).del();
    expect(await db.knex('suppression_entries').where({ account_id: account.id }).count('* as n').first()).toEqual({ n: '0' });
    expect(await db.knex('suppression_entries').where({ account_id: '00000000-0000-4000-8000-000000000000' }).count('* as n').first()).toEqual({ n: '0' });
  });

  it('streams a large file in batches', async () => {
    async function* many() {
      for (let i = 0; i < 12_000; i++) yield `303${String(2000000 + i).padStart(7, '0')}`;
    }
    const r = await importDncNumbers(db.knex, many(), { accountId: null, source: 'federal' });
    expect(r).toMatchObject({ lines: 12_000, inserted: 12_000, errorCount: 0 });
  });

  it('counts every number once over many batches, when the list already holds some and the file repeats others', async () => {
    const [account] = await db.knex('accounts').insert({ name: 'Batches', agent_ids: ['BAT1'] }).returning('id');
    const number = (i: number) => `720${String(2000000 + i).padStart(7, '0')}`;
    // Already listed: 500 numbers the file's second batch holds.
    await importDncNumbers(db.knex, linesOf(...Array.from({ length: 500 }, (_, i) => number(25_000 + i * 10))), { accountId: account.id, source: 'internal' });
    async function* file() {
      for (let i = 0; i < 70_000; i++) yield number(i);
      // The first 3,000 numbers again, at the end of the file.
      for (let i = 0; i < 3_000; i++) yield number(i);
    }
    const r = await importDncNumbers(db.knex, file(), { accountId: account.id, source: 'internal', reason: 'four batches' });
    expect(r).toMatchObject({ lines: 73_000, inserted: 69_500, alreadyListed: 3_500, errorCount: 0 });
    const listed = await db.knex('suppression_entries').where({ account_id: account.id, list: 'dnc' }).select(db.knex.raw('count(*)::int AS n'), db.knex.raw('count(DISTINCT value)::int AS d')).first();
    expect(listed).toEqual({ n: 70_000, d: 70_000 });
    // Loaded again, the whole file is already listed.
    expect(await importDncNumbers(db.knex, file(), { accountId: account.id, source: 'internal' })).toMatchObject({ inserted: 0, alreadyListed: 73_000 });
  });
});

/** Stores a lead as intakeLead does: cleaned by validateIntake, keyed by its dupKey. */
async function leadFromIntake(accountId: string, raw: Omit<IntakeInput, 'source' | 'phones' | 'emails'>): Promise<string> {
  const lead = validateIntake({ ...raw, source: 'web_vendor', phones: [], emails: [] });
  const [row] = await db.knex('leads').insert(leadColumns(lead, accountId, null, new Date())).returning('id');
  return row.id;
}

const csv = (...lines: string[]) => Buffer.from(lines.join('\n'));

describe('importing a customer list', () => {
  it('matches the lead intake stored although the list spells the state out, drops the ZIP’s leading zero and spaces and cases names differently', async () => {
    const { accountId } = await createAccountWithAdmin(db.knex);
    const maria = await leadFromIntake(accountId, { firstName: 'Maria', lastName: 'Lopez', address: { line1: '500 Congress Ave', city: 'Austin', state: 'TX', zip: '78701' } });
    const pat = await leadFromIntake(accountId, { firstName: 'Pat', lastName: 'Kelly', address: { line1: '12 Beacon St', line2: 'Apt 4', city: 'Boston', state: 'MA', zip: '02134' } });
    const stranger = await leadFromIntake(accountId, { firstName: 'Sam', lastName: 'Other', address: { line1: '1 Main St', city: 'Austin', state: 'TX', zip: '78701' } });

    const r = await importCustomerList(
      db.knex,
      accountId,
      csv(
        'First Name,Last Name,Address,Address 2,City,State,ZIP',
        '  maria ,LOPEZ,500  congress   AVE,,AUSTIN,texas,78701-1234',
        'PAT,kelly ,12 Beacon St,apt  4,boston,Massachusetts,2134',
      ),
    );

    expect(r).toMatchObject({ lines: 3, inserted: 2, alreadyListed: 0, errorCount: 0, errors: [] });
    const onList = await db
      .knex('leads')
      .join('suppression_entries', function () {
        this.on('suppression_entries.account_id', 'leads.account_id').andOn('suppression_entries.value', 'leads.dup_key');
      })
      .where({ 'leads.account_id': accountId, 'suppression_entries.list': 'customer' })
      .pluck('leads.id');
    expect(onList.sort()).toEqual([maria, pat].sort());

    // And the scrub, which matches on leads.dup_key, removes both prospects but not the stranger.
    const { scrubLead } = createLeadActivities({ db: db.knex, clock: { now: () => new Date() } });
    for (const id of [maria, pat, stranger]) await scrubLead(id);
    const statuses = Object.fromEntries((await db.knex('leads').whereIn('id', [maria, pat, stranger]).select('id', 'status')).map((l) => [l.id, l.status]));
    expect(statuses).toEqual({ [maria]: 'removed', [pat]: 'removed', [stranger]: 'new' });
  });

  it('reports each row intake would refuse by its line number and field reasons, and stores the good rows', async () => {
    const { accountId } = await createAccountWithAdmin(db.knex);
    const r = await importCustomerList(
      db.knex,
      accountId,
      csv(
        'first_name,last_name,street,town,st,zip_code',
        'Ann,Lee,1 Oak St,Trenton,NJ,8608', // line 2
        'Bo,Diaz,2 Elm St,Austin,Atlantis,78701', // 3: no such state
        '',
        ',NoFirst,3 Ash St,Austin,TX,ABCDE', // 5: no first name, bad ZIP
        'Cy,Park,4 Fir St,Denver,Colorado,80202', // 6
        'ann,LEE,1 oak st,trenton,new jersey,08608', // 7: line 2 again
      ),
      { reason: 'test upload' },
    );

    expect(r).toMatchObject({ lines: 7, inserted: 2, alreadyListed: 1, errorCount: 2 });
    expect(r.errors).toEqual([
      { line: 3, reason: 'address.state: Not a US state, DC or territory' },
      { line: 5, reason: 'firstName: Required; address.zip: Not a ZIP code' },
    ]);
    const stored = await db.knex('suppression_entries').where({ account_id: accountId, list: 'customer' }).select('value', 'source', 'reason');
    const key = (firstName: string, lastName: string, line1: string, city: string, state: string, zip: string) =>
      validateIntake({ firstName, lastName, address: { line1, city, state, zip }, source: 'manual' }).dupKey;
    expect(stored.map((e) => e.value).sort()).toEqual([key('Ann', 'Lee', '1 Oak St', 'Trenton', 'NJ', '08608'), key('Cy', 'Park', '4 Fir St', 'Denver', 'CO', '80202')].sort());
    expect(stored.every((e) => e.source === 'upload' && e.reason === 'test upload')).toBe(true);
  });

  it('refuses a file whose header lacks a city, state or ZIP column: no row of it could match a lead', async () => {
    const { accountId } = await createAccountWithAdmin(db.knex);
    await expect(importCustomerList(db.knex, accountId, csv('First,Last,Address,City', 'Ann,Lee,1 Oak St,Trenton'))).rejects.toThrow(
      'the header row needs first name, last name, address, city, state and ZIP columns (found: First, Last, Address, City)',
    );
    expect(await db.knex('suppression_entries').where({ account_id: accountId })).toHaveLength(0);
  });
});
