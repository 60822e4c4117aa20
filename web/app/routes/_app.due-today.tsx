import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Link, useLoaderData } from '@remix-run/react';
import { GeneralErrorBoundary } from '../components/error-boundary.tsx';
import { LeadTable } from '../components/lead-table.tsx';
import { requireRole } from '../utils/auth.server.ts';
import { listDueToday } from '../utils/leads.server.ts';
import { sourceLabels } from '../../../db/lead-sources/catalogue.ts';

export const meta: MetaFunction = () => [{ title: 'Due today · Leadflow' }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireRole(request, context, ['owner', 'admin', 'lsp']);
  return { leads: await listDueToday(context.services.db, user), sourceLabels: await sourceLabels(context.services.db, user.accountId) };
}

export default function DueToday() {
  const { leads, sourceLabels: labels } = useLoaderData<typeof loader>();
  return (
    <>
      <div className="page-head">
        <h1>Due today</h1>
        <p className="muted">
          Your leads with a follow-up due by the end of today (the agency's day), overdue first. Closed leads (Not Interested, Sold, Bad Contact Info, Do Not Contact)
          are not listed; call-backs further ahead are on <Link to="/upcoming">Upcoming</Link>.
        </p>
      </div>
      {leads.length ? <LeadTable leads={leads} caption="Leads due today" sourceLabels={labels} /> : <p className="empty">Nothing due today.</p>}
    </>
  );
}

export function ErrorBoundary() {
  return <GeneralErrorBoundary />;
}
