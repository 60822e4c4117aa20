// A CSV import: one workflow per upload. One long activity (importFile) reads the file once,
// front to back, and commits a checkpoint after every batch, heartbeating it; a worker that
// dies is noticed within the heartbeat timeout and the retry resumes at the checkpoint, so a
// crash repeats at most one batch (rows carry an idempotency key per line, so a repeated batch
// adds nothing twice). Each execution works for at most one time slice and the workflow calls
// it again, so the retry budget, which is bounded, is spent per slice of the file: an import
// that cannot go on fails with its reason instead of retrying for ever.
//
// Imports started before importFile existed keep reading batch by batch (importBatch): the
// `import-streamed-once` patch.
import { ActivityFailure, isCancellation, patched, proxyActivities, setHandler } from '@temporalio/workflow';
import type { ImportActivities, ImportBatchResult } from '../../activities/import.ts';
import { IMPORT_NON_RETRYABLE } from '../failures.ts';
import { importProgressedSignal, importProgressQuery, type ImportProgress } from './messages.ts';

export { importProgressQuery, type ImportProgress } from './messages.ts';

export const IMPORT_BATCH_SIZE = 200;

const NON_RETRYABLE = IMPORT_NON_RETRYABLE;

const { importFile } = proxyActivities<ImportActivities>({
  // A slice is five minutes of work; this only catches an execution that stopped heartbeating
  // its progress yet keeps its ticker going.
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: '15 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '15 seconds', maximumAttempts: 5, nonRetryableErrorTypes: NON_RETRYABLE },
});

const { importBatch, finishImport, failImport } = proxyActivities<ImportActivities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', backoffCoefficient: 2, maximumAttempts: 10, nonRetryableErrorTypes: NON_RETRYABLE },
});

export async function importWorkflow({ importId, batchSize = IMPORT_BATCH_SIZE }: { importId: string; batchSize?: number }): Promise<ImportProgress> {
  const progress: ImportProgress = { status: 'running', processed: 0, ok: 0, errors: 0, bytesTotal: 0, bytesDone: 0 };
  setHandler(importProgressQuery, () => progress);
  // Reports from an execution may arrive late or from an attempt that was given up on: only
  // ever forward.
  setHandler(importProgressedSignal, (p) => {
    if (progress.status === 'running' && p.bytesDone >= progress.bytesDone) Object.assign(progress, p);
  });
  const streamed = patched('import-streamed-once');
  try {
    if (streamed) {
      for (;;) {
        const r = await importFile({ importId, batchSize });
        Object.assign(progress, r.progress);
        if (r.done) break;
      }
    } else {
      // The header is line 1; the first batch starts after it.
      let cursor: { offset: number; line: number } | null = null;
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
    }
  } catch (err) {
    // Only a failure retrying cannot mend, or one that outlasted the retries, gets here: the
    // import says why on its page, and the rows already taken stay in.
    if (isCancellation(err)) throw err;
    progress.status = 'failed';
    const reason = err instanceof ActivityFailure && err.cause ? err.cause.message : err instanceof Error ? err.message : String(err);
    // The streamed import's counts are its last checkpoint's, already in Postgres.
    await failImport(streamed ? { importId, reason } : { importId, reason, ok: progress.ok, errors: progress.errors, total: progress.processed });
    throw err;
  }
  await finishImport({ importId, ok: progress.ok, errors: progress.errors, total: progress.processed });
  progress.status = 'done';
  return progress;
}
