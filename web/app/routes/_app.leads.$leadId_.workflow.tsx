// /leads/:leadId/workflow: the workflow inspector of one lead (support, owner, admin), linked
// from the Support page's stuck leads; its two repairs post here.
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Link, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { GeneralErrorBoundary } from '../components/error-boundary.tsx';
import { WorkflowInspector } from '../components/workflow-inspector.tsx';
import { requireRole } from '../utils/auth.server.ts';
import { validateCsrf } from '../utils/csrf.server.ts';
import { INSPECTOR_ROLES, loadWorkflowInspector, runInspectorAction } from '../utils/workflow-inspector.server.ts';

export const meta: MetaFunction = () => [{ title: 'Lead workflow · Leadflow' }];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const user = await requireRole(request, context, INSPECTOR_ROLES);
  return { view: await loadWorkflowInspector(context.services, user, params.leadId ?? '') };
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const user = await requireRole(request, context, INSPECTOR_ROLES);
  const formData = await request.formData();
  await validateCsrf(request, context, formData);
  const r = await runInspectorAction(context.services, user, params.leadId ?? '', formData);
  if (!r.ok) return data({ error: r.message }, { status: r.status });
  return data({ done: r.message });
}

export default function LeadWorkflow() {
  const { view } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === 'submitting';
  return (
    <>
      <div className="page-head">
        <h1>Workflow of {view.leadName}</h1>
        <p>
          <Link to={`/leads/${view.leadId}`}>Back to the lead</Link> · <Link to="/support">Support</Link>
        </p>
      </div>
      {result && 'done' in result ? (
        <p className="alert alert-ok" role="status">
          {result.done}
        </p>
      ) : null}
      {result && 'error' in result ? (
        <p className="alert alert-error" role="alert">
          {result.error}
        </p>
      ) : null}
      <WorkflowInspector view={view} busy={busy} />
    </>
  );
}

export function ErrorBoundary() {
  return <GeneralErrorBoundary />;
}
