// CSV imports: the account's uploads and the upload form. An upload is stored and waits for
// its column mapping; nothing is imported until the mapping is saved.
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { loadCatalogue } from '../../../db/lead-sources/catalogue.ts';
import { SOURCE_NAME_MAX } from '../../../db/lead-sources/defaults.ts';
import { textProblem } from '../../../db/hygiene/text-input.ts';
import { Badge } from '../components/badges.tsx';
import { CsrfInput } from '../components/csrf-input.tsx';
import { GeneralErrorBoundary } from '../components/error-boundary.tsx';
import { Field, FormError } from '../components/field.tsx';
import { requireRole } from '../utils/auth.server.ts';
import { validateCsrf } from '../utils/csrf.server.ts';
import { createImport, listImports, previewCsv } from '../utils/imports.server.ts';
import { parseUpload, uploadedFile } from '../utils/uploads.server.ts';
import { Time } from '../components/time.tsx';

export const meta: MetaFunction = () => [{ title: 'Imports · Leadflow' }];

const ROLES = ['owner', 'admin'] as const;

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireRole(request, context, ROLES);
  const [imports, catalogue] = await Promise.all([listImports(context.services.db, user.accountId), loadCatalogue(context.services.db, user.accountId)]);
  return { imports, sources: catalogue.map((s) => s.label), spreadsheet: catalogue.find((s) => s.key === 'spreadsheet')?.label ?? 'Spreadsheet' };
}

type ActionData = { formError: string | null; fieldErrors: Record<string, string[]> };

export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requireRole(request, context, ROLES);
  const upload = await parseUpload(request);
  if (!upload.ok) return data<ActionData>({ formError: upload.message, fieldErrors: {} }, { status: 413 });
  const formData = upload.formData;
  await validateCsrf(request, context, formData);
  const fieldErrors: Record<string, string[]> = {};
  const name = String(formData.get('name') ?? '').trim();
  // Any name: intake matches it to the catalogue (or adds it) when the rows go in.
  const source = String(formData.get('source') ?? '').normalize('NFKC').trim().replace(/\s+/g, ' ');
  const file = await uploadedFile(formData, 'file');
  if (!name) fieldErrors.name = ['Give the import a name'];
  else if (name.length > 200) fieldErrors.name = ['At most 200 characters'];
  if (!source) fieldErrors.source = ['Choose a source or name a new one'];
  else if (source.length > SOURCE_NAME_MAX) fieldErrors.source = [`At most ${SOURCE_NAME_MAX} characters`];
  else if (textProblem(source)) fieldErrors.source = [textProblem(source)!];
  else if (!/[\p{L}\p{N}]/u.test(source)) fieldErrors.source = ['Must contain a letter or digit'];
  const header = file ? previewCsv(file.content, 0).header : [];
  if (!file) fieldErrors.file = ['Choose a CSV file'];
  else if (header.length < 2) fieldErrors.file = ['Row 1 must be the header, with one name per column'];
  if (Object.keys(fieldErrors).length) return data<ActionData>({ formError: null, fieldErrors }, { status: 400 });
  const id = await createImport(context.services.db, {
    accountId: user.accountId,
    userId: user.id,
    name,
    fileName: file!.name.slice(0, 255),
    source,
    content: file!.content,
    header,
  });
  return redirect(`/imports/${id}/mapping`);
}

const statusTone = (status: string) => (status === 'done' ? 'ok' : status === 'failed' ? 'danger' : status === 'running' ? 'warn' : 'neutral');

export default function Imports() {
  const { imports, sources, spreadsheet } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === 'submitting';
  return (
    <>
      <div className="page-head">
        <h1>Imports</h1>
        <p className="muted">
          {imports.length} import{imports.length === 1 ? '' : 's'}
        </p>
      </div>
      <section className="card" aria-labelledby="upload-title">
        <h2 id="upload-title">Upload a CSV file</h2>
        <p className="muted">Row 1 must hold the column names. You choose which column is which on the next page; nothing is imported before that.</p>
        <FormError message={result?.formError} />
        <Form method="post" encType="multipart/form-data">
          <CsrfInput />
          <Field label="CSV file" name="file" type="file" accept=".csv,text/csv" required errors={result?.fieldErrors.file} hint="Up to 20 MB." />
          <Field label="Import name" name="name" required maxLength={200} errors={result?.fieldErrors.name} />
          <div className="field">
            <label htmlFor="import-source">Source</label>
            <input id="import-source" name="source" defaultValue={spreadsheet} list="import-sources" required maxLength={SOURCE_NAME_MAX} autoComplete="off" aria-describedby="import-source-hint" aria-invalid={result?.fieldErrors.source ? true : undefined} />
            <datalist id="import-sources">
              {sources.map((s) => (
                <option key={s} value={s} />
              ))}
            </datalist>
            <p className="hint" id="import-source-hint">
              One of your <Link to="/sources">sources</Link>, or a new name (it is added to them, to be classified). A Source column chosen on the next page overrides it row by row.
            </p>
            {result?.fieldErrors.source ? <p className="field-error">{result.fieldErrors.source.join('. ')}</p> : null}
          </div>
          <button type="submit" className="button button-primary" disabled={busy}>
            Upload and map columns
          </button>
        </Form>
      </section>
      <section className="card">
        {imports.length ? (
          <div className="table-wrap">
            <table className="data-table">
              <caption className="visually-hidden">Imports</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">File</th>
                  <th scope="col">Status</th>
                  <th scope="col">Rows</th>
                  <th scope="col">Imported</th>
                  <th scope="col">Bad rows</th>
                  <th scope="col">Uploaded</th>
                </tr>
              </thead>
              <tbody>
                {imports.map((i) => (
                  <tr key={i.id}>
                    <td>
                      <Link to={i.status === 'pending' && !i.mapped ? `/imports/${i.id}/mapping` : `/imports/${i.id}`}>{i.name}</Link>
                    </td>
                    <td>{i.fileName ?? '—'}</td>
                    <td>
                      <Badge tone={statusTone(i.status)}>{i.status === 'pending' ? (i.mapped ? 'starting' : 'waiting for mapping') : i.status}</Badge>
                    </td>
                    <td>{i.totalRows}</td>
                    <td>{i.okRows}</td>
                    <td>{i.errorRows}</td>
                    <td><Time value={i.createdAt} /></td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : (
          <p className="empty">No imports yet.</p>
        )}
      </section>
    </>
  );
}

export function ErrorBoundary() {
  return <GeneralErrorBoundary />;
}
