// An account's lead source catalogue: the built-in sources (defaults.ts), each as the account
// edited it, and the sources its intake met since. Intake resolves every arrival's source name
// here; the lead workflow's cadence, the lists' filters and labels read it.
import type { Knex } from 'knex';
import { BUILT_IN_SOURCES, isCadenceTemplate, isSegment, NEW_SOURCE_CADENCE, NEW_SOURCE_SEGMENT, sourceKeyFor, sourceMatchKey, type CadenceTemplate, type Segment } from './defaults.ts';

export interface SourceEntry {
  key: string;
  label: string;
  definition: string;
  segment: Segment;
  cadenceTemplate: CadenceTemplate;
  /** Met at intake for the first time and not classified since. */
  needsReview: boolean;
  /** One of the seven sources every account has. */
  builtIn: boolean;
  /** When intake first met it; null for a built-in source. */
  firstSeenAt: Date | null;
  updatedAt: Date | null;
  updatedByUserId: string | null;
}

interface SourceRow {
  key: string;
  label: string;
  definition: string;
  segment: string;
  cadence_template: string;
  needs_review: boolean;
  first_seen_at: Date;
  updated_at: Date | null;
  updated_by_user_id: string | null;
}

const BUILT_IN_KEYS = new Set(BUILT_IN_SOURCES.map((s) => s.key));

function fromRow(r: SourceRow): SourceEntry {
  const builtIn = BUILT_IN_KEYS.has(r.key);
  return {
    key: r.key,
    label: r.label,
    definition: r.definition,
    // The table's checks hold these; the fallbacks keep a reader working should they ever widen.
    segment: isSegment(r.segment) ? r.segment : NEW_SOURCE_SEGMENT,
    cadenceTemplate: isCadenceTemplate(r.cadence_template) ? r.cadence_template : NEW_SOURCE_CADENCE,
    needsReview: r.needs_review,
    builtIn,
    firstSeenAt: builtIn ? null : r.first_seen_at,
    updatedAt: r.updated_at,
    updatedByUserId: r.updated_by_user_id,
  };
}

const builtInEntry = (s: (typeof BUILT_IN_SOURCES)[number]): SourceEntry => ({ ...s, needsReview: false, builtIn: true, firstSeenAt: null, updatedAt: null, updatedByUserId: null });

/** Every source of the account: the built-in ones first (as edited), then the others by name. */
export async function loadCatalogue(db: Knex, accountId: string): Promise<SourceEntry[]> {
  const rows: SourceRow[] = await db('lead_sources').where({ account_id: accountId }).select('*');
  const byKey = new Map(rows.map((r) => [r.key, fromRow(r)]));
  const builtIn = BUILT_IN_SOURCES.map((s) => byKey.get(s.key) ?? builtInEntry(s));
  const others = rows
    .filter((r) => !BUILT_IN_KEYS.has(r.key))
    .map((r) => byKey.get(r.key)!)
    .sort((a, b) => a.label.localeCompare(b.label, 'en'));
  return [...builtIn, ...others];
}

/** One source of the account by its key, or null. */
export async function findSource(db: Knex, accountId: string, key: string): Promise<SourceEntry | null> {
  const row: SourceRow | undefined = await db('lead_sources').where({ account_id: accountId, key }).first();
  if (row) return fromRow(row);
  const builtIn = BUILT_IN_SOURCES.find((s) => s.key === key);
  return builtIn ? builtInEntry(builtIn) : null;
}

/** Key -> label, for pages and reports that name sources. */
export async function sourceLabels(db: Knex, accountId: string): Promise<Record<string, string>> {
  return Object.fromEntries((await loadCatalogue(db, accountId)).map((s) => [s.key, s.label]));
}

/**
 * The catalogue entry a source name stands for: its key or its label, compared without case or
 * punctuation (defaults.ts, sourceMatchKey); a key match wins over a label match.
 */
export function matchSource(catalogue: readonly SourceEntry[], name: string): SourceEntry | undefined {
  const m = sourceMatchKey(name);
  if (!m) return undefined;
  return catalogue.find((s) => sourceMatchKey(s.key) === m) ?? catalogue.find((s) => sourceMatchKey(s.label) === m);
}

/**
 * Each name's catalogue entry; a name the catalogue does not know becomes a new entry (its name
 * as the label, the new-source segment and cadence, flagged for review). Run inside intake's
 * transaction: a concurrent intake adding the same source waits on the unique match key and
 * then finds the row the other made.
 */
export async function resolveSourceNames(trx: Knex | Knex.Transaction, accountId: string, names: readonly string[], now: Date): Promise<Map<string, SourceEntry>> {
  let catalogue = await loadCatalogue(trx, accountId);
  const out = new Map<string, SourceEntry>();
  const unknown = new Map<string, string>(); // match key -> first name met
  for (const name of new Set(names)) {
    const hit = matchSource(catalogue, name);
    if (hit) out.set(name, hit);
    else if (!unknown.has(sourceMatchKey(name))) unknown.set(sourceMatchKey(name), name);
  }
  if (unknown.size) {
    // In match-key order, so two intakes adding the same new names cannot deadlock on them.
    const fresh = [...unknown].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, name]) => name);
    await trx('lead_sources')
      .insert(fresh.map((name) => ({ account_id: accountId, key: sourceKeyFor(name), match_key: sourceMatchKey(name), label: name, definition: '', segment: NEW_SOURCE_SEGMENT, cadence_template: NEW_SOURCE_CADENCE, needs_review: true, first_seen_at: now })))
      .onConflict()
      .ignore();
    catalogue = await loadCatalogue(trx, accountId);
    for (const name of names) if (!out.has(name)) out.set(name, matchSource(catalogue, name)!);
  }
  return out;
}
