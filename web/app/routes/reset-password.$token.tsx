import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData } from '@remix-run/react';
import { z } from 'zod';
import { CsrfInput } from '../components/csrf-input.tsx';
import { GeneralErrorBoundary } from '../components/error-boundary.tsx';
import { Field, FormError } from '../components/field.tsx';
import { PASSWORD_MIN_LENGTH } from '../utils/password-policy.ts';
import { validateCsrf } from '../utils/csrf.server.ts';
import { parseForm, type FieldErrors } from '../utils/forms.server.ts';
import { findResetToken, resetPassword } from '../utils/password-reset.server.ts';
import { confirmMatches, newPasswordFields } from '../utils/password-rules.server.ts';

export const meta: MetaFunction = () => [{ title: 'Choose a new password · Leadflow' }];

const INVALID_LINK = 'This reset link is invalid, already used or expired. Ask for a new one.';

const schema = z.object(newPasswordFields).superRefine(confirmMatches);

function tokenOf(params: { token?: string }): string {
  const token = params.token ?? '';
  return /^[A-Za-z0-9_-]{20,100}$/.test(token) ? token : '';
}

export async function loader({ params, context }: LoaderFunctionArgs) {
  const token = tokenOf(params);
  const found = token ? await findResetToken(context.services.db, token) : null;
  return data({ valid: Boolean(found), username: found?.username ?? null }, { status: found ? 200 : 410 });
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const formData = await request.formData();
  await validateCsrf(request, context, formData);
  const parsed = parseForm(schema, formData);
  if (!parsed.success) return data({ fieldErrors: parsed.fieldErrors, formError: null as string | null }, { status: 400 });
  const token = tokenOf(params);
  const done = token ? await resetPassword(context.services.db, token, parsed.data.password) : false;
  if (!done) return data({ fieldErrors: {} as FieldErrors, formError: INVALID_LINK }, { status: 410 });
  throw redirect('/login?reset=1');
}

export default function ResetPassword() {
  const { valid, username } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  return (
    <main className="auth-page">
      <section className="card auth-card" aria-labelledby="reset-title">
        <h1 id="reset-title">Choose a new password</h1>
        {!valid ? (
          <div className="alert alert-error" role="alert">
            {INVALID_LINK}
          </div>
        ) : (
          <>
            <p>
              For user <strong>{username}</strong>.
            </p>
            <FormError message={actionData?.formError} />
            <Form method="post" noValidate>
              <CsrfInput />
              <Field label="New password" name="password" type="password" autoComplete="new-password" required minLength={PASSWORD_MIN_LENGTH} hint={`At least ${PASSWORD_MIN_LENGTH} characters.`} errors={actionData?.fieldErrors?.password} />
              <Field label="Repeat the new password" name="confirm" type="password" autoComplete="new-password" required errors={actionData?.fieldErrors?.confirm} />
              <button type="submit" className="button primary">
                Set the password
              </button>
            </Form>
          </>
        )}
        <p className="auth-links">
          <Link to="/forgot-password">Ask for a new link</Link> · <Link to="/login">Sign in</Link>
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
