// CSV imports from the web app. An upload is stored and waits for its column mapping; saving
// the mapping starts the import workflow (workflows/import), which owns the rest.
import { parse } from 'csv-parse/sync';
import type { Knex } from 'knex';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { ImportMapping } from '../../../activities/import.ts';
import { stripUnsafeText } from '../../../db/hygiene/text-input.ts';
import type { ImportProgress } from '../../../workflows/import/messages.ts';
import { queryImportProgress, startImportWorkflow } from '../../../worker/clients/import.ts';
import type { WebServices } from '../context.ts';

// The preview reads only the file's start: enough for a header and three rows of any sane CSV.
const PREVIEW_BYTES = 256 * 1024;

/** The header (row 1) and up to `rows` data rows. */
export function previewCsv(content: Buffer, rows = 3): { header: string[]; rows: string[][] } {
  const head = content.subarray(0, PREVIEW_BYTES);
  let records: string[][] = [];
  try {
    records = parse(head, { bom: true, skip_empty_lines: true, relax_column_count: true, relax_quotes: true, to: rows + 1 });
  } catch {
    // A record cut off at PREVIEW_BYTES, or a broken quote: show what parsed line by line.
    records = head
      .toString('utf8')
      .split(/\r?\n/)
      .filter((l) => l.trim() !== '')
      .slice(0, rows + 1)
      .map((l) => l.split(','));
  }
  const [header = [], ...data] = records;
  // The header is stored (jsonb refuses a NUL) and only labels the columns: invisible control
  // characters in it are dropped rather than failing the upload.
  return { header: header.map((h) => stripUnsafeText(h).trim()), rows: data.slice(0, rows) };
}

export interface ImportListRow {
  id: string;
  name: string;
  fileName: string | null;
  status: string;
  totalRows: number;
  okRows: number;
  errorRows: number;
  createdAt: string;
  /** A saved mapping: the import was started (or its start failed and the page says so). */
  mapped: boolean;
}

export async function listImports(db: Knex, accountId: string): Promise<ImportListRow[]> {
  const rows = await db('imports')
    .leftJoin('import_files', 'import_files.import_id', 'imports.id')
    .where({ 'imports.account_id': accountId })
    .orderBy('imports.created_at', 'desc')
    .limit(200)
    .select('imports.*', db.raw(`coalesce(import_files.mapping <> '{}'::jsonb, false) AS mapped`));
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    fileName: r.file_name,
    status: r.status,
    totalRows: r.total_rows,
    okRows: r.ok_rows,
    errorRows: r.error_rows,
    createdAt: new Date(r.created_at).toISOString(),
    mapped: Boolean(r.mapped),
  }));
}

export async function createImport(
  db: Knex,
  /** `source`: a source name as the uploader gave it; intake resolves it in the account's catalogue. */
  input: { accountId: string; userId: string; name: string; fileName: string; source: string; content: Buffer; header: string[] },
): Promise<string> {
  return db.transaction(async (trx) => {
    const [imp] = await trx('imports').insert({ account_id: input.accountId, name: input.name, file_name: input.fileName, created_by: input.userId }).returning('id');
    await trx('import_files').insert({ import_id: imp.id, content: input.content, header: JSON.stringify(input.header), source: input.source });
    return imp.id as string;
  });
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The account's import, or null: another account's import is "not found", never "forbidden". */
export async function findImport(db: Knex, accountId: string, importId: string) {
  if (!UUID.test(importId)) return null;
  return (await db('imports').where({ id: importId, account_id: accountId }).first()) ?? null;
}

/** The file's start for the mapping page; the content column is sliced in SQL, not loaded whole. */
export async function importPreview(db: Knex, importId: string) {
  const row = await db('import_files').where({ import_id: importId }).first(db.raw('substring(content from 1 for ?) AS head', [PREVIEW_BYTES]), 'header', 'mapping', 'source');
  if (!row) return null;
  return { ...previewCsv(row.head as Buffer), source: row.source as string };
}

export type StartResult = 'started' | 'already_started' | { error: string };

/** Saves the mapping and starts the import's workflow; a second start finds it running. */
export async function startImport(services: WebServices, importId: string, mapping: ImportMapping): Promise<StartResult> {
  // Once the workflow has read the file, changing the mapping would change rows half-way.
  const updated = await services.db('import_files').where({ import_id: importId }).whereIn('import_id', services.db('imports').select('id').where({ id: importId, status: 'pending' })).update({ mapping: JSON.stringify(mapping) });
  if (!updated) return 'already_started';
  if (!services.temporal) return { error: 'Temporal is not configured for this web server, so the import cannot start.' };
  try {
    const client = await services.temporal.getClient();
    await startImportWorkflow(client, { importId }, { taskQueue: services.temporal.taskQueue });
    return 'started';
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return 'already_started';
    console.error('[web] starting an import failed', err);
    return { error: 'The import could not be started: Temporal did not accept it. Try again.' };
  }
}

export interface ImportView {
  progress: ImportProgress;
  /** Where the numbers came from: the running workflow, or the imports row once it is closed. */
  live: boolean;
}

export async function importProgress(services: WebServices, imp: { id: string; status: string; total_rows: number; ok_rows: number; error_rows: number }): Promise<ImportView> {
  const fromRow: ImportProgress = {
    status: imp.status === 'done' ? 'done' : imp.status === 'failed' ? 'failed' : 'running',
    processed: imp.total_rows,
    ok: imp.ok_rows,
    errors: imp.error_rows,
    bytesTotal: 1,
    bytesDone: imp.status === 'done' ? 1 : 0,
  };
  if (imp.status === 'done' || imp.status === 'failed' || !services.temporal) return { progress: fromRow, live: false };
  try {
    const client = await services.temporal.getClient();
    return { progress: await queryImportProgress(client, imp.id), live: true };
  } catch {
    // Not started yet, closed, or Temporal unreachable: the row's counts are the best we have.
    return { progress: fromRow, live: false };
  }
}

export async function importRowErrors(db: Knex, importId: string, limit = 500) {
  const rows = await db('import_row_errors').where({ import_id: importId }).orderBy('line_number').limit(limit).select('line_number', 'reason');
  return rows.map((r) => ({ line: r.line_number as number, reason: r.reason as string }));
}
