// One workflow per account (`distribution-<accountId>`) keeps auto-assign going: a pass at
// every workday start, and one whenever it is told a lead may be assignable (a lead arrived
// or returned to the pool, an LSP became available, a target was raised). Triggers that arrive
// during a pass are folded into the next one, so a burst of 1,000 arrivals costs a few passes,
// not 1,000. Every pass decides in PostgreSQL (db/distribution/auto-assign.ts, under the
// account's distribution lock), so a pass that runs twice after a crash assigns nothing twice
// (docs/decisions/0008-auto-assign.md).
import { condition, continueAsNew, log, patched, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.ts';
import { autoAssignRequestedSignal, distributionStatusQuery, type DistributionInput, type DistributionStatus } from './messages.ts';

const acts = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  // Finite: a pass that keeps failing (PostgreSQL away) gives way to the next trigger or retry.
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10 },
});

/** Events in one run before it continues as new. */
export const DISTRIBUTION_HISTORY_LIMIT = 2_000;
/** After a pass failed every attempt, the next one runs this much later unless a trigger comes first. */
const RETRY_AFTER_FAILURE_MS = 5 * 60_000;
/**
 * A pass that passed over a locked lead an LSP could take runs again this much later (the lead's
 * own activity holds its row for milliseconds), at most RETRY_LOCKED_MAX times in a row: a row
 * held longer than that waits for the next trigger or workday start.
 */
const RETRY_LOCKED_MS = 250;
const RETRY_LOCKED_MAX = 20;
/** Triggers remembered by name for the next pass's reason (the rest are the same kind). */
const PENDING_MAX = 20;

export async function distributionWorkflow(input: DistributionInput): Promise<void> {
  const { accountId } = input;
  const limit = input.historyLimit ?? DISTRIBUTION_HISTORY_LIMIT;
  // A start is itself a trigger: the signal that started it is delivered before this runs.
  let pending: string[] = input.pending ? [...input.pending] : [];
  let firstPass = !input.pending;
  const status: Omit<DistributionStatus, 'pending'> = { enabled: null, lastRunAt: null, lastAssigned: 0, nextRunAt: null };

  setHandler(autoAssignRequestedSignal, ({ why }) => {
    // Past the cap the pass still runs: the list is only its reason in words.
    if (!pending.includes(why) && pending.length < PENDING_MAX) pending.push(why);
  });
  setHandler(distributionStatusQuery, () => ({ ...status, pending: [...pending] }));

  const historyFull = () => workflowInfo().historyLength > limit || workflowInfo().continueAsNewSuggested;
  let lockedRetries = 0;
  let retryTrigger: string | null = null;

  while (!historyFull()) {
    const trigger = pending.length ? pending.join('; ') : (retryTrigger ?? (firstPass ? 'started' : 'workday start'));
    pending = [];
    retryTrigger = null;
    firstPass = false;
    let waitMs: number | undefined;
    try {
      const pass = await acts.autoAssignAccount({ accountId, trigger, at: new Date().toISOString() });
      status.enabled = pass.enabled;
      status.lastRunAt = new Date().toISOString();
      status.lastAssigned = pass.assigned;
      status.nextRunAt = pass.nextRunAt;
      // A pass has a ceiling: more may be waiting.
      if (pass.more) continue;
      // Off: nothing to do until the template is turned on (that sends a trigger).
      waitMs = pass.enabled && pass.nextRunAt ? Math.max(1, Date.parse(pass.nextRunAt) - Date.now()) : undefined;
      if (pass.retrySoon && lockedRetries < RETRY_LOCKED_MAX && patched('distribution-retry-locked')) {
        lockedRetries += 1;
        retryTrigger = 'a lead was busy during the last pass';
        waitMs = RETRY_LOCKED_MS;
      } else lockedRetries = 0;
    } catch (err) {
      log.warn('Auto-assign pass failed; the next trigger or a retry later runs it again', { accountId, error: String(err) });
      waitMs = RETRY_AFTER_FAILURE_MS;
    }
    const woken = () => pending.length > 0 || historyFull();
    if (waitMs === undefined) await condition(woken);
    else await condition(woken, waitMs);
  }
  await continueAsNew<typeof distributionWorkflow>({ accountId, pending, ...(input.historyLimit ? { historyLimit: input.historyLimit } : {}) });
}
