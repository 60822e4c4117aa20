// Throttles on the login_attempts table, so every web process shares one count (nothing here
// assumes a single process). Keys name what is limited:
//   login:pair:<username>|<address>  failures of one username from one address
//   login:user:<username>            failures of one username from every address
//   login:ip:<address>               failures from one address for every username
//   reset:user:<username>, reset:ip:<address>   password-reset e-mails asked for
//   reset-link:ip:<address>          reset links tried that were not usable
// A password check takes its slot (a failure row) before scrypt runs, in a transaction that
// holds an advisory lock on the keys it counts, so a burst of concurrent guesses is checked at
// most up to the limit, never once per request.
import type { Knex } from 'knex';

/** One username from one address: the lock a guesser meets first. */
export const LOGIN_WINDOW_MINUTES = 15;
export const LOGIN_FAILURES_PER_USERNAME_AND_IP = 5;
/**
 * One username from anywhere: slower and higher, so guessing spread over many addresses is
 * capped (50 an hour, about 1,200 a day) while strangers alone can only rarely lock a user out.
 */
export const USERNAME_WINDOW_MINUTES = 60;
export const LOGIN_FAILURES_PER_USERNAME = 50;
/** One address, every username: stops one host from trying a password on many users. */
export const LOGIN_FAILURES_PER_IP = 20;
/**
 * An address from which a username signed in within this time is exempt from the username-wide
 * and the per-address limits for that username: strangers elsewhere, or sharing the office's
 * NAT address, cannot lock the real user out of where they usually work. The username-and-address
 * limit still holds there. It stays within how long attempts are kept (30 days).
 */
export const KNOWN_ADDRESS_DAYS = 30;

export const RESET_WINDOW_MINUTES = 60;
export const RESETS_PER_USERNAME = 3;
export const RESETS_PER_IP = 10;
export const RESET_LINK_FAILURES_PER_IP = 20;

const norm = (username: string) => username.trim().toLowerCase();

/** Slots taken for one password check; settle it with `settlePasswordAttempt`. */
export interface PasswordAttempt {
  ids: string[];
}

export type TakeAttemptResult = { locked: false; attempt: PasswordAttempt } | { locked: true; retryAfterMinutes: number };

// Keys are hashed to advisory-lock ids (64 bits); a collision only makes two keys wait for each other.
async function lockKeys(trx: Knex.Transaction, keys: string[]): Promise<void> {
  // Always the same order, so two transactions never wait for each other in a cycle.
  for (const key of [...new Set(keys)].sort()) await trx.raw('select pg_advisory_xact_lock(hashtextextended(?, 0))', [key]);
}

async function takeSlots(trx: Knex.Transaction, keys: string[]): Promise<string[]> {
  const rows = await trx('login_attempts')
    .insert(keys.map((key) => ({ key, succeeded: false })))
    .returning<{ id: string }[]>('id');
  return rows.map((r) => String(r.id));
}

/**
 * Takes a slot for checking a password of `username` from `ip`, or says the check is locked.
 * Called before the password is verified, for sign-in and for the current password on the
 * change-password form alike (both guess the same secret).
 */
export async function takePasswordAttempt(db: Knex, username: string, ip: string): Promise<TakeAttemptResult> {
  const keys = { pair: `login:pair:${norm(username)}|${ip}`, user: `login:user:${norm(username)}`, ip: `login:ip:${ip}` };
  return db.transaction(async (trx) => {
    await lockKeys(trx, Object.values(keys));
    // A pair's count restarts at its last success; the others do not, or one valid account
    // would let an attacker reset the count of the address they are guessing from.
    const { rows } = await trx.raw<{ rows: Array<{ pair_failures: string; user_failures: string; ip_failures: string; known: boolean }> }>(
      `with last_ok as (
         select max(attempted_at) as at from login_attempts where key = :pair and succeeded
       )
       select
         count(*) filter (where key = :pair and attempted_at > greatest(now() - make_interval(mins => :loginWindow::int),
                                                                        coalesce((select at from last_ok), '-infinity'))) as pair_failures,
         count(*) filter (where key = :user and attempted_at > now() - make_interval(mins => :userWindow::int)) as user_failures,
         count(*) filter (where key = :ip and attempted_at > now() - make_interval(mins => :loginWindow::int)) as ip_failures,
         coalesce((select at from last_ok) > now() - make_interval(days => :knownDays::int), false) as known
       from login_attempts
       where key in (:pair, :user, :ip) and not succeeded
         and attempted_at > now() - make_interval(mins => greatest(:loginWindow::int, :userWindow::int))`,
      { ...keys, loginWindow: LOGIN_WINDOW_MINUTES, userWindow: USERNAME_WINDOW_MINUTES, knownDays: KNOWN_ADDRESS_DAYS },
    );
    const c = rows[0]!;
    if (Number(c.pair_failures) >= LOGIN_FAILURES_PER_USERNAME_AND_IP) return { locked: true, retryAfterMinutes: LOGIN_WINDOW_MINUTES };
    if (!c.known) {
      if (Number(c.user_failures) >= LOGIN_FAILURES_PER_USERNAME) return { locked: true, retryAfterMinutes: USERNAME_WINDOW_MINUTES };
      if (Number(c.ip_failures) >= LOGIN_FAILURES_PER_IP) return { locked: true, retryAfterMinutes: LOGIN_WINDOW_MINUTES };
    }
    return { locked: false, attempt: { ids: await takeSlots(trx, Object.values(keys)) } };
  });
}

/** A right password turns the slots into a success; a wrong one leaves them as failures. */
export async function settlePasswordAttempt(db: Knex, attempt: PasswordAttempt, succeeded: boolean): Promise<void> {
  if (succeeded) await db('login_attempts').whereIn('id', attempt.ids).update({ succeeded: true });
}

/**
 * Takes a slot for trying a password-reset link from `ip`. Links are 256-bit secrets, so this
 * is not what keeps them safe; it keeps one address from hammering the check.
 */
export async function takeResetLinkAttempt(db: Knex, ip: string): Promise<TakeAttemptResult> {
  const key = `reset-link:ip:${ip}`;
  return db.transaction(async (trx) => {
    await lockKeys(trx, [key]);
    const [{ n }] = await trx('login_attempts')
      .where({ key, succeeded: false })
      .where('attempted_at', '>', trx.raw('now() - make_interval(mins => ?::int)', [LOGIN_WINDOW_MINUTES]))
      .count<{ n: string }[]>({ n: '*' });
    if (Number(n) >= RESET_LINK_FAILURES_PER_IP) return { locked: true, retryAfterMinutes: LOGIN_WINDOW_MINUTES };
    return { locked: false, attempt: { ids: await takeSlots(trx, [key]) } };
  });
}

/** Counts a password-reset request and says whether it may send mail (limits mail bombing). */
export async function takeResetAllowance(db: Knex, username: string, ip: string): Promise<boolean> {
  const keys = { user: `reset:user:${norm(username)}`, ip: `reset:ip:${ip}` };
  return db.transaction(async (trx) => {
    await lockKeys(trx, [keys.user, keys.ip]);
    const counts = await trx('login_attempts')
      .whereIn('key', [keys.user, keys.ip])
      .where('attempted_at', '>', trx.raw('now() - make_interval(mins => ?::int)', [RESET_WINDOW_MINUTES]))
      .groupBy('key')
      .select('key')
      .count<{ key: string; n: string }[]>({ n: '*' });
    const count = (key: string) => Number(counts.find((c) => c.key === key)?.n ?? 0);
    await takeSlots(trx, [keys.user, keys.ip]);
    return count(keys.user) < RESETS_PER_USERNAME && count(keys.ip) < RESETS_PER_IP;
  });
}
