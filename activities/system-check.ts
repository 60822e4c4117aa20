import { ApplicationFailure, log } from '@temporalio/activity';
import type { Knex } from 'knex';
import { FailureType } from '../workflows/failures.ts';
import type { Clock } from './index.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface SystemCheckResult {
  checkId: string;
  completedAt: string;
  workerIdentity: string;
  /** True when an earlier attempt had already recorded the check (a retry after a lost reply). */
  alreadyCompleted: boolean;
}

export function createSystemCheckActivities({ db, clock, workerIdentity }: { db: Knex; clock: Clock; workerIdentity: string }) {
  return {
    /**
     * Marks a system check completed. Idempotent: a retry after the first attempt's reply was
     * lost finds the row completed and reports the first attempt's result.
     */
    async recordSystemCheck({ checkId, workflowId }: { checkId: string; workflowId: string }): Promise<SystemCheckResult> {
      const notFound = () =>
        ApplicationFailure.create({
          type: FailureType.SystemCheckNotFound,
          message: `No system check ${checkId} for workflow ${workflowId}`,
          nonRetryable: true,
        });
      if (!UUID.test(checkId)) throw notFound();
      const [updated] = await db('system_checks')
        .where({ id: checkId, workflow_id: workflowId })
        .whereNot({ status: 'completed' })
        .update({ status: 'completed', completed_at: clock.now(), worker_identity: workerIdentity })
        .returning(['completed_at', 'worker_identity']);
      if (updated) {
        log.info('System check completed', { checkId, workerIdentity });
        return { checkId, completedAt: new Date(updated.completed_at).toISOString(), workerIdentity, alreadyCompleted: false };
      }
      const row = await db('system_checks').where({ id: checkId, workflow_id: workflowId }).first();
      if (!row) throw notFound();
      return {
        checkId,
        completedAt: new Date(row.completed_at).toISOString(),
        workerIdentity: row.worker_identity,
        alreadyCompleted: true,
      };
    },
  };
}
