// Housekeeping: deletes rows that only matter for a while and that nothing else ever deletes
// (Idempotency-Keys, sign-in attempts, expired sessions).
// The housekeeping workflow (workflows/housekeeping/) calls pruneExpiredRows once a day.
import { Context } from '@temporalio/activity';
import type { Knex } from 'knex';
import type { Clock } from './index.ts';

/**
 * How long an API Idempotency-Key is remembered. Vendors retry a timed-out POST within
 * minutes or hours; 30 days is generous. A key older than this that comes back is treated as
 * a new request (at worst a second source touch on the same lead, never a second lead: the
 * duplicate key still merges it).
 */
export const INTAKE_IDEMPOTENCY_RETENTION_DAYS = 30;

/**
 * How long sign-in and password-reset attempts are kept. The lockout only looks back
 * LOGIN_WINDOW_MINUTES / RESET_WINDOW_MINUTES (web/app/utils/rate-limit.server.ts, minutes to
 * an hour); this must stay far longer than those windows, or pruning would unlock an account
 * early. The extra time leaves a month of attempts for looking into an attack.
 */
export const LOGIN_ATTEMPTS_RETENTION_DAYS = 30;

/**
 * Rows deleted per statement. Each statement is its own short transaction, so a first run
 * over a large backlog never holds locks (or bloats one transaction) for long.
 */
export const PRUNE_CHUNK_ROWS = 5000;

const DAY_MS = 24 * 60 * 60 * 1000;

export interface PruneResult {
  intakeIdempotency: number;
  loginAttempts: number;
  sessions: number;
}

export interface HousekeepingDeps {
  db: Knex;
  clock: Clock;
  /** Test hook: rows per DELETE statement. */
  chunkRows?: number;
}

/**
 * Tells Temporal this prune is alive, after every chunk: a worker that dies mid-backlog is
 * noticed within the heartbeat timeout and the prune retried elsewhere, not after its
 * 30-minute start-to-close. Outside an activity (a direct call in a test) there is no one to tell.
 */
function heartbeat(): void {
  let ctx: Context;
  try {
    ctx = Context.current();
  } catch {
    return;
  }
  ctx.heartbeat();
}

/** Runs a `DELETE ... LIMIT ?`-shaped statement until it deletes fewer rows than a chunk. */
async function deleteInChunks(db: Knex, sql: string, cutoff: Date, chunkRows: number): Promise<number> {
  let total = 0;
  for (;;) {
    const r = await db.raw(sql, [cutoff, chunkRows]);
    const n = r.rowCount ?? 0;
    total += n;
    heartbeat();
    if (n < chunkRows) return total;
  }
}

export function createHousekeepingActivities({ db, clock, chunkRows = PRUNE_CHUNK_ROWS }: HousekeepingDeps) {
  return {
    /**
     * Deletes expired intake_idempotency, login_attempts and sessions rows and says how many. Idempotent:
     * a retry deletes what is left.
     */
    async pruneExpiredRows(): Promise<PruneResult> {
      const now = clock.now().getTime();
      const intakeIdempotency = await deleteInChunks(
        db,
        `DELETE FROM intake_idempotency WHERE (account_id, key) IN (
           SELECT account_id, key FROM intake_idempotency WHERE created_at < ? LIMIT ?)`,
        new Date(now - INTAKE_IDEMPOTENCY_RETENTION_DAYS * DAY_MS),
        chunkRows,
      );
      // No index on attempted_at alone: each chunk scans from the start of the table, where
      // the oldest rows are, and after the first run the table holds about a month of attempts.
      const loginAttempts = await deleteInChunks(
        db,
        `DELETE FROM login_attempts WHERE id IN (
           SELECT id FROM login_attempts WHERE attempted_at < ? LIMIT ?)`,
        new Date(now - LOGIN_ATTEMPTS_RETENTION_DAYS * DAY_MS),
        chunkRows,
      );
      // A session past its expiry is refused already; its row only waits to be deleted here.
      const sessions = await deleteInChunks(
        db,
        `DELETE FROM sessions WHERE token_hash IN (
           SELECT token_hash FROM sessions WHERE expires_at < ? LIMIT ?)`,
        new Date(now),
        chunkRows,
      );
      return { intakeIdempotency, loginAttempts, sessions };
    },
  };
}

export type HousekeepingActivities = ReturnType<typeof createHousekeepingActivities>;
