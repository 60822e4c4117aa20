import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Link, useLoaderData } from '@remix-run/react';
import { GeneralErrorBoundary } from '../components/error-boundary.tsx';
import { requireRole } from '../utils/auth.server.ts';
import { notFound } from '../utils/forms.server.ts';

import { getMail, requireMailbox } from '../utils/mailbox.server.ts';
import { Time } from '../components/time.tsx';

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `${data?.mail.subject || 'Message'} · Mailbox · Leadflow` }];

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  requireMailbox(context.services);
  const user = await requireRole(request, context, ['owner', 'admin']);
  const mail = await getMail(context.services.db, user.accountId, params.mailId ?? '');
  if (!mail) throw notFound();
  return { mail };
}

export default function MailMessage() {
  const { mail } = useLoaderData<typeof loader>();
  return (
    <article className="card" aria-labelledby="mail-title">
      <p className="breadcrumb">
        <Link to="/mailbox">← Mailbox</Link>
      </p>
      <h1 id="mail-title">{mail.subject || '(no subject)'}</h1>
      <dl className="facts">
        <dt>From</dt>
        <dd>{mail.fromAddress || 'unknown'}</dd>
        <dt>To</dt>
        <dd>{mail.toAddresses.join(', ')}</dd>
        <dt>Received</dt>
        <dd><Time value={mail.receivedAt} /></dd>
      </dl>
      {mail.text ? (
        <pre className="mail-body">{mail.text}</pre>
      ) : mail.html ? (
        // Mail HTML is untrusted: an empty sandbox runs no script and gets an opaque origin,
        // so it cannot reach this page, its cookies or its forms.
        <iframe title="Message body" className="mail-html" sandbox="" srcDoc={mail.html} />
      ) : (
        <p className="empty">This message has no body.</p>
      )}
    </article>
  );
}

export function ErrorBoundary() {
  return <GeneralErrorBoundary />;
}
