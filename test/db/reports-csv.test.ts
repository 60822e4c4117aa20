// The exports' CSV writer: fields a spreadsheet reads back as written (quotes, commas, line
// breaks), no field it would run as a formula, and rows read through a cursor in batches.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csvField, csvLine, csvStream, cursorRows } from '../../db/reports/csv.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.destroy();
});

describe('csvField', () => {
  it('quotes commas, quotes and line breaks, doubling quotes', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('cr\r')).toBe('"cr\r"');
    expect(csvField(null)).toBe('');
    expect(csvField(undefined)).toBe('');
    expect(csvField(42)).toBe('42');
    expect(csvField(true)).toBe('yes');
    expect(csvLine(['a', 'b,c', null])).toBe('a,"b,c",\r\n');
  });

  it('puts an apostrophe before text a spreadsheet would run as a formula', () => {
    expect(csvField('=HYPERLINK("http://x","y")')).toBe(`"'=HYPERLINK(""http://x"",""y"")"`);
    expect(csvField('+1 555')).toBe("'+1 555");
    expect(csvField('-2+3')).toBe("'-2+3");
    expect(csvField('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvField('\tcmd')).toBe("'\tcmd");
    expect(csvField('a=b')).toBe('a=b');
    // Numbers are numbers, not text: a negative one stays as it is.
    expect(csvField(-5)).toBe('-5');
  });
});

describe('cursorRows and csvStream', () => {
  it('reads every row in batches with bound parameters and streams them as CSV', async () => {
    const seen: number[] = [];
    const batches = cursorRows<{ n: number; label: string }>(db.knex, `SELECT n, ? || n::text AS label FROM generate_series(1, ?::int) AS n ORDER BY n`, ['row ', 25], { batchSize: 10 });
    const stream = csvStream(['n', 'label'], batches, (r) => {
      seen.push(r.n);
      return [r.n, r.label];
    });
    const text = await new Response(stream).text();
    const lines = text.split('\r\n').filter(Boolean);
    expect(lines[0]).toBe('n,label');
    expect(lines).toHaveLength(26);
    expect(lines[25]).toBe('25,row 25');
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
  });

  it('ends its transaction when the reader stops early', async () => {
    const batches = cursorRows<{ n: number }>(db.knex, 'SELECT n FROM generate_series(1, 100) AS n', [], { batchSize: 10, workMem: '8MB' });
    const reader = csvStream(['n'], batches, (r: { n: number }) => [r.n]).getReader();
    await reader.read();
    await reader.read();
    await reader.cancel();
    const { rows } = await db.knex.raw(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'`);
    expect(rows[0].n).toBe(0);
  });
});
