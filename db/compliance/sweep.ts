// A list upload acts at once: the leads already in Leadflow that match entries added since a
// moment (an upload's start) are scrubbed now, not at their next weekly re-scrub. The scrub is
// the same `scrubLeads` intake and the weekly re-scrub use, so the flags, reasons and history
// entries are the same ("account DNC list: +15045550101 (uploaded by dana (dnc.txt))").
//
// Matching is set-based: the leads' phones, e-mails and duplicate keys are joined against the
// new entries in one statement per list kind (a hash join, whatever the upload's size), then
// the matching leads are scrubbed in chunks, each chunk its own transaction. Re-running a sweep
// with the same `at` records nothing twice (the scrub's events are keyed by lead and time), so
// a sweep cut short by a crash is simply run again.
import type { Knex } from 'knex';
import { scrubLeads } from './scrub.ts';

/** Leads scrubbed per transaction. */
export const SWEEP_CHUNK = 500;

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

/** Ids of open leads holding a value of an entry added since `since` to the list(s), not yet flagged for it. */
export async function leadsMatchingNewEntries(db: Knex, req: Pick<SweepRequest, 'accountId' | 'since'>): Promise<string[]> {
  const scope = req.accountId === null ? 's.account_id IS NULL' : 's.account_id = :accountId';
  const leadScope = req.accountId === null ? '' : 'AND l.account_id = :accountId';
  const bindings = { accountId: req.accountId, since: req.since };
  const { rows } = await db.raw<{ rows: Array<{ id: string }> }>(
    `WITH fresh AS (
       SELECT s.list, s.value FROM suppression_entries s WHERE ${scope} AND s.created_at >= :since
     )
     SELECT l.id FROM leads l CROSS JOIN LATERAL jsonb_array_elements(l.phones) p
       JOIN fresh f ON f.value = p->>'e164' AND (f.list = 'dnc' AND NOT l.dnc OR f.list = 'dnm' AND NOT l.dnm)
      WHERE l.status <> 'removed' ${leadScope}
     UNION
     SELECT l.id FROM leads l CROSS JOIN LATERAL jsonb_array_elements(l.emails) e
       JOIN fresh f ON f.value = lower(e->>'address') AND (f.list = 'dne' AND NOT l.dne OR f.list = 'dnm' AND NOT l.dnm)
      WHERE l.status <> 'removed' ${leadScope}
     UNION
     SELECT l.id FROM leads l
       JOIN fresh f ON f.value = l.dup_key AND (f.list = 'dnm' AND NOT l.dnm OR f.list = 'customer' AND l.kind = 'P')
      WHERE l.status <> 'removed' ${leadScope}`,
    bindings,
  );
  return rows.map((r) => r.id).sort();
}

/** Scrubs every lead an upload's new entries match. `onChunk` lets an activity heartbeat. */
export async function sweepNewEntries(db: Knex, req: SweepRequest, onChunk?: (done: number, total: number) => void): Promise<SweepResult> {
  const ids = await leadsMatchingNewEntries(db, req);
  const result: SweepResult = { matched: ids.length, flagged: 0, removed: 0 };
  for (let i = 0; i < ids.length; i += SWEEP_CHUNK) {
    const chunk = ids.slice(i, i + SWEEP_CHUNK);
    const scrubbed = await db.transaction((trx) => scrubLeads(trx, chunk, { at: req.at, actor: 'list upload' }));
    for (const r of scrubbed.values()) {
      if (r.newlyFlagged.length) result.flagged++;
      if (r.status === 'removed') result.removed++;
    }
    onChunk?.(Math.min(i + SWEEP_CHUNK, ids.length), ids.length);
  }
  return result;
}
