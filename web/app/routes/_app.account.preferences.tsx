// My preferences: any signed-in user chooses the zone they read times in (their own, or the
// agency's: every page's <Time> and the e-mails they get follow it; "today" stays the agency's
// day), and an LSP whether they get an e-mail when a highly engaged lead is assigned to them.
// Each user changes only their own row.
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData } from '@remix-run/react';
import { canonicalTimeZone } from '../../../db/distribution/ledger.ts';
import { CsrfInput } from '../components/csrf-input.tsx';
import { GeneralErrorBoundary } from '../components/error-boundary.tsx';
import { Time } from '../components/time.tsx';
import { requireUser } from '../utils/auth.server.ts';
import { timeZoneOptions } from '../utils/company.server.ts';
import { validateCsrf } from '../utils/csrf.server.ts';
import { TimeZoneOptions } from '../components/time-zone-options.tsx';

export const meta: MetaFunction = () => [{ title: 'My preferences · Leadflow' }];

/** The select's value for "the agency's zone": nothing of the user's own is stored. */
const ACCOUNT_ZONE = '';

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  const own = await context.services.db('users').where({ id: user.id, account_id: user.accountId }).first('time_zone', 'notify_hot_leads');
  return {
    ownZone: (own?.time_zone as string | null) ?? ACCOUNT_ZONE,
    accountZone: user.account.timeZone,
    zones: timeZoneOptions(),
    isLsp: user.role === 'lsp',
    notifyHotLeads: own?.notify_hot_leads === true,
    saved: new URL(request.url).searchParams.get('saved') === '1',
    now: new Date().toISOString(),
  };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requireUser(request, context);
  const formData = await request.formData();
  await validateCsrf(request, context, formData);
  const field = formData.get('timeZone');
  const given = typeof field === 'string' ? field.trim() : ACCOUNT_ZONE;
  // Stored as Intl spells it, so "pacific/honolulu" is Pacific/Honolulu; an unknown zone is refused.
  const zone = given === ACCOUNT_ZONE ? null : canonicalTimeZone(given);
  if (given !== ACCOUNT_ZONE && !zone) return data({ fieldErrors: { timeZone: ['Choose a time zone from the list'] } }, { status: 400 });
  await context.services
    .db('users')
    .where({ id: user.id, account_id: user.accountId })
    .update({
      time_zone: zone,
      // Only an LSP is assigned leads; for anyone else the box is not shown and nothing changes.
      ...(user.role === 'lsp' ? { notify_hot_leads: formData.get('notifyHotLeads') === 'on' } : {}),
      updated_at: new Date(),
    });
  throw redirect('/account/preferences?saved=1');
}

export default function Preferences() {
  const { ownZone, accountZone, zones, isLsp, notifyHotLeads, saved, now } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const zoneErrors = actionData?.fieldErrors.timeZone;
  return (
    <section className="card narrow" aria-labelledby="preferences-title">
      <h1 id="preferences-title">My preferences</h1>
      {saved && !actionData ? (
        <p className="alert alert-ok" role="status">
          Saved.
        </p>
      ) : null}
      <Form method="post" noValidate>
        <CsrfInput />
        <div className="field">
          <label htmlFor="timeZone">Show times in</label>
          <select id="timeZone" name="timeZone" defaultValue={ownZone} aria-describedby="timeZone-hint" aria-invalid={zoneErrors ? true : undefined}>
            <option value={ACCOUNT_ZONE}>The agency’s zone ({accountZone})</option>
            <TimeZoneOptions zones={zones} />
          </select>
          <p className="hint" id="timeZone-hint">
            Every time Leadflow shows you, and the e-mails it sends you, use this zone. It is now <Time value={now} /> there. “Today” (your target, Due today) stays the agency’s day.
          </p>
          {zoneErrors ? <p className="field-error">{zoneErrors.join('. ')}</p> : null}
        </div>
        {isLsp ? (
          <label>
            <input type="checkbox" name="notifyHotLeads" defaultChecked={notifyHotLeads} /> E-mail me when a highly engaged lead is assigned to me
          </label>
        ) : null}
        <button type="submit" className="button primary">
          Save my preferences
        </button>
      </Form>
      <p className="muted small-text">
        <Link to="/account/password">Change your password</Link>
      </p>
    </section>
  );
}

export function ErrorBoundary() {
  return <GeneralErrorBoundary />;
}
