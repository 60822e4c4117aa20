// Suppression lists (DNC numbers, DNE e-mails, DNM addresses; federal and per account).
// Values are stored normalised, so a lookup is an exact match: phones as E.164 (+1XXXXXXXXXX),
// e-mails lower-cased.
import { parse } from 'csv-parse';
import type { Knex } from 'knex';
import { normalizeEmail } from '../hygiene/index.ts';
import { IntakeValidationError, validateIntake } from '../intake/validate.ts';
import { startUploadSweep, type SweepResult } from './sweep.ts';

export type SuppressionList = 'dnc' | 'dne' | 'dnm' | 'customer';

/** A US number from a DNC file line: 10 digits, or 11 with a leading 1, punctuation ignored. */
export function normaliseDncNumber(line: string): string | { error: string } {
  // One pass over the characters, no regular expression, for the lines that are digits and
  // ASCII punctuation: a federal file is hundreds of millions of lines. Anything else takes the
  // slower path below, which says what is wrong with it.
  let punctuated = false;
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c >= 48 && c <= 57) continue;
    // space, tab, ( ) + - .
    if (c === 32 || c === 9 || c === 40 || c === 41 || c === 43 || c === 45 || c === 46) punctuated = true;
    else return normaliseDncLine(line);
  }
  const digits = punctuated ? line.replace(/[\s().+-]/g, '') : line;
  if (digits.length === 0) return normaliseDncLine(line);
  const ten = digits.length === 11 && digits.charCodeAt(0) === 49 ? digits.slice(1) : digits;
  if (ten.length !== 10) return { error: `expected 10 digits, got ${digits.length}` };
  // Area code and exchange start with 2-9.
  if (ten.charCodeAt(0) < 50 || ten.charCodeAt(3) < 50) return { error: `not a valid US number: ${ten}` };
  return `+1${ten}`;
}

/** The general case of normaliseDncNumber (any characters), with the reason a line is refused. */
function normaliseDncLine(line: string): string | { error: string } {
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
  /** With `flagLeads`: the leads flagged as the file went in. */
  sweep?: SweepResult;
}

/** Options of a line-based load (DNC numbers, DNE addresses). */
export interface LineImportOptions {
  reason?: string;
  /**
   * Flag the leads already in Leadflow on the file's values while it goes in (at this time),
   * batch by batch, instead of leaving them all to the sweep after the upload; see
   * startUploadSweep. The sweep after the upload is still due: it catches the leads that
   * arrived while the file was going in.
   */
  flagLeads?: { at: Date };
}

const BATCH = 5000;
/** Values per statement of a line-based load, and how many statements are in flight at once. */
const LINE_BATCH = 20_000;
const LINE_BATCHES_IN_FLIGHT = 2;
const MAX_REPORTED_ERRORS = 100;
/** PostgreSQL's SQLSTATE for a unique index refusing a row. */
const UNIQUE_VIOLATION = '23505';

/**
 * Streams a DNC file into a suppression list in batches (a 1,000,000-number federal file is
 * never held in memory). Bad lines are reported with their line numbers; good ones go in.
 * Re-importing the same file adds nothing (the unique index on the list absorbs repeats).
 *
 * The federal list (no account) is every account's: only the operator's command writes it,
 * and its entries carry no reason, because a scrub quotes a match's reason on the lead of
 * whichever account it flags, and who loaded a file, or its name, is nobody else's business.
 */
export function importDncNumbers(
  db: Knex,
  lines: AsyncIterable<string>,
  opts: { accountId: string | null; source: 'federal' | 'internal' } & LineImportOptions,
): Promise<SuppressionImportResult> {
  if ((opts.accountId === null) !== (opts.source === 'federal')) {
    throw new Error('a DNC load goes into the federal list with no account, or into one account’s internal list');
  }
  return importListLines(db, lines, { ...opts, list: 'dnc', normalise: normaliseDncNumber });
}

/** An e-mail address from a do-not-email file line, as the scrub compares them (lower case). */
export function normaliseDneAddress(line: string): string | { error: string } {
  const e = normalizeEmail(line);
  if (!e.valid || !e.address) return { error: `not an e-mail address: "${line.slice(0, 60)}"` };
  return e.address.toLowerCase();
}

/** An account's do-not-email file (one address a line) into its internal DNE list. */
export function importDneAddresses(db: Knex, lines: AsyncIterable<string>, opts: { accountId: string } & LineImportOptions): Promise<SuppressionImportResult> {
  return importListLines(db, lines, { accountId: opts.accountId, source: 'internal', reason: opts.reason, flagLeads: opts.flagLeads, list: 'dne', normalise: normaliseDneAddress });
}

/**
 * One value a line into one list, in batches; the line-based loads share this. While one batch
 * is written (and its leads flagged, with `flagLeads`), the next is read and cleaned, and a
 * second one may be written beside it: each batch is its own statement, so a load cut short
 * keeps the batches it finished and a second run of the file adds the rest.
 */
async function importListLines(
  db: Knex,
  lines: AsyncIterable<string>,
  opts: { accountId: string | null; source: 'federal' | 'internal'; list: 'dnc' | 'dne'; normalise: (line: string) => string | { error: string } } & LineImportOptions,
): Promise<SuppressionImportResult> {
  const reason = opts.accountId === null ? null : (opts.reason ?? null);
  const result: SuppressionImportResult = { lines: 0, inserted: 0, alreadyListed: 0, errors: [], errorCount: 0 };
  const conflict = opts.accountId === null ? '(list, value) WHERE account_id IS NULL' : '(account_id, list, value) WHERE account_id IS NOT NULL';
  const sweeper = opts.flagLeads ? await startUploadSweep(db, { accountId: opts.accountId, list: opts.list, at: opts.flagLeads.at }) : undefined;
  const running = new Set<Promise<void>>();
  let failure: { err: unknown } | undefined;
  let batch: string[] = [];
  // A batch of values the list does not hold yet goes in as a plain INSERT, about twice as fast
  // as one that asks the unique index about every value first (ON CONFLICT). When the list
  // already holds one of them, the plain INSERT fails whole on the unique index and the batch
  // goes again with ON CONFLICT, as do the batches after it (a file loaded again, a weekly
  // refresh), until one of them finds every value new.
  let expectNew = true;
  const insert = (values: string[], onConflict: boolean) =>
    db.raw(
      `INSERT INTO suppression_entries (account_id, list, value, source, reason)
       SELECT ?::uuid, ?, v, ?, ? FROM unnest(?::text[]) AS v
       ${onConflict ? `ON CONFLICT ${conflict} DO NOTHING` : ''}`,
      [opts.accountId, opts.list, opts.source, reason, values],
    );
  const write = async (values: string[]) => {
    let inserted: number;
    if (expectNew) {
      try {
        inserted = (await insert(values, false)).rowCount ?? 0;
      } catch (err) {
        if ((err as { code?: string }).code !== UNIQUE_VIOLATION) throw err;
        expectNew = false;
        inserted = (await insert(values, true)).rowCount ?? 0;
      }
    } else {
      inserted = (await insert(values, true)).rowCount ?? 0;
      if (inserted === values.length) expectNew = true;
    }
    result.inserted += inserted;
    result.alreadyListed += values.length - inserted;
    await sweeper?.batch(values);
  };
  const flush = () => {
    if (batch.length === 0) return;
    // Sorted: two batches in flight that share a value take it in the same order, so one waits
    // for the other instead of the two deadlocking; and the list's index is written in order.
    const values = [...new Set(batch)].sort();
    result.alreadyListed += batch.length - values.length;
    batch = [];
    const p: Promise<void> = write(values)
      .catch((err) => {
        failure ??= { err };
      })
      .finally(() => running.delete(p));
    running.add(p);
  };
  try {
    for await (const raw of lines) {
      result.lines++;
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) continue;
      const n = opts.normalise(line);
      if (typeof n !== 'string') {
        result.errorCount++;
        if (result.errors.length < MAX_REPORTED_ERRORS) result.errors.push({ line: result.lines, reason: n.error });
        continue;
      }
      batch.push(n);
      if (batch.length >= LINE_BATCH) {
        flush();
        while (running.size >= LINE_BATCHES_IN_FLIGHT) await Promise.race(running);
        if (failure) break;
      }
    }
    if (!failure) flush();
    await Promise.all(running);
  } finally {
    // Nothing is left running when this answers, even when reading the file failed.
    await Promise.all(running);
    const swept = await sweeper?.finish();
    if (swept) result.sweep = swept;
  }
  if (failure) throw failure.err;
  return result;
}

const CUSTOMER_COLUMNS = {
  firstName: /^(first[\s_-]*name|fname|first)$/i,
  lastName: /^(last[\s_-]*name|lname|last|surname)$/i,
  addressLine1: /^(address([\s_-]*(line)?[\s_-]*1)?|street|address1)$/i,
  addressLine2: /^(address[\s_-]*(line)?[\s_-]*2|address2|apt|apartment|suite|unit)$/i,
  city: /^(city|town)$/i,
  state: /^(state|st|province)$/i,
  zip: /^(zip([\s_-]*code)?|postal([\s_-]*code)?|zip5)$/i,
} satisfies Record<string, RegExp>;

type CustomerColumn = keyof typeof CUSTOMER_COLUMNS;
const OPTIONAL_CUSTOMER_COLUMNS: ReadonlySet<CustomerColumn> = new Set(['addressLine2']);

/**
 * Loads an account's current-customer list (a CSV with a header row naming first name, last
 * name, address, city, state and ZIP columns; an address line 2 column is optional).
 * Customers are matched by the lead's duplicate key, so the scrub removes a prospect who is
 * already a customer, with the reason.
 *
 * Each row goes through validateIntake, the very function intake cleans a lead with, and its
 * `dupKey` is what is stored: "Texas" becomes TX, a ZIP that lost its leading zero is padded,
 * names and addresses are cleaned as intake cleans them, so a customer row matches the lead
 * intake stored for the same person. Building the key any other way would drift from intake
 * and silently stop matching. A row intake would refuse is reported with its line number and
 * the same field reasons the CSV import gives; the good rows still go in.
 */
export function importCustomerList(db: Knex, accountId: string, csv: Buffer, opts: { reason?: string } = {}): Promise<SuppressionImportResult> {
  return importAddressList(db, accountId, csv, { ...opts, list: 'customer' });
}

/**
 * An account's do-not-mail list: a CSV of people at addresses, in the customer list's format.
 * A lead whose name and address match gets its DNM flag (no mail to that person there).
 */
export function importDnmAddresses(db: Knex, accountId: string, csv: Buffer, opts: { reason?: string } = {}): Promise<SuppressionImportResult> {
  return importAddressList(db, accountId, csv, { ...opts, list: 'dnm' });
}

/** Rows of people at addresses, stored as intake's duplicate key (see importCustomerList). */
async function importAddressList(db: Knex, accountId: string, csv: Buffer, opts: { reason?: string; list: 'customer' | 'dnm' }): Promise<SuppressionImportResult> {
  const result: SuppressionImportResult = { lines: 0, inserted: 0, alreadyListed: 0, errors: [], errorCount: 0 };
  const parser = parse(csv, { bom: true, relax_column_count: true, skip_empty_lines: true, trim: true, info: true });
  let columns: Partial<Record<CustomerColumn, number>> | undefined;
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
       SELECT ?::uuid, ?, v, 'upload', ? FROM unnest(?::text[]) AS v
       ON CONFLICT (account_id, list, value) WHERE account_id IS NOT NULL DO NOTHING`,
      [accountId, opts.list, opts.reason ?? null, values],
    );
    result.inserted += r.rowCount ?? 0;
    result.alreadyListed += values.length - (r.rowCount ?? 0) + dup;
  };
  for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
    result.lines = info.lines;
    if (!columns) {
      const found: Partial<Record<CustomerColumn, number>> = {};
      for (const [field, re] of Object.entries(CUSTOMER_COLUMNS) as Array<[CustomerColumn, RegExp]>) {
        const i = record.findIndex((h) => re.test(h));
        if (i >= 0) found[field] = i;
      }
      // Without any one of them no row could ever equal a lead's key: refuse the file, not every row.
      const missing = (Object.keys(CUSTOMER_COLUMNS) as CustomerColumn[]).filter((f) => found[f] === undefined && !OPTIONAL_CUSTOMER_COLUMNS.has(f));
      if (missing.length) {
        throw new Error(`the header row needs first name, last name, address, city, state and ZIP columns (found: ${record.join(', ')})`);
      }
      columns = found;
      continue;
    }
    const at = (f: CustomerColumn) => (columns![f] === undefined ? '' : (record[columns![f]!] ?? ''));
    let dupKey: string;
    try {
      ({ dupKey } = validateIntake({
        firstName: at('firstName'),
        lastName: at('lastName'),
        address: { line1: at('addressLine1'), line2: at('addressLine2'), city: at('city'), state: at('state'), zip: at('zip') },
        phones: [],
        emails: [],
        source: 'manual',
      }));
    } catch (err) {
      if (!(err instanceof IntakeValidationError)) throw err;
      fail(info.lines, Object.entries(err.fieldErrors).map(([f, m]) => `${f}: ${m}`).join('; '));
      continue;
    }
    batch.push(dupKey);
    if (batch.length >= BATCH) await flush();
  }
  await flush();
  return result;
}
