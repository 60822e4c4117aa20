// Suppression lists (DNC numbers, DNE e-mails, DNM addresses; federal and per account).
// Values are stored normalised, so a lookup is an exact match: phones as E.164 (+1XXXXXXXXXX),
// e-mails lower-cased.
import type { Knex } from 'knex';

export type SuppressionList = 'dnc' | 'dne' | 'dnm' | 'customer';

/** A US number from a DNC file line: 10 digits, or 11 with a leading 1, punctuation ignored. */
export function normaliseDncNumber(line: string): string | { error: string } {
  const digits = line.replace(/[\s().+-]/g, '');
  if (!/^\d+$/.test(digits)) return { error: `not a phone number: "${line.slice(0, 40)}"` };
  const ten = digits.length === 11 && digits.startsWith('1') ? digits.slice(1) : digits;
  if (ten.length !== 10) return { error: `expected 10 digits, got ${digits.length}` };
  if (!/^[2-9]\d{2}[2-9]\d{6}$/.test(ten)) return { error: `not a valid US number: ${ten}` };
  return `+1${ten}`;
}

export interface SuppressionImportResult {
  lines: number;
  inserted: number;
  alreadyListed: number;
  /** The first errors, with their line numbers; `errorCount` has them all. */
  errors: Array<{ line: number; reason: string }>;
  errorCount: number;
}

const BATCH = 5000;
const MAX_REPORTED_ERRORS = 100;

/**
 * Streams a DNC file into a suppression list in batches (a 1,000,000-number federal file is
 * never held in memory). Bad lines are reported with their line numbers; good ones go in.
 * Re-importing the same file adds nothing (the unique index on the list absorbs repeats).
 */
export async function importDncNumbers(
  db: Knex,
  lines: AsyncIterable<string>,
  opts: { accountId: string | null; source: 'federal' | 'internal'; reason?: string },
): Promise<SuppressionImportResult> {
  const result: SuppressionImportResult = { lines: 0, inserted: 0, alreadyListed: 0, errors: [], errorCount: 0 };
  let batch: string[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const values = [...new Set(batch)];
    const duplicatesInBatch = batch.length - values.length;
    batch = [];
    const conflict = opts.accountId === null ? '(list, value) WHERE account_id IS NULL' : '(account_id, list, value) WHERE account_id IS NOT NULL';
    const inserted = await db.raw(
      `INSERT INTO suppression_entries (account_id, list, value, source, reason)
       SELECT ?::uuid, 'dnc', v, ?, ? FROM unnest(?::text[]) AS v
       ON CONFLICT ${conflict} DO NOTHING`,
      [opts.accountId, opts.source, opts.reason ?? null, values],
    );
    result.inserted += inserted.rowCount ?? 0;
    result.alreadyListed += values.length - (inserted.rowCount ?? 0) + duplicatesInBatch;
  };
  for await (const raw of lines) {
    result.lines++;
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const n = normaliseDncNumber(line);
    if (typeof n !== 'string') {
      result.errorCount++;
      if (result.errors.length < MAX_REPORTED_ERRORS) result.errors.push({ line: result.lines, reason: n.error });
      continue;
    }
    batch.push(n);
    if (batch.length >= BATCH) await flush();
  }
  await flush();
  return result;
}
