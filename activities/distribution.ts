// The distribution workflow's one activity: an auto-assign pass for an account
// (db/distribution/auto-assign.ts), at the instant the workflow gives, followed by the
// hot-lead e-mails it calls for (activities/distribution-notify.ts).
import { log } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { Knex } from 'knex';
import { autoAssign } from '../db/distribution/auto-assign.ts';
import { createHotLeadMailer, type HotLeadMailDeps } from './distribution-notify.ts';

export interface DistributionDeps {
  db: Knex;
  temporal: () => Promise<Client>;
  taskQueue: string;
  /** What the hot-lead e-mail needs; without it no hot-lead e-mail is queued or sent. */
  mail?: Omit<HotLeadMailDeps, 'db'>;
}

/**
 * Passes one activity runs back to back (up to 3,000 leads) before it tells their workflows:
 * a workday-start fill commits them all first; telling 3,000 workflows stays well inside the
 * activity's two minutes.
 */
const PASSES_PER_ACTIVITY = 3;

export interface AutoAssignAccountResult {
  enabled: boolean;
  assigned: number;
  more: boolean;
  /** A lead an LSP could take was locked by another transaction during the pass: run again in a moment. */
  retrySoon?: boolean;
  /** ISO: the next workday start. */
  nextRunAt: string;
}

export function createDistributionActivities({ db, temporal, taskQueue, mail }: DistributionDeps) {
  const hotLeads = mail ? createHotLeadMailer({ db, ...mail }) : null;
  return {
    /** One auto-assign pass. Safe to repeat: a pass decides from what PostgreSQL holds now. */
    async autoAssignAccount({ accountId, trigger, at }: { accountId: string; trigger: string; at: string }): Promise<AutoAssignAccountResult> {
      const pass = await autoAssign({ db, temporal, taskQueue }, accountId, { trigger, at: new Date(at), passes: PASSES_PER_ACTIVITY });
      // After the commit, and whether or not this pass assigned anything: e-mails queued
      // elsewhere wait for a pass to send them. A mail problem never fails the pass.
      await hotLeads?.afterPass(accountId, { leadIds: pass.assigned.map((a) => a.leadId), passAt: new Date(at) }).catch((err: unknown) => log.warn('Hot-lead e-mails not handled after the pass', { accountId, error: String(err) }));
      return { enabled: pass.enabled, assigned: pass.assigned.length, more: pass.more, retrySoon: pass.skippedLocked, nextRunAt: pass.nextRunAt.toISOString() };
    },
  };
}
