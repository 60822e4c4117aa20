import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Link, useLoaderData, useSearchParams } from '@remix-run/react';
import { z } from 'zod';
import { GeneralErrorBoundary } from '../components/error-boundary.tsx';
import { requireRole } from '../utils/auth.server.ts';

import { listMail, requireMailbox } from '../utils/mailbox.server.ts';
import { withParams } from '../utils/url.ts';
import { Time } from '../components/time.tsx';

export const meta: MetaFunction = () => [{ title: 'Mailbox · Leadflow' }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  requireMailbox(context.services);
  const user = await requireRole(request, context, ['owner', 'admin']);
  const page = z.coerce.number().int().min(1).max(1_000_000).catch(1).parse(new URL(request.url).searchParams.get('page') ?? 1);
  return listMail(context.services.db, user.accountId, page);
}

export default function Mailbox() {
  const { messages, total, page, pageCount } = useLoaderData<typeof loader>();
  const [searchParams] = useSearchParams();
  return (
    <>
      <div className="page-head">
        <h1>Mailbox</h1>
        <p className="muted">
          Mail Leadflow sent for this account, as the local mail catcher received it ({total}). Nothing here was delivered.
        </p>
      </div>
      {messages.length ? (
        <ul className="mail-list">
          {messages.map((m) => (
            <li key={m.id}>
              <Link to={`/mailbox/${m.id}`} className="mail-subject">
                {m.subject || '(no subject)'}
              </Link>
              <span className="small-text">To {m.toAddresses.join(', ')}</span>
              <span className="muted small-text">
                From {m.fromAddress || 'unknown'} · <Time value={m.receivedAt} />
              </span>
            </li>
          ))}
        </ul>
      ) : (
        <p className="empty">No mail yet.</p>
      )}
      {pageCount > 1 ? (
        <nav aria-label="Pages" className="pager">
          {page > 1 ? <Link to={withParams(searchParams, { page: page - 1 })}>← Newer</Link> : <span className="muted">← Newer</span>}
          <span>
            Page {page} of {pageCount}
          </span>
          {page < pageCount ? <Link to={withParams(searchParams, { page: page + 1 })}>Older →</Link> : <span className="muted">Older →</span>}
        </nav>
      ) : null}
    </>
  );
}

export function ErrorBoundary() {
  return <GeneralErrorBoundary />;
}
