// Password reset by e-mailed link. The link's token is a 256-bit random secret; only its
// SHA-256 is stored, so a leaked database does not hand out working links.
import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { hashPassword, sha256 } from '../../../db/passwords.ts';
import type { WebServices } from '../context.ts';
import { takeResetAllowance } from './rate-limit.server.ts';

export const RESET_TOKEN_TTL_MINUTES = 60;

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
    .first('id', 'email', 'name', 'username');
  if (!user) return;
  const token = randomBytes(32).toString('base64url');
  await db('password_reset_tokens').insert({
    user_id: user.id,
    token_hash: sha256(token),
    expires_at: db.raw(`now() + interval '${RESET_TOKEN_TTL_MINUTES} minutes'`),
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
    .sendMail({ from: services.mailFrom, to: user.email, subject: 'Reset your Leadflow password', text })
    .catch((err: unknown) => console.error('[web] sending the password reset e-mail failed', err));
}

/** The user a still-usable token belongs to, or null for unknown, used or expired tokens. */
export async function findResetToken(db: Knex, token: string): Promise<{ username: string } | null> {
  const row = await db('password_reset_tokens as t')
    .join('users as u', 'u.id', 't.user_id')
    .where('t.token_hash', sha256(token))
    .whereNull('t.used_at')
    .where('t.expires_at', '>', db.fn.now())
    .where('u.status', 'active')
    .first('u.username');
  return row ?? null;
}

/** Sets the password and uses up the token (and any other outstanding ones of the user); false when the token is not usable. */
export async function resetPassword(db: Knex, token: string, newPassword: string): Promise<boolean> {
  const passwordHash = await hashPassword(newPassword);
  return db.transaction(async (trx) => {
    // FOR UPDATE: two submissions of the same link cannot both pass the used_at check.
    const row = await trx('password_reset_tokens as t')
      .join('users as u', 'u.id', 't.user_id')
      .where('t.token_hash', sha256(token))
      .whereNull('t.used_at')
      .where('t.expires_at', '>', trx.fn.now())
      .where('u.status', 'active')
      .forUpdate('t')
      .first('t.id', 't.user_id');
    if (!row) return false;
    await trx('password_reset_tokens').where({ user_id: row.user_id }).whereNull('used_at').update({ used_at: trx.fn.now() });
    await trx('users').where({ id: row.user_id }).update({ password_hash: passwordHash, must_change_password: false, updated_at: trx.fn.now() });
    return true;
  });
}
