// The worker's side of the hot-lead e-mail (db/distribution/hot-lead-mail.ts): after each
// auto-assign pass, the e-mails that pass's leads call for are queued, and every hot-lead
// e-mail of the account still waiting (this pass's, one the web app queued after a manual
// assignment, one an earlier pass could not send) goes out through the outbox sender.
//
// Runs inside the pass's activity and never fails it: the pass is committed already, and an
// e-mail not sent now stays queued for the next pass (for a day, five attempts at most).
import { log } from '@temporalio/activity';
import type { Knex } from 'knex';
import { pendingHotLeadEmails, queueHotLeadEmails } from '../db/distribution/hot-lead-mail.ts';
import type { Clock } from './index.ts';
import type { Mailer } from './mailer.ts';
import { createOutboxActivities } from './outbox.ts';

export interface HotLeadMailDeps {
  db: Knex;
  mailer: Mailer;
  mailFrom: string;
  clock: Clock;
  /** APP_URL: where the e-mail's link to the lead points. */
  appUrl: string;
}

/** Sends at once, a few at a time: a pass of many hot leads should not wait on each SMTP round trip in turn. */
const SEND_CONCURRENCY = 4;
/** Stop starting sends after this long, well inside the pass activity's two minutes; the rest go with the next pass. */
const SEND_BUDGET_MS = 45_000;

export function createHotLeadMailer({ db, mailer, mailFrom, clock, appUrl }: HotLeadMailDeps) {
  const { sendOutboxEmail } = createOutboxActivities({ db, mailer, clock, mailFrom });
  return {
    /**
     * Queues the e-mails for the leads the pass at `passAt` assigned, then sends every one of
     * the account still waiting. A retried pass runs at the same instant and finds what an
     * attempt that died after its commit assigned, so those leads are mailed too, once.
     */
    async afterPass(accountId: string, pass: { leadIds: string[]; passAt: Date }): Promise<{ queued: number; sent: number; failed: number }> {
      const earlier: string[] = await db('assignments').where({ account_id: accountId, method: 'auto', created_at: pass.passAt }).pluck('lead_id');
      const leadIds = [...new Set([...pass.leadIds, ...earlier])];
      const queued = leadIds.length ? await queueHotLeadEmails(db, { accountId, leadIds, appUrl, now: clock.now() }) : [];
      const pending = await pendingHotLeadEmails(db, accountId, { now: clock.now() });
      const deadline = Date.now() + SEND_BUDGET_MS;
      let sent = 0;
      let failed = 0;
      const queue = [...pending];
      const worker = async () => {
        for (let id = queue.shift(); id !== undefined && Date.now() < deadline; id = queue.shift()) {
          try {
            await sendOutboxEmail(id);
            sent += 1;
          } catch (err) {
            // The outbox row records why; the next pass tries again while the row is pending.
            failed += 1;
            log.warn('Hot-lead e-mail not sent', { accountId, outboxId: id, error: String(err) });
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(SEND_CONCURRENCY, queue.length) }, worker));
      return { queued: queued.length, sent, failed };
    },
  };
}
