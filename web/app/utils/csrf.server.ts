// CSRF: a random token per session, rendered into every form (components/csrf-input.tsx) and
// compared with the session's copy on every POST. A cross-site page can make the browser send
// the cookie but cannot read the token. SameSite=Lax is the second layer, not the only one.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { AppLoadContext } from '@remix-run/node';
import { normalizeFormText } from './forms.server.ts';
import { commitSession, getSession } from './session.server.ts';

export const CSRF_FIELD = 'csrf';

/** The session's token, creating one (and the cookie to carry it) on a first visit. */
export async function ensureCsrfToken(request: Request, context: AppLoadContext): Promise<{ token: string; setCookie: string | null }> {
  const session = await getSession(context.services, request);
  const existing = session.get('csrf');
  if (existing) return { token: existing, setCookie: null };
  const token = randomBytes(32).toString('base64url');
  session.set('csrf', token);
  return { token, setCookie: await commitSession(context.services, session) };
}

/**
 * Throws 403 unless the form carries this session's token. Every action calls it first, so it
 * is also where a form's text is checked once for all: a field with a NUL, a lone surrogate or
 * another control character is a 400 naming the field (PostgreSQL would refuse it later, as a
 * 500), and every other field is put in Unicode NFC in `formData` itself.
 */
export async function validateCsrf(request: Request, context: AppLoadContext, formData: FormData): Promise<void> {
  await validateCsrfToken(request, context, formData);
  const problems = normalizeFormText(formData);
  if (problems.length) {
    throw new Response(`${problems.map(({ field, reason }) => `The field “${field}”: ${reason.charAt(0).toLowerCase()}${reason.slice(1)}.`).join(' ')} Remove it and send the form again.`, {
      status: 400,
      statusText: 'Bad Request',
      headers: { 'Content-Type': 'text/plain; charset=utf-8' },
    });
  }
}

/**
 * The token check alone, for an action that hands every field to a validation which refuses
 * bad text itself, field by field (the New lead form: intake's validateIntake).
 */
export async function validateCsrfToken(request: Request, context: AppLoadContext, formData: FormData): Promise<void> {
  const session = await getSession(context.services, request);
  const expected = session.get('csrf');
  const given = formData.get(CSRF_FIELD);
  if (!expected || typeof given !== 'string' || !safeEqual(given, expected)) {
    throw new Response('This form has expired or did not come from Leadflow. Reload the page and try again.', {
      status: 403,
      statusText: 'Forbidden',
    });
  }
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
