// Suppression files into this account's own lists: its internal do-not-call, do-not-email and
// do-not-mail lists and its current-customer list. The leads already in Leadflow that a new
// entry matches are flagged (or, on the customer list, removed) at once, not at their next
// weekly re-scrub (utils/compliance.server.ts). The federal list is shared by every account's scrub, so no account writes it:
// the operator loads it with `npm run dnc:import -- FILE`, and an account sees only its size
// and date, never who loaded it or from what file. Loads listed here are this account's alone.
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { importCustomerList, importDncNumbers, importDneAddresses, importDnmAddresses, type SuppressionImportResult } from '../../../db/compliance/suppression-lists.ts';
import { databaseNow, sweepAfterUpload, type UploadSweep } from '../utils/compliance.server.ts';
import { CsrfInput } from '../components/csrf-input.tsx';
import { GeneralErrorBoundary } from '../components/error-boundary.tsx';
import { Field, FormError } from '../components/field.tsx';
import { requireRole } from '../utils/auth.server.ts';
import { validateCsrf } from '../utils/csrf.server.ts';

import { bufferLines, parseUpload, uploadedFile } from '../utils/uploads.server.ts';
import { Time } from '../components/time.tsx';

export const meta: MetaFunction = () => [{ title: 'Compliance · Leadflow' }];

const ROLES = ['owner', 'admin'] as const;
const ACCOUNT_LISTS = ['internal', 'dne', 'dnm', 'customer'] as const;
type AccountList = (typeof ACCOUNT_LISTS)[number];
const RECENT_LOADS = 20;

const LIST_LABELS: Record<string, string> = { dnc: 'Internal DNC', dne: 'Internal do-not-email', dnm: 'Internal do-not-mail', customer: 'Current customers' };

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireRole(request, context, ROLES);
  const db = context.services.db;
  const own = await db('suppression_entries')
    .where({ account_id: user.accountId })
    .groupBy('list')
    .select('list', db.raw('count(*)::int as n'));
  const counts = Object.fromEntries(own.map((r: { list: string; n: number }) => [r.list, r.n])) as Record<string, number>;
  // Entries of one load share their reason ("uploaded by USER (FILE)"); only this account's rows.
  const loads = await db('suppression_entries')
    .where({ account_id: user.accountId })
    .groupBy('list', 'reason')
    .orderBy('last_at', 'desc')
    .limit(RECENT_LOADS)
    .select('list', 'reason', db.raw('count(*)::int as n'), db.raw('max(created_at) as last_at'));
  const federal = await db('suppression_entries')
    .whereNull('account_id')
    .where({ list: 'dnc' })
    .first(db.raw('count(*)::int as n'), db.raw('max(created_at) as updated_at'));
  return {
    internalCount: counts.dnc ?? 0,
    otherCounts: (['dne', 'dnm', 'customer'] as const).filter((l) => counts[l]).map((l) => ({ label: LIST_LABELS[l]!, n: counts[l]! })),
    federal: { count: (federal?.n as number | undefined) ?? 0, updatedAt: (federal?.updated_at as Date | null | undefined) ?? null },
    loads: loads.map((l: { list: string; reason: string | null; n: number; last_at: Date }) => ({ list: LIST_LABELS[l.list] ?? l.list, what: l.reason ?? '', n: l.n, at: l.last_at })),
  };
}

type ActionData = { formError: string | null; fileError: string | null; list: AccountList | null; result: SuppressionImportResult | null; sweep?: UploadSweep };

const RESULT_TITLES: Record<AccountList, string> = { internal: 'Internal DNC list', dne: 'Do-not-email list', dnm: 'Do-not-mail list', customer: 'Customer list' };

export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requireRole(request, context, ROLES);
  const upload = await parseUpload(request);
  if (!upload.ok) return data<ActionData>({ formError: upload.message, fileError: null, list: null, result: null }, { status: 413 });
  const formData = upload.formData;
  await validateCsrf(request, context, formData);
  const chosen = formData.get('list');
  const list = ACCOUNT_LISTS.find((l) => l === chosen);
  if (!list) {
    return data<ActionData>(
      { formError: 'Choose one of this account’s lists: do-not-call, do-not-email, do-not-mail or current customers. The federal list is loaded by the operator on the server.', fileError: null, list: null, result: null },
      { status: 400 },
    );
  }
  const file = await uploadedFile(formData, 'file');
  if (!file) return data<ActionData>({ formError: null, fileError: 'Choose a file to upload', list, result: null }, { status: 400 });
  const reason = `uploaded by ${user.username} (${file.name.slice(0, 100)})`;
  const db = context.services.db;
  const since = await databaseNow(db);
  // DNC and DNE files flag the matching leads batch by batch as they go in; the sweep after the
  // upload then catches only leads that arrived meanwhile.
  const flagLeads = { at: new Date() };
  let result: SuppressionImportResult;
  try {
    if (list === 'customer') result = await importCustomerList(db, user.accountId, file.content, { reason });
    else if (list === 'dnm') result = await importDnmAddresses(db, user.accountId, file.content, { reason });
    else if (list === 'dne') result = await importDneAddresses(db, bufferLines(file.content), { accountId: user.accountId, reason, flagLeads });
    else result = await importDncNumbers(db, bufferLines(file.content), { accountId: user.accountId, source: 'internal', reason, flagLeads });
  } catch (err) {
    return data<ActionData>({ formError: null, fileError: `Not a ${RESULT_TITLES[list].toLowerCase()}: ${(err as Error).message}`, list, result: null }, { status: 400 });
  }
  const sweep = result.inserted ? await sweepAfterUpload(context.services, user.accountId, since, flagLeads.at) : undefined;
  return data<ActionData>({ formError: null, fileError: null, list, result, sweep });
}

export default function Compliance() {
  const { internalCount, otherCounts, federal, loads } = useLoaderData<typeof loader>();
  const done = useActionData<typeof action>();
  const busy = useNavigation().state === 'submitting';
  const r = done?.result;
  return (
    <>
      <div className="page-head">
        <h1>Compliance</h1>
        <p className="muted">
          Internal do-not-call list: {internalCount} number{internalCount === 1 ? '' : 's'}
          {otherCounts.map((c) => ` · ${c.label}: ${c.n}`).join('')} · Federal list: {federal.count} number{federal.count === 1 ? '' : 's'}
          {federal.updatedAt ? (
            <>
              , updated <Time value={federal.updatedAt} />
            </>
          ) : null}
        </p>
      </div>
      <section className="card" aria-labelledby="dnc-title">
        <h2 id="dnc-title">Upload a suppression file</h2>
        <p className="muted">
          Do-not-call: one phone number a line (10 digits, punctuation allowed). Do-not-email: one e-mail address a line. Empty lines and lines starting with # are skipped. Do-not-mail and current
          customers: a CSV with first name, last name, address, city, state and ZIP columns (address line 2 optional). Entries already listed are not added twice. Leads already in Leadflow that a new
          entry matches are flagged at once.
        </p>
        <FormError message={done?.formError} />
        <Form method="post" encType="multipart/form-data">
          <CsrfInput />
          <Field label="File" name="file" type="file" accept=".txt,.csv,text/plain,text/csv" required errors={done?.fileError ? [done.fileError] : undefined} hint="Up to 20 MB. The federal list is loaded by the operator on the server (npm run dnc:import -- FILE)." />
          <fieldset className="field">
            <legend>List</legend>
            <label>
              <input type="radio" name="list" value="internal" defaultChecked /> This account’s internal DNC list
            </label>
            <label>
              <input type="radio" name="list" value="dne" /> This account’s do-not-email list
            </label>
            <label>
              <input type="radio" name="list" value="dnm" /> This account’s do-not-mail list (people at addresses)
            </label>
            <label>
              <input type="radio" name="list" value="customer" /> Current customers: prospects on it are removed from the leads
            </label>
          </fieldset>
          <button type="submit" className="button button-primary" disabled={busy}>
            Upload
          </button>
        </Form>
      </section>
      {r ? (
        <section className="card" aria-labelledby="result-title" role="status">
          <h2 id="result-title">{done?.list ? RESULT_TITLES[done.list] : 'List'}: upload result</h2>
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
          {r.sweep ? <p>Leads already in Leadflow flagged as the file went in: {r.sweep.flagged}.</p> : null}
          {done?.sweep?.kind === 'started' ? <p>Leads already in Leadflow that match the new entries are being flagged now; their history says so within a minute.</p> : null}
          {done?.sweep?.kind === 'done' ? (
            <p>
              Leads already in Leadflow that match: {(r.sweep?.matched ?? 0) + done.sweep.result.matched}; newly flagged: {(r.sweep?.flagged ?? 0) + done.sweep.result.flagged}
              {done.sweep.result.removed ? `; removed as current customers: ${done.sweep.result.removed}` : ''}.
            </p>
          ) : null}
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
      <section className="card" aria-labelledby="loads-title">
        <h2 id="loads-title">This account’s loads</h2>
        {loads.length ? (
          <table className="data-table">
            <thead>
              <tr>
                <th scope="col">Last added</th>
                <th scope="col">List</th>
                <th scope="col">Load</th>
                <th scope="col">Entries</th>
              </tr>
            </thead>
            <tbody>
              {loads.map((l) => (
                <tr key={`${l.list}|${l.what}`}>
                  <td><Time value={l.at} /></td>
                  <td>{l.list}</td>
                  <td>{l.what || '—'}</td>
                  <td>{l.n}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <p className="empty">Nothing loaded into this account’s lists yet.</p>
        )}
      </section>
    </>
  );
}

export function ErrorBoundary() {
  return <GeneralErrorBoundary />;
}
