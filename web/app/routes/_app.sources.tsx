// Lead sources: the account's lookup of every source its leads come from (what each one is,
// the segment and cadence it maps to, how many leads it brought), with the sources intake met
// for the first time on top until someone classifies them. Owners and admins edit a source;
// the owner alone suppresses a source for one of the account's agent IDs. LSPs read the lookup
// (it tells them what a lead's source means) and change nothing.
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { CADENCE_TEMPLATES, NEW_SOURCE_CADENCE, NEW_SOURCE_SEGMENT, SEGMENTS, SOURCE_DEFINITION_MAX as DEFINITION_MAX, SOURCE_NAME_MAX } from '../../../db/lead-sources/defaults.ts';
import { liftSuppression, suppressSource } from '../../../db/lead-sources/suppressions.ts';
import { loadCatalogue } from '../../../db/lead-sources/catalogue.ts';
import { Badge } from '../components/badges.tsx';
import { CsrfInput } from '../components/csrf-input.tsx';
import { GeneralErrorBoundary } from '../components/error-boundary.tsx';
import { FormError } from '../components/field.tsx';
import { Time } from '../components/time.tsx';
import { requireRole } from '../utils/auth.server.ts';
import { validateCsrf } from '../utils/csrf.server.ts';
import { notFound } from '../utils/forms.server.ts';
import { cadenceLabel, segmentLabel } from '../utils/labels.ts';
import { accountAgentIds, sourcesForPage, suppressionsForPage, updateSource } from '../utils/sources.server.ts';

export const meta: MetaFunction = () => [{ title: 'Lead sources · Leadflow' }];

const VIEW_ROLES = ['owner', 'admin', 'lsp'] as const;
const EDIT_ROLES = ['owner', 'admin'] as const;

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireRole(request, context, VIEW_ROLES);
  const db = context.services.db;
  const canEdit = user.role === 'owner' || user.role === 'admin';
  const [sources, agentIds, suppressions] = await Promise.all([
    sourcesForPage(db, user.accountId),
    accountAgentIds(db, user.accountId),
    // Who turned which source off for which agent ID is the agency's business, not the LSPs'.
    canEdit ? suppressionsForPage(db, user.accountId) : Promise.resolve([]),
  ]);
  return { sources, agentIds, suppressions, canEdit, canSuppress: user.role === 'owner' };
}

type ActionData = { intent: string; key?: string; message: string | null; formError: string | null; fieldErrors: Record<string, string[]> };

const forbidden = () => new Response('Only the account owner can suppress or restore a source.', { status: 403, statusText: 'Forbidden' });

export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requireRole(request, context, EDIT_ROLES);
  const formData = await request.formData();
  await validateCsrf(request, context, formData);
  const db = context.services.db;
  const field = (name: string) => {
    const v = formData.get(name);
    return typeof v === 'string' ? v : '';
  };
  const intent = field('intent');
  if (intent === 'edit') {
    const key = field('key');
    const r = await updateSource(db, user.accountId, user.id, { key, label: field('label'), definition: field('definition'), segment: field('segment'), cadenceTemplate: field('cadenceTemplate') });
    if (!r.ok && r.status === 404) throw notFound();
    if (!r.ok) return data<ActionData>({ intent, key, message: null, formError: 'The source was not saved: see the fields below.', fieldErrors: r.fieldErrors }, { status: 400 });
    return data<ActionData>({ intent, key, message: 'Saved. Leads that arrive or are loaded from now on use it.', formError: null, fieldErrors: {} });
  }
  if (intent === 'suppress') {
    if (user.role !== 'owner') throw forbidden();
    const key = field('key');
    const source = (await loadCatalogue(db, user.accountId)).find((s) => s.key === key);
    if (!source) throw notFound();
    const agentIds = await accountAgentIds(db, user.accountId);
    const agentId = field('agentId');
    if (!agentIds.includes(agentId)) return data<ActionData>({ intent, message: null, formError: null, fieldErrors: { agentId: ['Choose one of the account’s agent IDs'] } }, { status: 400 });
    const added = await suppressSource(db, { accountId: user.accountId, sourceKey: key, agentId, userId: user.id });
    return data<ActionData>({ intent, message: added ? `${source.label} leads for agent ID ${agentId} are now refused at intake.` : `${source.label} was already suppressed for agent ID ${agentId}.`, formError: null, fieldErrors: {} });
  }
  if (intent === 'lift') {
    if (user.role !== 'owner') throw forbidden();
    if (!(await liftSuppression(db, { accountId: user.accountId, id: field('id'), userId: user.id }))) throw notFound();
    return data<ActionData>({ intent, message: 'Restored: that source’s leads for that agent ID are accepted again.', formError: null, fieldErrors: {} });
  }
  return data<ActionData>({ intent, message: null, formError: 'Unknown request', fieldErrors: {} }, { status: 400 });
}

export default function Sources() {
  const { sources, agentIds, suppressions, canEdit, canSuppress } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === 'submitting';
  const flagged = sources.filter((s) => s.needsReview).length;
  const labelOf = new Map(sources.map((s) => [s.key, s.label]));
  const suppressedFor = (key: string) => suppressions.filter((x) => x.sourceKey === key && !x.liftedAt).map((x) => x.agentId);
  const errorsFor = (key: string) => (result?.intent === 'edit' && result.key === key ? result.fieldErrors : {});
  return (
    <>
      <div className="page-head">
        <h1>Lead sources</h1>
        <p className="muted">
          {sources.length} source{sources.length === 1 ? '' : 's'}
          {flagged ? ` · ${flagged} waiting to be classified` : ''}
        </p>
      </div>
      <section className="card" aria-labelledby="sources-about">
        <h2 id="sources-about">What this is</h2>
        <p>
          Every source your leads come from, what it means, and the segment and cadence its leads are worked with. Any source name is accepted at intake (API, CSV import, New lead):
          a name seen for the first time is added here as <strong>{segmentLabel(NEW_SOURCE_SEGMENT)}</strong> with the <strong>{cadenceLabel(NEW_SOURCE_CADENCE)}</strong> cadence, the
          fewest touches, and marked <strong>Needs classifying</strong> until an owner or admin sets it.
        </p>
        <p className="muted">
          A change to a source’s segment or cadence applies to leads that arrive or are loaded after the change; leads already working keep the cadence they started with.
        </p>
      </section>
      {result?.message ? (
        <div className="alert alert-ok" role="status">
          {result.message}
        </div>
      ) : null}
      <FormError message={result?.formError} />
      {sources.map((s) => {
        const errors = errorsFor(s.key);
        const off = suppressedFor(s.key);
        return (
          <section className="card" key={s.key} aria-labelledby={`source-${s.key}`} data-source={s.key}>
            <div className="page-head">
              <h2 id={`source-${s.key}`}>{s.label}</h2>
              <span className="badges">
                {s.needsReview ? <Badge tone="warn">Needs classifying</Badge> : null}
                {s.builtIn ? <Badge>Built in</Badge> : null}
              </span>
            </div>
            <p>{s.definition || <span className="muted">No definition yet.</span>}</p>
            <dl className="facts">
              <dt>Segment</dt>
              <dd>{segmentLabel(s.segment)}</dd>
              <dt>Cadence</dt>
              <dd>{cadenceLabel(s.cadenceTemplate)}</dd>
              <dt>Leads</dt>
              <dd>
                <Link to={`/leads?source=${encodeURIComponent(s.key)}`}>{s.leads.toLocaleString('en-US')}</Link>
              </dd>
              <dt>First seen</dt>
              <dd>{s.firstSeenAt ? <Time value={s.firstSeenAt} /> : 'Built in'}</dd>
              {s.updatedAt ? (
                <>
                  <dt>Last changed</dt>
                  <dd>
                    <Time value={s.updatedAt} />
                    {s.updatedBy ? ` by ${s.updatedBy}` : ''}
                  </dd>
                </>
              ) : null}
              {off.length ? (
                <>
                  <dt>Suppressed</dt>
                  <dd>For agent ID {off.join(', ')}</dd>
                </>
              ) : null}
            </dl>
            {canEdit ? (
              <details className="filters" open={Object.keys(errors).length > 0}>
                <summary>Edit {s.label}</summary>
                <Form method="post" className="filter-form">
                  <CsrfInput />
                  <input type="hidden" name="intent" value="edit" />
                  <input type="hidden" name="key" value={s.key} />
                  <div className="field">
                    <label htmlFor={`label-${s.key}`}>Name</label>
                    <input id={`label-${s.key}`} name="label" defaultValue={s.label} required maxLength={SOURCE_NAME_MAX} aria-invalid={errors.label ? true : undefined} />
                    {errors.label ? <p className="field-error">{errors.label.join('. ')}</p> : null}
                  </div>
                  <div className="field">
                    <label htmlFor={`definition-${s.key}`}>What it is</label>
                    <textarea id={`definition-${s.key}`} name="definition" defaultValue={s.definition} rows={3} maxLength={DEFINITION_MAX} style={{ width: '100%', font: 'inherit', boxSizing: 'border-box' }} aria-invalid={errors.definition ? true : undefined} />
                    {errors.definition ? <p className="field-error">{errors.definition.join('. ')}</p> : null}
                  </div>
                  <div className="field">
                    <label htmlFor={`segment-${s.key}`}>Segment</label>
                    <select id={`segment-${s.key}`} name="segment" defaultValue={s.segment}>
                      {SEGMENTS.map((g) => (
                        <option key={g} value={g}>
                          {segmentLabel(g)}
                        </option>
                      ))}
                    </select>
                    {errors.segment ? <p className="field-error">{errors.segment.join('. ')}</p> : null}
                  </div>
                  <div className="field">
                    <label htmlFor={`cadence-${s.key}`}>Cadence</label>
                    <select id={`cadence-${s.key}`} name="cadenceTemplate" defaultValue={s.cadenceTemplate}>
                      {CADENCE_TEMPLATES.map((c) => (
                        <option key={c} value={c}>
                          {cadenceLabel(c)}
                        </option>
                      ))}
                    </select>
                    {errors.cadenceTemplate ? <p className="field-error">{errors.cadenceTemplate.join('. ')}</p> : null}
                  </div>
                  <div className="filter-actions">
                    <button type="submit" className="button primary" disabled={busy}>
                      Save {s.needsReview ? 'and mark classified' : ''}
                    </button>
                  </div>
                </Form>
              </details>
            ) : null}
          </section>
        );
      })}
      {canEdit ? (
        <section className="card" aria-labelledby="suppressions-title">
          <h2 id="suppressions-title">Suppressed sources by agent ID</h2>
          <p className="muted">
            While a source is suppressed for an agent ID, its leads for that agent ID are refused at intake with a message that says so (the API answers 422; a CSV row is listed
            with its line number). {canSuppress ? '' : 'Only the account owner can suppress or restore a source.'}
          </p>
          {canSuppress ? (
            <Form method="post" className="filter-form">
              <CsrfInput />
              <input type="hidden" name="intent" value="suppress" />
              <div className="field">
                <label htmlFor="suppress-source">Source</label>
                <select id="suppress-source" name="key">
                  {sources.map((s) => (
                    <option key={s.key} value={s.key}>
                      {s.label}
                    </option>
                  ))}
                </select>
              </div>
              <div className="field">
                <label htmlFor="suppress-agent">Agent ID</label>
                <select id="suppress-agent" name="agentId" aria-invalid={result?.intent === 'suppress' && result.fieldErrors.agentId ? true : undefined}>
                  {agentIds.map((a) => (
                    <option key={a} value={a}>
                      {a}
                    </option>
                  ))}
                </select>
                {result?.intent === 'suppress' && result.fieldErrors.agentId ? <p className="field-error">{result.fieldErrors.agentId.join('. ')}</p> : null}
              </div>
              <div className="filter-actions">
                <button type="submit" className="button" disabled={busy || !agentIds.length}>
                  Suppress
                </button>
              </div>
            </Form>
          ) : null}
          {suppressions.length ? (
            <div className="table-wrap">
              <table className="data-table">
                <caption className="visually-hidden">Suppressions, in force first</caption>
                <thead>
                  <tr>
                    <th scope="col">Source</th>
                    <th scope="col">Agent ID</th>
                    <th scope="col">Suppressed</th>
                    <th scope="col">Restored</th>
                    {canSuppress ? (
                      <th scope="col">
                        <span className="visually-hidden">Restore</span>
                      </th>
                    ) : null}
                  </tr>
                </thead>
                <tbody>
                  {suppressions.map((x) => (
                    <tr key={x.id}>
                      <td data-label="Source">{labelOf.get(x.sourceKey) ?? x.sourceKey}</td>
                      <td data-label="Agent ID">{x.agentId}</td>
                      <td data-label="Suppressed">
                        <Time value={x.suppressedAt} />
                        {x.suppressedBy ? ` by ${x.suppressedBy}` : ''}
                      </td>
                      <td data-label="Restored">
                        {x.liftedAt ? (
                          <>
                            <Time value={x.liftedAt} />
                            {x.liftedBy ? ` by ${x.liftedBy}` : ''}
                          </>
                        ) : (
                          <Badge tone="danger">In force</Badge>
                        )}
                      </td>
                      {canSuppress ? (
                        <td data-label="Restore">
                          {!x.liftedAt ? (
                            <Form method="post" className="inline-form">
                              <CsrfInput />
                              <input type="hidden" name="intent" value="lift" />
                              <input type="hidden" name="id" value={x.id} />
                              <button type="submit" className="button secondary small" disabled={busy}>
                                Restore {labelOf.get(x.sourceKey) ?? x.sourceKey} for {x.agentId}
                              </button>
                            </Form>
                          ) : null}
                        </td>
                      ) : null}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : (
            <p className="empty">No source has been suppressed.</p>
          )}
        </section>
      ) : null}
    </>
  );
}

export function ErrorBoundary() {
  return <GeneralErrorBoundary />;
}
