// The web app's doors into intake (the intake API and the manual "New lead" form) share the
// same activity as CSV imports; this module only adapts the web app's services to it and
// authenticates API keys.
import type { AppLoadContext } from '@remix-run/node';
import type { Knex } from 'knex';
import { intakeLead, type IntakeDeps, type IntakeInput, type IntakeOptions, type IntakeResult } from '../../../db/intake/index.ts';
import { useApiKey } from './api-keys.server.ts';
import { DEFAULT_TASK_QUEUE } from '../../../temporal.config.ts';

export function intakeDeps(context: AppLoadContext): IntakeDeps {
  const { db, temporal } = context.services;
  return {
    db,
    // A getter, so a Temporal that is off or unreachable fails after the lead is committed.
    temporal: () => (temporal ? temporal.getClient() : Promise.reject(new Error('Temporal is not configured for the web app'))),
    taskQueue: temporal?.taskQueue ?? DEFAULT_TASK_QUEUE,
  };
}

// PostgreSQL gives up one of two transactions that wait on each other (a deadlock, or a
// serialization failure) and says to try again: intake's transaction is rolled back whole, so
// running it again is safe, and one more try is what the caller would do anyway.
const RETRYABLE = new Set(['40001', '40P01']);

export async function submitLead(context: AppLoadContext, accountId: string, input: IntakeInput, opts: IntakeOptions = {}): Promise<IntakeResult> {
  try {
    return await intakeLead(intakeDeps(context), accountId, input, opts);
  } catch (err) {
    if (!RETRYABLE.has((err as { code?: unknown })?.code as string)) throw err;
    console.warn('[web] intake transaction gave way to another; trying once more', (err as Error).message);
    return intakeLead(intakeDeps(context), accountId, input, opts);
  }
}

/** The account an `Authorization: Bearer <key>` header speaks for, or null (unknown, revoked, missing). */
export async function accountForApiKey(db: Knex, request: Request): Promise<string | null> {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.get('Authorization') ?? '');
  if (!m) return null;
  // Keys are high-entropy secrets stored only as their SHA-256: the lookup by hash is the comparison.
  return useApiKey(db, m[1]!);
}
