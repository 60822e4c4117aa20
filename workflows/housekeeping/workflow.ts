// Housekeeping: prunes rows nothing else deletes (old Idempotency-Keys, old sign-in attempts)
// once a day. One runs per namespace: every worker starts it at start-up under the fixed id
// `housekeeping` with the USE_EXISTING conflict policy (worker/clients/housekeeping.ts), so a second
// worker, or a restart, finds the running one instead of starting another.
import { ActivityFailure, continueAsNew, defineQuery, isCancellation, log, proxyActivities, setHandler, sleep } from '@temporalio/workflow';
import type { HousekeepingActivities, PruneResult } from '../../activities/housekeeping.ts';

export const HOUSEKEEPING_INTERVAL = '24 hours';

/** Prunes per run before continue-as-new: about a month, a few hundred history events. */
export const PRUNES_PER_RUN = 30;

export interface HousekeepingInput {
  /** Test hook: continue as new sooner. */
  prunesPerRun?: number;
}

export interface HousekeepingStatus {
  /** Prunes attempted in this run (continue-as-new starts again at 0). */
  prunes: number;
  last: PruneResult | null;
  lastError: string | null;
}

export const housekeepingStatusQuery = defineQuery<HousekeepingStatus>('housekeepingStatus');

const { pruneExpiredRows } = proxyActivities<HousekeepingActivities>({
  startToCloseTimeout: '30 minutes',
  // It heartbeats after every chunk: a dead worker's prune is retried in a minute, not 30.
  heartbeatTimeout: '1 minute',
  // A prune that keeps failing is given up on until tomorrow's, rather than failing the
  // workflow (which no one would restart before the next worker start).
  retry: { initialInterval: '10 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes', maximumAttempts: 10 },
});

export async function housekeepingWorkflow(input: HousekeepingInput = {}): Promise<void> {
  const prunesPerRun = input.prunesPerRun ?? PRUNES_PER_RUN;
  const status: HousekeepingStatus = { prunes: 0, last: null, lastError: null };
  setHandler(housekeepingStatusQuery, () => status);

  while (status.prunes < prunesPerRun) {
    try {
      status.last = await pruneExpiredRows();
      status.lastError = null;
      log.info('Pruned expired rows', { ...status.last });
    } catch (err) {
      if (!(err instanceof ActivityFailure) || isCancellation(err)) throw err;
      status.lastError = err.cause?.message ?? err.message;
      log.warn('Pruning expired rows failed; trying again at the next interval', { error: status.lastError });
    }
    status.prunes++;
    await sleep(HOUSEKEEPING_INTERVAL);
  }
  // The run ends on a sleep, so the next run prunes at once and the daily rhythm holds.
  await continueAsNew<typeof housekeepingWorkflow>(input);
}
