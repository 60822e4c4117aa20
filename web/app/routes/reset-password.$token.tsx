import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData } from '@remix-run/react';
import { z } from 'zod';
import { CsrfInput } from '../components/csrf-input.tsx';
import { GeneralErrorBoundary } from '../components/error-boundary.tsx';
import { Field, FormError } from '../components/field.tsx';
import { PASSWORD_MIN_LENGTH, RESET_TOKEN_TTL_MINUTES } from '../utils/password-policy.ts';
import { validateCsrf } from '../utils/csrf.server.ts';
import { parseForm, type FieldErrors } from '../utils/forms.server.ts';
import { inspectResetLink, resetPasswordByLink } from '../utils/password-reset.server.ts';
import { LOGIN_WINDOW_MINUTES } from '../utils/rate-limit.server.ts';
import { passHeaders } from '../utils/headers.ts';
import { confirmMatches, newPasswordFields } from '../utils/password-rules.server.ts';

export const meta: MetaFunction = () => [{ title: 'Choose a new password · Leadflow' }];

export const headers = passHeaders('Retry-After');

const LINK_MESSAGES = {
  used: 'This reset link was already used. If that was not you, ask for a new one.',
  expired: `This reset link has expired or a newer one was sent. Links work for ${RESET_TOKEN_TTL_MINUTES} minutes; ask for a new one.`,
  unknown: 'This reset link is not valid. Check that you opened the whole link from the e-mail, or ask for a new one.',
  locked: `Too many reset links tried from your address. Wait ${LOGIN_WINDOW_MINUTES} minutes and try again.`,
} as const;

const schema = z.object(newPasswordFields).superRefine(confirmMatches);

function tokenOf(params: { token?: string }): string {
  return params.token ?? '';
}

type LinkProblem = keyof typeof LINK_MESSAGES;

const STATUS: Record<LinkProblem, number> = { used: 410, expired: 410, unknown: 404, locked: 429 };

function problemHeaders(problem: LinkProblem): HeadersInit | undefined {
  return problem === 'locked' ? { 'Retry-After': String(LOGIN_WINDOW_MINUTES * 60) } : undefined;
}

export async function loader({ params, context }: LoaderFunctionArgs) {
  const link = await inspectResetLink(context.services.db, tokenOf(params), context.clientIp);
  if (link.state === 'valid') return data({ problem: null, username: link.username });
  return data({ problem: LINK_MESSAGES[link.state], username: null }, { status: STATUS[link.state], headers: problemHeaders(link.state) });
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const formData = await request.formData();
  await validateCsrf(request, context, formData);
  const parsed = parseForm(schema, formData);
  if (!parsed.success) return data({ fieldErrors: parsed.fieldErrors, formError: null as string | null }, { status: 400 });
  const state = await resetPasswordByLink(context.services.db, tokenOf(params), parsed.data.password, context.clientIp);
  if (state !== 'valid') return data({ fieldErrors: {} as FieldErrors, formError: LINK_MESSAGES[state] }, { status: STATUS[state], headers: problemHeaders(state) });
  throw redirect('/login?reset=1');
}

export default function ResetPassword() {
  const { problem, username } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  return (
    <main className="auth-page">
      <section className="card auth-card" aria-labelledby="reset-title">
        <h1 id="reset-title">Choose a new password</h1>
        {problem ? (
          <div className="alert alert-error" role="alert">
            {problem}
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
