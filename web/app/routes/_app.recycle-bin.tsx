// The recycle bin: leads no longer pursued, the first place to look for a "missing" lead.
// Restoring is a signal to the lead's workflow, which owns the lead's status.
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { CsrfInput } from '../components/csrf-input.tsx';
import { GeneralErrorBoundary } from '../components/error-boundary.tsx';
import { FormError } from '../components/field.tsx';
import { requireRole } from '../utils/auth.server.ts';
import { validateCsrf } from '../utils/csrf.server.ts';
import { notFound } from '../utils/forms.server.ts';
import { sourceLabel } from '../utils/labels.ts';
import { sourceLabels } from '../../../db/lead-sources/catalogue.ts';
import { listRecycledLeads, restoreLead } from '../utils/recycle-bin.server.ts';
import { Time } from '../components/time.tsx';

export const meta: MetaFunction = () => [{ title: 'Recycle bin · Leadflow' }];

const ROLES = ['owner', 'admin'] as const;

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireRole(request, context, ROLES);
  return { leads: await listRecycledLeads(context.services.db, user.accountId), sourceLabels: await sourceLabels(context.services.db, user.accountId) };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requireRole(request, context, ROLES);
  const formData = await request.formData();
  await validateCsrf(request, context, formData);
  const r = await restoreLead(context.services, user, String(formData.get('leadId') ?? ''));
  if (r === 'not_found') throw notFound();
  if (r !== 'ok') return data({ formError: r.message, restored: null }, { status: 503 });
  return data({ formError: null, restored: String(formData.get('leadId')) });
}

export default function RecycleBin() {
  const { leads, sourceLabels: labels } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === 'submitting';
  return (
    <>
      <div className="page-head">
        <h1>Recycle bin</h1>
        <p className="muted">Showing {leads.length} lead{leads.length === 1 ? '' : 's'}</p>
      </div>
      <FormError message={result?.formError} />
      {result?.restored ? (
        <p className="alert alert-ok" role="status">
          Restore sent; the lead leaves the bin as soon as its workflow has recorded it.
        </p>
      ) : null}
      <section className="card">
        {leads.length ? (
          <div className="table-wrap">
            <table className="data-table">
              <caption className="visually-hidden">Recycled leads</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Source</th>
                  <th scope="col">Recycled</th>
                  <th scope="col">Why</th>
                  <th scope="col">
                    <span className="visually-hidden">Restore</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {leads.map((l) => (
                  <tr key={l.id}>
                    <td>
                      <Link to={`/leads/${l.id}`}>
                        {l.lastName}, {l.firstName}
                      </Link>
                    </td>
                    <td>{sourceLabel(l.source, labels)}</td>
                    <td><Time value={l.recycledAt} /></td>
                    <td>{l.reason ?? '—'}</td>
                    <td>
                      <Form method="post">
                        <CsrfInput />
                        <input type="hidden" name="leadId" value={l.id} />
                        <button type="submit" className="button" disabled={busy}>
                          Restore
                        </button>
                      </Form>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : (
          <p className="empty">The recycle bin is empty.</p>
        )}
      </section>
    </>
  );
}

export function ErrorBoundary() {
  return <GeneralErrorBoundary />;
}
