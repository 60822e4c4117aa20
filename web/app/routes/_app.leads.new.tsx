// A single lead entered by hand: the same intake path as the API and CSV imports, so a person
// already on file merges into their lead instead of doubling it. The source is Manual entry
// unless the person names another (any name: intake matches it to the account's catalogue or
// adds it there), and the agent ID the account's first unless they choose another.
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { LeadWorkflowStartError, IntakeValidationError, SourceSuppressedError } from '../../../db/intake/index.ts';
import { CsrfInput } from '../components/csrf-input.tsx';
import { GeneralErrorBoundary } from '../components/error-boundary.tsx';
import { Field, FormError } from '../components/field.tsx';
import { requireRole } from '../utils/auth.server.ts';
import { validateCsrfToken } from '../utils/csrf.server.ts';
import type { FieldErrors } from '../utils/forms.server.ts';
import { submitLead } from '../utils/intake.server.ts';
import { loadCatalogue } from '../../../db/lead-sources/catalogue.ts';
import { SOURCE_NAME_MAX } from '../../../db/lead-sources/defaults.ts';
import { accountAgentIds } from '../utils/sources.server.ts';

export const meta: MetaFunction = () => [{ title: 'New lead · Leadflow' }];

const ROLES = ['owner', 'admin'] as const;

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireRole(request, context, ROLES);
  const [catalogue, agentIds] = await Promise.all([loadCatalogue(context.services.db, user.accountId), accountAgentIds(context.services.db, user.accountId)]);
  return { sources: catalogue.map((s) => s.label), manual: catalogue.find((s) => s.key === 'manual')?.label ?? 'Manual entry', agentIds };
}

// Intake reports nested paths; the form's inputs are flat.
const FORM_FIELD: Record<string, string> = {
  'address.line1': 'line1',
  'address.line2': 'line2',
  'address.city': 'city',
  'address.state': 'state',
  'address.zip': 'zip',
  'phones.0': 'phone',
  'emails.0': 'email',
};

export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requireRole(request, context, ROLES);
  const formData = await request.formData();
  // Every field goes to validateIntake, which refuses control characters per field: the form
  // comes back with the message beside the field instead of an error page.
  await validateCsrfToken(request, context, formData);
  const field = (name: string) => {
    const v = formData.get(name);
    return typeof v === 'string' ? v : '';
  };
  let id: string;
  try {
    ({ id } = await submitLead(
      context,
      user.accountId,
      {
        firstName: field('firstName'),
        lastName: field('lastName'),
        address: { line1: field('line1'), line2: field('line2') || null, city: field('city'), state: field('state'), zip: field('zip') },
        phones: field('phone').trim() ? [field('phone')] : [],
        emails: field('email').trim() ? [field('email')] : [],
        source: field('source').trim() ? field('source') : 'manual',
        agentId: field('agentId') || null,
        customer: formData.get('customer') === 'on',
      },
      { actorUserId: user.id },
    ));
  } catch (err) {
    if (err instanceof IntakeValidationError || err instanceof SourceSuppressedError) {
      const fieldErrors: FieldErrors = {};
      const problems = err instanceof SourceSuppressedError ? { source: err.message } : err.fieldErrors;
      for (const [path, message] of Object.entries(problems)) fieldErrors[FORM_FIELD[path] ?? path] = [message];
      const values = Object.fromEntries(['firstName', 'lastName', 'line1', 'line2', 'city', 'state', 'zip', 'phone', 'email', 'source', 'agentId'].map((k) => [k, field(k)]));
      return data({ fieldErrors, formError: null as string | null, values, customer: formData.get('customer') === 'on' }, { status: 400 });
    }
    if (err instanceof LeadWorkflowStartError) {
      // Saved; reconcile starts its workflow. The lead page shows the failed start in its history.
      console.error('[web] manual lead saved but its workflow did not start', err.leadId, err.cause);
      throw redirect(`/leads/${err.leadId}`);
    }
    throw err;
  }
  throw redirect(`/leads/${id}`);
}

export default function NewLead() {
  const { sources, manual, agentIds } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const errors = actionData?.fieldErrors ?? {};
  // Without JavaScript the page reloads on a 400: give back what was typed.
  const v = (name: string) => ({ name, defaultValue: actionData?.values[name] ?? '', errors: errors[name] });
  const busy = useNavigation().state === 'submitting';
  return (
    <>
      <p className="breadcrumb">
        <Link to="/leads">← Leads</Link>
      </p>
      <div className="page-head">
        <h1>New lead</h1>
        <p className="muted">Someone already on file (same name and address) is merged into their lead, not added twice.</p>
      </div>
      <section className="card" aria-labelledby="new-lead-title">
        <h2 id="new-lead-title" className="visually-hidden">
          Lead details
        </h2>
        <FormError message={actionData?.formError} />
        <Form method="post" noValidate>
          <CsrfInput />
          <div className="grid-2">
            <Field label="First name" {...v('firstName')} autoComplete="off" required />
            <Field label="Last name" {...v('lastName')} autoComplete="off" required />
          </div>
          <Field label="Address" {...v('line1')} autoComplete="off" required />
          <Field label="Address line 2" {...v('line2')} autoComplete="off" />
          <div className="grid-2">
            <Field label="City" {...v('city')} autoComplete="off" required />
            <Field label="State" {...v('state')} autoComplete="off" required hint="Code or name, e.g. NJ or New Jersey" />
          </div>
          <Field label="ZIP" {...v('zip')} autoComplete="off" inputMode="numeric" required />
          <div className="grid-2">
            <Field label="Phone" {...v('phone')} type="tel" autoComplete="off" />
            <Field label="E-mail" {...v('email')} type="email" autoComplete="off" />
          </div>
          <div className="grid-2">
            <Field
              label="Source"
              {...v('source')}
              defaultValue={actionData?.values.source ?? manual}
              list="new-lead-sources"
              autoComplete="off"
              maxLength={SOURCE_NAME_MAX}
              required
              hint={
                <>
                  One of your <Link to="/sources">sources</Link>, or a new name (it is added to them, to be classified).
                </>
              }
            />
            <datalist id="new-lead-sources">
              {sources.map((s) => (
                <option key={s} value={s} />
              ))}
            </datalist>
            {agentIds.length > 1 ? (
              <div className="field">
                <label htmlFor="new-lead-agent">Agent ID</label>
                <select id="new-lead-agent" name="agentId" defaultValue={actionData?.values.agentId || agentIds[0]} aria-invalid={errors.agentId ? true : undefined}>
                  {agentIds.map((a) => (
                    <option key={a} value={a}>
                      {a}
                    </option>
                  ))}
                </select>
                {errors.agentId ? <p className="field-error">{errors.agentId.join('. ')}</p> : null}
              </div>
            ) : null}
          </div>
          <div className="field">
            <label>
              <input type="checkbox" name="customer" defaultChecked={actionData?.customer ?? false} /> Current customer
            </label>
          </div>
          <button type="submit" className="button" disabled={busy}>
            {busy ? 'Adding…' : 'Add lead'}
          </button>
        </Form>
      </section>
    </>
  );
}

export function ErrorBoundary() {
  return <GeneralErrorBoundary />;
}
