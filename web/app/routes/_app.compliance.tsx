// Do-not-call files: the account's internal DNC list, and the federal list that every account's
// scrub reads. Only an owner may load the federal list, since it changes what all agencies see.
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { importCustomerList, importDncNumbers, type SuppressionImportResult } from '../../../activities/suppression.ts';
import { CsrfInput } from '../components/csrf-input.tsx';
import { GeneralErrorBoundary } from '../components/error-boundary.tsx';
import { Field, FormError } from '../components/field.tsx';
import { requireRole } from '../utils/auth.server.ts';
import { validateCsrf } from '../utils/csrf.server.ts';
import { bufferLines, parseUpload, uploadedFile } from '../utils/uploads.server.ts';

export const meta: MetaFunction = () => [{ title: 'Compliance · Leadflow' }];

const ROLES = ['owner', 'admin'] as const;

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireRole(request, context, ROLES);
  const db = context.services.db;
  const count = async (q: ReturnType<typeof db>) => Number((await q.count<{ n: string }[]>('* as n'))[0]?.n ?? 0);
  return {
    canLoadFederal: user.role === 'owner',
    internalCount: await count(db('suppression_entries').where({ account_id: user.accountId, list: 'dnc' })),
    federalCount: await count(db('suppression_entries').whereNull('account_id').where({ list: 'dnc' })),
  };
}

type ActionData = { formError: string | null; fileError: string | null; list: 'internal' | 'federal' | 'customer' | null; result: SuppressionImportResult | null };

export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requireRole(request, context, ROLES);
  const upload = await parseUpload(request);
  if (!upload.ok) return data<ActionData>({ formError: upload.message, fileError: null, list: null, result: null }, { status: 413 });
  const formData = upload.formData;
  await validateCsrf(request, context, formData);
  const chosen = formData.get('list');
  const list = chosen === 'federal' ? 'federal' : chosen === 'customer' ? 'customer' : 'internal';
  if (list === 'federal' && user.role !== 'owner') {
    throw new Response('Only the account owner can load the federal do-not-call list.', { status: 403, statusText: 'Forbidden' });
  }
  const file = await uploadedFile(formData, 'file');
  if (!file) return data<ActionData>({ formError: null, fileError: 'Choose a file with one phone number a line', list, result: null }, { status: 400 });
  const reason = `uploaded by ${user.username} (${file.name.slice(0, 100)})`;
  if (list === 'customer') {
    try {
      const result = await importCustomerList(context.services.db, user.accountId, file.content, { reason });
      return data<ActionData>({ formError: null, fileError: null, list, result });
    } catch (err) {
      return data<ActionData>({ formError: null, fileError: `Not a customer list: ${(err as Error).message}`, list, result: null }, { status: 400 });
    }
  }
  const result = await importDncNumbers(context.services.db, bufferLines(file.content), {
    accountId: list === 'federal' ? null : user.accountId,
    source: list,
    reason,
  });
  return data<ActionData>({ formError: null, fileError: null, list, result });
}

export default function Compliance() {
  const { canLoadFederal, internalCount, federalCount } = useLoaderData<typeof loader>();
  const done = useActionData<typeof action>();
  const busy = useNavigation().state === 'submitting';
  const r = done?.result;
  return (
    <>
      <div className="page-head">
        <h1>Compliance</h1>
        <p className="muted">
          Internal do-not-call list: {internalCount} number{internalCount === 1 ? '' : 's'} · Federal list: {federalCount} number{federalCount === 1 ? '' : 's'}
        </p>
      </div>
      <section className="card" aria-labelledby="dnc-title">
        <h2 id="dnc-title">Upload a do-not-call file</h2>
        <p className="muted">One phone number a line (10 digits, punctuation allowed). Empty lines and lines starting with # are skipped. Numbers already listed are not added twice.</p>
        <FormError message={done?.formError} />
        <Form method="post" encType="multipart/form-data">
          <CsrfInput />
          <Field label="DNC file" name="file" type="file" accept=".txt,.csv,text/plain,text/csv" required errors={done?.fileError ? [done.fileError] : undefined} hint="Up to 20 MB. Larger federal files: npm run dnc:import -- FILE on the server." />
          <fieldset className="field">
            <legend>List</legend>
            <label>
              <input type="radio" name="list" value="internal" defaultChecked /> This account’s internal DNC list
            </label>
            <label>
              <input type="radio" name="list" value="customer" /> Current customers (CSV with first name, last name, address, city, state, ZIP columns; address line 2 optional): prospects on it are removed at their next scrub
            </label>
            {canLoadFederal ? (
              <label>
                <input type="radio" name="list" value="federal" /> Federal DNC list (used by every account’s scrub)
              </label>
            ) : null}
          </fieldset>
          <button type="submit" className="button button-primary" disabled={busy}>
            Upload
          </button>
        </Form>
      </section>
      {r ? (
        <section className="card" aria-labelledby="result-title" role="status">
          <h2 id="result-title">{done?.list === 'federal' ? 'Federal list' : done?.list === 'customer' ? 'Customer list' : 'Internal list'}: upload result</h2>
          <dl className="facts">
            <dt>Lines read</dt>
            <dd>{r.lines}</dd>
            <dt>Added</dt>
            <dd>{r.inserted}</dd>
            <dt>Already listed</dt>
            <dd>{r.alreadyListed}</dd>
            <dt>Bad lines</dt>
            <dd>{r.errorCount}</dd>
          </dl>
          {r.errors.length ? (
            <>
              <table className="data-table">
                <caption className="visually-hidden">Bad lines</caption>
                <thead>
                  <tr>
                    <th scope="col">Line</th>
                    <th scope="col">Reason</th>
                  </tr>
                </thead>
                <tbody>
                  {r.errors.map((e) => (
                    <tr key={e.line}>
                      <td>Line {e.line}</td>
                      <td>{e.reason}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {r.errorCount > r.errors.length ? <p className="muted">Showing the first {r.errors.length} of {r.errorCount} bad lines.</p> : null}
            </>
          ) : null}
        </section>
      ) : null}
    </>
  );
}

export function ErrorBoundary() {
  return <GeneralErrorBoundary />;
}
