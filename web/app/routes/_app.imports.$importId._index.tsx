// An import's progress, read from its workflow while it runs (the imports row is only written
// at the end), and the rows it refused with their line numbers so the file can be fixed.
import { type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Link, useLoaderData, useRevalidator } from '@remix-run/react';
import { useEffect, useId } from 'react';
import { Badge } from '../components/badges.tsx';
import { GeneralErrorBoundary } from '../components/error-boundary.tsx';
import { requireRole } from '../utils/auth.server.ts';
import { notFound } from '../utils/forms.server.ts';
import { findImport, importProgress, importRowErrors } from '../utils/imports.server.ts';

export const meta: MetaFunction = () => [{ title: 'Import · Leadflow' }];

const ROLES = ['owner', 'admin'] as const;

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const user = await requireRole(request, context, ROLES);
  const imp = await findImport(context.services.db, user.accountId, params.importId ?? '');
  if (!imp) throw notFound();
  const { progress, live } = await importProgress(context.services, imp);
  return {
    id: imp.id as string,
    name: imp.name as string,
    fileName: imp.file_name as string | null,
    // A pending import whose workflow answered is running; one whose workflow did not has not started.
    state: progress.status === 'done' ? 'done' : imp.status === 'failed' || progress.status === 'failed' ? 'failed' : imp.status === 'pending' && !live ? 'not_started' : 'running',
    failureReason: (imp.failure_reason as string | null) ?? null,
    progress,
    errors: await importRowErrors(context.services.db, imp.id),
  };
}

export default function ImportProgressPage() {
  const { id, name, fileName, state, failureReason, progress, errors } = useLoaderData<typeof loader>();
  const revalidator = useRevalidator();
  const barId = useId();
  const running = state === 'running' || state === 'not_started';
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => {
      if (revalidator.state === 'idle') revalidator.revalidate();
    }, 1000);
    return () => clearInterval(timer);
  }, [running, revalidator]);
  const percent = progress.bytesTotal ? Math.round((100 * progress.bytesDone) / progress.bytesTotal) : 0;
  return (
    <>
      <div className="page-head">
        <h1>Import: {name}</h1>
        <p className="muted">
          {fileName ?? 'Uploaded file'} · <Link to="/imports">All imports</Link>
        </p>
      </div>
      <section className="card" aria-labelledby="progress-title">
        <h2 id="progress-title">
          Progress{' '}
          <Badge tone={state === 'done' ? 'ok' : state === 'failed' ? 'danger' : 'warn'}>
            {state === 'done' ? 'done' : state === 'failed' ? 'failed' : state === 'not_started' ? 'not started' : 'running'}
          </Badge>
        </h2>
        {state === 'failed' ? (
          <p role="alert" data-testid="failure">
            The import stopped: {failureReason ?? 'see the worker log'}. The rows imported before it stopped are kept.
          </p>
        ) : null}
        {state === 'not_started' ? (
          <p className="muted">
            The import has not started yet. If this stays, <Link to={`/imports/${id}/mapping`}>check the column mapping</Link> and start it again.
          </p>
        ) : null}
        <div className="field" aria-live="polite">
          <label htmlFor={barId}>Import progress</label>
          <progress id={barId} max={100} value={percent}>
            {percent}%
          </progress>
          <span> {percent}%</span>
        </div>
        <dl className="facts">
          <dt>Rows read</dt>
          <dd data-testid="processed">{progress.processed}</dd>
          <dt>Imported</dt>
          <dd data-testid="ok">{progress.ok}</dd>
          <dt>Bad rows</dt>
          <dd data-testid="errors">{progress.errors}</dd>
        </dl>
      </section>
      <section className="card" aria-labelledby="errors-title">
        <h2 id="errors-title">Bad rows</h2>
        {errors.length ? (
          <div className="table-wrap">
            <table className="data-table">
              <caption className="visually-hidden">Rows that were not imported</caption>
              <thead>
                <tr>
                  <th scope="col">Line</th>
                  <th scope="col">Reason</th>
                </tr>
              </thead>
              <tbody>
                {errors.map((e) => (
                  <tr key={`${e.line}-${e.reason}`}>
                    <td>Line {e.line}</td>
                    <td>{e.reason}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : (
          <p className="empty">{running ? 'No bad rows so far.' : 'No bad rows.'}</p>
        )}
      </section>
    </>
  );
}

export function ErrorBoundary() {
  return <GeneralErrorBoundary />;
}
