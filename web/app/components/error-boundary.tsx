import { isRouteErrorResponse, Link, useRouteError } from '@remix-run/react';

const TITLES: Record<number, string> = {
  400: 'Bad request',
  403: 'No access',
  404: 'Not found',
  429: 'Too many attempts',
};

/**
 * What every route shows when its loader or action throws. Thrown 4xx Responses carry a
 * message written for the user; anything else is shown as a generic error (the server logs
 * the details and never sends them).
 */
export function GeneralErrorBoundary() {
  const error = useRouteError();
  let status = 500;
  let message = 'Something went wrong on our side. Try again in a moment.';
  if (isRouteErrorResponse(error)) {
    status = error.status;
    if (status === 404) message = 'There is nothing here, or you do not have access to it.';
    else if (status < 500 && typeof error.data === 'string' && error.data) message = error.data;
    else if (status === 403) message = 'You do not have access to this page.';
  }
  return (
    <section className="error-panel" aria-labelledby="error-title">
      <h1 id="error-title">{TITLES[status] ?? 'Error'}</h1>
      <p>{message}</p>
      <p>
        <Link to="/">Back to Leadflow</Link>
      </p>
    </section>
  );
}
