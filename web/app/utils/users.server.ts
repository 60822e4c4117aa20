// Users and seats of an account (owner's page). Seat checks run inside the transaction that
// adds or reactivates the user, with the account row locked (db/seats.ts).
import { randomInt } from 'node:crypto';
import type { Knex } from 'knex';
import { UniqueViolationError } from 'objection';
import { z } from 'zod';
import { User, type UserStatus } from '../../../db/models/index.ts';
import { hashPassword } from '../../../db/passwords.ts';
import { accountSeatUsage, assertSeatAvailable, NoSeatAvailableError, type SeatUsage } from '../../../db/seats.ts';
import { endUserSessions } from './session.server.ts';

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

export type AccountUser = Pick<User, 'id' | 'username' | 'name' | 'email' | 'role' | 'status' | 'mustChangePassword' | 'createdAt'>;

export async function listAccountUsers(db: Knex, accountId: string): Promise<AccountUser[]> {
  const users = await User.query(db)
    .where('account_id', accountId)
    .orderByRaw("role = 'owner' desc, status asc, lower(name) asc")
    .select('id', 'username', 'name', 'email', 'role', 'status', 'must_change_password', 'created_at');
  // Plain objects for the page's loader data, never the password hash.
  return users.map((u) => ({ id: u.id, username: u.username, name: u.name, email: u.email, role: u.role, status: u.status, mustChangePassword: u.mustChangePassword, createdAt: u.createdAt }));
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
      const user = await User.query(trx)
        .insert({ accountId, username: input.username, name: input.name, email: input.email, role: input.role, status: 'active', passwordHash, mustChangePassword: true })
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

export type SetStatusResult = { ok: true } | { ok: false; notFound: true } | { ok: false; formError: string; status: 400 | 409 };

export async function setAccountUserStatus(db: Knex, accountId: string, userId: string, status: UserStatus): Promise<SetStatusResult> {
  try {
    return await db.transaction(async (trx): Promise<SetStatusResult> => {
      // Scoped by account: another account's user id is simply not found.
      const user = await User.query(trx).findOne({ id: userId, account_id: accountId }).forUpdate().select('id', 'role', 'status');
      if (!user) return { ok: false, notFound: true };
      if (user.role === 'owner') return { ok: false, formError: 'The owner holds the account and cannot be set inactive.', status: 400 };
      if (user.status === status) return { ok: true };
      if (status === 'active') await assertSeatAvailable(trx, accountId);
      await User.query(trx).findById(userId).where('account_id', accountId).patch({ status, updatedAt: trx.fn.now() });
      // Signed out everywhere at once, and nothing is left to revive if the user is reactivated.
      if (status === 'inactive') await endUserSessions(trx, userId);
      return { ok: true };
    });
  } catch (err) {
    if (err instanceof NoSeatAvailableError) return { ok: false, formError: err.message, status: 409 };
    throw err;
  }
}

function isUniqueViolation(err: unknown, constraint: string): boolean {
  return err instanceof UniqueViolationError && err.constraint === constraint;
}
