import type { LoaderFunctionArgs } from '@remix-run/node';
import { Form, Link, NavLink, Outlet, useLoaderData } from '@remix-run/react';
import { CsrfInput } from '../components/csrf-input.tsx';
import { GeneralErrorBoundary } from '../components/error-boundary.tsx';
import { requireUser } from '../utils/auth.server.ts';
import { roleLabel } from '../utils/labels.ts';
import { mailboxAvailable } from '../utils/mailbox.server.ts';
import { navFor } from '../utils/navigation.ts';

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  return {
    // timeZone: how every page shows times to this viewer (components/time.tsx).
    user: { name: user.name, username: user.username, role: user.role, mustChangePassword: user.mustChangePassword, timeZone: user.timeZone },
    account: { name: user.account.name },
    nav: user.mustChangePassword ? [] : navFor(user.role, { mailbox: mailboxAvailable(context.services) }),
  };
}

export default function AppShell() {
  const { user, account, nav } = useLoaderData<typeof loader>();
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <div className="topbar-row">
          <Link to="/" className="brand">
            Leadflow
          </Link>
          <span className="account-name">{account.name}</span>
          <div className="user-menu">
            <span className="user-name">
              {user.name} <span className="muted">({roleLabel(user.role)})</span>
            </span>
            <Link to="/account/preferences" className="button link">
              Preferences
            </Link>
            <Link to="/account/password" className="button link">
              Password
            </Link>
            <Form method="post" action="/logout" className="inline-form">
              <CsrfInput />
              <button type="submit" className="button secondary small">
                Sign out
              </button>
            </Form>
          </div>
        </div>
        {nav.length ? (
          <nav aria-label="Main" className="mainnav">
            <ul>
              {nav.map((item) => (
                <li key={item.to}>
                  <NavLink to={item.to} prefetch="intent">
                    {item.label}
                  </NavLink>
                </li>
              ))}
            </ul>
          </nav>
        ) : null}
      </header>
      <main id="main" className="content">
        <Outlet />
      </main>
    </div>
  );
}

export function ErrorBoundary() {
  return (
    <main className="content">
      <GeneralErrorBoundary />
    </main>
  );
}
