// The account's distribution workflow (`distribution-<accountId>`): what may be sent to it.
// Pure definitions, shared by the workflow and its door (worker/clients/distribution.ts).
import { defineQuery, defineSignal } from '@temporalio/workflow';

export const distributionWorkflowId = (accountId: string) => `distribution-${accountId}`;

export interface DistributionInput {
  accountId: string;
  /** Pending triggers carried across continue-as-new. */
  pending?: string[];
  historyLimit?: number;
}

/** Something may be assignable now: a lead arrived or returned to the pool, capacity freed up. */
export const autoAssignRequestedSignal = defineSignal<[{ why: string }]>('autoAssignRequested');

export interface DistributionStatus {
  /** The auto-assign template's switch as the last pass read it (null: no pass yet). */
  enabled: boolean | null;
  lastRunAt: string | null;
  lastAssigned: number;
  /** When the next pass runs without a trigger: the next workday start. */
  nextRunAt: string | null;
  pending: string[];
}
export const distributionStatusQuery = defineQuery<DistributionStatus>('distributionStatus');
