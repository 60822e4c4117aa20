// The web app's side of e-mailed reports: the signed-in owner's or admin's own subscriptions
// for the page, and after each change a word to the account's report-mail workflow so a new
// hour counts at once. Best effort: the subscription is saved either way, and the workflow
// reads it at its next wake-up or the next worker start (worker/clients/report-mail.ts).
import type { Knex } from 'knex';
import { lastMailed, userSubscriptions } from '../../../db/report-mail/subscriptions.ts';
import { nextDueAt, type ReportKind } from '../../../db/report-mail/schedule.ts';
import { reportSubscriptionsChanged } from '../../../worker/clients/report-mail.ts';
import type { WebServices } from '../context.ts';

export interface SubscriptionView {
  kind: ReportKind;
  on: boolean;
  hour: number;
  weekday: number;
  /** When the next e-mail is due (ISO), while on. */
  nextAt: string | null;
  last: { first: string; last: string; sentAt: string | null } | null;
}

/** Defaults for a report not subscribed yet: 7 AM, weekly on Mondays. */
const DEFAULTS = { hour: 7, weekday: 1 };

export async function subscriptionViews(db: Knex, user: { id: string; accountId: string; account: { timeZone: string } }, now: Date): Promise<SubscriptionView[]> {
  const [subs, last] = await Promise.all([userSubscriptions(db, user.accountId, user.id), lastMailed(db, user.accountId, user.id)]);
  return (['daily', 'weekly'] as const).map((kind) => {
    const s = subs.find((x) => x.kind === kind);
    const l = last[kind];
    return {
      kind,
      on: !!s,
      hour: s?.hour ?? DEFAULTS.hour,
      weekday: s?.weekday ?? DEFAULTS.weekday,
      nextAt: s ? nextDueAt(user.account.timeZone, s, now).toISOString() : null,
      last: l ? { first: l.first, last: l.last, sentAt: l.sentAt ? l.sentAt.toISOString() : null } : null,
    };
  });
}

/** Tells the account's report-mail workflow (starting it if need be); false when Temporal could not be told. */
export async function tellReportMail(services: WebServices, accountId: string): Promise<boolean> {
  if (!services.temporal) return false;
  try {
    await reportSubscriptionsChanged(await services.temporal.getClient(), accountId, { taskQueue: services.temporal.taskQueue });
    return true;
  } catch (err) {
    console.error('[report-mail] could not tell the report-mail workflow of account', accountId, err);
    return false;
  }
}
