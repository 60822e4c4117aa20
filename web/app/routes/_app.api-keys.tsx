// API Keys (the owner's): named keys for lead vendors and the agency's own systems to post leads
// and read or assign them through /api/v1. A new key is shown once, on the page that made it;
// afterwards the list shows its name, its first characters, who made it and when it was last
// used, and a revoked key stops working at once.
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { Badge } from '../components/badges.tsx';
import { CsrfInput } from '../components/csrf-input.tsx';
import { GeneralErrorBoundary } from '../components/error-boundary.tsx';
import { Field } from '../components/field.tsx';
import { Time } from '../components/time.tsx';
import { createApiKey, listApiKeys, revokeApiKey } from '../utils/api-keys.server.ts';
import { API_KEY_NAME_MAX } from '../utils/api-keys.ts';
import { requireRole } from '../utils/auth.server.ts';
import { validateCsrf } from '../utils/csrf.server.ts';

export const meta: MetaFunction = () => [{ title: 'API keys · Leadflow' }];

const ROLES = ['owner'] as const;

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireRole(request, context, ROLES);
  return { keys: await listApiKeys(context.services.db, user.accountId), apiUrl: new URL('/api/v1/leads', request.url).toString() };
}

type ActionResult = { ok: true; created?: { name: string; key: string }; message: string } | { ok: false; message: string; fieldErrors?: { name?: string[] } };

export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requireRole(request, context, ROLES);
  const formData = await request.formData();
  await validateCsrf(request, context, formData);
  const { db } = context.services;
  const intent = formData.get('intent');
  if (intent === 'create') {
    const raw = formData.get('name');
    const name = typeof raw === 'string' ? raw.trim().replace(/\s+/g, ' ') : '';
    if (!name) return data<ActionResult>({ ok: false, message: 'The key was not made.', fieldErrors: { name: ['Give the key a name, such as the vendor that will use it'] } }, { status: 400 });
    if (name.length > API_KEY_NAME_MAX) return data<ActionResult>({ ok: false, message: 'The key was not made.', fieldErrors: { name: [`At most ${API_KEY_NAME_MAX} characters`] } }, { status: 400 });
    const { key } = await createApiKey(db, user.accountId, user.id, name);
    // Never cached: the secret is in this one response only.
    return data<ActionResult>({ ok: true, created: { name, key }, message: `Key “${name}” made.` }, { headers: { 'Cache-Control': 'no-store' } });
  }
  if (intent === 'revoke') {
    const id = formData.get('keyId');
    const done = typeof id === 'string' && (await revokeApiKey(db, user.accountId, user.id, id));
    if (!done) return data<ActionResult>({ ok: false, message: 'No such key, or it was already revoked.' }, { status: 404 });
    return data<ActionResult>({ ok: true, message: 'Key revoked: requests with it are refused from now on.' });
  }
  return data<ActionResult>({ ok: false, message: 'Unknown action.' }, { status: 400 });
}

export default function ApiKeys() {
  const { keys, apiUrl } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as ActionResult | undefined;
  const busy = useNavigation().state !== 'idle';
  return (
    <section aria-labelledby="api-keys-title">
      <h1 id="api-keys-title">API keys</h1>
      <p className="muted">
        Lead vendors and your own systems send leads to <code>{apiUrl}</code> with a key in the <code>Authorization: Bearer …</code> header. Give each sender its own key, so you can revoke one without stopping the others.
      </p>
      {result ? (
        <p className={`alert ${result.ok ? 'alert-ok' : 'alert-error'}`} role={result.ok ? 'status' : 'alert'}>
          {result.message}
        </p>
      ) : null}
      {result?.ok && result.created ? (
        <div className="card" aria-labelledby="new-key-title">
          <h2 id="new-key-title">Copy the key for “{result.created.name}” now</h2>
          <p>It is shown only this once: Leadflow keeps only a fingerprint of it. If it is lost, revoke it and make another.</p>
          <p>
            <code data-testid="new-api-key" className="secret">
              {result.created.key}
            </code>
          </p>
        </div>
      ) : null}
      <div className="card narrow">
        <h2>Make a key</h2>
        <Form method="post" noValidate>
          <CsrfInput />
          <input type="hidden" name="intent" value="create" />
          <Field label="Name" name="name" maxLength={API_KEY_NAME_MAX} required errors={!result?.ok ? result?.fieldErrors?.name : undefined} hint="Who will use it, e.g. “EverQuote feed” or “Website form”." />
          <button type="submit" className="button primary" disabled={busy}>
            Make key
          </button>
        </Form>
      </div>
      {keys.length ? (
        <div className="table-wrap">
          <table className="data-table">
            <caption className="visually-hidden">Your API keys</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Key starts</th>
                <th scope="col">Made</th>
                <th scope="col">Last used</th>
                <th scope="col">Status</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {keys.map((k) => (
                <tr key={k.id}>
                  <td>{k.name}</td>
                  <td>
                    <code>{k.prefix}…</code>
                  </td>
                  <td>
                    <Time value={k.createdAt} />
                    {k.createdBy ? ` by ${k.createdBy}` : ''}
                  </td>
                  <td>{k.lastUsedAt ? <Time value={k.lastUsedAt} /> : 'Never (or before Leadflow noted uses)'}</td>
                  <td>
                    {k.revokedAt ? (
                      <>
                        <Badge tone="neutral">Revoked</Badge> <Time value={k.revokedAt} />
                        {k.revokedBy ? ` by ${k.revokedBy}` : ''}
                      </>
                    ) : (
                      <Badge tone="ok">Active</Badge>
                    )}
                  </td>
                  <td>
                    {k.revokedAt ? null : (
                      <Form method="post" onSubmit={(e) => (confirm(`Revoke “${k.name}”? Anything using it stops working at once.`) ? undefined : e.preventDefault())}>
                        <CsrfInput />
                        <input type="hidden" name="intent" value="revoke" />
                        <input type="hidden" name="keyId" value={k.id} />
                        <button type="submit" className="button secondary small" aria-label={`Revoke ${k.name}`} disabled={busy}>
                          Revoke
                        </button>
                      </Form>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <p className="muted">No keys yet.</p>
      )}
    </section>
  );
}

export function ErrorBoundary() {
  return <GeneralErrorBoundary />;
}
