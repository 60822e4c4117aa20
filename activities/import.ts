// The CSV import workflow's activities. The upload lives in import_files (bytea). importFile
// reads it once, front to back, a slice of bytes at a time through one streaming csv-parse
// parser, so time and memory grow with the file, not with its square, and memory holds one
// slice and one batch, never the file. Rows go through intakeLeads a batch at a time, each row
// with the idempotency key `import:<importId>:<line>`; after each batch the import's checkpoint
// (byte offset, line, counts) is committed together with that batch's row errors and sent as
// the activity's heartbeat. A worker killed mid-file therefore costs at most the batch in
// flight: the retry resumes at the last checkpoint, the repeated rows find their keys taken
// (no second lead or touch; a workflow the crash left unstarted is started), and the row errors
// of a batch exist exactly when its checkpoint does, so none is reported twice.
//
// An import's leads are bulk work: their workflows start on the bulk task queue
// (temporal.config.ts), and importFile does not wait for those starts between batches. Intake
// asks for each saved lead's workflow before it returns; the import hands it a client that
// queues those requests (LeadStarts) and sends them once the rows are saved, so the rows are
// all in Postgres at Postgres's pace and the starts follow. A slice ends only once its starts
// are sent; an attempt after a crash also starts any workflow the dead attempt had queued but
// not sent.
import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import { Client, WorkflowNotFoundError, type WorkflowClientInterceptor } from '@temporalio/client';
import { parse, type CsvError } from 'csv-parse';
import type { Knex } from 'knex';
import type { Import, Row } from '../db/models/index.ts';
import { intakeLeads, IntakeValidationError, LeadWorkflowStartError, SourceSuppressedError, type IntakeDeps, type IntakeInput, type IntakeOutcome } from '../db/intake/index.ts';
import { bulkTaskQueue } from '../temporal.config.ts';
import { forEachLimit, LEAD_WORKFLOW_TYPE, startLead } from '../worker/clients/lead.ts';
import { leadWorkflowId, type LeadArrival, type LeadWorkflowInput } from '../workflows/lead/messages.ts';
import { importProgressedSignal, type ImportProgress } from '../workflows/import/messages.ts';
import { FailureType } from '../workflows/failures.ts';
import type { LeadEventType } from '../db/lead-event-types.ts';

/** Lead field -> zero-based CSV column index. */
export interface ImportMapping {
  firstName: number;
  lastName: number;
  line1: number;
  line2?: number;
  city: number;
  state: number;
  zip: number;
  phones?: number[];
  emails?: number[];
  /** A column whose yes/true/1/C marks a current customer. */
  customer?: number;
  /** A column naming each row's lead source; an empty cell takes the import's source. */
  source?: number;
  /** A column naming each row's agent ID (one of the account's); an empty cell: the account's first. */
  agentId?: number;
}

export interface ImportCursor {
  offset: number;
  /** The file line (1-based) that starts at `offset`. */
  line: number;
}

export interface ImportBatchResult {
  processed: number;
  ok: number;
  errors: number;
  bytesTotal: number;
  /** Null when the file is finished. */
  next: ImportCursor | null;
}

export type ImportCounts = Omit<ImportProgress, 'status'>;

export interface ImportFileResult {
  /** False when the activity stopped after its time slice; calling it again goes on. */
  done: boolean;
  progress: ImportCounts;
}

export const IMPORT_BATCH_SIZE = 200;
/** Bytes of the upload fetched from Postgres at a time. */
const SLICE_BYTES = 128 * 1024;
/**
 * No lead row comes near this; a record that grows past it is a quote never closed swallowing
 * the lines after it. It also bounds what such a record costs: its bytes are parsed once more
 * from the line after the one it starts on.
 */
export const MAX_RECORD_BYTES = 64 * 1024;
/** One importFile execution works this long at most, so its retry budget is per slice of the file. */
const WORK_SLICE_MS = 5 * 60_000;
/** Between batches the heartbeat says where the import is; inside a slow batch a ticker keeps it alive, up to this. */
const BATCH_STALL_MS = 2 * 60_000;
const TICK_MS = 5_000;
const PROGRESS_SIGNAL_MS = 1_000;
/**
 * Lead workflow starts in flight at once. None while the file is being saved: the saving has the
 * machine first, so the leads are in the lists soonest (sending starts beside it, even two at a
 * time, made a 10,000-row file take half as long again to save). Then all of these.
 */
const START_CONCURRENCY = 16;
const START_CONCURRENCY_WHILE_SAVING = 0;
/**
 * Starts queued but not yet sent, at most: past it the saving stops while half of them are sent.
 * A 10,000-row file never stops; a much larger one keeps a few MiB of queued requests at most,
 * and no lead waits for its workflow long enough for reconcile to take it for a lost one.
 */
const MAX_QUEUED_STARTS = 12_000;
/** Leads per visibility query when an attempt after a crash looks for workflows never started. */
const SWEEP_PAGE = 100;

const notFound = (message: string) => ApplicationFailure.create({ type: FailureType.ImportNotFound, message, nonRetryable: true });

function rowToInput(record: string[], mapping: ImportMapping, source: string, importName: string): IntakeInput {
  const at = (i: number | undefined) => (i === undefined ? '' : (record[i] ?? '').trim());
  return {
    firstName: at(mapping.firstName),
    lastName: at(mapping.lastName),
    address: { line1: at(mapping.line1), line2: at(mapping.line2) || null, city: at(mapping.city), state: at(mapping.state), zip: at(mapping.zip) },
    phones: (mapping.phones ?? []).map(at).filter(Boolean),
    emails: (mapping.emails ?? []).map(at).filter(Boolean),
    source: at(mapping.source) || source,
    agentId: at(mapping.agentId) || null,
    importName,
    customer: /^(y|yes|true|1|c|customer)$/i.test(at(mapping.customer)),
  };
}

function checkMapping(mapping: unknown): ImportMapping {
  const m = mapping as Partial<ImportMapping> | null;
  const index = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;
  const required = ['firstName', 'lastName', 'line1', 'city', 'state', 'zip'] as const;
  if (!m || typeof m !== 'object' || required.some((k) => !index(m[k]))) {
    throw ApplicationFailure.create({ type: FailureType.ImportBadInput, message: 'The import has no complete column mapping', nonRetryable: true });
  }
  return m as ImportMapping;
}

// ---------------------------------------------------------------------------------------------
// Reading the upload.

/** The stored upload, fetched a slice at a time; the last slice is kept, so a parser restarted a few lines back costs no query. */
class StoredFile {
  private window: { offset: number; bytes: Buffer } | null = null;
  constructor(
    private readonly db: Knex,
    private readonly importId: string,
    readonly size: number,
  ) {}

  async bytesAt(offset: number): Promise<Buffer> {
    const w = this.window;
    if (w && offset >= w.offset && offset < w.offset + w.bytes.length) return w.bytes.subarray(offset - w.offset);
    const row = await this.db('import_files')
      .where({ import_id: this.importId })
      .first(this.db.raw('substring(content from ? for ?) AS bytes', [offset + 1, SLICE_BYTES]));
    if (!row) throw notFound(`The file of import ${this.importId} is gone`);
    this.window = { offset, bytes: row.bytes as Buffer };
    return this.window.bytes;
  }

  async *from(offset: number): AsyncGenerator<Buffer> {
    while (offset < this.size) {
      const bytes = await this.bytesAt(offset);
      if (!bytes.length) return;
      yield bytes;
      offset += bytes.length;
    }
  }
}

export type CsvItem =
  | { kind: 'row'; line: number; record: string[]; next: ImportCursor }
  | { kind: 'broken'; line: number; reason: string; next: ImportCursor };

export const PARSE_OPTIONS = {
  skip_empty_lines: true,
  relax_column_count: true,
  // A stray quote inside a field is kept as text, not an error.
  relax_quotes: true,
  skip_records_with_error: true,
  max_record_size: MAX_RECORD_BYTES,
  // Explicit, so that a file mixing line endings is read line by line (csv-parse would
  // otherwise keep the first ending it sees and glue the other lines together).
  record_delimiter: ['\r\n', '\n', '\r'],
};

const CR = 0x0d;
const LF = 0x0a;

/** The first non-blank line at or after `offset` (which starts line `line`), and where the line after it starts. */
async function brokenLine(file: StoredFile, offset: number, line: number): Promise<{ line: number; next: ImportCursor }> {
  let pos = offset;
  let inLine = false;
  for await (const bytes of file.from(offset)) {
    for (let i = 0; i < bytes.length; i++, pos++) {
      const b = bytes[i]!;
      if (b !== CR && b !== LF) {
        inLine = true;
        continue;
      }
      // \r\n is one line end: the \n is counted when it comes, the \r alone is skipped.
      if (b === CR && (i + 1 < bytes.length ? bytes[i + 1] === LF : (await file.bytesAt(pos + 1))[0] === LF)) continue;
      if (inLine) return { line, next: { offset: pos + 1, line: line + 1 } };
      line += 1;
    }
  }
  return { line, next: { offset: file.size, line: line + 1 } };
}

function brokenReason(err: CsvError & { quoting?: boolean }): string {
  if (err.code === 'CSV_QUOTE_NOT_CLOSED' || (err.code === 'CSV_MAX_RECORD_SIZE' && err.quoting)) return 'Malformed CSV: Quote Not Closed (the rest of the record was skipped)';
  if (err.code === 'CSV_MAX_RECORD_SIZE') return `Malformed CSV: a record longer than ${MAX_RECORD_BYTES / 1024} KiB`;
  // csv-parse's messages count lines from where this parser started; the item carries the file's line.
  return `Malformed CSV: ${err.message.split(':')[0]}`;
}

/**
 * The file's records from `from` to the end, each with the line it starts on and the cursor
 * after it. A record csv-parse cannot read even with relaxed quoting (a quote never closed) is
 * reported as broken at its first line, and reading starts again, with a fresh parser, on the
 * next line: a broken record costs only its own line, never the lines after it.
 */
async function* csvItems(file: StoredFile, from: ImportCursor, withHeader: boolean): AsyncGenerator<CsvItem> {
  let at = from;
  let header = withHeader;
  while (at.offset < file.size) {
    const start = at;
    // Filled synchronously by the parser's callbacks while it takes a slice; handed out after.
    const found: CsvItem[] = [];
    let lastEnd = 0;
    let lastLine = start.line - 1;
    // An object, not a variable: it is set inside the parser's callback.
    const stop: { broken: CsvError | null } = { broken: null };
    const parser = parse({
      ...PARSE_OPTIONS,
      bom: start.offset === 0,
      on_record: (record: string[], info) => {
        const endLine = start.line - 1 + info.lines;
        lastEnd = info.bytes;
        lastLine = endLine;
        if (header) {
          header = false;
          return null;
        }
        // A quoted field may span lines; the row is reported at the line where it starts.
        let newlines = 0;
        for (const field of record) for (let i = field.indexOf('\n'); i !== -1; i = field.indexOf('\n', i + 1)) newlines++;
        found.push({ kind: 'row', line: endLine - newlines, record, next: { offset: start.offset + info.bytes, line: endLine + 1 } });
        return null;
      },
      on_skip: (err) => {
        // Whether the record ran long inside a quoted field: csv-parse keeps that in its state only.
        if (err) err.quoting = (parser as unknown as { state?: { quoting?: boolean } }).state?.quoting === true;
        stop.broken = err ?? null;
        // Stops this parser; the caller starts another after the broken record's first line.
        throw err;
      },
    });
    // The only error it can raise is the one on_skip rethrows, recorded in `stop`.
    parser.on('error', () => {});
    parser.resume();
    try {
      for await (const bytes of file.from(start.offset)) {
        await new Promise<void>((resolve) => parser.write(bytes, () => resolve()));
        yield* found.splice(0);
        if (stop.broken) break;
      }
      if (!stop.broken) {
        await new Promise<void>((resolve) => parser.end(() => resolve()));
        yield* found.splice(0);
      }
    } finally {
      parser.destroy();
    }
    if (!stop.broken) return;
    const bad = await brokenLine(file, start.offset + lastEnd, lastLine + 1);
    header = false; // a broken first line was the header's place
    yield { kind: 'broken', line: bad.line, reason: brokenReason(stop.broken), next: bad.next };
    at = bad.next;
  }
}

// ---------------------------------------------------------------------------------------------
// Taking a batch.

interface RowError {
  import_id: string;
  line_number: number;
  reason: string;
  raw: string;
}

// PostgreSQL refuses NUL in text; a row error must be storable whatever the row held.
const storable = (s: string) => s.replaceAll('\u0000', '\uFFFD');

/**
 * True when the failure belongs to the rows themselves (PostgreSQL refusing a value, a check
 * failing, intake throwing on an input), so taking the rows again cannot help. Connection
 * losses, deadlocks, serialization failures and the like are not: the batch is retried.
 */
function isRowFailure(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') return /^2[23][0-9A-Z]{3}$/.test(code);
  return !(err.name === 'KnexTimeoutError' || /connect|terminat|timeout|ECONN|socket/i.test(err.message));
}

/** The message without the statement knex puts in front of PostgreSQL's, which says nothing about the rows. */
function plainMessage(err: Error): string {
  const sqlState = typeof (err as { code?: unknown }).code === 'string';
  return sqlState && err.message.includes(' - ') ? err.message.slice(err.message.lastIndexOf(' - ') + 3) : err.message;
}

function failureReason(err: Error): string {
  if (err instanceof IntakeValidationError) {
    return Object.entries(err.fieldErrors)
      .map(([f, m]) => `${f}: ${m}`)
      .join('; ');
  }
  if (err instanceof SourceSuppressedError) return err.message;
  return err.name === 'IdempotencyConflictError' ? err.message : `Could not be saved: ${plainMessage(err)}`;
}

type RowOutcome = IntakeOutcome | { ok: false; error: Error };

/** A batch through intake as one set; when the set fails because of what a row holds, row by row, so only that row is lost. */
async function takeRows(deps: IntakeDeps, accountId: string, items: Parameters<typeof intakeLeads>[2]): Promise<RowOutcome[]> {
  try {
    return await intakeLeads(deps, accountId, items);
  } catch (err) {
    if (!isRowFailure(err)) throw err;
  }
  const outcomes: RowOutcome[] = [];
  for (const item of items) {
    try {
      outcomes.push(...(await intakeLeads(deps, accountId, [item])));
    } catch (err) {
      if (!isRowFailure(err)) throw err;
      outcomes.push({ ok: false, error: err as Error });
    }
  }
  return outcomes;
}

type ImportRow = Pick<Row<Import>, 'account_id' | 'name'>;

interface ImportFileMeta {
  mapping: ImportMapping;
  /** The source chosen on the Imports page, as a name intake resolves in the account's catalogue. */
  source: string;
}

async function takeBatch(deps: IntakeDeps, importId: string, imp: ImportRow, meta: ImportFileMeta, items: CsvItem[]): Promise<{ ok: number; errors: RowError[] }> {
  const rows = items.filter((i): i is Extract<CsvItem, { kind: 'row' }> => i.kind === 'row');
  const outcomes = rows.length
    ? await takeRows(
        deps,
        imp.account_id,
        rows.map(({ line, record }) => ({ raw: rowToInput(record, meta.mapping, meta.source, imp.name), opts: { importId, idempotencyKey: `import:${importId}:${line}` } })),
      )
    : [];
  let ok = 0;
  const errors: RowError[] = [];
  outcomes.forEach((outcome, i) => {
    const { line, record } = rows[i]!;
    if (outcome.ok || outcome.error instanceof LeadWorkflowStartError) {
      ok += 1; // saved; a workflow that did not start is started by reconcile
      return;
    }
    errors.push({ import_id: importId, line_number: line, reason: storable(failureReason(outcome.error)), raw: storable(record.join(',').slice(0, 2000)) });
  });
  for (const item of items) if (item.kind === 'broken') errors.push({ import_id: importId, line_number: item.line, reason: item.reason, raw: '' });
  errors.sort((a, b) => a.line_number - b.line_number);
  return { ok, errors };
}

export function createImportActivities(deps: IntakeDeps) {
  const db: Knex = deps.db;
  const client = () => Promise.resolve(typeof deps.temporal === 'function' ? deps.temporal() : deps.temporal);
  const bulkQueue = bulkTaskQueue(deps.taskQueue);
  // importBatch (imports started before importFile) still starts each batch's workflows before it returns.
  const intakeDeps: IntakeDeps = { ...deps, temporal: importIntakeClient(client, deps.taskQueue), taskQueue: bulkQueue };

  async function load(importId: string) {
    const imp = await db('imports').where({ id: importId }).first('account_id', 'name', 'status', 'resume_offset', 'resume_line', 'total_rows', 'ok_rows', 'error_rows');
    // Gone (deleted with its account, say): retrying cannot help.
    if (!imp) throw notFound(`No import ${importId}`);
    const meta = await db('import_files').where({ import_id: importId }).first(db.raw('octet_length(content) AS size'), 'mapping', 'source');
    if (!meta) throw notFound(`The file of import ${importId} is gone`);
    if (imp.status === 'pending') await db('imports').where({ id: importId, status: 'pending' }).update({ status: 'running' });
    return { imp, size: Number(meta.size), meta: { mapping: checkMapping(meta.mapping), source: String(meta.source) } };
  }

  return {
    /**
     * Imports the file from its last checkpoint to the end (or for one work slice), committing
     * a checkpoint and heartbeating after every batch. Run with a short heartbeat timeout: a
     * dead worker's import is picked up by another within seconds, where the checkpoint is.
     */
    async importFile({ importId, batchSize = IMPORT_BATCH_SIZE, sliceMs = WORK_SLICE_MS }: { importId: string; batchSize?: number; sliceMs?: number }): Promise<ImportFileResult> {
      const ctx = Context.current();
      const started = Date.now();
      const { imp, size, meta } = await load(importId);
      const fresh = imp.resume_offset === null;
      const starts = new LeadStarts(db);
      const executionDeps: IntakeDeps = { ...intakeDeps, temporal: importIntakeClient(client, deps.taskQueue, starts) };
      // An earlier attempt may have died with starts still queued, for rows before the
      // checkpoint (the rows after it are taken again, and intake asks for theirs again).
      // Best effort: a lead it misses is reconcile's to start.
      const sweeping =
        !fresh && ctx.info.attempt > 1
          ? startMissingWorkflows(db, client, importId, imp.account_id, bulkQueue, starts).catch((err: unknown) => {
              console.warn(`[import] could not look for lead workflows an earlier attempt left unstarted (reconcile will start them): ${(err as Error).message}`);
            })
          : Promise.resolve();
      let cursor: ImportCursor = fresh ? { offset: 0, line: 1 } : { offset: Number(imp.resume_offset), line: imp.resume_line };
      const progress: ImportCounts = fresh
        ? { processed: 0, ok: 0, errors: 0, bytesTotal: size, bytesDone: 0 }
        : { processed: imp.total_rows, ok: imp.ok_rows, errors: imp.error_rows, bytesTotal: size, bytesDone: cursor.offset };

      // Best effort and never waited for: the import must not slow down or fail for the page's
      // progress bar. One signal in flight at a time, at most one a second.
      const execution = ctx.info.workflowExecution;
      let signalling = false;
      let lastSignal = 0;
      const report = () => {
        if (signalling || Date.now() - lastSignal < PROGRESS_SIGNAL_MS) return;
        signalling = true;
        lastSignal = Date.now();
        const counts = { ...progress };
        void client()
          .then((c) => (execution ? c.workflow.getHandle(execution.workflowId, execution.runId).signal(importProgressedSignal, counts) : undefined))
          .catch(() => {})
          .finally(() => {
            signalling = false;
          });
      };

      let lastBatchAt = Date.now();
      ctx.heartbeat({ ...cursor, processed: progress.processed });
      const ticker = setInterval(() => {
        if (Date.now() - lastBatchAt < BATCH_STALL_MS) ctx.heartbeat({ ...cursor, processed: progress.processed });
      }, TICK_MS);
      // Waiting on the starts is progress too, as long as they are being sent.
      const waitForStarts = async (until: () => boolean) => {
        while (!until()) {
          const sent = starts.settled;
          await starts.change(TICK_MS);
          if (starts.settled > sent) lastBatchAt = Date.now();
          if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason ?? new CancelledFailure('Import activity cancelled');
        }
      };

      const commit = async (items: CsvItem[]) => {
        if (starts.queued >= MAX_QUEUED_STARTS) {
          // Too many asked for and not sent: the saving gives the starts the machine for a while.
          starts.concurrency = START_CONCURRENCY;
          await waitForStarts(() => starts.queued <= MAX_QUEUED_STARTS / 2);
          starts.concurrency = START_CONCURRENCY_WHILE_SAVING;
        }
        const { ok, errors } = await takeBatch(executionDeps, importId, imp, meta, items);
        const next = items[items.length - 1]!.next;
        const counts = { processed: progress.processed + items.length, ok: progress.ok + ok, errors: progress.errors + errors.length };
        await db.transaction(async (trx) => {
          const row = await trx('imports').where({ id: importId }).forUpdate().first('resume_offset');
          if (!row) throw notFound(`No import ${importId}`);
          // Another execution of this import (one Temporal already gave up on) got here first.
          if (Number(row.resume_offset ?? 0) !== cursor.offset) {
            throw ApplicationFailure.create({ type: FailureType.ImportCheckpointMoved, message: `Import ${importId} moved on without this attempt; resuming from its checkpoint` });
          }
          if (errors.length) await trx('import_row_errors').insert(errors);
          await trx('imports')
            .where({ id: importId })
            .update({ resume_offset: next.offset, resume_line: next.line, total_rows: counts.processed, ok_rows: counts.ok, error_rows: counts.errors });
        });
        cursor = next;
        Object.assign(progress, counts, { bytesDone: next.offset });
        lastBatchAt = Date.now();
        ctx.heartbeat({ ...cursor, processed: progress.processed });
        report();
        if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason ?? new CancelledFailure('Import activity cancelled');
      };

      try {
        let batch: CsvItem[] = [];
        // What the workflow records as the import's failure reason if retrying does not mend it.
        const failure = (err: unknown) =>
          err instanceof ApplicationFailure || err instanceof CancelledFailure || !(err instanceof Error)
            ? err
            : ApplicationFailure.create({ type: err.name, message: `The rows from line ${batch[0]?.line ?? cursor.line} could not be imported: ${plainMessage(err)}`, cause: err });
        // The slice's rows are saved; it ends once their workflows' starts are sent too.
        const finish = async () => {
          starts.concurrency = START_CONCURRENCY;
          await sweeping;
          await waitForStarts(() => starts.idle);
          await starts.sending;
        };
        try {
          for await (const item of csvItems(new StoredFile(db, importId, size), cursor, fresh)) {
            batch.push(item);
            if (batch.length < batchSize) continue;
            await commit(batch);
            batch = [];
            if (Date.now() - started >= sliceMs) {
              await finish();
              return { done: false, progress: { ...progress } };
            }
          }
          if (batch.length) await commit(batch);
          await finish();
        } catch (err) {
          // What is queued is still sent, unless the import was cancelled: the rows are saved
          // and their leads should not wait for reconcile. The retry takes it from here.
          if (!ctx.cancellationSignal.aborted) {
            starts.concurrency = START_CONCURRENCY;
            await Promise.allSettled([sweeping, starts.whenIdle()]);
          }
          throw failure(err);
        }
        return { done: true, progress: { ...progress, bytesDone: size } };
      } finally {
        clearInterval(ticker);
      }
    },

    /**
     * One batch from `cursor`: what imports started before importFile existed still call (the
     * workflow's unpatched path). Reads only its own batch's bytes; its row errors are replaced
     * when the batch is repeated.
     */
    async importBatch({ importId, batchSize, cursor }: { importId: string; batchSize: number; cursor: ImportCursor | null }): Promise<ImportBatchResult> {
      const { imp, size, meta } = await load(importId);
      const items: CsvItem[] = [];
      for await (const item of csvItems(new StoredFile(db, importId, size), cursor ?? { offset: 0, line: 1 }, cursor === null)) {
        items.push(item);
        if (items.length >= batchSize) break;
      }
      const last = items[items.length - 1];
      const next = last && last.next.offset < size ? last.next : null;
      const { ok, errors } = await takeBatch(intakeDeps, importId, imp, meta, items);
      await db.transaction(async (trx) => {
        const lines = items.map((i) => i.line);
        if (lines.length) await trx('import_row_errors').where({ import_id: importId }).whereBetween('line_number', [Math.min(...lines), Math.max(...lines)]).del();
        if (errors.length) await trx('import_row_errors').insert(errors);
      });
      return { processed: items.length, ok, errors: errors.length, bytesTotal: size, next };
    },

    async finishImport({ importId, ok, errors, total }: { importId: string; ok: number; errors: number; total: number }): Promise<void> {
      await db('imports').where({ id: importId }).update({ status: 'done', ok_rows: ok, error_rows: errors, total_rows: total, finished_at: db.fn.now() });
    },

    /**
     * The import cannot go on: say why on its page. The rows it took so far stay in. Without
     * counts, the ones its last checkpoint committed stand.
     */
    async failImport({ importId, reason, ok, errors, total }: { importId: string; reason: string; ok?: number; errors?: number; total?: number }): Promise<void> {
      const counts = ok === undefined ? {} : { ok_rows: ok, error_rows: errors, total_rows: total };
      await db('imports')
        .where({ id: importId })
        .update({ status: 'failed', failure_reason: storable(reason).slice(0, 1000), ...counts, finished_at: db.fn.now() });
    },
  };
}

export type ImportActivities = ReturnType<typeof createImportActivities>;

/**
 * The client intake gets from an import. Intake starts each lead's workflow on the task queue
 * it is given (the bulk one here), and with the same queue signals-with-start the account's
 * distribution workflow. That one must not land on the bulk queue: it lives as long as the
 * account, and a hot lead's auto-assign pass would then wait behind every import's backlog. So
 * every start other than a lead workflow's goes to the live queue.
 *
 * With `starts`, a lead workflow's signal-with-start is queued there, exactly as intake made it,
 * and sent later; and the word to auto-assign that leads arrived is held until the starts before
 * it are sent (LeadStarts.trigger). A pass that assigned a lead whose workflow did not exist yet
 * would start that workflow itself, on the live queue.
 */
function importIntakeClient(client: () => Promise<Client>, liveTaskQueue: string, starts?: LeadStarts): () => Promise<Client> {
  let made: Promise<Client> | undefined;
  const live = <T extends { workflowType: string; options: { taskQueue: string } }>(input: T): T =>
    input.workflowType === LEAD_WORKFLOW_TYPE ? input : { ...input, options: { ...input.options, taskQueue: liveTaskQueue } };
  const interceptor: WorkflowClientInterceptor = {
    start: (input, next) => next(live(input)),
    signalWithStart: (input, next) => {
      if (!starts) return next(live(input));
      if (input.workflowType !== LEAD_WORKFLOW_TYPE) {
        starts.trigger(() => next(live(input)));
        return Promise.resolve('');
      }
      const lead = input.options.args[0] as LeadWorkflowInput;
      const arrival = input.signalArgs[0] as LeadArrival | undefined;
      starts.push({ leadId: lead.leadId, accountId: lead.accountId, touchId: arrival?.touchId ?? null, send: () => next(input) });
      // Intake only waits for the call; the run id it would return is not used.
      return Promise.resolve('');
    },
  };
  return () =>
    (made ??= client().then(
      (c) => new Client({ connection: c.connection, namespace: c.options.namespace, dataConverter: c.options.dataConverter, interceptors: { workflow: [interceptor] } }),
      (err: unknown) => {
        made = undefined;
        throw err;
      },
    ));
}

interface QueuedStart {
  leadId: string;
  accountId: string;
  touchId: string | null;
  send: () => Promise<unknown>;
}

/**
 * Lead workflow starts an import's intake asked for, sent `concurrency` at a time in the order
 * they were asked for. A start that fails is recorded in the lead's history as intake records
 * it (`workflow_start_failed`), so reconcile starts that lead's workflow.
 */
class LeadStarts {
  private readonly items: QueuedStart[] = [];
  private head = 0;
  private inFlight = 0;
  private limit = START_CONCURRENCY_WHILE_SAVING;
  /** Starts sent (or given up on) so far. */
  settled = 0;
  private waiters: Array<() => void> = [];
  /** The latest other signal-with-start asked for meanwhile (the auto-assign trigger), held until the queue is empty. */
  private held: (() => Promise<unknown>) | null = null;

  constructor(private readonly db: Knex) {}

  /** Holds `send` (replacing one held before: the same word again) until the starts asked for before it are sent. */
  trigger(send: () => Promise<unknown>): void {
    this.held = send;
    if (this.idle) this.sendHeld();
  }

  /** Asked for and not yet settled. */
  get queued(): number {
    return this.items.length - this.head + this.inFlight;
  }

  get idle(): boolean {
    return this.queued === 0;
  }

  set concurrency(n: number) {
    this.limit = n;
    this.pump();
  }

  push(item: QueuedStart): void {
    this.items.push(item);
    this.pump();
  }

  /** Resolves at the next start that settles, or after `ms`. */
  change(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.waiters.push(done);
    });
  }

  async whenIdle(): Promise<void> {
    while (!this.idle) await this.change(1_000);
  }

  private pump(): void {
    while (this.inFlight < this.limit && this.head < this.items.length) {
      const item = this.items[this.head]!;
      this.items[this.head++] = undefined as unknown as QueuedStart;
      // Let go of what was sent, now and then, so a long import does not keep it all.
      if (this.head >= 4096 && this.head * 2 >= this.items.length) {
        this.items.splice(0, this.head);
        this.head = 0;
      }
      this.inFlight++;
      void this.send(item).finally(() => {
        this.inFlight--;
        this.settled++;
        if (this.idle) this.sendHeld();
        const waiters = this.waiters;
        this.waiters = [];
        for (const w of waiters) w();
        this.pump();
      });
    }
  }

  /** The held signal on its way, if any: a slice ends once it is sent. */
  sending: Promise<void> = Promise.resolve();

  /** Best effort, like intake's own trigger: it logs what it cannot send. */
  private sendHeld(): void {
    const send = this.held;
    this.held = null;
    if (send) {
      this.sending = send().then(
        () => {},
        (err: unknown) => console.error('[import] could not tell auto-assign that leads arrived', err),
      );
    }
  }

  private async send(item: QueuedStart): Promise<void> {
    try {
      await item.send();
    } catch (err) {
      await this.db('lead_events')
        .insert({
          lead_id: item.leadId,
          account_id: item.accountId,
          actor_system: 'intake',
          type: 'workflow_start_failed' satisfies LeadEventType,
          note: 'The lead is saved; its workflow will be started by reconcile',
          data: JSON.stringify({ touchId: item.touchId, error: err instanceof Error ? err.message : String(err) }),
        })
        .catch(() => {});
    }
  }
}

/**
 * Queues a start for every lead of the import whose workflow does not exist: what an attempt
 * that died took with it. One visibility query per page of leads; what it does not list is
 * asked about directly (visibility can lag a start), and only a workflow that does not exist at
 * all is started (from Postgres: the workflow loads its lead). A lead whose workflow ran and
 * closed is left alone.
 */
async function startMissingWorkflows(db: Knex, client: () => Promise<Client>, importId: string, accountId: string, taskQueue: string, starts: LeadStarts): Promise<void> {
  const c = await client();
  let after: string | null = null;
  for (;;) {
    const q = db('leads').where({ import_id: importId }).orderBy('id').limit(SWEEP_PAGE).pluck('id');
    if (after) q.where('id', '>', after);
    const ids: string[] = await q;
    if (!ids.length) return;
    after = ids[ids.length - 1]!;
    const listed = new Set<string>();
    const query = `WorkflowId IN (${ids.map((id) => `'${leadWorkflowId(id)}'`).join(', ')})`;
    for await (const w of c.workflow.list({ query })) listed.add(w.workflowId);
    const unlisted = ids.filter((id) => !listed.has(leadWorkflowId(id)));
    await forEachLimit(unlisted, START_CONCURRENCY, async (leadId) => {
      try {
        await c.workflow.getHandle(leadWorkflowId(leadId)).describe();
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
        starts.push({ leadId, accountId, touchId: null, send: () => startLead(c, { leadId, accountId }, { taskQueue }) });
      }
    });
  }
}
