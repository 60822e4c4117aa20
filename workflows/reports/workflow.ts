// One workflow per account (`report-mail-<accountId>`) sends its owners' and admins' e-mailed
// reports: it sleeps until the next due time of any subscription (read from PostgreSQL by an
// activity, on the account's clock), then has the due e-mails queued in the outbox (one per
// subscriber and period, under a unique key) and sends them. A durable timer, not a Temporal
// Schedule: while no worker runs, the timer fires on the server and the e-mail goes out as soon
// as a worker is back; after an outage that missed several due times, each subscriber gets the
// latest period only. A changed subscription signals it, so a new hour counts at once.
import { condition, continueAsNew, log, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.ts';
import { OUTBOX_SEND_OPTIONS } from '../failures.ts';
import { reportMailStatusQuery, reportSubscriptionsChangedSignal, type ReportMailInput, type ReportMailStatus } from './messages.ts';

const acts = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  // Finite: a wake-up that keeps failing (PostgreSQL away) tries again a little later.
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10 },
});

const mail = proxyActivities<Activities>(OUTBOX_SEND_OPTIONS);

/** Events in one run before it continues as new: a daily report costs about 15 a day. */
export const REPORT_MAIL_HISTORY_LIMIT = 1_000;
/** After a wake-up failed every attempt, the next one comes this much later unless a change comes first. */
const RETRY_AFTER_FAILURE_MS = 5 * 60_000;

export async function reportMailWorkflow(input: ReportMailInput): Promise<void> {
  const { accountId } = input;
  const limit = input.historyLimit ?? REPORT_MAIL_HISTORY_LIMIT;
  let changed = false;
  const status: ReportMailStatus = { nextDueAt: null, lastRunAt: null, sent: 0, subscriptions: 0 };
  setHandler(reportSubscriptionsChangedSignal, () => {
    changed = true;
  });
  setHandler(reportMailStatusQuery, () => ({ ...status }));
  const historyFull = () => workflowInfo().historyLength > limit || workflowInfo().continueAsNewSuggested;

  while (!historyFull()) {
    changed = false;
    let waitMs: number | undefined;
    try {
      const due = await acts.queueDueReportMails({ accountId, at: new Date().toISOString() });
      status.lastRunAt = new Date().toISOString();
      status.nextDueAt = due.nextDueAt;
      status.subscriptions = due.subscriptions;
      await Promise.all(
        due.outboxIds.map(async (outboxId) => {
          try {
            await mail.sendOutboxEmail(outboxId);
            status.sent += 1;
          } catch (err) {
            // The outbox row records why; one e-mail that cannot go out must not hold up the others.
            log.warn('Report e-mail not sent', { accountId, outboxId, error: String(err) });
          }
        }),
      );
      // No subscription left: nothing to do until one is added (that signals).
      waitMs = due.nextDueAt ? Math.max(1, Date.parse(due.nextDueAt) - Date.now()) : undefined;
    } catch (err) {
      log.warn('Could not read the due report e-mails; trying again later', { accountId, error: String(err) });
      waitMs = RETRY_AFTER_FAILURE_MS;
    }
    const woken = () => changed || historyFull();
    if (waitMs === undefined) await condition(woken);
    else await condition(woken, waitMs);
  }
  await continueAsNew<typeof reportMailWorkflow>(input);
}
