// A CSV import: one workflow per upload, reading the file in batches through an activity (each
// batch resumes from the byte offset the previous one reached), so neither the workflow nor a
// worker ever holds the whole file as rows, and a worker crash repeats at most one batch
// (rows carry an idempotency key per line, so a repeated batch adds nothing twice).
import { ActivityFailure, defineQuery, isCancellation, proxyActivities, setHandler } from '@temporalio/workflow';
import type { ImportActivities, ImportBatchResult } from '../../activities/import.ts';

export interface ImportProgress {
  status: 'running' | 'done' | 'failed';
  /** Data rows read so far (the header excluded). */
  processed: number;
  ok: number;
  errors: number;
  /** The file's size and how far into it the import is: the progress bar. */
  bytesTotal: number;
  bytesDone: number;
}

export const importProgressQuery = defineQuery<ImportProgress>('importProgress');

export const IMPORT_BATCH_SIZE = 200;

const { importBatch, finishImport, failImport } = proxyActivities<ImportActivities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', backoffCoefficient: 2 },
});

export async function importWorkflow({ importId, batchSize = IMPORT_BATCH_SIZE }: { importId: string; batchSize?: number }): Promise<ImportProgress> {
  const progress: ImportProgress = { status: 'running', processed: 0, ok: 0, errors: 0, bytesTotal: 0, bytesDone: 0 };
  setHandler(importProgressQuery, () => progress);
  // The header is line 1; the first batch starts after it.
  let cursor: { offset: number; line: number } | null = null;
  try {
    for (;;) {
      const r: ImportBatchResult = await importBatch({ importId, batchSize, cursor });
      progress.processed += r.processed;
      progress.ok += r.ok;
      progress.errors += r.errors;
      progress.bytesTotal = r.bytesTotal;
      progress.bytesDone = r.next ? r.next.offset : r.bytesTotal;
      if (!r.next) break;
      cursor = r.next;
    }
  } catch (err) {
    // Only a failure retrying cannot mend gets here (a transient one is retried for as long as
    // it lasts): the import says why on its page, and the rows already taken stay in.
    if (isCancellation(err)) throw err;
    progress.status = 'failed';
    const reason = err instanceof ActivityFailure && err.cause ? err.cause.message : err instanceof Error ? err.message : String(err);
    await failImport({ importId, reason, ok: progress.ok, errors: progress.errors, total: progress.processed });
    throw err;
  }
  await finishImport({ importId, ok: progress.ok, errors: progress.errors, total: progress.processed });
  progress.status = 'done';
  return progress;
}
