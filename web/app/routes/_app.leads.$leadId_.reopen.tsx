// Reopening a closed lead (db/leads/closing.ts): owners and admins only. It goes back to the
// milestone it had before it was closed and into its LSP's working views again; the flags a Do
// Not Contact request set are lifted only when asked, since the person asked not to be contacted.
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { CsrfInput } from '../components/csrf-input.tsx';
import { GeneralErrorBoundary } from '../components/error-boundary.tsx';
import { FormError } from '../components/field.tsx';
import { DO_NOT_CONTACT_FLAG_REASON, isClosingMilestone, reopenLead, ReopenError } from '../../../db/leads/closing.ts';
import { requireRole } from '../utils/auth.server.ts';
import { validateCsrf } from '../utils/csrf.server.ts';
import { notFound } from '../utils/forms.server.ts';
import { milestoneLabel } from '../utils/labels.ts';
import { ASSIGN_ROLES, getLeadForUser } from '../utils/leads.server.ts';
import { tellWorkflowReopened } from '../utils/quick-actions.server.ts';

export const meta: MetaFunction = () => [{ title: 'Reopen lead · Leadflow' }];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const user = await requireRole(request, context, ASSIGN_ROLES);
  const lead = await getLeadForUser(context.services.db, user, params.leadId ?? '');
  if (!lead) throw notFound();
  return {
    lead: { id: lead.id, name: `${lead.firstName} ${lead.lastName}`, milestone: lead.milestone },
    closed: isClosingMilestone(lead.milestone),
    // The flags a lift would clear: only those the Do Not Contact request set.
    liftable: lead.flags.filter((f) => f.reason === DO_NOT_CONTACT_FLAG_REASON).map((f) => f.flag),
  };
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const user = await requireRole(request, context, ASSIGN_ROLES);
  const formData = await request.formData();
  await validateCsrf(request, context, formData);
  // The same visibility rule as the page: another account's lead is not found.
  const lead = await getLeadForUser(context.services.db, user, params.leadId ?? '');
  if (!lead) throw notFound();
  let reopened;
  try {
    reopened = await reopenLead(context.services.db, { accountId: user.accountId, leadId: lead.id, byUserId: user.id, liftDoNotContact: formData.get('lift') === 'yes' });
  } catch (err) {
    if (err instanceof ReopenError) {
      if (err.status === 404) throw notFound();
      return data({ formError: err.message }, { status: err.status });
    }
    throw err;
  }
  // The lead's workflow works it again (its holding period counts again). The reopening stands
  // in PostgreSQL either way; a workflow not told now learns the milestone when it next loads the lead.
  await tellWorkflowReopened(context.services, user, lead.id, reopened.to);
  return redirect(`/leads/${lead.id}`);
}

export default function ReopenLead() {
  const { lead, closed, liftable } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === 'submitting';
  return (
    <>
      <p className="breadcrumb">
        <Link to={`/leads/${lead.id}`}>← {lead.name}</Link>
      </p>
      <div className="page-head">
        <h1>Reopen {lead.name}</h1>
      </div>
      <section className="card narrow">
        <FormError message={result?.formError} />
        {closed ? (
          <Form method="post">
            <CsrfInput />
            <p>
              This lead is closed at <strong>{milestoneLabel(lead.milestone)}</strong>. Reopening puts it back in its LSP's My Leads, Due today and Upcoming, at the
              milestone it had before, and records who reopened it.
            </p>
            {liftable.length ? (
              <div className="field">
                <label>
                  <input type="checkbox" name="lift" value="yes" style={{ width: 'auto', minHeight: 0 }} /> Also lift the Do Not Contact request ({liftable.join(', ')})
                </label>
                <p className="hint">Only if the request was recorded by mistake: the person asked not to be called, e-mailed or mailed. Flags from lists stay.</p>
              </div>
            ) : null}
            <button type="submit" className="button primary" disabled={busy}>
              Reopen lead
            </button>
          </Form>
        ) : (
          <p>This lead is not closed ({milestoneLabel(lead.milestone)}): there is nothing to reopen.</p>
        )}
      </section>
    </>
  );
}

export function ErrorBoundary() {
  return <GeneralErrorBoundary />;
}
