// Users and seats of an account (owner's page). Seat checks run inside the transaction that
// adds or reactivates the user, with the account row locked (db/seats.ts).
//
// Setting a user inactive hands their open leads on (db/distribution/handover.ts).
//
// Also each user's day settings (available, daily target, licensed states), which the owner
// changes on Users & Seats, an LSP's own availability on My Leads, and an integrator's
// scheduling system through PATCH /api/v1/users/:id: all three go through `updateUserDay`.
import { randomInt } from 'node:crypto';
import type { Knex } from 'knex';
import { UniqueViolationError } from 'objection';
import { z } from 'zod';
import { AssignmentError, type AssignDeps } from '../../../db/distribution/assign.ts';
import { handOverLeads, type HandOverResult } from '../../../db/distribution/handover.ts';
import { capacityLedger, DAILY_TARGET_MAX, DAILY_TARGET_MIN, type LspLedger } from '../../../db/distribution/ledger.ts';
import { US_STATES } from '../../../db/hygiene/index.ts';
import { User, type Role, type UserStatus } from '../../../db/models/index.ts';
import { hashPassword } from '../../../db/passwords.ts';
import { accountSeatUsage, assertSeatAvailable, NoSeatAvailableError, type SeatUsage } from '../../../db/seats.ts';

export const ASSIGNABLE_ROLES = ['lsp', 'admin', 'support'] as const;

export const createUserSchema = z.object({
  username: z
    .string()
    .trim()
    .min(3, 'At least 3 characters')
    .max(100, 'At most 100 characters')
    .regex(/^[A-Za-z0-9._-]+$/, 'Letters, digits, dots, dashes and underscores only'),
  name: z.string().trim().min(1, 'Enter a name').max(200, 'At most 200 characters'),
  email: z.string().trim().max(320).pipe(z.email('Enter a valid e-mail address')),
  role: z.enum(ASSIGNABLE_ROLES, 'Choose a role'),
});

export type AccountUser = Pick<
  User,
  'id' | 'username' | 'name' | 'email' | 'role' | 'status' | 'mustChangePassword' | 'createdAt' | 'available' | 'dailyTarget' | 'licensedStates'
>;

export async function listAccountUsers(db: Knex, accountId: string): Promise<AccountUser[]> {
  const users = await User.query(db)
    .where('account_id', accountId)
    .orderByRaw("role = 'owner' desc, status asc, lower(name) asc")
    .select('id', 'username', 'name', 'email', 'role', 'status', 'must_change_password', 'created_at', 'available', 'daily_target', 'licensed_states');
  // Plain objects for the page's loader data, never the password hash.
  return users.map((u) => ({
    id: u.id,
    username: u.username,
    name: u.name,
    email: u.email,
    role: u.role,
    status: u.status,
    mustChangePassword: u.mustChangePassword,
    createdAt: u.createdAt,
    available: u.available,
    dailyTarget: u.dailyTarget,
    licensedStates: u.licensedStates,
  }));
}

export function seatUsageOf(db: Knex, accountId: string): Promise<SeatUsage> {
  return accountSeatUsage(db, accountId);
}

// No 0/O or 1/l/I: the owner reads it out or types it into a message.
const ALPHABET = 'abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';

export function temporaryPassword(): string {
  const group = () => Array.from({ length: 4 }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
  return `${group()}-${group()}-${group()}-${group()}`;
}

export type CreateUserResult =
  | { ok: true; user: { id: string; username: string; name: string }; temporaryPassword: string }
  | { ok: false; formError: string; status: 409 }
  | { ok: false; fieldErrors: { username: string[] }; status: 400 };

export async function createAccountUser(db: Knex, accountId: string, input: z.infer<typeof createUserSchema>): Promise<CreateUserResult> {
  const password = temporaryPassword();
  const passwordHash = await hashPassword(password);
  try {
    const user = await db.transaction(async (trx) => {
      await assertSeatAvailable(trx, accountId);
      // A new LSP starts licensed where the agency is (My Company); the owner narrows it after.
      const licensedStates = input.role === 'lsp' ? await trx('accounts').where({ id: accountId }).first('licensed_states') : null;
      const user = await User.query(trx)
        .insert({
          accountId,
          username: input.username,
          name: input.name,
          email: input.email,
          role: input.role,
          status: 'active',
          passwordHash,
          mustChangePassword: true,
          ...(licensedStates ? { licensedStates: licensedStates.licensed_states as string[] } : {}),
        })
        .returning(['id', 'username', 'name']);
      return { id: user.id, username: user.username, name: user.name };
    });
    return { ok: true, user, temporaryPassword: password };
  } catch (err) {
    if (err instanceof NoSeatAvailableError) return { ok: false, formError: err.message, status: 409 };
    if (isUniqueViolation(err, 'users_username_unique')) return { ok: false, fieldErrors: { username: ['That username is taken'] }, status: 400 };
    throw err;
  }
}

export type SetStatusResult =
  | { ok: true; handOver: HandOverResult | null }
  | { ok: false; notFound: true }
  | { ok: false; formError: string; status: 400 | 409 };

/**
 * Sets a user active (if a seat is free) or inactive. Inactive goes through `handOverLeads`:
 * in the same transaction their open leads go to `handTo` (an active LSP) or, null, to the
 * pool, with their pending call-backs, so nothing stays with someone who cannot sign in.
 */
export async function setAccountUserStatus(
  deps: AssignDeps,
  accountId: string,
  userId: string,
  status: UserStatus,
  opts: { byUserId: string | null; handTo?: string | null } = { byUserId: null },
): Promise<SetStatusResult> {
  const { db } = deps;
  if (status === 'inactive') {
    // Scoped by account: another account's user id is simply not found.
    const user = await User.query(db).findOne({ id: userId, account_id: accountId }).select('id', 'role');
    if (!user) return { ok: false, notFound: true };
    if (user.role === 'owner') return { ok: false, formError: 'The owner holds the account and cannot be set inactive.', status: 400 };
    try {
      return { ok: true, handOver: await handOverLeads(deps, { accountId, fromUserId: userId, toUserId: opts.handTo ?? null, byUserId: opts.byUserId }) };
    } catch (err) {
      if (!(err instanceof AssignmentError)) throw err;
      // An LSP of another account, like a missing one, is not found.
      if (err.kind === 'not_found') return { ok: false, notFound: true };
      return { ok: false, formError: err.message, status: err.kind === 'invalid' ? 400 : 409 };
    }
  }
  try {
    return await db.transaction(async (trx): Promise<SetStatusResult> => {
      const user = await User.query(trx).findOne({ id: userId, account_id: accountId }).forUpdate().select('id', 'role', 'status');
      if (!user) return { ok: false, notFound: true };
      if (user.role === 'owner') return { ok: false, formError: 'The owner holds the account and cannot be set inactive.', status: 400 };
      if (user.status === status) return { ok: true, handOver: null };
      await assertSeatAvailable(trx, accountId);
      await User.query(trx).findById(userId).where('account_id', accountId).patch({ status, updatedAt: trx.fn.now() });
      return { ok: true, handOver: null };
    });
  } catch (err) {
    if (err instanceof NoSeatAvailableError) return { ok: false, formError: err.message, status: 409 };
    throw err;
  }
}

const leads = (n: number) => `${n} lead${n === 1 ? '' : 's'}`;

/** A hand-over as Users & Seats tells it, read back from what it recorded. */
export interface HandOverSummary {
  userName: string;
  /** The LSP the owner chose; null: the pool. */
  toName: string | null;
  handedOver: number;
  toPool: number;
  notLicensed: Array<{ state: string; leads: number }>;
  callBacks: number;
  /** Leads whose workflow was not told (Postgres holds the hand-over all the same). */
  untold: number;
}

/** What the owner reads after setting a user inactive: where their leads and call-backs went. */
export function handOverMessage(r: HandOverSummary): string {
  const parts = [`${r.userName} is inactive.`];
  if (!r.handedOver && !r.toPool) parts.push('They had no open leads.');
  else if (r.toName) {
    let line = `Moved ${leads(r.handedOver)} to ${r.toName}`;
    if (r.toPool) {
      const states = r.notLicensed.map((s) => `${s.state || 'no state'}: ${s.leads}`).join(', ');
      line += `; ${r.toPool} not licensed for ${r.toName} went to the pool (${states})`;
    }
    parts.push(`${line}.`);
  } else parts.push(`Returned ${leads(r.toPool)} to the pool.`);
  if (r.callBacks) parts.push(`${r.callBacks} pending call-back${r.callBacks === 1 ? '' : 's'} went with ${r.callBacks === 1 ? 'its lead' : 'their leads'}.`);
  // Postgres holds the hand-over; only the workflows' copies are behind until the lead's next change.
  if (r.untold) parts.push(`(Saved; the workflow${r.untold === 1 ? ' of 1 lead was' : `s of ${r.untold} leads were`} not told.)`);
  return parts.join(' ');
}

/** Where the page goes after a hand-over: the user, the instant it was recorded at, and how many workflows were not told. */
export function handOverLocation(r: HandOverResult): string {
  const at = r.handedOver[0]?.createdAt ?? r.toPool[0]?.createdAt;
  const params = new URLSearchParams({ handedOver: r.user.id });
  if (at) params.set('at', new Date(at).toISOString());
  if (r.signalFailures.length) params.set('untold', String(r.signalFailures.length));
  return `/users?${params}`;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The hand-over `handOverLocation` points at, read from the assignments and history rows it
 * wrote (scoped to the account; the address carries ids and numbers, never text to show).
 * Null when the address names no inactive user of the account.
 */
export async function recordedHandOver(db: Knex, accountId: string, url: URL): Promise<HandOverSummary | null> {
  const userId = url.searchParams.get('handedOver');
  if (!userId || !UUID_RE.test(userId)) return null;
  const user = await db('users').where({ id: userId, account_id: accountId, status: 'inactive' }).first('name');
  if (!user) return null;
  const untoldParam = url.searchParams.get('untold');
  const summary: HandOverSummary = { userName: user.name, toName: null, handedOver: 0, toPool: 0, notLicensed: [], callBacks: 0, untold: untoldParam && /^\d{1,6}$/.test(untoldParam) ? Number(untoldParam) : 0 };
  const at = new Date(url.searchParams.get('at') ?? '');
  if (Number.isNaN(at.getTime())) return summary;
  // Every row of one hand-over carries the same instant; the address has it to the millisecond.
  const rows: Array<{ user_id: string | null; wanted: string | null; state: string; n: number; call_backs: number }> = await db('assignments as a')
    .join('leads as l', function () {
      this.on('l.id', 'a.lead_id').andOn('l.account_id', 'a.account_id');
    })
    .where({ 'a.account_id': accountId, 'a.method': 'deactivation' })
    .whereRaw("a.detail->>'fromUserId' = ?", [userId])
    .where('a.created_at', '>=', new Date(at.getTime() - 1))
    .where('a.created_at', '<', new Date(at.getTime() + 1))
    .groupBy('a.user_id', db.raw("a.detail->>'wanted'"), db.raw('upper(trim(l.state))'))
    .select(
      'a.user_id',
      db.raw("a.detail->>'wanted' as wanted"),
      db.raw('upper(trim(l.state)) as state'),
      db.raw('count(*)::int as n'),
      db.raw(
        `count(*) FILTER (WHERE EXISTS (SELECT 1 FROM lead_events e WHERE e.lead_id = a.lead_id AND e.account_id = a.account_id
           AND e.type = 'callback_handed_over' AND e.data->>'assignmentId' = a.id::text))::int as call_backs`,
      ),
    );
  let toId: string | null = null;
  const notLicensed = new Map<string, number>();
  for (const r of rows) {
    summary.callBacks += r.call_backs;
    if (r.user_id) {
      summary.handedOver += r.n;
      toId = r.user_id;
    } else {
      summary.toPool += r.n;
      if (r.wanted) {
        toId ??= r.wanted;
        notLicensed.set(r.state, (notLicensed.get(r.state) ?? 0) + r.n);
      }
    }
  }
  summary.notLicensed = [...notLicensed].map(([state, n]) => ({ state, leads: n })).sort((a, b) => b.leads - a.leads || a.state.localeCompare(b.state));
  if (toId) summary.toName = (await db('users').where({ id: toId, account_id: accountId }).first('name'))?.name ?? 'a former user';
  return summary;
}

/** Each user's open leads (new or active) per state: what setting them inactive would hand over. */
export async function openLeadsByUser(db: Knex, accountId: string): Promise<Record<string, { total: number; byState: Record<string, number> }>> {
  const rows: Array<{ user_id: string; state: string; n: number }> = await db('leads')
    .where('account_id', accountId)
    .whereNotNull('assigned_user_id')
    .whereIn('status', ['new', 'active'])
    .groupBy('assigned_user_id', db.raw('upper(trim(state))'))
    .select('assigned_user_id as user_id', db.raw('upper(trim(state)) as state'), db.raw('count(*)::int as n'));
  const out: Record<string, { total: number; byState: Record<string, number> }> = {};
  for (const r of rows) {
    const u = (out[r.user_id] ??= { total: 0, byState: {} });
    u.total += r.n;
    u.byState[r.state] = r.n;
  }
  return out;
}

/** What may change about a user's day; a field left out is left as it is. */
export interface UserDayPatch {
  available?: boolean;
  dailyTarget?: number;
  licensedStates?: string[];
}

const DAY_FIELDS = ['available', 'dailyTarget', 'licensedStates'] as const;

/**
 * Checks a patch as an integrator sends it (JSON): only the three fields, each of its type,
 * the target a whole number in 1..500, the states known two-letter codes (stored upper-case,
 * sorted, once each). Either the patch or a message per field.
 */
export function checkUserDayPatch(body: unknown): { ok: true; patch: UserDayPatch } | { ok: false; errors: Record<string, string> } {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return { ok: false, errors: { body: 'Must be a JSON object' } };
  const errors: Record<string, string> = {};
  const patch: UserDayPatch = {};
  for (const [key, value] of Object.entries(body)) {
    if (!(DAY_FIELDS as readonly string[]).includes(key)) {
      errors[key] = `Unknown field: only ${DAY_FIELDS.join(', ')} can be changed`;
    } else if (key === 'available') {
      if (typeof value === 'boolean') patch.available = value;
      else errors.available = 'Must be true or false';
    } else if (key === 'dailyTarget') {
      if (typeof value === 'number' && Number.isInteger(value) && value >= DAILY_TARGET_MIN && value <= DAILY_TARGET_MAX) patch.dailyTarget = value;
      else errors.dailyTarget = `Must be a whole number from ${DAILY_TARGET_MIN} to ${DAILY_TARGET_MAX}`;
    } else {
      const states = checkLicensedStates(value);
      if ('error' in states) errors.licensedStates = states.error;
      else patch.licensedStates = states.codes;
    }
  }
  if (!Object.keys(errors).length && !Object.keys(patch).length) errors.body = `Send at least one of ${DAY_FIELDS.join(', ')}`;
  return Object.keys(errors).length ? { ok: false, errors } : { ok: true, patch };
}

/** A list of state codes, upper-cased, sorted and once each; or what is wrong with it. */
export function checkLicensedStates(value: unknown): { codes: string[] } | { error: string } {
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) return { error: 'Must be a list of two-letter state codes, e.g. ["TX", "OK"]' };
  const codes = [...new Set((value as string[]).map((v) => v.trim().toUpperCase()))].sort();
  const unknown = codes.filter((c) => !(c in US_STATES));
  if (unknown.length) return { error: `Not a US state, DC or territory: ${unknown.map((c) => JSON.stringify(c)).join(', ')}` };
  return { codes };
}

/** Changes a user's day settings; scoped by account, so another account's user is not found. */
export async function updateUserDay(db: Knex, accountId: string, userId: string, patch: UserDayPatch): Promise<boolean> {
  const changed = await User.query(db)
    .where({ id: userId, account_id: accountId })
    .patch({ ...patch, updatedAt: db.fn.now() });
  return changed > 0;
}

/** A user as the API shows them: `today` is the LSP's ledger, null for other roles and inactive users. */
export interface ApiUser {
  id: string;
  name: string;
  role: Role;
  active: boolean;
  available: boolean;
  licensedStates: string[];
  dailyTarget: number;
  today: { followUpsDue: number; newAssigned: number; capacityLeft: number } | null;
}

/** Every user of the account (or the one `userId`), with today's ledger for the active LSPs: two queries. */
export async function apiUsers(db: Knex, accountId: string, userId?: string): Promise<ApiUser[]> {
  const query = User.query(db).where('account_id', accountId).orderByRaw("role = 'owner' desc, lower(name) asc, id asc");
  if (userId) query.where('id', userId);
  const [users, ledger] = await Promise.all([
    query.select('id', 'name', 'role', 'status', 'available', 'licensed_states', 'daily_target'),
    capacityLedger(db, accountId, userId ? { userId } : {}),
  ]);
  const today = new Map<string, LspLedger>(ledger.lsps.map((l) => [l.userId, l]));
  return users.map((u) => {
    const l = today.get(u.id);
    return {
      id: u.id,
      name: u.name,
      role: u.role,
      active: u.status === 'active',
      available: u.available,
      licensedStates: u.licensedStates,
      dailyTarget: u.dailyTarget,
      today: l ? { followUpsDue: l.followUpsDue, newAssigned: l.newAssigned, capacityLeft: l.capacityLeft } : null,
    };
  });
}

function isUniqueViolation(err: unknown, constraint: string): boolean {
  return err instanceof UniqueViolationError && err.constraint === constraint;
}
