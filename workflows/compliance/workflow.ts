// After a suppression list upload, one workflow scrubs the leads the new entries match
// (db/compliance/sweep.ts), so they are flagged within a minute of the upload instead of at
// their next weekly re-scrub. A workflow, not the upload request, so that a web server or
// worker dying mid-sweep leaves it to be finished, not half-done.
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.ts';

export interface SuppressionSweepInput {
  /** null: the federal list. */
  accountId: string | null;
  /** ISO: entries added at or after this are the upload's. */
  since: string;
  /** ISO: the sweep's time, fixed once so a retried activity records nothing twice. */
  at: string;
}

const { sweepSuppressionUpload } = proxyActivities<Activities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '1 minute',
  // Finite: a sweep that cannot finish is left to the weekly re-scrub of each lead.
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 20 },
});

export async function suppressionSweepWorkflow(input: SuppressionSweepInput): Promise<{ matched: number; flagged: number; removed: number }> {
  return sweepSuppressionUpload(input);
}
