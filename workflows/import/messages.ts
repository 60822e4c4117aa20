// The import workflow's messages: shared by the workflow, the activity that reports progress
// into it, and the web page that polls it.
import { defineQuery, defineSignal } from '@temporalio/workflow';

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

/**
 * The import activity reads the whole file in one execution, so the workflow would otherwise
 * learn nothing until it returns: it reports each committed checkpoint (throttled) instead.
 */
export const importProgressedSignal = defineSignal<[Omit<ImportProgress, 'status'>]>('importProgressed');
