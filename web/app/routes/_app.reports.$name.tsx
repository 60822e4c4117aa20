// One report's page: its date range (the account's local days), filters, charts where they
// help, a sortable paged table, and the CSV of the same rows (/reports/<name>.csv, same query).
import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Form, Link, useLoaderData, useSearchParams } from '@remix-run/react';
import { ActionsPerDayChart, formatDuration, FunnelChart, SpeedChart } from '../components/charts.tsx';
import { GeneralErrorBoundary } from '../components/error-boundary.tsx';
import { Time } from '../components/time.tsx';
import { actionsPerUserPerDay, isReportName, metricsBySource, REPORTS, reportPage } from '../../../db/reports/reports.ts';
import { SEGMENTS } from '../../../workflows/lead/segment.ts';
import { requireRole } from '../utils/auth.server.ts';
import { notFound } from '../utils/forms.server.ts';
import { segmentLabel, sourceLabel } from '../utils/labels.ts';
import { REPORT_ROLES, reportFilterOptions, reportRequest } from '../utils/reports.server.ts';
import { withParams } from '../utils/url.ts';
import { FilterSelect } from '../components/filter-select.tsx';

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `${data?.report.title ?? 'Report'} · Leadflow` }];

/** Every local date from `from` to `to`, inclusive (YYYY-MM-DD). */
function daysBetween(from: string, to: string): string[] {
  const days: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`) && days.length < 400; t += 86_400_000) days.push(new Date(t).toISOString().slice(0, 10));
  return days;
}

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const user = await requireRole(request, context, REPORT_ROLES);
  const name = params.name ?? '';
  if (!isReportName(name)) throw notFound();
  const db = context.services.db;
  const { params: p, ctx, sort } = await reportRequest(db, user, name, new URL(request.url));
  const spec = REPORTS[name];
  const [page, options, bySource, perDay] = await Promise.all([
    reportPage(db, name, ctx, sort, p.page),
    reportFilterOptions(db, user),
    name === 'account-metrics' ? metricsBySource(db, ctx) : null,
    name === 'user-activity' ? actionsPerUserPerDay(db, ctx) : null,
  ]);
  // The account's own source labels (its catalogue), for the table, the charts and the filter.
  const labels = Object.fromEntries(options.sources);
  return {
    report: { name, title: spec.title, summary: spec.summary, rangeMeans: spec.rangeMeans, userMeans: spec.userMeans, columns: spec.columns },
    params: p,
    page,
    options,
    timeZone: ctx.timeZone,
    funnel: bySource?.map((r) => ({ source: r.source, label: sourceLabel(r.source, labels), leads: r.leads, contacted: r.contacted, quoted: r.quoted, sold: r.sold })) ?? null,
    speed: bySource?.map((r) => ({ source: r.source, label: sourceLabel(r.source, labels), p50: r.firstP50, p90: r.firstP90 })) ?? null,
    perDay,
    days: perDay ? daysBetween(p.from, p.to) : [],
  };
}

type Column = ReturnType<typeof useLoaderData<typeof loader>>['report']['columns'][number];

function Cell({ column, value, labels }: { column: Column; value: string | number | null | undefined; labels: Record<string, string> }) {
  if (value === null || value === undefined || value === '') return <span className="muted">—</span>;
  switch (column.kind) {
    case 'time':
      return <Time value={String(value)} />;
    case 'lead':
      return (
        <Link to={`/leads/${value}`} title={String(value)}>
          {String(value).slice(0, 8)}
        </Link>
      );
    case 'duration':
      return <>{formatDuration(Number(value))}</>;
    case 'count':
      return <>{Number(value).toLocaleString('en-US')}</>;
    case 'percent':
      return <>{`${Number(value).toLocaleString('en-US', { maximumFractionDigits: 1 })}%`}</>;
    default:
      return <>{column.key === 'source' ? sourceLabel(String(value), labels) : String(value)}</>;
  }
}

const shortDate = (date: string) => new Date(`${date}T12:00:00Z`).toLocaleDateString('en-US', { month: 'short', day: 'numeric', year: 'numeric', timeZone: 'UTC' });

export default function ReportPage() {
  const { report, params, page, options, timeZone, funnel, speed, perDay, days } = useLoaderData<typeof loader>();
  const sourceLabels = Object.fromEntries(options.sources);
  const [searchParams] = useSearchParams();
  const first = page.total === 0 ? 0 : (page.page - 1) * page.pageSize + 1;
  const last = Math.min(page.total, page.page * page.pageSize);
  const csvQuery = withParams(searchParams, { page: undefined });
  const csvHref = `/reports/${report.name}.csv${csvQuery === '?' ? '' : csvQuery}`;

  const header = (c: Column) => {
    if (!c.sortable) return <th scope="col" key={c.key}>{c.label}</th>;
    const active = params.sort === c.key;
    const nextDir = active && params.dir === 'asc' ? 'desc' : 'asc';
    return (
      <th scope="col" key={c.key} aria-sort={active ? (params.dir === 'asc' ? 'ascending' : 'descending') : 'none'}>
        <Link to={withParams(searchParams, { sort: c.key, dir: nextDir, page: undefined })} className="sort-link">
          {c.label}
          {active ? <span aria-hidden="true">{params.dir === 'asc' ? ' ▲' : ' ▼'}</span> : null}
        </Link>
      </th>
    );
  };

  return (
    <>
      <p className="breadcrumb">
        <Link to="/reports">Reports</Link>
      </p>
      <div className="page-head">
        <h1>{report.title}</h1>
        <p className="muted">{report.summary}</p>
      </div>
      <p>
        {report.rangeMeans[0]!.toUpperCase() + report.rangeMeans.slice(1)} from <strong>{shortDate(params.from)}</strong> to <strong>{shortDate(params.to)}</strong>{' '}
        <span className="muted">(days in {timeZone})</span> · {page.total === 0 ? 'no rows' : `rows ${first}–${last} of ${page.total.toLocaleString('en-US')}`} ·{' '}
        <a href={csvHref} download>
          Download CSV
        </a>
      </p>

      <details className="filters" open={Boolean(params.user || params.source || params.import || params.segment)}>
        <summary>Dates and filters</summary>
        <Form method="get" className="filter-form" key={searchParams.toString()}>
          <div className="field">
            <label htmlFor="report-from">From</label>
            <input id="report-from" type="date" name="from" defaultValue={params.from} />
          </div>
          <div className="field">
            <label htmlFor="report-to">To</label>
            <input id="report-to" type="date" name="to" defaultValue={params.to} />
          </div>
          <FilterSelect idPrefix="report" name="user" label={`User (${report.userMeans})`} value={params.user} options={options.users.map((u) => [u.id, u.name])} />
          <FilterSelect idPrefix="report" name="source" label="Source" value={params.source} options={options.sources} />
          <FilterSelect idPrefix="report" name="import" label="Import name" value={params.import} options={options.imports.map((i) => [i, i])} />
          <FilterSelect idPrefix="report" name="segment" label="Segment" value={params.segment} options={SEGMENTS.map((s) => [s, segmentLabel(s)])} />
          <input type="hidden" name="sort" value={params.sort} />
          <input type="hidden" name="dir" value={params.dir} />
          <div className="filter-actions">
            <button type="submit" className="button primary">
              Apply
            </button>
            <Link to={`/reports/${report.name}`} className="button secondary">
              Clear
            </Link>
          </div>
        </Form>
      </details>

      {funnel?.length ? <FunnelChart rows={funnel} /> : null}
      {speed?.length ? <SpeedChart rows={speed} /> : null}
      {perDay?.length ? <ActionsPerDayChart days={days} data={perDay} /> : null}

      {page.rows.length ? (
        <div className="table-wrap">
          <table className="data-table">
            <caption className="visually-hidden">{report.title}</caption>
            <thead>
              <tr>{report.columns.map(header)}</tr>
            </thead>
            <tbody>
              {page.rows.map((row, i) => (
                <tr key={i}>
                  {report.columns.map((c) => (
                    <td key={c.key} data-label={c.label}>
                      <Cell column={c} value={row[c.key]} labels={sourceLabels} />
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <p className="empty">Nothing in this range with these filters.</p>
      )}

      {page.pageCount > 1 ? (
        <nav aria-label="Pages" className="pager">
          {page.page > 1 ? (
            <Link to={withParams(searchParams, { page: page.page - 1 })} rel="prev">
              ← Previous
            </Link>
          ) : (
            <span className="muted">← Previous</span>
          )}
          <span>
            Page {page.page} of {page.pageCount}
          </span>
          {page.page < page.pageCount ? (
            <Link to={withParams(searchParams, { page: page.page + 1 })} rel="next">
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

export function ErrorBoundary() {
  return <GeneralErrorBoundary />;
}
