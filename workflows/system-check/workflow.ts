// The end-to-end path check an admin starts from the web app: web -> Temporal -> a worker ->
// an activity -> Postgres. If the row turns 'completed', every link works.
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { createActivities, SystemCheckResult } from '../../activities/index.ts';
import { FailureType } from '../failures.ts';

const { recordSystemCheck } = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '30 seconds',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '30 seconds',
    // A check nobody completes within a few minutes is a failed check; the admin can start another.
    maximumAttempts: 8,
    nonRetryableErrorTypes: [FailureType.SystemCheckNotFound],
  },
});

export interface SystemCheckInput {
  checkId: string;
}

export async function systemCheckWorkflow({ checkId }: SystemCheckInput): Promise<SystemCheckResult> {
  return recordSystemCheck({ checkId, workflowId: workflowInfo().workflowId });
}
