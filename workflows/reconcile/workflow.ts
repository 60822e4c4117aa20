// Lead reconcile: every few minutes, starts the workflow of any lead saved without one (its
// start failed while Temporal was unreachable, or the process died between the commit and the
// start), so such a lead waits minutes, not until someone presses Reconcile. One runs per
// namespace, started by every worker under a fixed id like housekeeping (worker/clients/housekeeping.ts).
import { ActivityFailure, continueAsNew, defineQuery, isCancellation, log, proxyActivities, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import type { ReconcileActivities } from '../../activities/reconcile.ts';

export const RECONCILE_INTERVAL = '2 minutes';
/** A first sweep (a new namespace, or one that lost this workflow) looks back this far. */
export const FIRST_SWEEP_LOOKBACK_MS = 24 * 60 * 60 * 1000;
/** Sweeps per run before continue-as-new: keeps the history to a couple of thousand events. */
export const SWEEPS_PER_RUN = 200;

export interface LeadReconcileInput {
  /** Where the next sweep starts (ISO time); carried across continue-as-new. */
  since?: string;
  /** Test hook: continue as new sooner. */
  sweepsPerRun?: number;
}

export interface LeadReconcileStatus {
  sweeps: number;
  since: string;
  lastRestarted: string[];
  lastError: string | null;
}

export const leadReconcileStatusQuery = defineQuery<LeadReconcileStatus>('leadReconcileStatus');

const { reconcileRecentLeads } = proxyActivities<ReconcileActivities>({
  startToCloseTimeout: '5 minutes',
  // A sweep that keeps failing is left to the next one, which covers the same leads.
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 3 },
});

export async function leadReconcileWorkflow(input: LeadReconcileInput = {}): Promise<void> {
  const status: LeadReconcileStatus = {
    sweeps: 0,
    since: input.since ?? new Date(workflowInfo().startTime.getTime() - FIRST_SWEEP_LOOKBACK_MS).toISOString(),
    lastRestarted: [],
    lastError: null,
  };
  setHandler(leadReconcileStatusQuery, () => status);
  const sweepsPerRun = input.sweepsPerRun ?? SWEEPS_PER_RUN;

  while (status.sweeps < sweepsPerRun) {
    try {
      const r = await reconcileRecentLeads({ since: status.since });
      status.since = r.next;
      status.lastRestarted = r.restarted;
      status.lastError = null;
      if (r.restarted.length) log.info('Started workflows of leads saved without one', { count: r.restarted.length });
    } catch (err) {
      if (!(err instanceof ActivityFailure) || isCancellation(err)) throw err;
      status.lastError = err.cause?.message ?? err.message;
      log.warn('Lead reconcile sweep failed; the next sweep covers the same leads', { error: status.lastError });
    }
    status.sweeps++;
    await sleep(RECONCILE_INTERVAL);
  }
  await continueAsNew<typeof leadReconcileWorkflow>({ ...input, since: status.since });
}
