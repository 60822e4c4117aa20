// The CSV import workflow's activities. The upload lives in import_files (bytea); a batch reads
// the file from the byte offset the previous batch reached and streams it through csv-parse,
// stopping after `batchSize` records, so memory holds one batch of rows, never the file's rows.
// A batch goes through intakeLeads as one set, each row with the idempotency key
// `import:<importId>:<line>`: a batch repeated after a crash finds its rows already taken and
// adds no second touch (and starts any workflow the crash left unstarted).
import { Readable } from 'node:stream';
import { ApplicationFailure } from '@temporalio/activity';
import { parse } from 'csv-parse';
import type { Knex } from 'knex';
import { intakeLeads, IntakeValidationError, LeadWorkflowStartError, type IntakeDeps, type IntakeInput } from './intake.ts';
import type { LeadSource } from '../workflows/lead/templates.ts';

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

function rowToInput(record: string[], mapping: ImportMapping, source: LeadSource, importName: string): IntakeInput {
  const at = (i: number | undefined) => (i === undefined ? '' : (record[i] ?? '').trim());
  return {
    firstName: at(mapping.firstName),
    lastName: at(mapping.lastName),
    address: { line1: at(mapping.line1), line2: at(mapping.line2) || null, city: at(mapping.city), state: at(mapping.state), zip: at(mapping.zip) },
    phones: (mapping.phones ?? []).map(at).filter(Boolean),
    emails: (mapping.emails ?? []).map(at).filter(Boolean),
    source,
    importName,
    customer: /^(y|yes|true|1|c|customer)$/i.test(at(mapping.customer)),
  };
}

export function createImportActivities(deps: IntakeDeps) {
  const db: Knex = deps.db;
  return {
    async importBatch({ importId, batchSize, cursor }: { importId: string; batchSize: number; cursor: ImportCursor | null }): Promise<ImportBatchResult> {
      const imp = await db('imports').where({ id: importId }).first('account_id', 'name', 'status');
      // Gone (deleted with its account, say): retrying cannot help.
      if (!imp) throw ApplicationFailure.create({ type: 'ImportNotFound', message: `No import ${importId}`, nonRetryable: true });
      if (imp.status === 'pending') await db('imports').where({ id: importId }).update({ status: 'running' });
      const start = cursor ?? { offset: 0, line: 1 };
      const file = await db('import_files')
        .where({ import_id: importId })
        .first(db.raw('octet_length(content) AS total'), db.raw('substring(content from ?) AS chunk', [start.offset + 1]), 'mapping', 'source');
      if (!file) throw ApplicationFailure.create({ type: 'ImportNotFound', message: `The file of import ${importId} is gone`, nonRetryable: true });
      const bytesTotal = Number(file.total);

      const rows: Array<{ line: number; record: string[] }> = [];
      // The line each record read so far ends on (the header included), to place the records
      // the parser cannot read even with relaxed quoting (a quote never closed): one starts on
      // the line after the record before it ended.
      const endLines: number[] = [];
      const skipped: Array<{ after: number; reason: string }> = [];
      let next: ImportCursor | null = null;
      let skipHeader = cursor === null;
      const parser = Readable.from([file.chunk as Buffer]).pipe(
        parse({ info: true, bom: true, skip_empty_lines: true, relax_column_count: true, relax_quotes: true, skip_records_with_error: true }),
      );
      parser.on('skip', (err: Error & { records?: number }) => skipped.push({ after: err.records ?? 0, reason: `Malformed CSV: ${err.message}` }));
      for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { bytes: number; lines: number } }>) {
        const endLine = start.line - 1 + info.lines;
        next = { offset: start.offset + info.bytes, line: endLine + 1 };
        endLines.push(endLine);
        if (skipHeader) {
          skipHeader = false;
          continue;
        }
        // A quoted field may span lines; the row is reported at the line where it starts.
        const line = endLine - record.join(',').split('\n').length + 1;
        rows.push({ line, record });
        if (rows.length >= batchSize) break;
      }
      parser.destroy();
      const done = rows.length < batchSize;
      // One after the last record of a full batch is the next batch's to report.
      const malformed = skipped
        .filter((k) => done || k.after < endLines.length)
        .map((k) => ({ line: (k.after > 0 ? endLines[k.after - 1]! : start.line - 1) + 1, reason: k.reason }));

      // A repeated batch records its bad rows again; drop the earlier attempt's.
      const lines = [...rows.map((r) => r.line), ...malformed.map((m) => m.line)];
      if (lines.length) await db('import_row_errors').where({ import_id: importId }).whereBetween('line_number', [Math.min(...lines), Math.max(...lines)]).del();
      const outcomes = await intakeLeads(
        deps,
        imp.account_id,
        rows.map(({ line, record }) => ({ raw: rowToInput(record, file.mapping, file.source, imp.name), opts: { importId, idempotencyKey: `import:${importId}:${line}` } })),
      );
      let ok = 0;
      const errors: Array<{ import_id: string; line_number: number; reason: string; raw: string }> = [];
      outcomes.forEach((outcome, i) => {
        const { line, record } = rows[i]!;
        if (outcome.ok || outcome.error instanceof LeadWorkflowStartError) {
          ok += 1; // saved; a workflow that did not start is started by reconcile
          return;
        }
        const reason =
          outcome.error instanceof IntakeValidationError
            ? Object.entries(outcome.error.fieldErrors)
                .map(([f, m]) => `${f}: ${m}`)
                .join('; ')
            : outcome.error.message;
        errors.push({ import_id: importId, line_number: line, reason, raw: record.join(',').slice(0, 2000) });
      });
      for (const m of malformed) errors.push({ import_id: importId, line_number: m.line, reason: m.reason, raw: '' });
      if (errors.length) await db('import_row_errors').insert(errors);
      return { processed: rows.length + malformed.length, ok, errors: errors.length, bytesTotal, next: done ? null : next };
    },

    async finishImport({ importId, ok, errors, total }: { importId: string; ok: number; errors: number; total: number }): Promise<void> {
      await db('imports').where({ id: importId }).update({ status: 'done', ok_rows: ok, error_rows: errors, total_rows: total, finished_at: db.fn.now() });
    },

    /** The import cannot go on: say why on its page. The rows it took so far stay in. */
    async failImport({ importId, reason, ok, errors, total }: { importId: string; reason: string; ok: number; errors: number; total: number }): Promise<void> {
      await db('imports')
        .where({ id: importId })
        .update({ status: 'failed', failure_reason: reason.slice(0, 1000), ok_rows: ok, error_rows: errors, total_rows: total, finished_at: db.fn.now() });
    },
  };
}

export type ImportActivities = ReturnType<typeof createImportActivities>;
