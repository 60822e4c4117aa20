// The suppression sweep's activity (workflows/compliance/): scrubs the leads an upload's new
// entries match, heartbeating per chunk.
import { Context } from '@temporalio/activity';
import type { Knex } from 'knex';
import { sweepNewEntries, type SweepResult } from '../db/compliance/sweep.ts';

export function createComplianceActivities({ db }: { db: Knex }) {
  return {
    async sweepSuppressionUpload({ accountId, since, at }: { accountId: string | null; since: string; at: string }): Promise<SweepResult> {
      return sweepNewEntries(db, { accountId, since: new Date(since), at: new Date(at) }, (done, total) => Context.current().heartbeat({ done, total }));
    },
  };
}
