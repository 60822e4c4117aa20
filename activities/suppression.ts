// Suppression lists (DNC numbers, DNE e-mails, DNM addresses; federal and per account).
// Values are stored normalised, so a lookup is an exact match: phones as E.164 (+1XXXXXXXXXX),
// e-mails lower-cased.
import { parse } from 'csv-parse';
import type { Knex } from 'knex';
import { duplicateKey } from '../workflows/lead/dedupe.ts';

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

const CUSTOMER_COLUMNS: Record<'firstName' | 'lastName' | 'addressLine1' | 'city' | 'state' | 'zip', RegExp> = {
  firstName: /^(first[\s_-]*name|fname|first)$/i,
  lastName: /^(last[\s_-]*name|lname|last|surname)$/i,
  addressLine1: /^(address([\s_-]*(line)?[\s_-]*1)?|street|address1)$/i,
  city: /^(city|town)$/i,
  state: /^(state|st|province)$/i,
  zip: /^(zip([\s_-]*code)?|postal([\s_-]*code)?|zip5)$/i,
};

/**
 * Loads an account's current-customer list (a CSV with a header row naming first name, last
 * name, address, city, state and ZIP columns). Customers are matched by the same duplicate
 * key as leads, so the scrub removes a prospect who is already a customer, with the reason.
 */
export async function importCustomerList(db: Knex, accountId: string, csv: Buffer, opts: { reason?: string } = {}): Promise<SuppressionImportResult> {
  const result: SuppressionImportResult = { lines: 0, inserted: 0, alreadyListed: 0, errors: [], errorCount: 0 };
  const parser = parse(csv, { bom: true, relax_column_count: true, skip_empty_lines: true, trim: true, info: true });
  let columns: Partial<Record<keyof typeof CUSTOMER_COLUMNS, number>> | undefined;
  let batch: string[] = [];
  const fail = (line: number, reason: string) => {
    result.errorCount++;
    if (result.errors.length < MAX_REPORTED_ERRORS) result.errors.push({ line, reason });
  };
  const flush = async () => {
    if (batch.length === 0) return;
    const values = [...new Set(batch)];
    const dup = batch.length - values.length;
    batch = [];
    const r = await db.raw(
      `INSERT INTO suppression_entries (account_id, list, value, source, reason)
       SELECT ?::uuid, 'customer', v, 'upload', ? FROM unnest(?::text[]) AS v
       ON CONFLICT (account_id, list, value) WHERE account_id IS NOT NULL DO NOTHING`,
      [accountId, opts.reason ?? null, values],
    );
    result.inserted += r.rowCount ?? 0;
    result.alreadyListed += values.length - (r.rowCount ?? 0) + dup;
  };
  for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
    result.lines = info.lines;
    if (!columns) {
      columns = {};
      for (const [field, re] of Object.entries(CUSTOMER_COLUMNS)) {
        const i = record.findIndex((h) => re.test(h));
        if (i >= 0) columns[field as keyof typeof CUSTOMER_COLUMNS] = i;
      }
      const missing = Object.keys(CUSTOMER_COLUMNS).filter((f) => columns![f as keyof typeof CUSTOMER_COLUMNS] === undefined);
      if (missing.includes('firstName') || missing.includes('lastName') || missing.includes('addressLine1')) {
        throw new Error(`the header row needs first name, last name and address columns (found: ${record.join(', ')})`);
      }
      continue;
    }
    const at = (f: keyof typeof CUSTOMER_COLUMNS) => (columns![f] === undefined ? '' : (record[columns![f]!] ?? ''));
    if (!at('firstName') || !at('lastName') || !at('addressLine1')) {
      fail(info.lines, 'first name, last name and address are required');
      continue;
    }
    batch.push(duplicateKey({ firstName: at('firstName'), lastName: at('lastName'), addressLine1: at('addressLine1'), city: at('city'), state: at('state'), zip: at('zip') }));
    if (batch.length >= BATCH) await flush();
  }
  await flush();
  return result;
}
