// Workflow templates: admins turn each on or off for the account and see what it does. The
// lead workflows check the switch at the moment they act, so "off" takes effect at once.
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, useLoaderData, useNavigation } from '@remix-run/react';
import { Badge } from '../components/badges.tsx';
import { CsrfInput } from '../components/csrf-input.tsx';
import { GeneralErrorBoundary } from '../components/error-boundary.tsx';
import { requireRole } from '../utils/auth.server.ts';
import { validateCsrf } from '../utils/csrf.server.ts';
import { requestAutoAssignFromWeb } from '../utils/distribution.server.ts';
import { listTemplates, setTemplateEnabled } from '../utils/templates.server.ts';

export const meta: MetaFunction = () => [{ title: 'Workflow templates · Leadflow' }];

const ROLES = ['owner', 'admin'] as const;

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireRole(request, context, ROLES);
  return { templates: await listTemplates(context.services.db, user.accountId) };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requireRole(request, context, ROLES);
  const formData = await request.formData();
  await validateCsrf(request, context, formData);
  const key = String(formData.get('key') ?? '');
  const enabled = formData.get('enabled') === 'true';
  const ok = await setTemplateEnabled(context.services.db, user.accountId, key, enabled);
  if (!ok) return data({ formError: 'Unknown template.' }, { status: 400 });
  // Turned on: the leads waiting now are assigned at once, not at the next workday start.
  if (key === 'auto_assign' && enabled) await requestAutoAssignFromWeb(context.services, user.accountId, 'auto-assign turned on');
  return data({ formError: null });
}

export default function Templates() {
  const { templates } = useLoaderData<typeof loader>();
  const busy = useNavigation().state === 'submitting';
  return (
    <>
      <div className="page-head">
        <h1>Workflow templates</h1>
      </div>
      {templates.map((t) => (
        <section className="card" key={t.key} aria-labelledby={`t-${t.key}`}>
          <div className="page-head">
            <h2 id={`t-${t.key}`}>{t.name}</h2>
            <Badge tone={t.enabled ? 'ok' : 'neutral'}>{t.enabled ? 'On' : 'Off'}</Badge>
          </div>
          {t.summary ? <p>{t.summary}</p> : null}
          {t.steps.length ? (
            <ol className="plain">
              {t.steps.map((s, i) => (
                <li key={i}>
                  <strong>{s.after}:</strong> {s.does}
                </li>
              ))}
            </ol>
          ) : null}
          <Form method="post">
            <CsrfInput />
            <input type="hidden" name="key" value={t.key} />
            <input type="hidden" name="enabled" value={t.enabled ? 'false' : 'true'} />
            <button type="submit" className="button" disabled={busy}>
              Turn {t.enabled ? 'off' : 'on'}
            </button>
          </Form>
        </section>
      ))}
    </>
  );
}

export function ErrorBoundary() {
  return <GeneralErrorBoundary />;
}
