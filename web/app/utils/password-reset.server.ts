// Password reset by e-mailed link. The link's token is a 256-bit random secret; only its
// SHA-256 is stored, with the user it was made for, so a leaked database does not hand out
// working links and a link changes the password of that user only. A link works once, for
// RESET_TOKEN_TTL_MINUTES, and asking for a new one retires the older ones.
import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { hashPassword, sha256 } from '../../../db/passwords.ts';
import { accountHeaders } from '../../../activities/mailer.ts';
import type { WebServices } from '../context.ts';
import { RESET_TOKEN_TTL_MINUTES } from './password-policy.ts';
import { settlePasswordAttempt, takeResetAllowance, takeResetLinkAttempt } from './rate-limit.server.ts';
import { endUserSessions } from './session.server.ts';

/**
 * Sends a reset link when username and e-mail belong to the same active user, and otherwise
 * does nothing; the caller answers the same either way, so the form reveals no accounts.
 * The mail is sent in the background for the same reason: an SMTP round trip would show
 * in the response time only for real accounts.
 */
export async function requestPasswordReset(services: WebServices, input: { username: string; email: string; ip: string }): Promise<void> {
  const { db } = services;
  if (!(await takeResetAllowance(db, input.username, input.ip))) return;
  const user = await db('users')
    .whereRaw('lower(username) = lower(?)', [input.username.trim()])
    .whereRaw('lower(email) = lower(?)', [input.email.trim()])
    .where({ status: 'active' })
    .first('id', 'account_id', 'email', 'name', 'username');
  if (!user) return;
  const token = randomBytes(32).toString('base64url');
  await db.transaction(async (trx) => {
    // The user's row lock orders two concurrent requests, so only the newest link ever works.
    await trx('users').where({ id: user.id }).forUpdate().first('id');
    // Retired links read as expired (used_at stays for links that were really used).
    await trx('password_reset_tokens')
      .where({ user_id: user.id })
      .whereNull('used_at')
      .where('expires_at', '>', trx.fn.now())
      .update({ expires_at: trx.fn.now() });
    await trx('password_reset_tokens').insert({
      user_id: user.id,
      token_hash: sha256(token),
      expires_at: trx.raw('now() + make_interval(mins => ?::int)', [RESET_TOKEN_TTL_MINUTES]),
    });
  });
  const link = `${services.publicUrl}/reset-password/${token}`;
  const text = [
    `Hello ${user.name},`,
    '',
    `Someone asked to reset the Leadflow password of ${user.username}. To choose a new password, open:`,
    '',
    link,
    '',
    `The link works once and expires in ${RESET_TOKEN_TTL_MINUTES} minutes. If you did not ask for this, ignore this e-mail; your password stays as it is.`,
  ].join('\n');
  if (!services.mailer) {
    if (services.mode === 'development') console.info(`[web] no SMTP_URL: password reset link for ${user.username}: ${link}`);
    else console.error('[web] cannot send a password reset e-mail: SMTP_URL is not configured');
    return;
  }
  services.mailer
    .sendMail({ from: services.mailFrom, to: user.email, subject: 'Reset your Leadflow password', text, headers: accountHeaders(user.account_id) })
    .catch((err: unknown) => console.error('[web] sending the password reset e-mail failed', err));
}

export type ResetTokenState = { state: 'valid'; username: string } | { state: 'used' | 'expired' | 'unknown' };

/** What a link's token is: usable (for whom), already used, expired or replaced, or unknown. */
export async function checkResetToken(db: Knex, token: string): Promise<ResetTokenState> {
  const row = await db('password_reset_tokens as t')
    .join('users as u', 'u.id', 't.user_id')
    .where('t.token_hash', sha256(token))
    .first<{ username: string; used: boolean; expired: boolean; active: boolean } | undefined>(
      'u.username',
      db.raw('t.used_at is not null as used'),
      db.raw('t.expires_at <= now() as expired'),
      db.raw("u.status = 'active' as active"),
    );
  // An inactive user's link is as dead as an unknown one; saying more would tell a stranger about the user.
  if (!row || !row.active) return { state: 'unknown' };
  if (row.used) return { state: 'used' };
  if (row.expired) return { state: 'expired' };
  return { state: 'valid', username: row.username };
}

/**
 * Sets the password of the user the token was made for, uses up the token (and any other
 * outstanding ones of the user) and ends every session of that user, so whoever held the old
 * password is signed out too. Answers the token's state: 'valid' when the password was set.
 */
export async function resetPassword(db: Knex, token: string, newPassword: string): Promise<ResetTokenState['state']> {
  const passwordHash = await hashPassword(newPassword);
  return db.transaction(async (trx) => {
    // FOR UPDATE: two submissions of the same link cannot both pass the used_at check.
    const row = await trx('password_reset_tokens as t')
      .join('users as u', 'u.id', 't.user_id')
      .where('t.token_hash', sha256(token))
      .where('u.status', 'active')
      .forUpdate('t')
      .first<{ user_id: string; used: boolean; expired: boolean } | undefined>(
        't.user_id',
        trx.raw('t.used_at is not null as used'),
        trx.raw('t.expires_at <= now() as expired'),
      );
    if (!row) return 'unknown';
    if (row.used) return 'used';
    if (row.expired) return 'expired';
    await trx('password_reset_tokens').where({ user_id: row.user_id }).whereNull('used_at').where('expires_at', '>', trx.fn.now()).update({ used_at: trx.fn.now() });
    await trx('users').where({ id: row.user_id }).update({ password_hash: passwordHash, must_change_password: false, updated_at: trx.fn.now() });
    await endUserSessions(trx, row.user_id);
    return 'valid';
  });
}

const TOKEN_SHAPE = /^[A-Za-z0-9_-]{20,100}$/;

/**
 * Runs a check of a reset link under a per-address throttle: trying links is a credential
 * check like any other, even though 256-bit tokens cannot be guessed.
 */
async function throttledLinkCheck<T extends ResetTokenState>(db: Knex, token: string, ip: string, check: () => Promise<T>): Promise<T | ResetTokenState | { state: 'locked' }> {
  const taken = await takeResetLinkAttempt(db, ip);
  if (taken.locked) return { state: 'locked' };
  const result = TOKEN_SHAPE.test(token) ? await check() : ({ state: 'unknown' } as const);
  await settlePasswordAttempt(db, taken.attempt, result.state === 'valid');
  return result;
}

/** The reset page's view of a link, counted against the address that opens it. */
export function inspectResetLink(db: Knex, token: string, ip: string): Promise<ResetTokenState | { state: 'locked' }> {
  return throttledLinkCheck(db, token, ip, () => checkResetToken(db, token));
}

/** `resetPassword`, counted against the address that submits the link. */
export async function resetPasswordByLink(db: Knex, token: string, newPassword: string, ip: string): Promise<ResetTokenState['state'] | 'locked'> {
  const result = await throttledLinkCheck(db, token, ip, async () => ({ state: await resetPassword(db, token, newPassword) }) as ResetTokenState);
  return result.state;
}
