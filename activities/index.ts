// Every side effect Leadflow's workflows cause lives behind these activities, built here by
// one factory with one clock. The worker injects the real database, mail transport and
// Temporal client; tests inject their own.
import os from 'node:os';
import type { Client } from '@temporalio/client';
import type { Knex } from 'knex';
import { createComplianceActivities } from './compliance.ts';
import { createDistributionActivities } from './distribution.ts';
import { createHousekeepingActivities } from './housekeeping.ts';
import { createImportActivities } from './import.ts';
import { createLeadActivities } from './lead/index.ts';
import { DEFAULT_APP_URL } from './lead/shared.ts';
import type { Mailer } from './mailer.ts';
import { createOutboxActivities } from './outbox.ts';
import { createReconcileActivities } from './reconcile.ts';
import { createReportMailActivities } from './report-mail.ts';
import { createSystemCheckActivities } from './system-check.ts';

export type { SendOutboxEmailResult } from './outbox.ts';
export type { SystemCheckResult } from './system-check.ts';

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export interface ActivityDeps {
  db: Knex;
  mailer: Mailer;
  /**
   * Imports and the reconcile sweep start lead workflows and signal their own: a client, or a
   * getter that connects on first use (a failed connect then fails only the activity that needed it).
   */
  temporal: Client | (() => Promise<Client>);
  /** Leadflow's task queue, where those lead workflows are started. */
  taskQueue: string;
  clock?: Clock;
  /** The From of every outgoing e-mail. */
  mailFrom?: string;
  /** Recorded on system checks; pass the Worker's identity so it matches what Temporal Web shows. */
  workerIdentity?: string;
  /** APP_URL: the web app's public address, where links in e-mails point (default: the web app as `npm start` runs it). */
  appUrl?: string;
  /** EAGENT_ALLOW_PRIVATE: eAgent may be plain http or a private address (see activities/outbound-url.ts). */
  eagentAllowPrivate?: boolean;
}

export const DEFAULT_MAIL_FROM = 'Leadflow <no-reply@leadflow.local>';

/** The SDK's own default worker identity. */
export function defaultWorkerIdentity(): string {
  return `${process.pid}@${os.hostname()}`;
}

export function createActivities({
  db,
  mailer,
  temporal,
  taskQueue,
  clock = systemClock,
  mailFrom = DEFAULT_MAIL_FROM,
  workerIdentity = defaultWorkerIdentity(),
  appUrl,
  eagentAllowPrivate = false,
}: ActivityDeps) {
  const getClient = typeof temporal === 'function' ? temporal : () => Promise.resolve(temporal);
  return {
    ...createLeadActivities({ db, clock, appUrl, eagentAllowPrivate, temporal: getClient, taskQueue }),
    ...createOutboxActivities({ db, mailer, clock, mailFrom }),
    ...createHousekeepingActivities({ db, clock }),
    ...createImportActivities({ db, temporal: getClient, taskQueue, clock: () => clock.now() }),
    ...createReconcileActivities({ db, temporal: getClient, taskQueue }),
    ...createDistributionActivities({ db, temporal: getClient, taskQueue, mail: { mailer, mailFrom, clock, appUrl: appUrl ?? DEFAULT_APP_URL } }),
    ...createComplianceActivities({ db }),
    ...createSystemCheckActivities({ db, clock, workerIdentity }),
    ...createReportMailActivities({ db, appUrl: appUrl ?? DEFAULT_APP_URL }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
