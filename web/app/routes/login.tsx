import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, Link, useActionData, useNavigation, useSearchParams } from '@remix-run/react';
import { z } from 'zod';
import { CsrfInput } from '../components/csrf-input.tsx';
import { GeneralErrorBoundary } from '../components/error-boundary.tsx';
import { Field, FormError } from '../components/field.tsx';
import { authenticate, PASSWORD_MAX_LENGTH, requireAnonymous, safeRedirectPath, startUserSession } from '../utils/auth.server.ts';
import { validateCsrf } from '../utils/csrf.server.ts';
import { parseForm, type FieldErrors } from '../utils/forms.server.ts';
import { passHeaders } from '../utils/headers.ts';

export const meta: MetaFunction = () => [{ title: 'Sign in · Leadflow' }];

export const headers = passHeaders('Retry-After');

const schema = z.object({
  username: z.string().trim().min(1, 'Enter your username').max(100),
  password: z.string().min(1, 'Enter your password').max(PASSWORD_MAX_LENGTH),
  redirectTo: z.string().optional(),
});

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireAnonymous(request, context);
  return null;
}

export async function action({ request, context }: ActionFunctionArgs) {
  const formData = await request.formData();
  await validateCsrf(request, context, formData);
  const parsed = parseForm(schema, formData);
  if (!parsed.success) return data({ fieldErrors: parsed.fieldErrors, formError: null as string | null }, { status: 400 });
  const { username, password, redirectTo } = parsed.data;
  const result = await authenticate(context.services.db, username, password, context.clientIp);
  if (!result.ok) {
    if (result.reason === 'locked') {
      return data(
        {
          fieldErrors: {} as FieldErrors,
          formError: `Too many failed sign-in attempts. Wait ${result.retryAfterMinutes} minutes and try again, or reset your password.`,
        },
        { status: 429, headers: { 'Retry-After': String(result.retryAfterMinutes * 60) } },
      );
    }
    const formError =
      result.reason === 'inactive' ? 'This user is inactive. Ask your agency owner to reactivate it.' : 'That username and password do not match.';
    return data({ fieldErrors: {} as FieldErrors, formError }, { status: result.reason === 'inactive' ? 403 : 401 });
  }
  const cookie = await startUserSession(context, result.user);
  throw redirect(safeRedirectPath(redirectTo, '/leads'), { headers: { 'Set-Cookie': cookie } });
}

export default function Login() {
  const actionData = useActionData<typeof action>();
  const [searchParams] = useSearchParams();
  const busy = useNavigation().state === 'submitting';
  const notice = searchParams.get('reset') === '1' ? 'Your password was changed. Sign in with the new one.' : null;
  return (
    <main className="auth-page">
      <section className="card auth-card" aria-labelledby="login-title">
        <h1 id="login-title">Sign in to Leadflow</h1>
        {notice ? (
          <div className="alert alert-ok" role="status">
            {notice}
          </div>
        ) : null}
        <FormError message={actionData?.formError} />
        <Form method="post" noValidate>
          <CsrfInput />
          <input type="hidden" name="redirectTo" value={searchParams.get('redirectTo') ?? ''} />
          <Field label="Username" name="username" autoComplete="username" autoCapitalize="none" spellCheck={false} required autoFocus errors={actionData?.fieldErrors?.username} />
          <Field label="Password" name="password" type="password" autoComplete="current-password" required errors={actionData?.fieldErrors?.password} />
          <button type="submit" className="button primary" disabled={busy}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
        </Form>
        <p className="auth-links">
          <Link to="/forgot-password">Forgot your password?</Link>
        </p>
      </section>
    </main>
  );
}

export function ErrorBoundary() {
  return (
    <main className="auth-page">
      <GeneralErrorBoundary />
    </main>
  );
}
