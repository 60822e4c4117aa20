// The account's report-mail workflow (`report-mail-<accountId>`): what may be sent to it.
// Pure definitions, shared by the workflow and its door (worker/clients/report-mail.ts).
import { defineQuery, defineSignal } from '@temporalio/workflow';

export const reportMailWorkflowId = (accountId: string) => `report-mail-${accountId}`;

export interface ReportMailInput {
  accountId: string;
  /** Events in one run before it continues as new (tests lower it). */
  historyLimit?: number;
}

/** A subscription of the account was added, changed or stopped: the next due time is read again at once. */
export const reportSubscriptionsChangedSignal = defineSignal('reportSubscriptionsChanged');

export interface ReportMailStatus {
  /** When it wakes next to send (null: no subscription, it waits for a change). */
  nextDueAt: string | null;
  lastRunAt: string | null;
  /** E-mails sent (or found sent) in this run. */
  sent: number;
  subscriptions: number;
}
export const reportMailStatusQuery = defineQuery<ReportMailStatus>('reportMailStatus');
