import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, useActionData, useLoaderData } from '@remix-run/react';
import { z } from 'zod';
import { CsrfInput } from '../components/csrf-input.tsx';
import { GeneralErrorBoundary } from '../components/error-boundary.tsx';
import { Field } from '../components/field.tsx';
import { checkCurrentPassword, requireUser, setPassword } from '../utils/auth.server.ts';
import { validateCsrf } from '../utils/csrf.server.ts';
import { parseForm, type FieldErrors } from '../utils/forms.server.ts';
import { passHeaders } from '../utils/headers.ts';
import { confirmMatches, newPasswordFields } from '../utils/password-rules.server.ts';
import { PASSWORD_MIN_LENGTH } from '../utils/password-policy.ts';
import { getSession } from '../utils/session.server.ts';

export const meta: MetaFunction = () => [{ title: 'Change password · Leadflow' }];

export const headers = passHeaders('Retry-After');

const schema = z
  .object({ current: z.string().min(1, 'Enter your current password').max(200), ...newPasswordFields })
  .superRefine(confirmMatches)
  .superRefine((v, ctx) => {
    if (v.password === v.current) ctx.addIssue({ code: 'custom', path: ['password'], message: 'Choose a password different from the current one' });
  });

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  return { mustChange: user.mustChangePassword };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requireUser(request, context);
  const formData = await request.formData();
  await validateCsrf(request, context, formData);
  const parsed = parseForm(schema, formData);
  if (!parsed.success) return data({ fieldErrors: parsed.fieldErrors }, { status: 400 });
  const { db } = context.services;
  const check = await checkCurrentPassword(db, user, parsed.data.current, context.clientIp);
  if (!check.ok && check.reason === 'locked') {
    return data(
      { fieldErrors: { current: [`Too many wrong passwords. Wait ${check.retryAfterMinutes} minutes and try again.`] } as FieldErrors },
      { status: 429, headers: { 'Retry-After': String(check.retryAfterMinutes * 60) } },
    );
  }
  if (!check.ok) return data({ fieldErrors: { current: ['That is not your current password'] } as FieldErrors }, { status: 400 });
  if (parsed.data.password.toLowerCase() === user.username.toLowerCase()) {
    return data({ fieldErrors: { password: ['Your password cannot be your username'] } as FieldErrors }, { status: 400 });
  }
  // This session stays; every other session of the user ends.
  const session = await getSession(context.services, request);
  await setPassword(db, user.id, parsed.data.password, session.tokenHash);
  throw redirect('/leads');
}

export default function ChangePassword() {
  const { mustChange } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  return (
    <section className="card narrow" aria-labelledby="password-title">
      <h1 id="password-title">{mustChange ? 'Choose your own password' : 'Change your password'}</h1>
      {mustChange ? (
        <div className="alert alert-warn" role="status">
          You signed in with a temporary password. Choose your own password to continue.
        </div>
      ) : null}
      <Form method="post" noValidate>
        <CsrfInput />
        <Field label={mustChange ? 'Temporary password' : 'Current password'} name="current" type="password" autoComplete="current-password" required errors={actionData?.fieldErrors?.current} />
        <Field label="New password" name="password" type="password" autoComplete="new-password" required minLength={PASSWORD_MIN_LENGTH} hint={`At least ${PASSWORD_MIN_LENGTH} characters.`} errors={actionData?.fieldErrors?.password} />
        <Field label="Repeat the new password" name="confirm" type="password" autoComplete="new-password" required errors={actionData?.fieldErrors?.confirm} />
        <button type="submit" className="button primary">
          Save the password
        </button>
      </Form>
    </section>
  );
}

export function ErrorBoundary() {
  return <GeneralErrorBoundary />;
}
