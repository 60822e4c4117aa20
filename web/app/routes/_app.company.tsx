// My Company: the owner's account settings — the agency's day (its time zone, when the workday
// starts, the states it is licensed in), the holding period (days an assigned lead may go
// without a Quick Action before it returns to the pool), Shark Tank (LSPs also see unassigned
// leads) and the eAgent integration (which milestone transfers a lead, and where to: https to a
// public address unless the operator allows private ones).
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { z } from 'zod';
import { CsrfInput } from '../components/csrf-input.tsx';
import { GeneralErrorBoundary } from '../components/error-boundary.tsx';
import { Field } from '../components/field.tsx';
import { StateCheckboxes } from '../components/state-checkboxes.tsx';
import { requireRole } from '../utils/auth.server.ts';
import { validateCsrf } from '../utils/csrf.server.ts';
import {
  checkTimeZone,
  companySettings,
  eagentUrlProblem,
  formatClockTime,
  HOLDING_DAYS_MAX,
  HOLDING_DAYS_MIN,
  parseClockTime,
  parseHoldingDays,
  saveCompanySettings,
  STATE_OPTIONS,
  timeZoneOptions,
  unknownStates,
} from '../utils/company.server.ts';
import { parseForm, type FieldErrors } from '../utils/forms.server.ts';
import { QUICK_ACTIONS } from '../../../workflows/lead/quick-actions.ts';
import { TimeZoneOptions } from '../components/time-zone-options.tsx';
import { tellReportMail } from '../utils/mailed-reports.server.ts';

export const meta: MetaFunction = () => [{ title: 'My Company · Leadflow' }];

const MILESTONES = QUICK_ACTIONS.map((a) => ({ value: a.milestone, label: a.label }));

const schema = z
  .object({
    sharkTank: z.enum(['on']).optional(),
    eagentEnabled: z.enum(['on']).optional(),
    eagentUrl: z.string().trim().max(500).optional(),
    eagentMilestone: z.string().optional(),
  })
  .superRefine((v, ctx) => {
    if (!v.eagentEnabled) return;
    if (!MILESTONES.some((m) => m.value === v.eagentMilestone)) ctx.addIssue({ code: 'custom', path: ['eagentMilestone'], message: 'Choose the milestone that transfers a lead' });
  });

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireRole(request, context, ['owner']);
  const a = await companySettings(context.services.db, user.accountId);
  return {
    account: { ...a, eagentUrl: a.eagentUrl ?? '', eagentMilestone: a.eagentMilestone ?? '', workdayStart: formatClockTime(a.workdayStartMinutes), holdingDays: a.holdingDays === null ? '' : String(a.holdingDays) },
    holdingRange: { min: HOLDING_DAYS_MIN, max: HOLDING_DAYS_MAX },
    milestones: MILESTONES,
    timeZones: timeZoneOptions(),
    states: STATE_OPTIONS,
  };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requireRole(request, context, ['owner']);
  const formData = await request.formData();
  await validateCsrf(request, context, formData);
  const parsed = parseForm(schema, formData);
  // The address is judged even with the integration off: a saved address is one turn-on away from use.
  const field = (name: string) => {
    const value = formData.get(name);
    return typeof value === 'string' ? value.trim() : undefined;
  };
  const urlProblem = await eagentUrlProblem(parsed.success ? parsed.data.eagentUrl : field('eagentUrl'), { enabled: field('eagentEnabled') === 'on' });
  // The day's settings are checked beside the schema, so their messages join the others'
  // (a refinement of the schema runs only once every field has its type).
  const timeZone = checkTimeZone(field('timeZone') ?? '');
  const workdayStartMinutes = parseClockTime(field('workdayStart') ?? '');
  // Checkboxes, one value each: parseForm keeps one value per name, so they are read here.
  const licensedStates = [...new Set(formData.getAll('licensedStates').map(String))].sort();
  const badStates = unknownStates(licensedStates);
  const holding = parseHoldingDays(field('holdingDays') ?? '');
  const dayErrors: FieldErrors = {
    ...('error' in timeZone ? { timeZone: [timeZone.error] } : {}),
    ...(workdayStartMinutes === null ? { workdayStart: ['Enter the time the workday starts as HH:MM, e.g. 08:00'] } : {}),
    ...(badStates ? { licensedStates: [`Not a US state, DC or territory: ${badStates.join(', ')}`] } : {}),
    ...('error' in holding ? { holdingDays: [holding.error] } : {}),
  };
  if (!parsed.success || urlProblem || Object.keys(dayErrors).length || workdayStartMinutes === null || 'error' in timeZone || 'error' in holding) {
    const fieldErrors: FieldErrors = { ...(parsed.success ? {} : parsed.fieldErrors), ...(urlProblem ? { eagentUrl: [urlProblem] } : {}), ...dayErrors };
    return data({ fieldErrors, saved: false }, { status: 400 });
  }
  const v = parsed.data;
  const zoneBefore = user.account.timeZone;
  await saveCompanySettings(context.services.db, user.accountId, {
    sharkTank: Boolean(v.sharkTank),
    eagentEnabled: Boolean(v.eagentEnabled),
    eagentUrl: v.eagentUrl || null,
    eagentMilestone: v.eagentMilestone || null,
    timeZone: timeZone.zone,
    workdayStartMinutes,
    licensedStates,
    holdingDays: holding.days,
  });
  // E-mailed reports go out at an hour of the agency's day: a new zone moves them at once.
  if (timeZone.zone !== zoneBefore && (await context.services.db('report_subscriptions').where({ account_id: user.accountId }).first('id'))) await tellReportMail(context.services, user.accountId);
  return data({ fieldErrors: null, saved: true });
}

export default function Company() {
  const { account, holdingRange, milestones, timeZones, states } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === 'submitting';
  const errors = result?.fieldErrors ?? undefined;
  return (
    <>
      <div className="page-head">
        <h1>My Company</h1>
        <p className="muted">
          {account.name} · agent IDs {account.agentIds.join(', ')}
        </p>
      </div>
      {result?.saved ? (
        <p className="alert alert-ok" role="status">
          Saved.
        </p>
      ) : null}
      <Form method="post" className="card">
        <CsrfInput />
        <fieldset>
          <legend>The agency’s day</legend>
          <div className="field">
            <label htmlFor="timeZone">Time zone</label>
            <select id="timeZone" name="timeZone" defaultValue={account.timeZone} aria-describedby="timeZone-hint">
              <TimeZoneOptions zones={timeZones} />
            </select>
            <p className="hint" id="timeZone-hint">
              “Today” (daily targets, Due today) runs midnight to midnight here, and times are shown in it unless a user chose their own zone.
            </p>
            {errors?.timeZone ? <p className="field-error">{errors.timeZone.join('. ')}</p> : null}
          </div>
          <Field label="Workday starts (HH:MM)" name="workdayStart" defaultValue={account.workdayStart} inputMode="numeric" pattern="[0-9]{1,2}:[0-9]{2}" errors={errors?.workdayStart} />
          <StateCheckboxes
            legend="Licensed states"
            hint="The states the agency is licensed in. A new LSP starts with these."
            name="licensedStates"
            states={states}
            checked={account.licensedStates}
            errors={errors?.licensedStates}
          />
        </fieldset>
        <fieldset>
          <legend>Holding period</legend>
          <Field
            label="Days an assigned lead may go without a Quick Action"
            name="holdingDays"
            type="number"
            min={holdingRange.min}
            max={holdingRange.max}
            step={1}
            inputMode="numeric"
            defaultValue={account.holdingDays}
            errors={errors?.holdingDays}
            hint={`${holdingRange.min} to ${holdingRange.max} days, or empty for off (a lead stays with its LSP). A lead whose LSP records no Quick Action for that many days after it was assigned, or after its last Quick Action, returns to the pool; its history says why. A change reaches leads already assigned within a week.`}
          />
        </fieldset>
        <fieldset>
          <legend>Shark Tank</legend>
          <label>
            <input type="checkbox" name="sharkTank" defaultChecked={account.sharkTank} /> LSPs also see and can work unassigned leads
          </label>
        </fieldset>
        <fieldset>
          <legend>eAgent integration</legend>
          <label>
            <input type="checkbox" name="eagentEnabled" defaultChecked={account.eagentEnabled} /> Transfer leads to eAgent at a milestone
          </label>
          <Field label="eAgent address" name="eagentUrl" type="url" defaultValue={account.eagentUrl} errors={errors?.eagentUrl} />
          <div className="field">
            <label htmlFor="eagentMilestone">Milestone that transfers a lead</label>
            <select id="eagentMilestone" name="eagentMilestone" defaultValue={account.eagentMilestone}>
              <option value="">Choose…</option>
              {milestones.map((m) => (
                <option key={m.value} value={m.value}>
                  {m.label}
                </option>
              ))}
            </select>
            {errors?.eagentMilestone ? <p className="field-error">{errors.eagentMilestone.join('. ')}</p> : null}
          </div>
        </fieldset>
        <button type="submit" className="button primary" disabled={busy}>
          Save
        </button>
      </Form>
    </>
  );
}

export function ErrorBoundary() {
  return <GeneralErrorBoundary />;
}
