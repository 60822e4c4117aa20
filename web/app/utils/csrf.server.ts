// CSRF: a random token per session, rendered into every form (components/csrf-input.tsx) and
// compared with the session's copy on every POST. A cross-site page can make the browser send
// the cookie but cannot read the token. SameSite=Lax is the second layer, not the only one.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { AppLoadContext } from '@remix-run/node';
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

/** Throws 403 unless the form carries this session's token. Every action calls it first. */
export async function validateCsrf(request: Request, context: AppLoadContext, formData: FormData): Promise<void> {
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
