// pruneExpiredRows against this file's own Postgres: old Idempotency-Keys and sign-in attempts
// go, fresh ones stay, in chunks.
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHousekeepingActivities, INTAKE_IDEMPOTENCY_RETENTION_DAYS, LOGIN_ATTEMPTS_RETENTION_DAYS } from '../../activities/housekeeping.ts';
import { LOGIN_WINDOW_MINUTES, RESET_WINDOW_MINUTES } from '../../web/app/utils/rate-limit.server.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { createAccountWithAdmin } from '../support/fixtures.ts';

let db: TestDatabase;
let accountId: string;
let userId: string;

beforeAll(async () => {
  db = await createTestDatabase();
  ({ accountId, userId } = await createAccountWithAdmin(db.knex));
});

afterAll(async () => {
  await db?.destroy();
});

const NOW = new Date('2026-11-22T12:00:00Z');
const clock = { now: () => NOW };
const daysBefore = (days: number, minutes = 0) => new Date(NOW.getTime() - days * 86_400_000 - minutes * 60_000);

async function idempotencyKeys(rows: Array<[key: string, createdAt: Date]>) {
  await db.knex('intake_idempotency').insert(rows.map(([key, created_at]) => ({ account_id: accountId, key, request_hash: 'h', created_at })));
}

async function loginAttempts(rows: Array<[key: string, attemptedAt: Date]>) {
  await db.knex('login_attempts').insert(rows.map(([key, attempted_at]) => ({ key, succeeded: false, attempted_at })));
}

describe('pruneExpiredRows', () => {
  it('deletes sessions past their expiry and keeps live ones', async () => {
    await db.knex('sessions').insert([
      { token_hash: 'expired-yesterday', user_id: userId, csrf_token: 'c', expires_at: daysBefore(1) },
      { token_hash: 'expired-a-minute-ago', user_id: userId, csrf_token: 'c', expires_at: daysBefore(0, 1) },
      { token_hash: 'live', user_id: userId, csrf_token: 'c', expires_at: daysBefore(0, -60) },
    ]);
    const { pruneExpiredRows } = createHousekeepingActivities({ db: db.knex, clock });
    expect((await pruneExpiredRows()).sessions).toBe(2);
    expect(await db.knex('sessions').pluck('token_hash')).toEqual(['live']);
    await db.knex('sessions').delete();
  });

  it('deletes Idempotency-Keys and sign-in attempts past their retention and keeps the rest', async () => {
    await idempotencyKeys([
      ['expired-long-ago', daysBefore(400)],
      ['expired-just', daysBefore(INTAKE_IDEMPOTENCY_RETENTION_DAYS, 1)],
      ['kept-just', daysBefore(INTAKE_IDEMPOTENCY_RETENTION_DAYS, -1)],
      ['kept-today', daysBefore(0)],
    ]);
    await loginAttempts([
      ['login:user:old', daysBefore(LOGIN_ATTEMPTS_RETENTION_DAYS, 1)],
      ['login:ip:old', daysBefore(90)],
      ['login:user:recent', daysBefore(LOGIN_ATTEMPTS_RETENTION_DAYS, -1)],
      ['login:user:now', daysBefore(0)],
    ]);

    const { pruneExpiredRows } = createHousekeepingActivities({ db: db.knex, clock });
    expect(await pruneExpiredRows()).toEqual({ intakeIdempotency: 2, loginAttempts: 2, sessions: 0 });

    expect((await db.knex('intake_idempotency').pluck('key')).sort()).toEqual(['kept-just', 'kept-today']);
    expect((await db.knex('login_attempts').pluck('key')).sort()).toEqual(['login:user:now', 'login:user:recent']);
    // A second run (or a retry) finds nothing more to do.
    expect(await pruneExpiredRows()).toEqual({ intakeIdempotency: 0, loginAttempts: 0, sessions: 0 });
  });

  it('deletes a backlog in several bounded statements and counts every row', async () => {
    await idempotencyKeys(Array.from({ length: 7 }, (_, i): [string, Date] => [`backlog-${i}`, daysBefore(60 + i)]));
    await loginAttempts(Array.from({ length: 6 }, (_, i): [string, Date] => [`login:ip:backlog-${i}`, daysBefore(60 + i)]));
    const statements: string[] = [];
    const onQuery = (q: { sql: string }) => {
      if (/^\s*delete/i.test(q.sql)) statements.push(q.sql);
    };
    db.knex.on('query', onQuery);
    try {
      const { pruneExpiredRows } = createHousekeepingActivities({ db: db.knex, clock, chunkRows: 3 });
      expect(await pruneExpiredRows()).toEqual({ intakeIdempotency: 7, loginAttempts: 6, sessions: 0 });
    } finally {
      db.knex.off('query', onQuery);
    }
    // 3 + 3 + 1 keys, then 3 + 3 + 0 attempts, then 0 sessions: no statement deleted more than a chunk.
    expect(statements).toHaveLength(7);
    expect(await db.knex('intake_idempotency').where('key', 'like', 'backlog-%')).toHaveLength(0);
    expect(await db.knex('login_attempts').where('key', 'like', 'login:ip:backlog-%')).toHaveLength(0);
  });
});

describe('retention', () => {
  it('keeps sign-in attempts far longer than any lockout or reset window looks back', () => {
    const retentionMinutes = LOGIN_ATTEMPTS_RETENTION_DAYS * 24 * 60;
    // Pruning must never change a lockout decision: at least 100 times the longest window.
    expect(retentionMinutes).toBeGreaterThanOrEqual(100 * Math.max(LOGIN_WINDOW_MINUTES, RESET_WINDOW_MINUTES));
  });

  it('remembers an Idempotency-Key for at least a week, far beyond a vendor’s retries', () => {
    expect(INTAKE_IDEMPOTENCY_RETENTION_DAYS).toBeGreaterThanOrEqual(7);
  });

  it('heartbeats after every chunk, so a dead worker is noticed within the heartbeat timeout', async () => {
    await loginAttempts(Array.from({ length: 5 }, (_, i): [string, Date] => [`login:ip:beat-${i}`, daysBefore(60 + i)]));
    const activity = new MockActivityEnvironment();
    let beats = 0;
    activity.on('heartbeat', () => beats++);
    const { pruneExpiredRows } = createHousekeepingActivities({ db: db.knex, clock, chunkRows: 2 });
    const result = (await activity.run(pruneExpiredRows)) as Awaited<ReturnType<typeof pruneExpiredRows>>;
    expect(result.loginAttempts).toBe(5);
    // One per statement: keys (1), attempts 2 + 2 + 1 (3), sessions (1).
    expect(beats).toBe(5);
  });
});
