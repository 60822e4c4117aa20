// Throttles on the login_attempts table, so every web process shares one count (nothing here
// assumes a single process). Keys name what is limited: `login:user:<username>`,
// `login:ip:<address>`, `reset:user:<username>`, `reset:ip:<address>`.
import type { Knex } from 'knex';

export const LOGIN_WINDOW_MINUTES = 15;
export const LOGIN_FAILURES_PER_USERNAME = 5;
export const LOGIN_FAILURES_PER_IP = 20;
export const RESET_WINDOW_MINUTES = 60;
export const RESETS_PER_USERNAME = 3;
export const RESETS_PER_IP = 10;

const userKey = (username: string) => `login:user:${username.trim().toLowerCase()}`;
const ipKey = (ip: string) => `login:ip:${ip}`;

/**
 * Whether sign-in is locked for this username or address. A username's count restarts at its
 * last successful sign-in; an address's does not, or one valid account would let an attacker
 * reset the counter of the address they are guessing other accounts' passwords from.
 */
export async function loginLocked(db: Knex, username: string, ip: string): Promise<boolean> {
  const since = db.raw(`now() - interval '${LOGIN_WINDOW_MINUTES} minutes'`);
  const lastSuccess = db('login_attempts').where({ key: userKey(username), succeeded: true }).max('attempted_at');
  const [{ n: userFailures }] = await db('login_attempts')
    .where({ key: userKey(username), succeeded: false })
    .where('attempted_at', '>', since)
    .where((q) => q.whereRaw('attempted_at > coalesce((?), ?::timestamptz)', [lastSuccess, '-infinity']))
    .count<{ n: string }[]>({ n: '*' });
  if (Number(userFailures) >= LOGIN_FAILURES_PER_USERNAME) return true;
  const [{ n: ipFailures }] = await db('login_attempts')
    .where({ key: ipKey(ip), succeeded: false })
    .where('attempted_at', '>', since)
    .count<{ n: string }[]>({ n: '*' });
  return Number(ipFailures) >= LOGIN_FAILURES_PER_IP;
}

export async function recordLoginAttempt(db: Knex, username: string, ip: string, succeeded: boolean): Promise<void> {
  const rows = [{ key: userKey(username), succeeded }];
  if (!succeeded) rows.push({ key: ipKey(ip), succeeded });
  await db('login_attempts').insert(rows);
}

/** Counts a password-reset request and says whether it may send mail (limits mail bombing). */
export async function takeResetAllowance(db: Knex, username: string, ip: string): Promise<boolean> {
  const keys = { user: `reset:user:${username.trim().toLowerCase()}`, ip: `reset:ip:${ip}` };
  const since = db.raw(`now() - interval '${RESET_WINDOW_MINUTES} minutes'`);
  const counts = await db('login_attempts')
    .whereIn('key', [keys.user, keys.ip])
    .where('attempted_at', '>', since)
    .groupBy('key')
    .select('key')
    .count<{ key: string; n: string }[]>({ n: '*' });
  const count = (key: string) => Number(counts.find((c) => c.key === key)?.n ?? 0);
  await db('login_attempts').insert([
    { key: keys.user, succeeded: false },
    { key: keys.ip, succeeded: false },
  ]);
  return count(keys.user) < RESETS_PER_USERNAME && count(keys.ip) < RESETS_PER_IP;
}
