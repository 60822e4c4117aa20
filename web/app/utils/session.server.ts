// Server-side sessions. A signed-in browser's cookie carries only a random 256-bit id; the
// sessions table holds its SHA-256, the user and the CSRF token, so signing out, a password
// change or deactivating a user ends a session by deleting its row and a copied cookie stops
// working at once. A visitor who is not signed in gets no row (a crawler must not be able to
// fill the table): their cookie carries only the CSRF token that protects the login and reset
// forms, signed so it cannot be planted from outside.
import { createCookie, type Cookie } from '@remix-run/node';
import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { sha256 } from '../../../db/passwords.ts';
import type { WebServices } from '../context.ts';

/** A session lasts this long from sign-in, however active (the cookie's Max-Age too). */
export const SESSION_MAX_AGE_SECONDS = 12 * 60 * 60;
// last_seen_at is written at most this often, so browsing costs no write per request.
const LAST_SEEN_RESOLUTION_SECONDS = 5 * 60;

interface CookieValue {
  /** The random session id of a signed-in browser. */
  sid?: string;
  /** A visitor's CSRF token (signed-in sessions keep theirs in the row). */
  csrf?: string;
}

/**
 * One browser's session as this request sees it. `get`/`set` of `csrf` keep the shape of
 * Remix's Session, which the CSRF helpers use.
 */
export interface AppSession {
  /** SHA-256 of the session id when the cookie names a live row, else null. */
  readonly tokenHash: string | null;
  readonly userId: string | null;
  /** The cookie named a session that no longer exists (signed out, expired, ended elsewhere). */
  readonly stale: boolean;
  get(name: 'csrf'): string | undefined;
  set(name: 'csrf', value: string): void;
}

class LoadedSession implements AppSession {
  constructor(
    readonly sid: string | null,
    readonly tokenHash: string | null,
    readonly userId: string | null,
    readonly stale: boolean,
    private csrf: string | undefined,
  ) {}
  csrfChanged = false;
  get(_name: 'csrf'): string | undefined {
    return this.csrf;
  }
  set(_name: 'csrf', value: string): void {
    this.csrf = value;
    this.csrfChanged = true;
  }
}

const cookies = new WeakMap<WebServices, Cookie>();

function sessionCookie(services: WebServices): Cookie {
  let cookie = cookies.get(services);
  if (!cookie) {
    cookie = createCookie('lf_session', {
      httpOnly: true,
      sameSite: 'lax',
      secure: services.mode !== 'development',
      path: '/',
      secrets: [services.sessionSecret],
      maxAge: SESSION_MAX_AGE_SECONDS,
    });
    cookies.set(services, cookie);
  }
  return cookie;
}

async function readCookie(services: WebServices, request: Request): Promise<CookieValue> {
  // A bad signature reads as null: the visitor simply has no session.
  const value: unknown = await sessionCookie(services).parse(request.headers.get('Cookie'));
  if (!value || typeof value !== 'object') return {};
  const { sid, csrf } = value as Record<string, unknown>;
  return { sid: typeof sid === 'string' ? sid : undefined, csrf: typeof csrf === 'string' ? csrf : undefined };
}

// Parent and child loaders of one request share a Request object: read the session once for them.
const loaded = new WeakMap<Request, Promise<LoadedSession>>();

export function getSession(services: WebServices, request: Request): Promise<AppSession> {
  return load(services, request);
}

function load(services: WebServices, request: Request): Promise<LoadedSession> {
  let session = loaded.get(request);
  if (!session) {
    session = readSession(services, request);
    loaded.set(request, session);
  }
  return session;
}

async function readSession(services: WebServices, request: Request): Promise<LoadedSession> {
  const value = await readCookie(services, request);
  if (!value.sid) return new LoadedSession(null, null, null, false, value.csrf);
  const tokenHash = sha256(value.sid);
  const { db } = services;
  const row = await db('sessions')
    .where({ token_hash: tokenHash })
    .where('expires_at', '>', db.fn.now())
    .first<{ user_id: string; csrf_token: string; seen_ago: number } | undefined>(
      'user_id',
      'csrf_token',
      db.raw('extract(epoch from now() - last_seen_at)::float8 as seen_ago'),
    );
  if (!row) return new LoadedSession(null, null, null, true, undefined);
  if (row.seen_ago > LAST_SEEN_RESOLUTION_SECONDS) {
    await db('sessions').where({ token_hash: tokenHash }).update({ last_seen_at: db.fn.now() });
  }
  return new LoadedSession(value.sid, tokenHash, row.user_id, false, row.csrf_token);
}

/** The Set-Cookie value that keeps what `session.set` changed. */
export async function commitSession(services: WebServices, session: AppSession): Promise<string> {
  const s = session as LoadedSession;
  if (s.sid && s.tokenHash) {
    if (s.csrfChanged) await services.db('sessions').where({ token_hash: s.tokenHash }).update({ csrf_token: s.get('csrf') });
    return sessionCookie(services).serialize({ sid: s.sid } satisfies CookieValue);
  }
  return sessionCookie(services).serialize({ csrf: s.get('csrf') } satisfies CookieValue);
}

/** Starts a signed-in session for the user, with a fresh CSRF token, and returns its Set-Cookie. */
export async function createUserSession(services: WebServices, userId: string): Promise<string> {
  const sid = randomBytes(32).toString('base64url');
  const { db } = services;
  await db('sessions').insert({
    token_hash: sha256(sid),
    user_id: userId,
    csrf_token: randomBytes(32).toString('base64url'),
    expires_at: db.raw(`now() + make_interval(secs => ?::float8)`, [SESSION_MAX_AGE_SECONDS]),
  });
  return sessionCookie(services).serialize({ sid } satisfies CookieValue);
}

/** Deletes the session's row (if any) and returns the Set-Cookie that clears the cookie. */
export async function destroySession(services: WebServices, session: AppSession): Promise<string> {
  if (session.tokenHash) await services.db('sessions').where({ token_hash: session.tokenHash }).del();
  return sessionCookie(services).serialize('', { maxAge: undefined, expires: new Date(0) });
}

/** Ends every session of the user except `keep` (a token hash), e.g. after a password change. */
export async function endUserSessions(db: Knex | Knex.Transaction, userId: string, keep?: string | null): Promise<void> {
  const q = db('sessions').where({ user_id: userId });
  if (keep) q.whereNot({ token_hash: keep });
  await q.del();
}
