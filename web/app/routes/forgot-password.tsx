import { data, type ActionFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, Link, useActionData } from '@remix-run/react';
import { z } from 'zod';
import { CsrfInput } from '../components/csrf-input.tsx';
import { GeneralErrorBoundary } from '../components/error-boundary.tsx';
import { Field } from '../components/field.tsx';
import { validateCsrf } from '../utils/csrf.server.ts';
import { parseForm } from '../utils/forms.server.ts';
import { RESET_TOKEN_TTL_MINUTES } from '../utils/password-policy.ts';
import { requestPasswordReset } from '../utils/password-reset.server.ts';

export const meta: MetaFunction = () => [{ title: 'Reset your password · Leadflow' }];

// The one answer for every request, whether or not the pair matched a user.
const RESET_REQUESTED_MESSAGE = `If that username and e-mail address belong to an active user, we have sent a link to reset the password. It works once, for ${RESET_TOKEN_TTL_MINUTES} minutes.`;

const schema = z.object({
  username: z.string().trim().min(1, 'Enter your username').max(100),
  email: z.string().trim().min(1, 'Enter your e-mail address').max(320),
});

export async function action({ request, context }: ActionFunctionArgs) {
  const formData = await request.formData();
  await validateCsrf(request, context, formData);
  const parsed = parseForm(schema, formData);
  if (!parsed.success) return data({ sent: false as const, fieldErrors: parsed.fieldErrors }, { status: 400 });
  await requestPasswordReset(context.services, { ...parsed.data, ip: context.clientIp });
  return data({ sent: true as const, fieldErrors: {} as Record<string, string[] | undefined> });
}

export default function ForgotPassword() {
  const actionData = useActionData<typeof action>();
  return (
    <main className="auth-page">
      <section className="card auth-card" aria-labelledby="forgot-title">
        <h1 id="forgot-title">Reset your password</h1>
        {actionData?.sent ? (
          <div className="alert alert-ok" role="status">
            {RESET_REQUESTED_MESSAGE}
          </div>
        ) : (
          <>
            <p>Enter your username and the e-mail address on your Leadflow user. We will e-mail you a link to choose a new password.</p>
            <Form method="post" noValidate>
              <CsrfInput />
              <Field label="Username" name="username" autoComplete="username" autoCapitalize="none" spellCheck={false} required errors={actionData?.fieldErrors?.username} />
              <Field label="E-mail address" name="email" type="email" autoComplete="email" required errors={actionData?.fieldErrors?.email} />
              <button type="submit" className="button primary">
                Send the link
              </button>
            </Form>
          </>
        )}
        <p className="auth-links">
          <Link to="/login">Back to sign in</Link>
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
