// E-mailed reports: an owner or admin asks for a daily and / or a weekly summary of the
// agency's activity, at an hour of the agency's day (weekly: also the weekday), or stops it.
// Each user manages only their own; the account's report-mail workflow sends them.
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData } from '@remix-run/react';
import { removeSubscription, REPORT_MAIL_ROLES, saveSubscription, SubscriptionError, validTiming } from '../../../db/report-mail/subscriptions.ts';
import { WEEKDAYS, type ReportKind } from '../../../db/report-mail/schedule.ts';
import { CsrfInput } from '../components/csrf-input.tsx';
import { GeneralErrorBoundary } from '../components/error-boundary.tsx';
import { Time } from '../components/time.tsx';
import { requireRole } from '../utils/auth.server.ts';
import { validateCsrf } from '../utils/csrf.server.ts';
import { subscriptionViews, tellReportMail } from '../utils/mailed-reports.server.ts';

export const meta: MetaFunction = () => [{ title: 'E-mailed reports · Leadflow' }];

const hourLabel = (hour: number) => `${hour % 12 === 0 ? 12 : hour % 12}:00 ${hour < 12 ? 'AM' : 'PM'}`;
const HOURS = Array.from({ length: 24 }, (_, h) => h);

/** "Nov 29, 2026" for a local calendar date of the agency. */
function dateLabel(date: string): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric', year: 'numeric', timeZone: 'UTC' }).format(new Date(Date.UTC(y, m - 1, d, 12)));
}

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireRole(request, context, REPORT_MAIL_ROLES);
  const now = new Date();
  const saved = new URL(request.url).searchParams.get('saved');
  return {
    accountZone: user.account.timeZone,
    email: user.email,
    now: now.toISOString(),
    saved: saved === 'on' || saved === 'off' ? saved : null,
    reports: await subscriptionViews(context.services.db, user, now),
  };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requireRole(request, context, REPORT_MAIL_ROLES);
  const formData = await request.formData();
  await validateCsrf(request, context, formData);
  const kind = String(formData.get('kind') ?? '');
  const intent = formData.get('intent');
  const db = context.services.db;
  if (intent === 'stop') {
    if (kind !== 'daily' && kind !== 'weekly') return data({ kind, error: 'Choose a daily or a weekly report' }, { status: 400 });
    await removeSubscription(db, { accountId: user.accountId, userId: user.id, kind });
    await tellReportMail(context.services, user.accountId);
    throw redirect('/reports/subscriptions?saved=off');
  }
  try {
    const timing = validTiming(kind, formData.get('hour'), formData.get('weekday'));
    await saveSubscription(db, { accountId: user.accountId, userId: user.id, timing, now: new Date() });
  } catch (err) {
    if (err instanceof SubscriptionError) return data({ kind, error: err.message }, { status: 400 });
    throw err;
  }
  await tellReportMail(context.services, user.accountId);
  throw redirect('/reports/subscriptions?saved=on');
}

const TITLES: Record<ReportKind, string> = { daily: 'Daily report', weekly: 'Weekly report' };
const COVERS: Record<ReportKind, string> = {
  daily: 'The agency’s day before, midnight to midnight.',
  weekly: 'The 7 days before the day it comes, midnight to midnight.',
};

export default function ReportSubscriptions() {
  const { accountZone, email, now, saved, reports } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  return (
    <>
      <div className="page-head">
        <h1>E-mailed reports</h1>
        <p className="muted">
          A summary of what happened in the agency, e-mailed to you ({email}): leads arrived by source, leads assigned by LSP, Quick Actions by type and by user, milestones reached, leads removed or
          recycled, and the median speed to the first attempt. Counts and user names only: no consumer’s details. Hours are the agency’s time ({accountZone}); it is now <Time value={now} /> on your
          clock.
        </p>
      </div>
      {saved && !actionData ? (
        <p className="alert alert-ok" role="status">
          {saved === 'on' ? 'Saved.' : 'Stopped.'}
        </p>
      ) : null}
      {actionData && !reports.some((r) => r.kind === actionData.kind) ? (
        <p className="alert alert-error" role="alert">
          {actionData.error}
        </p>
      ) : null}
      {reports.map((r) => {
        const error = actionData?.kind === r.kind ? actionData.error : null;
        return (
          <section key={r.kind} className="card" aria-labelledby={`${r.kind}-title`}>
            <h2 id={`${r.kind}-title`}>{TITLES[r.kind]}</h2>
            <p className="muted small-text">{COVERS[r.kind]}</p>
            <p>
              {r.on ? (
                <>
                  On: the next one comes <Time value={r.nextAt} />.
                </>
              ) : (
                'Off.'
              )}
              {r.last ? (
                <>
                  {' '}
                  Last e-mailed: the report for {r.last.first === r.last.last ? dateLabel(r.last.first) : `${dateLabel(r.last.first)} to ${dateLabel(r.last.last)}`}
                  {r.last.sentAt ? (
                    <>
                      , sent <Time value={r.last.sentAt} />
                    </>
                  ) : null}
                  .
                </>
              ) : null}
            </p>
            <Form method="post" noValidate>
              <CsrfInput />
              <input type="hidden" name="kind" value={r.kind} />
              {r.kind === 'weekly' ? (
                <div className="field">
                  <label htmlFor={`${r.kind}-weekday`}>Day</label>
                  <select id={`${r.kind}-weekday`} name="weekday" defaultValue={String(r.weekday)}>
                    {WEEKDAYS.map((day, i) => (
                      <option key={day} value={i}>
                        {day}
                      </option>
                    ))}
                  </select>
                </div>
              ) : null}
              <div className="field">
                <label htmlFor={`${r.kind}-hour`}>Hour (the agency’s time)</label>
                <select id={`${r.kind}-hour`} name="hour" defaultValue={String(r.hour)} aria-invalid={error ? true : undefined}>
                  {HOURS.map((h) => (
                    <option key={h} value={h}>
                      {hourLabel(h)}
                    </option>
                  ))}
                </select>
                {error ? <p className="field-error">{error}</p> : null}
              </div>
              <button type="submit" name="intent" value="save" className="button primary">
                {r.on ? `Save the ${r.kind} report’s time` : `E-mail me the ${r.kind} report`}
              </button>{' '}
              {r.on ? (
                <button type="submit" name="intent" value="stop" className="button secondary">
                  Stop the {r.kind} report
                </button>
              ) : null}
            </Form>
          </section>
        );
      })}
      <p className="muted small-text">
        <Link to="/reports">The reports</Link>
      </p>
    </>
  );
}

export function ErrorBoundary() {
  return <GeneralErrorBoundary />;
}
