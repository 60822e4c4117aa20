import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { Badge } from '../components/badges.tsx';
import { CsrfInput } from '../components/csrf-input.tsx';
import { GeneralErrorBoundary } from '../components/error-boundary.tsx';
import { FormError } from '../components/field.tsx';
import { requireRole } from '../utils/auth.server.ts';
import { validateCsrf } from '../utils/csrf.server.ts';

import { listSystemChecks, runReconcile, runSystemCheck, temporalWorkflowUrl } from '../utils/system-check.server.ts';
import { loadStuckLeads, noProgressDays, reconcileOneLead } from '../utils/stuck-leads.server.ts';
import { MAX_NO_PROGRESS_DAYS, STUCK_KIND_ORDER as STUCK_KINDS, STUCK_KIND_TITLES, stuckWords } from '../utils/stuck-words.ts';
import type { StuckKind } from '../../../worker/clients/stuck-leads.ts';
import { Time, useViewerTimeZone } from '../components/time.tsx';

export const meta: MetaFunction = () => [{ title: 'Support · Leadflow' }];

const ROLES = ['support', 'owner', 'admin'] as const;

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireRole(request, context, ROLES);
  const checks = await listSystemChecks(context.services.db, user.accountId);
  const { services } = context;
  const stuck = await loadStuckLeads(services, user.accountId, noProgressDays(new URL(request.url)));
  return {
    stuck,
    checks: checks.map((c) => ({ ...c, temporalUrl: temporalWorkflowUrl(services, c.workflowId) })),
    temporalConfigured: Boolean(services.temporal),
    temporalWebUrl: services.temporalWebUrl,
  };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requireRole(request, context, ROLES);
  const formData = await request.formData();
  await validateCsrf(request, context, formData);
  if (formData.get('intent') === 'reconcile-lead') {
    const r = await reconcileOneLead(context.services, user, String(formData.get('leadId') ?? ''));
    if (!r.ok) return data({ leadError: r.message }, { status: r.status });
    return data({ leadReconciled: r.message });
  }
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

/** What each kind of stuck lead means, under its heading. */
const KIND_HELP: Record<StuckKind, string> = {
  not_running: 'Nothing happens to these leads: no cadence, reminder or scrub. Reconcile starts their workflows again from the database.',
  activity_retrying: 'A step has failed three times or more and Temporal keeps retrying it.',
  workflow_task_failing: "The workflow's own code fails on these leads, usually after a deploy.",
  timer_overdue: 'The lead was due to wake more than a minute ago and has not: usually no worker is running.',
  no_progress: 'Open, assigned leads with nothing in their history (besides the weekly scrub) for the days chosen.',
};

function StuckLeads() {
  const { stuck, temporalConfigured } = useLoaderData<typeof loader>();
  const zone = useViewerTimeZone();
  const busy = useNavigation().state === 'submitting';
  const total = STUCK_KINDS.reduce((n, k) => n + stuck.counts[k], 0);
  return (
    <section className="card" aria-labelledby="stuck-title">
      <h2 id="stuck-title">Stuck leads</h2>
      <p>
        Leads that are not moving, found from Temporal's search attributes and the database, checked <Time value={stuck.checkedAt} />.
        {total === 0 && !stuck.temporalProblem ? ' None right now.' : null}
      </p>
      {stuck.temporalProblem ? (
        <p className="alert alert-warn" role="status">
          {stuck.temporalProblem}: only the leads without progress can be listed.
        </p>
      ) : null}
      {stuck.truncated ? <p className="alert alert-warn">Many workflows are behind at once (a busy or stopped worker): the counts below cover the first {200} looked at.</p> : null}
      <dl className="stats" aria-label="Stuck leads by kind">
        {STUCK_KINDS.map((k) => (
          <div key={k}>
            <dt>{STUCK_KIND_TITLES[k]}</dt>
            <dd data-kind={k}>
              <a href={`#stuck-${k}`}>{stuck.counts[k]}</a>
            </dd>
          </div>
        ))}
      </dl>
      <Form method="get" className="inline-form">
        <label>
          No progress for{' '}
          <input type="number" name="days" min={1} max={MAX_NO_PROGRESS_DAYS} defaultValue={stuck.noProgressDays} aria-label="Days without progress" style={{ width: '5rem' }} /> days
        </label>{' '}
        <button type="submit" className="button">
          Look again
        </button>
      </Form>
      {STUCK_KINDS.map((k) => {
        const items = stuck.items[k];
        return (
          <div key={k} id={`stuck-${k}`}>
            <h3>
              {STUCK_KIND_TITLES[k]} ({stuck.counts[k]})
            </h3>
            <p className="muted">{KIND_HELP[k]}</p>
            {k === 'not_running' && items.length > 0 ? (
              <Form method="post">
                <CsrfInput />
                <input type="hidden" name="intent" value="reconcile" />
                <button type="submit" className="button" disabled={busy || !temporalConfigured}>
                  Reconcile all
                </button>
              </Form>
            ) : null}
            {items.length ? (
              <div className="table-wrap">
                <table className="data-table">
                  <caption className="visually-hidden">{STUCK_KIND_TITLES[k]}</caption>
                  <thead>
                    <tr>
                      <th scope="col">Lead</th>
                      <th scope="col">Assigned to</th>
                      <th scope="col">Why it is stuck</th>
                      <th scope="col">Workflow</th>
                    </tr>
                  </thead>
                  <tbody>
                    {items.map((item) => (
                      <tr key={item.leadId} data-lead-id={item.leadId} data-kind={k}>
                        <td data-label="Lead">
                          <Link to={`/leads/${item.leadId}`}>{item.name}</Link>
                        </td>
                        <td data-label="Assigned to">{item.assignee ?? 'Nobody'}</td>
                        <td data-label="Why it is stuck">{stuckWords(item, zone)}</td>
                        <td data-label="Workflow">
                          <Link to={`/leads/${item.leadId}/workflow`}>Inspect</Link>
                          {stuck.temporalUrls[item.workflowId] ? (
                            <>
                              {' · '}
                              <a href={stuck.temporalUrls[item.workflowId]!} target="_blank" rel="noreferrer">
                                Temporal Web
                              </a>
                            </>
                          ) : null}
                          {k === 'not_running' ? (
                            <Form method="post">
                              <CsrfInput />
                              <input type="hidden" name="intent" value="reconcile-lead" />
                              <input type="hidden" name="leadId" value={item.leadId} />
                              <button type="submit" className="button" disabled={busy || !temporalConfigured}>
                                Reconcile
                              </button>
                            </Form>
                          ) : null}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
                {stuck.counts[k] > items.length ? <p className="muted">The first {items.length} of {stuck.counts[k]}.</p> : null}
              </div>
            ) : (
              <p className="empty">None.</p>
            )}
          </div>
        );
      })}
    </section>
  );
}

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
      {actionData && 'leadReconciled' in actionData ? (
        <p className="alert alert-ok" role="status">
          {actionData.leadReconciled}
        </p>
      ) : null}
      {actionData && 'leadError' in actionData ? (
        <p className="alert alert-error" role="alert">
          {actionData.leadError}
        </p>
      ) : null}
      <StuckLeads />
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
