import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useNavigation, useSearchParams, useSubmit } from '@remix-run/react';
import { AssignForm, AssignOutcome, LspSelect } from '../components/assign-form.tsx';
import { GeneralErrorBoundary } from '../components/error-boundary.tsx';
import { LeadTable, type SortableColumn } from '../components/lead-table.tsx';
import { MyDayPanel } from '../components/my-day.tsx';
import { CsrfInput } from '../components/csrf-input.tsx';
import { LiveLeads } from '../components/live-leads.tsx';
import { requireRole } from '../utils/auth.server.ts';
import { LEAD_STATUSES, segmentLabel, STATUS_LABELS } from '../utils/labels.ts';
import { SEGMENTS } from '../../../workflows/lead/segment.ts';
import { validateCsrf } from '../utils/csrf.server.ts';
import { ASSIGN_ROLES, assignableLsps, assignFromList, canAssign, closedView, leadFilterOptions, listLeads, parseLeadListParams, type AssignableLsp } from '../utils/leads.server.ts';
import { myDay } from '../utils/my-day.server.ts';
import { nextLeadNotice } from '../utils/claim.server.ts';
import { latestAssignmentId } from '../utils/live-leads.server.ts';
import { withParams } from '../utils/url.ts';
import { FilterSelect } from '../components/filter-select.tsx';

export const meta: MetaFunction = () => [{ title: 'Leads · Leadflow' }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireRole(request, context, ['owner', 'admin', 'lsp', 'support']);
  const url = new URL(request.url);
  const params = parseLeadListParams(url);
  const isLsp = user.role === 'lsp';
  const [page, options, lsps, day, liveAfter] = await Promise.all([
    listLeads(context.services.db, user, params),
    leadFilterOptions(context.services.db, user),
    canAssign(user) ? assignableLsps(context.services.db, user) : null,
    myDay(context.services.db, user),
    // Where the live stream of newly assigned leads starts: after what this list already has.
    isLsp ? latestAssignmentId(context.services.db, user) : null,
  ]);
  return {
    ...page,
    options,
    params,
    lsps,
    myDay: day,
    isLsp,
    sharkTank: user.account.sharkTank,
    canAdd: user.role === 'owner' || user.role === 'admin',
    canReopen: canAssign(user),
    // What the list does with closed leads when the URL does not say (an LSP's My Leads hides them).
    closed: closedView(params, user),
    liveAfter,
    // Why the Next lead button brought the LSP back here instead of to a lead.
    nextNotice: isLsp ? nextLeadNotice(url) : null,
  };
}

/** The bulk assignment forms: the selected rows, or N of the leads matching the list's filters. */
export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requireRole(request, context, ASSIGN_ROLES);
  const formData = await request.formData();
  await validateCsrf(request, context, formData);
  const intent = formData.get('intent');
  if (intent !== 'assign-selected' && intent !== 'assign-matching') return data({ intent: null, message: null, error: 'Unknown request' }, { status: 400 });
  const done = await assignFromList(context.services, user, intent, formData);
  return data({ intent, message: done.ok ? done.message : null, error: done.ok ? null : done.message }, { status: done.status });
}

const SORT_LABELS: Record<SortableColumn, string> = { created: 'Created', name: 'Name', follow_up: 'Next follow-up', milestone: 'Milestone' };

export default function LeadsList() {
  const { leads, total, page, pageCount, pageSize, options, params, lsps, isLsp, sharkTank, canAdd, canReopen, closed, myDay, liveAfter, nextNotice } = useLoaderData<typeof loader>();
  const [searchParams] = useSearchParams();
  const submit = useSubmit();
  const first = total === 0 ? 0 : (page - 1) * pageSize + 1;
  const last = Math.min(total, page * pageSize);

  const sortHeader = (column: SortableColumn, label: string) => {
    const active = params.sort === column;
    const nextDir = active && params.dir === 'asc' ? 'desc' : active ? 'asc' : undefined;
    return (
      <th scope="col" aria-sort={active ? (params.dir === 'asc' ? 'ascending' : 'descending') : 'none'}>
        <Link to={withParams(searchParams, { sort: column, dir: nextDir, page: undefined })} className="sort-link">
          {label}
          {active ? <span aria-hidden="true">{params.dir === 'asc' ? ' ▲' : ' ▼'}</span> : null}
        </Link>
      </th>
    );
  };

  return (
    <>
      <div className="page-head">
        <h1>{isLsp ? 'My Leads' : 'Leads'}</h1>
        <p className="muted">
          {total === 0 ? 'No leads match.' : `Showing ${first}–${last} of ${total}`}
          {isLsp && sharkTank ? ' · includes the unassigned pool (Shark Tank)' : ''}
          {closed === 'hide' ? ' · closed leads hidden' : closed === 'only' ? ' · closed leads only' : ''}
        </p>
        {canAdd ? (
          <Link to="/leads/new" className="button">
            New lead
          </Link>
        ) : null}
        {canAdd ? (
          // The same filters and order, as CSV without consumers' personal data (owners and admins).
          <a href={`/leads.csv${searchParams.size ? `?${searchParams}` : ''}`} className="button secondary" download>
            Download CSV
          </a>
        ) : null}
        {isLsp && sharkTank ? <NextLeadButton /> : null}
      </div>

      {nextNotice ? (
        <p className="alert alert-warn" role="status">
          {nextNotice}
        </p>
      ) : null}
      {liveAfter !== null ? <LiveLeads after={liveAfter} /> : null}

      {myDay ? <MyDayPanel day={myDay} /> : null}

      <SearchForm q={params.q} />

      <details className="filters" open={hasFilters(params)}>
        <summary>Filter and sort</summary>
        <Form
          method="get"
          className="filter-form"
          key={searchParams.toString()}
          onSubmit={(event) => {
            // With JavaScript, leave "Any" filters out of the URL; without it the form still works.
            event.preventDefault();
            const chosen = new URLSearchParams();
            for (const [key, value] of new FormData(event.currentTarget)) if (typeof value === 'string' && value) chosen.set(key, value);
            submit(chosen, { method: 'get', action: '/leads' });
          }}
        >
          <FilterSelect name="source" label="Source" value={params.source} options={options.sources} />
          <FilterSelect name="import" label="Import name" value={params.import} options={options.imports.map((i) => [i, i])} />
          <FilterSelect name="status" label="Status" value={params.status} options={LEAD_STATUSES.map((s) => [s, STATUS_LABELS[s]])} />
          <FilterSelect name="segment" label="Segment" value={params.segment} options={SEGMENTS.map((s) => [s, segmentLabel(s)])} />
          {!isLsp ? (
            <FilterSelect name="assignee" label="Assignee" value={params.assignee} options={[['unassigned', 'Unassigned'], ...options.assignees.map((a) => [a.id, a.name] as [string, string])]} />
          ) : null}
          <FilterSelect name="dnc" label="Do not call (DNC)" value={params.dnc} options={[['yes', 'DNC only'], ['no', 'Not DNC']]} />
          <FilterSelect name="dne" label="Do not e-mail (DNE)" value={params.dne} options={[['yes', 'DNE only'], ['no', 'Not DNE']]} />
          <FilterSelect name="dnm" label="Do not mail (DNM)" value={params.dnm} options={[['yes', 'DNM only'], ['no', 'Not DNM']]} />
          <FilterSelect name="kind" label="Prospect or customer" value={params.kind} options={[['P', 'P: prospect'], ['C', 'C: current customer']]} />
          <FilterSelect
            name="closed"
            label="Closed leads"
            value={closed}
            options={[['hide', 'Hide closed'], ['include', 'Show closed'], ['only', 'Only closed']]}
            noAny
          />
          {params.q ? <input type="hidden" name="q" value={params.q} /> : null}
          <FilterSelect name="sort" label="Sort by" value={params.sort} options={Object.entries(SORT_LABELS)} noAny />
          <FilterSelect name="dir" label="Order" value={params.dir} options={[['asc', 'Ascending'], ['desc', 'Descending']]} noAny />
          <div className="filter-actions">
            <button type="submit" className="button primary">
              Apply
            </button>
            <Link to="/leads" className="button secondary">
              Clear
            </Link>
          </div>
        </Form>
      </details>

      {lsps ? <BulkAssign lsps={lsps} total={total} filters={searchParams.toString()} /> : null}

      {leads.length ? (
        <LeadTable leads={leads} header={sortHeader} caption={isLsp ? 'My leads' : 'Leads'} selectForm={lsps ? BULK_SELECTED_FORM : undefined} canReopen={canReopen} sourceLabels={Object.fromEntries(options.sources)} />
      ) : (
        <p className="empty">{params.q ? `No lead you can see matches “${params.q}”.` : 'No leads match these filters.'}</p>
      )}

      {pageCount > 1 ? (
        <nav aria-label="Pages" className="pager">
          {page > 1 ? (
            <Link to={withParams(searchParams, { page: page - 1 })} rel="prev">
              ← Previous
            </Link>
          ) : (
            <span className="muted">← Previous</span>
          )}
          <span>
            Page {page} of {pageCount}
          </span>
          {page < pageCount ? (
            <Link to={withParams(searchParams, { page: page + 1 })} rel="next">
              Next →
            </Link>
          ) : (
            <span className="muted">Next →</span>
          )}
        </nav>
      ) : null}
    </>
  );
}

/** The LSP's next lead: the best of the pool they may work, opened at once (routes/_app.next-lead.tsx). */
function NextLeadButton() {
  const busy = useNavigation().state === 'submitting';
  return (
    <Form method="post" action="/next-lead">
      <CsrfInput />
      <button type="submit" className="button primary" disabled={busy}>
        Next lead
      </button>
    </Form>
  );
}

function hasFilters(p: Record<string, unknown>): boolean {
  return ['source', 'import', 'status', 'segment', 'assignee', 'dnc', 'dne', 'dnm', 'kind', 'closed'].some((k) => p[k] !== undefined);
}

/**
 * Search by name, phone (any format) or e-mail. The list's other filters go along, so a search
 * narrows what is on screen; a new search starts at the first page.
 */
function SearchForm({ q }: { q: string | undefined }) {
  const [searchParams] = useSearchParams();
  const kept = [...searchParams].filter(([key]) => key !== 'q' && key !== 'page');
  return (
    <Form method="get" action="/leads" role="search" className="inline-form" style={{ marginBottom: '1rem' }} key={q ?? ''}>
      {kept.map(([key, value]) => (
        <input key={key} type="hidden" name={key} value={value} />
      ))}
      <label htmlFor="lead-search" className="visually-hidden">
        Search leads
      </label>
      <input id="lead-search" type="search" name="q" defaultValue={q ?? ''} maxLength={200} placeholder="Name, phone or e-mail" autoComplete="off" style={{ flex: '1 1 14rem', width: 'auto' }} />
      <button type="submit" className="button primary">
        Search
      </button>
      {q ? (
        <Link to={`/leads${kept.length ? `?${new URLSearchParams(kept)}` : ''}`} className="button secondary">
          Clear search
        </Link>
      ) : null}
    </Form>
  );
}

const BULK_SELECTED_FORM = 'assign-selected';

/**
 * Owners' and admins' bulk assignment. The selected rows' checkboxes belong to the first form
 * (the `form` attribute); the second takes the list's current filters with it, so the leads it
 * picks are the ones this list shows (the freshest unassigned ones in the LSP's states).
 */
function BulkAssign({ lsps, total, filters }: { lsps: AssignableLsp[]; total: number; filters: string }) {
  const result = useActionData<typeof action>();
  const select = <LspSelect lsps={lsps} note={(l) => `(${lsps.find((x) => x.id === l.id)?.licensedStates.join(', ') || 'no licensed states'})`} />;
  return (
    <section className="card" aria-labelledby="bulk-assign">
      <h2 id="bulk-assign">Assign leads</h2>
      <AssignOutcome error={result?.error} message={result?.message} />
      <AssignForm intent="assign-selected" id={BULK_SELECTED_FORM} button="Assign selected">
        <label>Assign selected to {select}</label>
      </AssignForm>
      <AssignForm intent="assign-matching" button="Assign matching">
        <input type="hidden" name="filters" value={filters} />
        <label>
          Assign <input type="number" name="count" min={1} max={500} defaultValue={Math.min(50, Math.max(1, total))} required className="narrow" /> of the
          unassigned leads matching these filters to {select}
        </label>
      </AssignForm>
    </section>
  );
}

export function ErrorBoundary() {
  return <GeneralErrorBoundary />;
}
