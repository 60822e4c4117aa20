// Upcoming: the call-backs booked ahead (Appointment / Call Back), day by day in the viewer's
// zone, so a call-back booked for tomorrow is in sight before its day comes (on its day it is
// on Due today too). An LSP sees their own; owners and admins everyone's, or one LSP's.
import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Form, Link, useLoaderData, useSubmit } from '@remix-run/react';
import { z } from 'zod';
import { GeneralErrorBoundary } from '../components/error-boundary.tsx';
import { requireRole } from '../utils/auth.server.ts';
import { milestoneLabel } from '../utils/labels.ts';
import { assignableLsps, canAssign, listUpcomingCallBacks, UPCOMING_LIMIT, type UpcomingCallBack } from '../utils/leads.server.ts';

export const meta: MetaFunction = () => [{ title: 'Upcoming · Leadflow' }];

const dayKey = (at: Date, timeZone: string) => new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
const dayTitle = (at: Date, timeZone: string) => new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'long', month: 'long', day: 'numeric', year: 'numeric' }).format(at);
// The app's clock format (utils/labels.ts): 24-hour, with the zone's short name.
const clock = (at: Date, timeZone: string) => new Intl.DateTimeFormat('en-US', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'short' }).format(at);
const leadClock = (at: Date, timeZone: string) => {
  try {
    return clock(at, timeZone);
  } catch {
    return null;
  }
};

interface Day {
  key: string;
  title: string;
  /** `at`: the time of day in the viewer's zone (the day is the heading); `leadClock`: on the lead's clock. */
  callBacks: Array<UpcomingCallBack & { at: string; leadClock: string | null }>;
}

/** Call-backs by the viewer's calendar day; "Today" and "Tomorrow" named as such. */
function byDay(rows: UpcomingCallBack[], timeZone: string, now: Date): Day[] {
  const today = dayKey(now, timeZone);
  // The calendar day after today's, by date arithmetic (a day is 23 or 25 hours across DST).
  const [y, m, d] = today.split('-').map(Number) as [number, number, number];
  const tomorrow = new Date(Date.UTC(y, m - 1, d + 1)).toISOString().slice(0, 10);
  const days: Day[] = [];
  for (const row of rows) {
    const at = new Date(row.callBackAt);
    const key = dayKey(at, timeZone);
    let day = days.at(-1);
    if (!day || day.key !== key) {
      const title = dayTitle(at, timeZone);
      day = { key, title: key === today ? `Today, ${title}` : key === tomorrow ? `Tomorrow, ${title}` : title, callBacks: [] };
      days.push(day);
    }
    // The lead's own clock beside the viewer's, when the lead is in another zone.
    const theirs = row.leadTimeZone && row.leadTimeZone !== timeZone ? leadClock(at, row.leadTimeZone) : null;
    day.callBacks.push({ ...row, at: clock(at, timeZone), leadClock: theirs });
  }
  return days;
}

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireRole(request, context, ['owner', 'admin', 'lsp']);
  const all = canAssign(user);
  const wanted = z.uuid().optional().catch(undefined).parse(new URL(request.url).searchParams.get('user') ?? undefined);
  const lsps = all ? await assignableLsps(context.services.db, user) : [];
  // Another account's user id finds nothing: the query is scoped to this account anyway.
  const userId = all ? wanted : undefined;
  const now = new Date();
  const rows = await listUpcomingCallBacks(context.services.db, user, { userId, at: now });
  return {
    days: byDay(rows, user.timeZone, now),
    count: rows.length,
    limit: UPCOMING_LIMIT,
    all,
    lsps: lsps.map((l) => ({ id: l.id, name: l.name })),
    userId: userId ?? '',
  };
}

export default function Upcoming() {
  const { days, count, limit, all, lsps, userId } = useLoaderData<typeof loader>();
  const submit = useSubmit();
  return (
    <>
      <div className="page-head">
        <h1>Upcoming</h1>
        <p className="muted">
          {all ? 'Call-backs booked ahead' : 'Your call-backs booked ahead'}, soonest first, by day in your time zone.
          {count >= limit ? ` Showing the first ${limit}.` : ''}
        </p>
      </div>
      {all ? (
        <Form method="get" className="inline-form" style={{ marginBottom: '1rem' }} onChange={(e) => submit(e.currentTarget)}>
          <label htmlFor="upcoming-user">LSP</label>
          <select id="upcoming-user" name="user" defaultValue={userId} style={{ width: 'auto' }}>
            <option value="">Everyone</option>
            {lsps.map((l) => (
              <option key={l.id} value={l.id}>
                {l.name}
              </option>
            ))}
          </select>
          <noscript>
            <button type="submit" className="button secondary">
              Show
            </button>
          </noscript>
        </Form>
      ) : null}
      {days.length ? (
        days.map((day) => (
          <section key={day.key} className="card" aria-labelledby={`day-${day.key}`}>
            <h2 id={`day-${day.key}`}>{day.title}</h2>
            <ul style={{ listStyle: 'none', padding: 0, margin: 0 }}>
              {day.callBacks.map((c) => (
                <li key={c.id} style={{ padding: '0.4rem 0', borderBottom: '1px solid var(--border)' }}>
                  <strong>
                    <time dateTime={new Date(c.callBackAt).toISOString()}>{c.at}</time>
                  </strong>{' '}
                  {c.leadClock ? <span className="muted small-text">({c.leadClock} for the lead) </span> : null}
                  <Link to={`/leads/${c.id}`} className="lead-name">
                    {c.firstName} {c.lastName}
                  </Link>
                  <span className="muted small-text">
                    {' '}
                    {[c.city, c.state].filter(Boolean).join(', ')} · {milestoneLabel(c.milestone)}
                    {all ? ` · ${c.assigneeName ?? 'Unassigned'}` : ''}
                  </span>
                </li>
              ))}
            </ul>
          </section>
        ))
      ) : (
        <p className="empty">No call-backs booked ahead.</p>
      )}
    </>
  );
}

export function ErrorBoundary() {
  return <GeneralErrorBoundary />;
}
