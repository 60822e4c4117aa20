// The reports owners and admins run their week on: the six of them, each with its own page
// (date range, filters, sortable columns, paging, CSV).
import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Link, useLoaderData } from '@remix-run/react';
import { GeneralErrorBoundary } from '../components/error-boundary.tsx';
import { REPORT_NAMES, REPORTS } from '../../../db/reports/reports.ts';
import { requireRole } from '../utils/auth.server.ts';
import { REPORT_ROLES } from '../utils/reports.server.ts';

export const meta: MetaFunction = () => [{ title: 'Reports · Leadflow' }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireRole(request, context, REPORT_ROLES);
  return { reports: REPORT_NAMES.map((name) => ({ name, title: REPORTS[name].title, summary: REPORTS[name].summary })) };
}

export default function ReportsIndex() {
  const { reports } = useLoaderData<typeof loader>();
  return (
    <>
      <div className="page-head">
        <h1>Reports</h1>
        <p className="muted">Each covers the last 30 days of the agency’s time zone until you pick other dates, and downloads as CSV without consumers’ personal data.</p>
        <Link to="/reports/subscriptions" className="button secondary">
          E-mailed reports
        </Link>
      </div>
      <ul className="plain card">
        {reports.map((r) => (
          <li key={r.name}>
            <Link to={`/reports/${r.name}`} className="lead-name">
              {r.title}
            </Link>
            <p className="muted small-text" style={{ margin: 0 }}>
              {r.summary}
            </p>
          </li>
        ))}
      </ul>
    </>
  );
}

export function ErrorBoundary() {
  return <GeneralErrorBoundary />;
}
