// Live activity (owners and admins): what is happening in the agency right now (leads arriving,
// assigned, worked, removed), updating without a reload.
import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { useLoaderData } from '@remix-run/react';
import { GeneralErrorBoundary } from '../components/error-boundary.tsx';
import { LiveActivity } from '../components/live-activity.tsx';
import { requireRole } from '../utils/auth.server.ts';
import { ACTIVITY_ROLES, recentActivity } from '../utils/live-activity.server.ts';

export const meta: MetaFunction = () => [{ title: 'Live activity · Leadflow' }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireRole(request, context, ACTIVITY_ROLES);
  return recentActivity(context.services.db, user);
}

export default function Activity() {
  const { entries, after } = useLoaderData<typeof loader>();
  return (
    <section aria-labelledby="activity-title">
      <h1 id="activity-title">Live activity</h1>
      <LiveActivity initial={entries} after={after} />
    </section>
  );
}

export function ErrorBoundary() {
  return <GeneralErrorBoundary />;
}
