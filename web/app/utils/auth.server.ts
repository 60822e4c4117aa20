// Sign-in and the guards every loader and action starts with. Guards throw: a redirect to the
// login page, a redirect to the forced password change, or a 403 Response.
import { redirect, type AppLoadContext } from '@remix-run/node';
import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { User, type Account, type Role } from '../../../db/models/index.ts';
import { hashPassword, verifyPassword } from '../../../db/passwords.ts';
import { settlePasswordAttempt, takePasswordAttempt } from './rate-limit.server.ts';
export { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from './password-policy.ts';
import { createUserSession, destroySession, endUserSessions, getSession } from './session.server.ts';

export interface SessionUser {
  id: string;
  accountId: string;
  username: string;
  name: string;
  email: string;
  role: Role;
  mustChangePassword: boolean;
  /** The zone the user reads times in (IANA): their own, else the account's. */
  timeZone: string;
  /** `timeZone`: the account's, which says what "today" is (Due today, targets). */
  account: { id: string; name: string; sharkTank: boolean; timeZone: string };
}

export const CHANGE_PASSWORD_PATH = '/account/password';

type UserWithAccount = User & { account: Pick<Account, 'id' | 'name' | 'sharkTank' | 'timeZone'> };

/** Users with the part of their account a session needs, in one query. */
function userQuery(db: Knex) {
  return User.query(db)
    .withGraphJoined('account(forSession)')
    .modifiers({ forSession: (q) => q.select('id', 'name', 'shark_tank', 'time_zone') })
    .castTo<UserWithAccount>();
}

function toSessionUser(user: UserWithAccount): SessionUser {
  return {
    id: user.id,
    accountId: user.accountId,
    username: user.username,
    name: user.name,
    email: user.email,
    role: user.role,
    mustChangePassword: user.mustChangePassword,
    timeZone: user.timeZone ?? user.account.timeZone,
    account: { id: user.account.id, name: user.account.name, sharkTank: user.account.sharkTank, timeZone: user.account.timeZone },
  };
}

// Verifying against this when the username is unknown keeps the response time the same, so
// timing does not tell which usernames exist.
let dummyHash: Promise<string> | undefined;

export type LoginResult =
  | { ok: true; user: SessionUser }
  | { ok: false; reason: 'invalid' | 'inactive' }
  | { ok: false; reason: 'locked'; retryAfterMinutes: number };

const dummy = () => (dummyHash ??= hashPassword(randomBytes(16).toString('hex')));

export async function authenticate(db: Knex, username: string, password: string, ip: string): Promise<LoginResult> {
  // The slot is taken before scrypt runs: concurrent guesses beyond the limit are never checked.
  const taken = await takePasswordAttempt(db, username, ip);
  if (taken.locked) return { ok: false, reason: 'locked', retryAfterMinutes: taken.retryAfterMinutes };
  const row = await userQuery(db).whereRaw('lower(users.username) = lower(?)', [username.trim()]).first();
  const valid = await verifyPassword(password, row?.passwordHash ?? (await dummy()));
  await settlePasswordAttempt(db, taken.attempt, Boolean(row && valid));
  if (!row || !valid) return { ok: false, reason: 'invalid' };
  if (row.status !== 'active') return { ok: false, reason: 'inactive' };
  return { ok: true, user: toSessionUser(row) };
}

/** Signs the user in: a new session row and a fresh CSRF token, so a token planted before sign-in is useless after. */
export function startUserSession(context: AppLoadContext, user: { id: string }): Promise<string> {
  return createUserSession(context.services, user.id);
}

type Lookup = { user: SessionUser | null; stale: boolean };
// Parent and child loaders of one request share a Request object: load the user once for them.
const lookups = new WeakMap<Request, Promise<Lookup>>();

async function lookupUser(request: Request, context: AppLoadContext): Promise<Lookup> {
  const session = await getSession(context.services, request);
  if (!session.userId) return { user: null, stale: session.stale };
  const row = await userQuery(context.services.db).where('users.id', session.userId).first();
  // Deactivating a user deletes their sessions; this catches a session read just before that.
  if (!row || row.status !== 'active') return { user: null, stale: true };
  return { user: toSessionUser(row), stale: false };
}

export function getUser(request: Request, context: AppLoadContext): Promise<SessionUser | null> {
  return loadUser(request, context).then((l) => l.user);
}

function loadUser(request: Request, context: AppLoadContext): Promise<Lookup> {
  let lookup = lookups.get(request);
  if (!lookup) {
    lookup = lookupUser(request, context);
    lookups.set(request, lookup);
  }
  return lookup;
}

// Any origin would do as long as it is one no target can name by accident: a target is
// accepted only if resolving it against this leaves the origin unchanged.
const REDIRECT_BASE = 'http://leadflow.invalid';

/**
 * A same-origin path for `to`, or `fallback`. The target is resolved the way a browser would
 * resolve it (tabs and newlines dropped, `\` read as `/`, dot segments removed), so every
 * spelling of another host (`//evil`, `/\evil`, `/\t/evil`, `/.//evil`) is caught.
 */
export function safeRedirectPath(to: unknown, fallback = '/'): string {
  if (typeof to !== 'string' || to === '') return fallback;
  let url: URL;
  try {
    url = new URL(to, `${REDIRECT_BASE}/`);
  } catch {
    return fallback;
  }
  if (url.origin !== REDIRECT_BASE) return fallback;
  const path = url.pathname + url.search + url.hash;
  // A path that itself starts with two slashes would be read by the browser as another host.
  if (!path.startsWith('/') || path.startsWith('//') || new URL(path, `${REDIRECT_BASE}/`).origin !== REDIRECT_BASE) return fallback;
  return path;
}

export async function requireUser(request: Request, context: AppLoadContext): Promise<SessionUser> {
  const { user, stale } = await loadUser(request, context);
  const url = new URL(request.url);
  if (!user) {
    const here = url.pathname + url.search;
    const to = here === '/' ? '/login' : `/login?${new URLSearchParams({ redirectTo: here })}`;
    if (stale) {
      const session = await getSession(context.services, request);
      throw redirect(to, { headers: { 'Set-Cookie': await destroySession(context.services, session) } });
    }
    throw redirect(to);
  }
  if (user.mustChangePassword && url.pathname !== CHANGE_PASSWORD_PATH) throw redirect(CHANGE_PASSWORD_PATH);
  return user;
}

export async function requireRole(request: Request, context: AppLoadContext, roles: readonly Role[]): Promise<SessionUser> {
  const user = await requireUser(request, context);
  if (!roles.includes(user.role)) throw new Response('You do not have access to this page.', { status: 403, statusText: 'Forbidden' });
  return user;
}

export async function requireAnonymous(request: Request, context: AppLoadContext): Promise<void> {
  if (await getUser(request, context)) throw redirect('/');
}

/**
 * Sets a new password, clears the forced change and ends every other session of the user (so
 * whoever else knew the old password is out); `keepSession` is the token hash of the session
 * that made the change.
 */
export async function setPassword(db: Knex, userId: string, password: string, keepSession: string | null): Promise<void> {
  const passwordHash = await hashPassword(password);
  await db.transaction(async (trx) => {
    await trx('users').where({ id: userId }).update({ password_hash: passwordHash, must_change_password: false, updated_at: trx.fn.now() });
    await endUserSessions(trx, userId, keepSession);
  });
}

export type CurrentPasswordCheck = { ok: true } | { ok: false; reason: 'wrong' } | { ok: false; reason: 'locked'; retryAfterMinutes: number };

/** Checks the signed-in user's current password under the same throttle as sign-in. */
export async function checkCurrentPassword(db: Knex, user: SessionUser, password: string, ip: string): Promise<CurrentPasswordCheck> {
  const taken = await takePasswordAttempt(db, user.username, ip);
  if (taken.locked) return { ok: false, reason: 'locked', retryAfterMinutes: taken.retryAfterMinutes };
  const row = await User.query(db).findOne({ id: user.id, account_id: user.accountId }).select('password_hash');
  const valid = await verifyPassword(password, row?.passwordHash ?? (await dummy()));
  await settlePasswordAttempt(db, taken.attempt, Boolean(row) && valid);
  return row && valid ? { ok: true } : { ok: false, reason: 'wrong' };
}
