// A list upload acts at once: the leads already in Leadflow that match entries added since a
// moment (an upload's start) are scrubbed now, not at their next weekly re-scrub. The scrub is
// the same `scrubLeads` intake and the weekly re-scrub use, so the flags, reasons and history
// entries are the same ("account DNC list: +15045550101 (uploaded by dana (dnc.txt))").
//
// Matching is one statement: each of the account's leads probes the lists' unique index with its
// phones, e-mails and duplicate key for entries added since the upload began. Then the matching
// leads are scrubbed in chunks, each chunk its own transaction. Re-running a sweep
// with the same `at` records nothing twice (the scrub's events are keyed by lead and time), so
// a sweep cut short by a crash is simply run again.
import type { Knex } from 'knex';
import { forEachLimit } from '../../worker/clients/lead.ts';
import { scrubLeads } from './scrub.ts';

/** Leads scrubbed per transaction. */
export const SWEEP_CHUNK = 2_000;
const SWEEP_CONCURRENCY = 2;

export interface SweepRequest {
  /** The account whose list changed; null: the federal list (every account's leads). */
  accountId: string | null;
  /** Entries added at or after this instant are the new ones. */
  since: Date;
  /** The sweep's time: stamps the flags and keys the history entries. */
  at: Date;
}

export interface SweepResult {
  matched: number;
  flagged: number;
  removed: number;
}

/**
 * Ids of open leads holding a value of an entry added since `since` to the list(s), not yet
 * flagged for it. Each lead value is looked up in the upload's entries (PostgreSQL hashes them
 * once, or probes the lists' unique indexes), so a big upload against many leads stays linear.
 */
export async function leadsMatchingNewEntries(db: Knex, req: Pick<SweepRequest, 'accountId' | 'since'>): Promise<string[]> {
  // The account as a constant, not `= l.account_id`: correlated on the account, PostgreSQL would
  // rebuild the subquery's hash of the upload for every lead.
  const entries = req.accountId === null ? 's.account_id IS NULL' : 's.account_id = :accountId';
  const leadScope = req.accountId === null ? '' : 'l.account_id = :accountId AND';
  const fresh = (lists: string, value: string) =>
    `SELECT 1 FROM suppression_entries s WHERE ${entries} AND s.list IN (${lists}) AND s.value = ${value} AND s.created_at >= :since`;
  const { rows } = await db.raw<{ rows: Array<{ id: string }> }>(
    `SELECT l.id FROM leads l
      WHERE ${leadScope} l.status <> 'removed' AND (
        (NOT (l.dnc AND l.dnm) AND EXISTS (
          SELECT 1 FROM jsonb_array_elements(l.phones) p
           WHERE (NOT l.dnc AND EXISTS (${fresh("'dnc'", "p->>'e164'")})) OR (NOT l.dnm AND EXISTS (${fresh("'dnm'", "p->>'e164'")}))))
        OR (NOT (l.dne AND l.dnm) AND EXISTS (
          SELECT 1 FROM jsonb_array_elements(l.emails) e
           WHERE (NOT l.dne AND EXISTS (${fresh("'dne'", "lower(e->>'address')")})) OR (NOT l.dnm AND EXISTS (${fresh("'dnm'", "lower(e->>'address')")}))))
        OR (NOT l.dnm AND EXISTS (${fresh("'dnm'", 'l.dup_key')}))
        OR (l.kind = 'P' AND EXISTS (${fresh("'customer'", 'l.dup_key')})))
      ORDER BY l.id`,
    { accountId: req.accountId, since: req.since },
  );
  return rows.map((r) => r.id);
}

/** Scrubs every lead an upload's new entries match. `onChunk` lets an activity heartbeat. */
export async function sweepNewEntries(db: Knex, req: SweepRequest, onChunk?: (done: number, total: number) => void): Promise<SweepResult> {
  const ids = await leadsMatchingNewEntries(db, req);
  const result: SweepResult = { matched: ids.length, flagged: 0, removed: 0 };
  const chunks: string[][] = [];
  for (let i = 0; i < ids.length; i += SWEEP_CHUNK) chunks.push(ids.slice(i, i + SWEEP_CHUNK));
  let done = 0;
  // Chunks hold disjoint leads, so two at a time never wait for each other's row locks.
  await forEachLimit(chunks, SWEEP_CONCURRENCY, async (chunk) => {
    const scrubbed = await db.transaction((trx) => scrubLeads(trx, chunk, { at: req.at, actor: 'list upload', recordUnchanged: false }));
    for (const r of scrubbed.values()) {
      if (r.newlyFlagged.length) result.flagged++;
      if (r.status === 'removed') result.removed++;
    }
    done += chunk.length;
    onChunk?.(done, ids.length);
  });
  return result;
}

/** The lists a line-based upload can flag leads for as it goes in. */
export type StreamedList = 'dnc' | 'dne';

// Each in-scope lead's values as the list stores them and scrubLeads compares them (dncValue,
// emailAddress in scrub.ts), for the leads not yet flagged for that list.
const LEAD_VALUES: Record<StreamedList, string> = {
  dnc: `SELECT l.id, CASE WHEN length(x.d) = 11 AND left(x.d, 1) = '1' THEN '+' || x.d WHEN length(x.d) = 10 THEN '+1' || x.d END AS value
          FROM leads l
         CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(l.phones) = 'array' THEN l.phones ELSE '[]'::jsonb END) p
         CROSS JOIN LATERAL (SELECT regexp_replace(coalesce(p->>'e164', p->>'raw', ''), '[^0-9]', '', 'g') AS d) x
         WHERE SCOPE l.status <> 'removed' AND NOT l.dnc`,
  dne: `SELECT l.id, nullif(lower(btrim(coalesce(e->>'address', ''))), '') AS value
          FROM leads l
         CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(l.emails) = 'array' THEN l.emails ELSE '[]'::jsonb END) e
         WHERE SCOPE l.status <> 'removed' AND NOT l.dne`,
};

export interface UploadSweeper {
  /** Flags the leads holding any of `values` (a batch just written to the list). */
  batch(values: string[]): Promise<void>;
  /** Drops the lookup table; answers what was flagged. */
  finish(): Promise<SweepResult>;
}

/**
 * Flags leads while a big list file goes in, instead of after it: before the first batch, the
 * values of the open leads in scope that are not yet flagged for the list go into a temporary
 * table (indexed) on a connection of its own; after each batch of the file is written, the
 * leads holding one of its values are taken out of that table and scrubbed (scrubLeads, as the
 * sweep does: the same flags, reasons and history), while the next batch is being written.
 *
 * Every value of a batch is looked up, not only the ones the batch added: run again after a
 * crash, the same file adds nothing twice and flags the leads the first run had not reached.
 * Leads that arrive or change while the file goes in are not in the table: the sweep after the
 * upload (sweepNewEntries) catches them.
 */
export async function startUploadSweep(db: Knex, req: { accountId: string | null; list: StreamedList; at: Date }): Promise<UploadSweeper> {
  // A temporary table lives on one session: hold one connection of the pool for the upload.
  const conn = (await db.client.acquireConnection()) as { query(text: string, values?: unknown[]): Promise<{ rows: Array<{ id: string }> }> };
  const result: SweepResult = { matched: 0, flagged: 0, removed: 0 };
  try {
    await conn.query('DROP TABLE IF EXISTS pg_temp.upload_lead_values');
    const scope = req.accountId === null ? '' : 'l.account_id = $1 AND';
    await conn.query(
      `CREATE TEMPORARY TABLE upload_lead_values AS SELECT id, value FROM (${LEAD_VALUES[req.list].replace('SCOPE', scope)}) v WHERE value IS NOT NULL`,
      req.accountId === null ? [] : [req.accountId],
    );
    await conn.query('CREATE INDEX ON upload_lead_values (value)');
    await conn.query('ANALYZE upload_lead_values');
  } catch (err) {
    await db.client.releaseConnection(conn);
    throw err;
  }
  let closed = false;
  return {
    async batch(values) {
      // The leads are taken out as they are found: a lead is scrubbed once per upload, unless
      // two of its values fall in different batches (the second scrub then changes nothing).
      const { rows } = await conn.query('DELETE FROM upload_lead_values t USING unnest($1::text[]) AS v(value) WHERE t.value = v.value RETURNING t.id', [values]);
      const ids = [...new Set(rows.map((r) => r.id))].sort();
      for (let i = 0; i < ids.length; i += SWEEP_CHUNK) {
        const chunk = ids.slice(i, i + SWEEP_CHUNK);
        const scrubbed = await db.transaction((trx) => scrubLeads(trx, chunk, { at: req.at, actor: 'list upload', recordUnchanged: false }));
        for (const r of scrubbed.values()) {
          if (r.newlyFlagged.length) result.flagged++;
          if (r.status === 'removed') result.removed++;
        }
        result.matched += chunk.length;
      }
    },
    async finish() {
      if (!closed) {
        closed = true;
        try {
          await conn.query('DROP TABLE IF EXISTS pg_temp.upload_lead_values');
        } finally {
          await db.client.releaseConnection(conn);
        }
      }
      return result;
    },
  };
}
