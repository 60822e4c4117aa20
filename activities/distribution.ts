// The distribution workflow's one activity: an auto-assign pass for an account
// (db/distribution/auto-assign.ts), at the instant the workflow gives.
import type { Client } from '@temporalio/client';
import type { Knex } from 'knex';
import { autoAssign } from '../db/distribution/auto-assign.ts';

export interface DistributionDeps {
  db: Knex;
  temporal: () => Promise<Client>;
  taskQueue: string;
}

export interface AutoAssignAccountResult {
  enabled: boolean;
  assigned: number;
  more: boolean;
  /** ISO: the next workday start. */
  nextRunAt: string;
}

export function createDistributionActivities({ db, temporal, taskQueue }: DistributionDeps) {
  return {
    /** One auto-assign pass. Safe to repeat: a pass decides from what PostgreSQL holds now. */
    async autoAssignAccount({ accountId, trigger, at }: { accountId: string; trigger: string; at: string }): Promise<AutoAssignAccountResult> {
      const pass = await autoAssign({ db, temporal, taskQueue }, accountId, { trigger, at: new Date(at) });
      return { enabled: pass.enabled, assigned: pass.assigned.length, more: pass.more, nextRunAt: pass.nextRunAt.toISOString() };
    },
  };
}
