import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { Badge } from '../components/badges.tsx';
import { CsrfInput } from '../components/csrf-input.tsx';
import { GeneralErrorBoundary } from '../components/error-boundary.tsx';
import { FormError } from '../components/field.tsx';
import { requireRole } from '../utils/auth.server.ts';
import { validateCsrf } from '../utils/csrf.server.ts';

import { listSystemChecks, runReconcile, runSystemCheck, temporalWorkflowUrl } from '../utils/system-check.server.ts';
import { Time } from '../components/time.tsx';

export const meta: MetaFunction = () => [{ title: 'Support · Leadflow' }];

const ROLES = ['support', 'owner', 'admin'] as const;

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireRole(request, context, ROLES);
  const checks = await listSystemChecks(context.services.db, user.accountId);
  const { services } = context;
  return {
    checks: checks.map((c) => ({ ...c, temporalUrl: temporalWorkflowUrl(services, c.workflowId) })),
    temporalConfigured: Boolean(services.temporal),
    temporalWebUrl: services.temporalWebUrl,
  };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requireRole(request, context, ROLES);
  const formData = await request.formData();
  await validateCsrf(request, context, formData);
  if (formData.get('intent') === 'reconcile') {
    const r = await runReconcile(context.services, { accountId: user.accountId });
    if (!r.ok) return data({ formError: r.message }, { status: 503 });
    return data({ reconciled: { checked: r.checked, restarted: r.restarted } });
  }
  const started = await runSystemCheck(context.services, { accountId: user.accountId, userId: user.id });
  if (!started.ok) return data({ formError: started.message }, { status: 503 });
  throw redirect('/support');
}

const TONES: Record<string, 'ok' | 'danger' | 'warn'> = { completed: 'ok', failed: 'danger', started: 'warn' };

export default function Support() {
  const { checks, temporalConfigured, temporalWebUrl } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const busy = useNavigation().state === 'submitting';
  return (
    <>
      <div className="page-head">
        <h1>Support</h1>
        {temporalWebUrl ? (
          <p>
            <a href={temporalWebUrl} target="_blank" rel="noreferrer">
              Open Temporal Web
            </a>
          </p>
        ) : null}
      </div>
      <section className="card" aria-labelledby="check-title">
        <h2 id="check-title">End-to-end check</h2>
        <p>Runs a workflow through Temporal and a worker that writes back to the database. A check that turns completed proves every link works.</p>
        {temporalConfigured ? (
          <FormError message={actionData && 'formError' in actionData ? actionData.formError : undefined} />
        ) : (
          <p className="alert alert-warn">Temporal is not configured for this web server (TEMPORAL_ADDRESS), so checks cannot run.</p>
        )}
        <Form method="post">
          <CsrfInput />
          <button type="submit" className="button primary" disabled={busy || !temporalConfigured}>
            {busy ? 'Starting…' : 'Run end-to-end check'}
          </button>
        </Form>
      </section>
      <section className="card" aria-labelledby="reconcile-title">
        <h2 id="reconcile-title">Reconcile leads</h2>
        <p>Finds open leads whose workflow is not running (after a lost Temporal server, say) and starts them again from what the database knows. Leads already running are left alone.</p>
        {actionData && 'reconciled' in actionData && actionData.reconciled ? (
          <p className="alert alert-ok" role="status">
            Checked {actionData.reconciled.checked} open leads; restarted {actionData.reconciled.restarted}.
          </p>
        ) : null}
        <Form method="post">
          <CsrfInput />
          <input type="hidden" name="intent" value="reconcile" />
          <button type="submit" className="button" disabled={busy || !temporalConfigured}>
            Reconcile leads
          </button>
        </Form>
      </section>
      <section className="card" aria-labelledby="checks-title">
        <h2 id="checks-title">Recent checks</h2>
        {checks.length ? (
          <div className="table-wrap">
            <table className="data-table">
              <caption className="visually-hidden">Recent end-to-end checks</caption>
              <thead>
                <tr>
                  <th scope="col">Started</th>
                  <th scope="col">Status</th>
                  <th scope="col">Completed</th>
                  <th scope="col">By</th>
                  <th scope="col">Worker</th>
                  <th scope="col">Workflow</th>
                </tr>
              </thead>
              <tbody>
                {checks.map((c) => (
                  <tr key={c.id}>
                    <td data-label="Started"><Time value={c.createdAt} /></td>
                    <td data-label="Status">
                      <Badge tone={TONES[c.status] ?? 'neutral'}>{c.status}</Badge>
                    </td>
                    <td data-label="Completed"><Time value={c.completedAt} /></td>
                    <td data-label="By">{c.requestedBy ?? '—'}</td>
                    <td data-label="Worker">{c.workerIdentity ?? '—'}</td>
                    <td data-label="Workflow">
                      {c.temporalUrl ? (
                        <a href={c.temporalUrl} target="_blank" rel="noreferrer">
                          {c.workflowId}
                        </a>
                      ) : (
                        <code>{c.workflowId}</code>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : (
          <p className="empty">No checks yet.</p>
        )}
      </section>
    </>
  );
}

export function ErrorBoundary() {
  return <GeneralErrorBoundary />;
}
