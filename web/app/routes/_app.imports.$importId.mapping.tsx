// The column mapping of an uploaded CSV: which column is which Leadflow field, with guesses
// from the header names. Saving it starts the import workflow.
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { CsrfInput } from '../components/csrf-input.tsx';
import { GeneralErrorBoundary } from '../components/error-boundary.tsx';
import { FormError } from '../components/field.tsx';
import { requireRole } from '../utils/auth.server.ts';
import { validateCsrf } from '../utils/csrf.server.ts';
import { notFound } from '../utils/forms.server.ts';
import { guessMapping, MULTI_FIELDS, parseMappingForm, SINGLE_FIELDS } from '../utils/import-mapping.ts';
import { findImport, importPreview, startImport } from '../utils/imports.server.ts';
import { loadCatalogue, matchSource } from '../../../db/lead-sources/catalogue.ts';

export const meta: MetaFunction = () => [{ title: 'Map columns · Leadflow' }];

const ROLES = ['owner', 'admin'] as const;

async function load(request: Request, context: LoaderFunctionArgs['context'], importId: string) {
  const user = await requireRole(request, context, ROLES);
  const imp = await findImport(context.services.db, user.accountId, importId);
  if (!imp) throw notFound();
  return imp;
}

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const imp = await load(request, context, params.importId ?? '');
  if (imp.status !== 'pending') throw redirect(`/imports/${imp.id}`);
  const preview = await importPreview(context.services.db, imp.id);
  if (!preview) throw notFound();
  // The source as the catalogue names it; a name it does not know yet is shown as given.
  const source = matchSource(await loadCatalogue(context.services.db, imp.account_id as string), preview.source)?.label ?? preview.source;
  return { id: imp.id as string, name: imp.name as string, fileName: imp.file_name as string | null, source, header: preview.header, rows: preview.rows, guess: guessMapping(preview.header) };
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  // CSRF before anything else, so a forged post learns nothing, not even whether the import exists.
  await requireRole(request, context, ROLES);
  const formData = await request.formData();
  await validateCsrf(request, context, formData);
  const imp = await load(request, context, params.importId ?? '');
  const preview = await importPreview(context.services.db, imp.id);
  if (!preview) throw notFound();
  const parsed = parseMappingForm(formData, preview.header.length);
  if (!parsed.ok) return data({ formError: 'Choose a column for every required field.', fieldErrors: parsed.fieldErrors }, { status: 400 });
  const r = await startImport(context.services, imp.id, parsed.mapping);
  if (typeof r === 'object') return data({ formError: r.error, fieldErrors: {} as Record<string, string[]> }, { status: 503 });
  return redirect(`/imports/${imp.id}`);
}

export default function ImportMappingPage() {
  const { name, fileName, source, header, rows, guess } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === 'submitting';
  const errors = (result?.fieldErrors ?? {}) as Record<string, string[] | undefined>;
  const options = header.map((h, i) => (
    <option key={i} value={i}>
      {h || `Column ${i + 1}`}
    </option>
  ));
  return (
    <>
      <div className="page-head">
        <h1>Map columns: {name}</h1>
        <p className="muted">
          {fileName ?? 'Uploaded file'} · source {source}
        </p>
      </div>
      <section className="card" aria-labelledby="preview-title">
        <h2 id="preview-title">First rows of the file</h2>
        <div className="table-wrap">
          <table className="data-table">
            <caption className="visually-hidden">Header and first rows</caption>
            <thead>
              <tr>
                {header.map((h, i) => (
                  <th scope="col" key={i}>
                    {h}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.map((r, i) => (
                <tr key={i}>
                  {header.map((_, j) => (
                    <td key={j}>{r[j] ?? ''}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
      <section className="card" aria-labelledby="mapping-title">
        <h2 id="mapping-title">Which column is which</h2>
        <FormError message={result?.formError} />
        <Form method="post">
          <CsrfInput />
          {SINGLE_FIELDS.map((f) => (
            <div className="field" key={f.name}>
              <label htmlFor={`map-${f.name}`}>
                {f.label}
                {f.required ? '' : ' (optional)'}
              </label>
              <select id={`map-${f.name}`} name={f.name} defaultValue={guess[f.name] ?? ''} required={f.required} aria-invalid={errors[f.name] ? true : undefined}>
                <option value="">— none —</option>
                {options}
              </select>
              {errors[f.name] ? <p className="field-error">{errors[f.name]!.join('. ')}</p> : null}
            </div>
          ))}
          {MULTI_FIELDS.map((f) => (
            <div className="field" key={f.name}>
              <label htmlFor={`map-${f.name}`}>{f.label} (optional; hold Ctrl or ⌘ to choose several columns)</label>
              <select id={`map-${f.name}`} name={f.name} multiple defaultValue={guess[f.name].map(String)} size={Math.min(6, Math.max(2, header.length))}>
                {options}
              </select>
              {errors[f.name] ? <p className="field-error">{errors[f.name]!.join('. ')}</p> : null}
            </div>
          ))}
          <button type="submit" className="button button-primary" disabled={busy}>
            Start import
          </button>
        </Form>
      </section>
    </>
  );
}

export function ErrorBoundary() {
  return <GeneralErrorBoundary />;
}
