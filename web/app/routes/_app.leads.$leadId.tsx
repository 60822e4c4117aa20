import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Link, useLoaderData } from '@remix-run/react';
import { Badge } from '../components/badges.tsx';
import { GeneralErrorBoundary } from '../components/error-boundary.tsx';
import { requireRole } from '../utils/auth.server.ts';
import { notFound } from '../utils/forms.server.ts';
import { formatDateTime, milestoneLabel, sourceLabel, statusLabel } from '../utils/labels.ts';
import { getLeadForUser } from '../utils/leads.server.ts';

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: data ? `${data.lead.firstName} ${data.lead.lastName} · Leadflow` : 'Lead · Leadflow' }];

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const user = await requireRole(request, context, ['owner', 'admin', 'lsp', 'support']);
  // Another account's lead, another LSP's lead and a lead that does not exist all answer 404.
  const lead = await getLeadForUser(context.services.db, user, params.leadId ?? '');
  if (!lead) throw notFound();
  return { lead };
}

const FLAG_TITLES = { DNC: 'Do not call', DNE: 'Do not e-mail', DNM: 'Do not mail' } as const;

export default function LeadPage() {
  const { lead } = useLoaderData<typeof loader>();
  return (
    <article className="lead-page" aria-labelledby="lead-title">
      <p className="breadcrumb">
        <Link to="/leads">← Leads</Link>
      </p>
      <div className="page-head">
        <h1 id="lead-title">
          {lead.firstName} {lead.lastName}
        </h1>
        <div className="badges" aria-label="Flags">
          <Badge tone={lead.kind === 'C' ? 'ok' : 'neutral'} title={lead.kind === 'C' ? 'Current customer' : 'Prospect'}>
            {lead.kind}
          </Badge>
          {lead.flags.map((f) => (
            <Badge key={f.flag} tone="danger" title={FLAG_TITLES[f.flag]}>
              {f.flag}
            </Badge>
          ))}
          <Badge>{statusLabel(lead.status)}</Badge>
        </div>
      </div>

      <div className="grid-2">
        <section className="card" aria-labelledby="lead-details">
          <h2 id="lead-details">Details</h2>
          <dl className="facts">
            <dt>Address</dt>
            <dd>
              {lead.addressLine1 || '—'}
              {lead.addressLine2 ? <>, {lead.addressLine2}</> : null}
              <br />
              {[lead.city, lead.state, lead.zip].filter(Boolean).join(' ')}
            </dd>
            <dt>Phone</dt>
            <dd>
              {lead.phones.length
                ? lead.phones.map((p, i) => (
                    <div key={i}>
                      {p.e164 ?? p.raw} {p.valid ? null : <span className="muted">(invalid)</span>}
                    </div>
                  ))
                : '—'}
            </dd>
            <dt>E-mail</dt>
            <dd>
              {lead.emails.length
                ? lead.emails.map((e, i) => (
                    <div key={i}>
                      {e.address ?? e.raw} {e.valid ? null : <span className="muted">(invalid)</span>}
                    </div>
                  ))
                : '—'}
            </dd>
            <dt>Source</dt>
            <dd>
              {sourceLabel(lead.source)}
              {lead.importName ? ` · ${lead.importName}` : ''}
            </dd>
            <dt>Segment</dt>
            <dd>{lead.segment ? lead.segment.replace(/_/g, ' ') : '—'}</dd>
            <dt>Time zone</dt>
            <dd>{lead.timeZone ?? '—'}</dd>
          </dl>
        </section>

        <section className="card" aria-labelledby="lead-work">
          <h2 id="lead-work">Work</h2>
          <dl className="facts">
            <dt>Assignee</dt>
            <dd>{lead.assignee ? `${lead.assignee.name} (${lead.assignee.username})` : 'Unassigned'}</dd>
            <dt>Milestone</dt>
            <dd>{milestoneLabel(lead.milestone)}</dd>
            <dt>Next follow-up</dt>
            <dd>{formatDateTime(lead.nextFollowUpAt)}</dd>
            <dt>Created</dt>
            <dd>{formatDateTime(lead.createdAt)}</dd>
            <dt>Updated</dt>
            <dd>{formatDateTime(lead.updatedAt)}</dd>
            {lead.recycledAt ? (
              <>
                <dt>Recycled</dt>
                <dd>{formatDateTime(lead.recycledAt)}</dd>
              </>
            ) : null}
          </dl>
          {lead.flags.length ? (
            <>
              <h3>Compliance</h3>
              <ul className="plain">
                {lead.flags.map((f) => (
                  <li key={f.flag}>
                    <strong>{f.flag}</strong> ({FLAG_TITLES[f.flag]}){f.reason ? `: ${f.reason}` : ''}
                    {f.at ? <span className="muted"> · {formatDateTime(f.at)}</span> : null}
                  </li>
                ))}
              </ul>
            </>
          ) : null}
        </section>
      </div>

      <section className="card" aria-labelledby="lead-history">
        <h2 id="lead-history">History</h2>
        {lead.events.length ? (
          <ol className="timeline">
            {lead.events.map((e) => (
              <li key={e.id}>
                <span className="timeline-when">{formatDateTime(e.createdAt)}</span>
                <span className="timeline-what">
                  <strong>{e.type.replace(/_/g, ' ')}</strong>
                  {e.note ? ` — ${e.note}` : ''}
                </span>
                <span className="muted small-text">by {e.actor}</span>
              </li>
            ))}
          </ol>
        ) : (
          <p className="empty">No history yet.</p>
        )}
      </section>

      <div className="grid-2">
        <section className="card" aria-labelledby="lead-touches">
          <h2 id="lead-touches">Source touches</h2>
          {lead.touches.length ? (
            <ul className="plain">
              {lead.touches.map((t) => (
                <li key={t.id}>
                  {sourceLabel(t.source)}
                  {t.importName ? ` · ${t.importName}` : ''} <span className="muted">· {formatDateTime(t.receivedAt)}</span>
                </li>
              ))}
            </ul>
          ) : (
            <p className="empty">None recorded.</p>
          )}
        </section>
        <section className="card" aria-labelledby="lead-assignments">
          <h2 id="lead-assignments">Assignments</h2>
          {lead.assignments.length ? (
            <ul className="plain">
              {lead.assignments.map((a) => (
                <li key={a.id}>
                  {a.to ? `To ${a.to}` : 'Unassigned'}
                  {a.by ? ` by ${a.by}` : ''}: {a.reason} <span className="muted">· {formatDateTime(a.createdAt)}</span>
                </li>
              ))}
            </ul>
          ) : (
            <p className="empty">Never assigned.</p>
          )}
        </section>
      </div>
    </article>
  );
}

export function ErrorBoundary() {
  return <GeneralErrorBoundary />;
}
