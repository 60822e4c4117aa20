// CSV for the exports: RFC 4180 fields, and no field a spreadsheet would run as a formula.
// Rows come from a server-side cursor a batch at a time, so an export of any size holds one
// batch in memory, not the whole result.
import type { Knex } from 'knex';

/** Characters a spreadsheet reads as the start of a formula (tab and CR too: some trim them away first). */
const FORMULA_START = /^[=+\-@\t\r]/;

/** One CSV field: quoted when it holds a comma, quote or line break; text that would start a formula gets a leading apostrophe. */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  let text = value instanceof Date ? value.toISOString() : String(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(values: unknown[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}

/**
 * The rows of `sql` in batches, through a cursor in a read-only transaction of its own. The
 * transaction ends when the rows run out or the consumer stops early (a client that went away).
 */
export async function* cursorRows<T = Record<string, unknown>>(db: Knex, sql: string, bindings: readonly unknown[], opts: { batchSize?: number; workMem?: string } = {}): AsyncGenerator<T[]> {
  const batchSize = opts.batchSize ?? 2000;
  const trx = await db.transaction({ readOnly: true });
  try {
    // The setting is a fixed string of the caller's ('64MB'), never input.
    if (opts.workMem && /^\d+[kKMG]?B$/.test(opts.workMem)) await trx.raw(`SET LOCAL work_mem = '${opts.workMem}'`);
    await trx.raw(`DECLARE export_cursor NO SCROLL CURSOR FOR ${sql}`, bindings as Knex.RawBinding[]);
    for (;;) {
      const { rows } = (await trx.raw(`FETCH ${Number(batchSize)} FROM export_cursor`)) as { rows: T[] };
      if (!rows.length) break;
      yield rows;
      if (rows.length < batchSize) break;
    }
    await trx.commit();
  } finally {
    if (!trx.isCompleted()) await trx.rollback().catch(() => undefined);
  }
}

/**
 * A CSV body as a web stream: the header line, then each row as `toLine` writes it. Pulled by
 * the response, so a slow client slows the cursor instead of filling memory.
 */
export function csvStream<T>(header: string[], batches: AsyncGenerator<T[]>, toValues: (row: T) => unknown[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let headerSent = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!headerSent) {
        headerSent = true;
        controller.enqueue(encoder.encode(csvLine(header)));
        return;
      }
      try {
        const next = await batches.next();
        if (next.done) {
          controller.close();
          return;
        }
        let chunk = '';
        for (const row of next.value) chunk += csvLine(toValues(row));
        controller.enqueue(encoder.encode(chunk));
      } catch (err) {
        controller.error(err);
      }
    },
    async cancel() {
      await batches.return(undefined);
    },
  });
}
