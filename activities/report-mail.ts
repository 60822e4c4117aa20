// The worker's side of e-mailed reports (workflows/reports/): at each wake-up the account's
// report-mail workflow asks this activity which reports are due at its time and when the next
// one is. Each due e-mail is written to the outbox under a key made of the user, the kind and
// the period's first day, so however often this runs (a retry, a restarted worker, two wake-ups
// racing), a period is queued once; the workflow then sends it through the outbox sender.
import type { Knex } from 'knex';
import { reportMailKey, REPORT_MAIL_ROLES } from '../db/report-mail/subscriptions.ts';
import { reportMailText, reportSummary, type ReportSummary } from '../db/report-mail/summary.ts';
import { latestDuePeriod, nextDueAt, type ReportKind, type ReportTiming } from '../db/report-mail/schedule.ts';

export interface QueueDueReportMailsResult {
  /** Outbox rows to send now: this period's e-mails not sent yet. */
  outboxIds: string[];
  /** The next due time of any of the account's subscriptions (null: none left). */
  nextDueAt: string | null;
  subscriptions: number;
}

export function createReportMailActivities({ db, appUrl }: { db: Knex; appUrl: string }) {
  return {
    /**
     * The e-mails due at `at` (the workflow's time): for each subscriber, the latest period due
     * by then, unless it was queued before or was due before they subscribed. After an outage
     * that missed several due times, only the latest period is sent: a reader wants the newest
     * figures, not a pile of old ones.
     */
    async queueDueReportMails({ accountId, at }: { accountId: string; at: string }): Promise<QueueDueReportMailsResult> {
      const now = new Date(at);
      const account: { name: string; time_zone: string } | undefined = await db('accounts').where({ id: accountId }).first('name', 'time_zone');
      if (!account) return { outboxIds: [], nextDueAt: null, subscriptions: 0 };
      const zone = account.time_zone;
      const subs: Array<Record<string, unknown>> = await db('report_subscriptions as s')
        .join('users as u', 'u.id', 's.user_id')
        .where('s.account_id', accountId)
        .orderBy('s.created_at')
        .select('s.user_id', 's.kind', 's.hour', 's.weekday', 's.created_at', 'u.account_id as user_account_id', 'u.name', 'u.email', 'u.time_zone', 'u.status', 'u.role');
      // Subscribers of the same kind share the period's figures.
      const summaries = new Map<string, Promise<ReportSummary>>();
      const outboxIds: string[] = [];
      let next: number | null = null;
      for (const s of subs) {
        const timing: ReportTiming = { kind: s.kind as ReportKind, hour: Number(s.hour), weekday: s.weekday === null ? null : Number(s.weekday) };
        const due = nextDueAt(zone, timing, now).getTime();
        next = next === null ? due : Math.min(next, due);
        // Someone who left or is no longer an owner or admin keeps the row, but not the e-mail.
        if (s.status !== 'active' || !(REPORT_MAIL_ROLES as readonly unknown[]).includes(s.role) || s.user_account_id !== accountId) continue;
        const period = latestDuePeriod(zone, timing, now);
        if (period.dueAt.getTime() < (s.created_at as Date).getTime()) continue;
        const key = reportMailKey(String(s.user_id), timing.kind, period.first);
        const queued: { id: string; status: string } | undefined = await db('email_outbox').where({ idempotency_key: key }).first('id', 'status');
        if (queued) {
          // Queued but not sent yet (a worker stopped between the two): send it now. Sent or given up on: never again.
          if (queued.status === 'pending') outboxIds.push(queued.id);
          continue;
        }
        const figuresKey = `${timing.kind}:${period.first}`;
        let figures = summaries.get(figuresKey);
        if (!figures) summaries.set(figuresKey, (figures = reportSummary(db, accountId, period)));
        const mail = reportMailText(await figures, {
          accountName: account.name,
          accountZone: zone,
          reader: { name: String(s.name), timeZone: (s.time_zone as string | null) ?? zone },
          period,
          hour: timing.hour,
          weekday: timing.weekday,
          appUrl,
        });
        const [inserted] = await db('email_outbox')
          .insert({ account_id: accountId, idempotency_key: key, to_address: s.email, subject: mail.subject, body_text: mail.text })
          .onConflict('idempotency_key')
          .ignore()
          .returning('id');
        // A racing attempt queued it a moment ago: that one is the e-mail, sent by whoever holds it.
        if (inserted) outboxIds.push(inserted.id as string);
      }
      return { outboxIds, nextDueAt: next === null ? null : new Date(next).toISOString(), subscriptions: subs.length };
    },
  };
}
