import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importDncNumbers, normaliseDncNumber } from '../../activities/suppression.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';

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

  it('streams a large file in batches', async () => {
    async function* many() {
      for (let i = 0; i < 12_000; i++) yield `303${String(2000000 + i).padStart(7, '0')}`;
    }
    const r = await importDncNumbers(db.knex, many(), { accountId: null, source: 'federal' });
    expect(r).toMatchObject({ lines: 12_000, inserted: 12_000, errorCount: 0 });
  });
});
