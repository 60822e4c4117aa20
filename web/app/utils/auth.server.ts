// Sign-in and the guards every loader and action starts with. Guards throw: a redirect to the
// login page, a redirect to the forced password change, or a 403 Response.
import { redirect, type AppLoadContext } from '@remix-run/node';
import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import type { Role } from '../../../db/models/index.ts';
import { hashPassword, sha256, verifyPassword } from '../../../db/passwords.ts';
import { loginLocked, recordLoginAttempt } from './rate-limit.server.ts';
export { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from './password-policy.ts';
import { commitSession, destroySession, getSession, type AppSession } from './session.server.ts';

export interface SessionUser {
  id: string;
  accountId: string;
  username: string;
  name: string;
  email: string;
  role: Role;
  mustChangePassword: boolean;
  account: { id: string; name: string; sharkTank: boolean };
}

export const CHANGE_PASSWORD_PATH = '/account/password';

export function passwordFingerprint(passwordHash: string): string {
  return sha256(passwordHash).slice(0, 24);
}

interface UserRow {
  id: string;
  account_id: string;
  username: string;
  name: string;
  email: string;
  role: Role;
  status: 'active' | 'inactive';
  must_change_password: boolean;
  password_hash: string;
  account_name: string;
  shark_tank: boolean;
}

function userQuery(db: Knex) {
  return db('users')
    .join('accounts', 'accounts.id', 'users.account_id')
    .select<UserRow[]>(
      'users.id',
      'users.account_id',
      'users.username',
      'users.name',
      'users.email',
      'users.role',
      'users.status',
      'users.must_change_password',
      'users.password_hash',
      'accounts.name as account_name',
      'accounts.shark_tank',
    );
}

function toSessionUser(row: UserRow): SessionUser {
  return {
    id: row.id,
    accountId: row.account_id,
    username: row.username,
    name: row.name,
    email: row.email,
    role: row.role,
    mustChangePassword: row.must_change_password,
    account: { id: row.account_id, name: row.account_name, sharkTank: row.shark_tank },
  };
}

// Verifying against this when the username is unknown keeps the response time the same, so
// timing does not tell which usernames exist.
let dummyHash: Promise<string> | undefined;

export type LoginResult =
  | { ok: true; user: SessionUser; passwordHash: string }
  | { ok: false; reason: 'invalid' | 'locked' | 'inactive' };

export async function authenticate(db: Knex, username: string, password: string, ip: string): Promise<LoginResult> {
  if (await loginLocked(db, username, ip)) return { ok: false, reason: 'locked' };
  const row = await userQuery(db).whereRaw('lower(users.username) = lower(?)', [username.trim()]).first();
  const valid = await verifyPassword(password, row?.password_hash ?? (await (dummyHash ??= hashPassword(randomBytes(16).toString('hex')))));
  await recordLoginAttempt(db, username, ip, Boolean(row && valid));
  if (!row || !valid) return { ok: false, reason: 'invalid' };
  if (row.status !== 'active') return { ok: false, reason: 'inactive' };
  return { ok: true, user: toSessionUser(row), passwordHash: row.password_hash };
}

/** Signs the user in on this session; a fresh CSRF token too, so a token planted before sign-in is useless after. */
export async function startUserSession(context: AppLoadContext, session: AppSession, user: { id: string }, passwordHash: string): Promise<string> {
  session.set('userId', user.id);
  session.set('pwv', passwordFingerprint(passwordHash));
  session.set('csrf', randomBytes(32).toString('base64url'));
  return commitSession(context.services, session);
}

type Lookup = { user: SessionUser | null; stale: boolean };
// Parent and child loaders of one request share a Request object: load the user once for them.
const lookups = new WeakMap<Request, Promise<Lookup>>();

async function lookupUser(request: Request, context: AppLoadContext): Promise<Lookup> {
  const session = await getSession(context.services, request);
  const userId = session.get('userId');
  if (!userId) return { user: null, stale: false };
  const row = await userQuery(context.services.db).where('users.id', userId).first();
  // A user set inactive, deleted or whose password changed elsewhere loses this session at once.
  if (!row || row.status !== 'active' || passwordFingerprint(row.password_hash) !== session.get('pwv')) {
    return { user: null, stale: true };
  }
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

/** Only same-site paths: `//evil.example` or `/\evil.example` would leave the site. */
export function safeRedirectPath(to: unknown, fallback = '/'): string {
  if (typeof to !== 'string' || !to.startsWith('/') || to.startsWith('//') || to.includes('\\')) return fallback;
  return to;
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

/** Sets a new password, clears the forced change and returns the new hash. */
export async function setPassword(db: Knex | Knex.Transaction, userId: string, password: string): Promise<string> {
  const passwordHash = await hashPassword(password);
  await db('users').where({ id: userId }).update({ password_hash: passwordHash, must_change_password: false, updated_at: db.fn.now() });
  return passwordHash;
}

export async function verifyCurrentPassword(db: Knex, userId: string, password: string): Promise<boolean> {
  const row = await db('users').where({ id: userId }).first('password_hash');
  return Boolean(row) && (await verifyPassword(password, row.password_hash));
}
