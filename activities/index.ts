// Every side effect Leadflow's workflows cause lives behind these activities. The worker
// injects the real database and mail transport; tests inject their own.
import os from 'node:os';
import { ApplicationFailure, log } from '@temporalio/activity';
import type { Knex } from 'knex';
import { FailureType } from '../workflows/failures.ts';
import { createHousekeepingActivities } from './housekeeping.ts';
import { createLeadActivities } from './lead.ts';
import type { Mailer } from './mailer.ts';
import { createOutboxActivities } from './outbox.ts';

export type { SendOutboxEmailResult } from './outbox.ts';

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export interface ActivityDeps {
  db: Knex;
  mailer: Mailer;
  clock?: Clock;
  /** The From of every outgoing e-mail. */
  mailFrom?: string;
  /** Recorded on system checks; pass the Worker's identity so it matches what Temporal Web shows. */
  workerIdentity?: string;
  /** EAGENT_ALLOW_PRIVATE: eAgent may be plain http or a private address (see activities/outbound-url.ts). */
  eagentAllowPrivate?: boolean;
}

export const DEFAULT_MAIL_FROM = 'Leadflow <no-reply@leadflow.local>';

/** The SDK's own default worker identity. */
export function defaultWorkerIdentity(): string {
  return `${process.pid}@${os.hostname()}`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface SystemCheckResult {
  checkId: string;
  completedAt: string;
  workerIdentity: string;
  /** True when an earlier attempt had already recorded the check (a retry after a lost reply). */
  alreadyCompleted: boolean;
}

export function createActivities({ db, mailer, clock = systemClock, mailFrom = DEFAULT_MAIL_FROM, workerIdentity = defaultWorkerIdentity(), eagentAllowPrivate = false }: ActivityDeps) {
  return {
    ...createLeadActivities({ db, clock, eagentAllowPrivate }),
    ...createOutboxActivities({ db, mailer, clock, mailFrom }),
    ...createHousekeepingActivities({ db, clock }),

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

export type Activities = ReturnType<typeof createActivities>;
