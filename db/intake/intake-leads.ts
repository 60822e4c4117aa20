// intakeLeads: any number of arrivals for one account (a CSV batch, or one lead), set-based,
// as a sequence of named steps. Before the transaction, `validateArrivals` validates each one
// (validate.ts) and sets aside a repeated Idempotency-Key. Then, in ONE transaction:
//   0. resolveSources       each source name to the account's catalogue entry (a new name
//                           becomes a new entry), each agent ID checked; a source the owner
//                           suppressed for the agent ID is refused here, before anything is kept;
//   1. claimIdempotencyKeys  a key already claimed is a replay (or a conflict), never a new touch;
//   2. upsertLeads           by duplicate key, in rounds, and for each round
//      recordArrivals        a source touch and a history event per arrival;
//   3. answerIdempotencyKeys what each key answers from now on;
//   4. scrubLeads            the compliance scrub (db/compliance/scrub.ts);
//   5. buildFacts            what a new lead's workflow starts from.
// After the commit, `startWorkflows` signals-with-start each lead's workflow through
// worker/clients/lead.ts, and the account's auto-assign is told leads arrived. The cost of a batch is a handful of statements, not a handful per row.
import { createHash } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { Knex } from 'knex';
import { leadArrivedSignal, type LeadArrival, type LeadFacts } from '../../workflows/lead/messages.ts';
import { resolveSourceNames, type SourceEntry } from '../lead-sources/catalogue.ts';
import { activeSuppressions } from '../lead-sources/suppressions.ts';
import { forEachLimit, leadWorkflowExists, signalWithStartLead } from '../../worker/clients/lead.ts';
import { scrubLeads, type ScrubResult } from '../compliance/scrub.ts';
import { requestAutoAssign } from '../distribution/auto-assign-trigger.ts';
import { IdempotencyConflictError, IntakeValidationError, leadColumns, LeadWorkflowStartError, SourceSuppressedError, validateIntake, type CleanLead, type IntakeInput } from './validate.ts';
import type { LeadEventType } from '../lead-event-types.ts';

export interface IntakeDeps {
  db: Knex;
  /** A client, or a getter: a getter that fails (Temporal unreachable) fails after the commit, so the lead is still saved. */
  temporal: Client | (() => Promise<Client>);
  taskQueue: string;
  clock?: () => Date;
}

export interface IntakeOptions {
  importId?: string;
  idempotencyKey?: string;
  /** The signed-in user who entered the lead by hand, for its history. */
  actorUserId?: string;
}

export interface IntakeResult {
  id: string;
  merged: boolean;
}

/** One arrival for intakeLeads. */
export interface IntakeItem {
  raw: IntakeInput;
  opts?: IntakeOptions;
}

/** What became of one arrival: its lead, or why not (the others are not affected). */
export type IntakeOutcome =
  | { ok: true; result: IntakeResult }
  | { ok: false; error: IntakeValidationError | IdempotencyConflictError | SourceSuppressedError | LeadWorkflowStartError };

/** Workflow starts in flight at once for one intakeLeads call. */
const START_CONCURRENCY = 16;

/** One arrival through intake (the intake API, the New lead form). Throws what intakeLeads reports. */
export async function intakeLead(deps: IntakeDeps, accountId: string, raw: IntakeInput, opts: IntakeOptions = {}): Promise<IntakeResult> {
  const [outcome] = await intakeLeads(deps, accountId, [{ raw, opts }]);
  if (!outcome!.ok) throw outcome!.error;
  return outcome!.result;
}

/** A valid arrival on its way in; `index` is its place in the caller's items. */
interface Pending {
  index: number;
  lead: CleanLead;
  raw: IntakeInput;
  opts: IntakeOptions;
  hash: string | null;
  /** Its source's catalogue entry (step 0); lead.source is then that entry's key. */
  source?: SourceEntry;
  /** The agent ID it is for (step 0): as sent, else the account's first; null when the account has none. */
  agentId?: string | null;
}

/** An arrival whose Idempotency-Key an earlier item of the same call carries. */
interface Repeat {
  index: number;
  first: Pending;
  hash: string;
}

interface Saved {
  leadId: string;
  merged: boolean;
  arrival: LeadArrival;
  /** An idempotent replay: the first request's answer, nothing written now. */
  replay: boolean;
  /** A new lead: what its workflow starts from. */
  facts?: LeadFacts;
}

/** What the steps share: the call's transaction, account and clock, and what they decided. */
interface Run {
  trx: Knex.Transaction;
  accountId: string;
  now: Date;
  outcomes: Array<IntakeOutcome | undefined>;
  /** By item index: the lead each saved (or replayed) arrival landed on. */
  saved: Map<number, Saved>;
}

/** A key's answer for a later request with the same key. */
interface KeyAnswer {
  key: string;
  leadId: string;
  touchId: string;
  merged: boolean;
}

/**
 * Any number of arrivals for one account: one transaction with a constant number of
 * statements for the lot, then a signal-with-start per saved arrival. Outcomes come back in
 * the order of `items`; a bad arrival does not stop the others.
 */
export async function intakeLeads(deps: IntakeDeps, accountId: string, items: IntakeItem[]): Promise<IntakeOutcome[]> {
  const now = deps.clock?.() ?? new Date();
  const { outcomes, pending, repeats } = validateArrivals(items);
  const saved = new Map<number, Saved>();
  if (pending.length) {
    await deps.db.transaction(async (trx) => {
      const run: Run = { trx, accountId, now, outcomes, saved };
      const accepted = await resolveSources(run, pending);
      if (!accepted.length) return;
      const fresh = await claimIdempotencyKeys(run, accepted);
      const answers: KeyAnswer[] = [];
      for (const round of upsertRounds(fresh)) {
        const leads = await upsertLeads(run, round);
        answers.push(...(await recordArrivals(run, round, leads)));
      }
      await answerIdempotencyKeys(run, answers);
      // The compliance scrub at entry, in the same transaction: no lead is ever visible
      // unscrubbed, and a merge that brought a listed phone is flagged at once.
      const scrubs = await scrubLeads(trx, fresh.map((p) => saved.get(p.index)!.leadId), { at: now, actor: 'intake' });
      buildFacts(run, fresh, scrubs);
    });
  }
  await startWorkflows(deps, accountId, saved, outcomes);
  // New leads (or re-arrivals) may be assignable: the account's auto-assign takes them now.
  if ([...saved.values()].some((s) => !s.replay)) await requestAutoAssign(deps, accountId, 'lead arrived');
  // A repeated key gets its first arrival's answer, now that there is one.
  for (const { index, first, hash } of repeats) {
    outcomes[index] = hash === first.hash ? outcomes[first.index] : { ok: false, error: new IdempotencyConflictError(first.opts.idempotencyKey!) };
  }
  return outcomes as IntakeOutcome[];
}

/**
 * Validates every arrival: an invalid one gets its outcome now. The same Idempotency-Key twice
 * in one call: the later one is answered like a retry, once the first has its answer.
 */
function validateArrivals(items: IntakeItem[]): { outcomes: Array<IntakeOutcome | undefined>; pending: Pending[]; repeats: Repeat[] } {
  const outcomes: Array<IntakeOutcome | undefined> = new Array(items.length);
  const pending: Pending[] = [];
  const repeats: Repeat[] = [];
  const firstWithKey = new Map<string, Pending>();
  items.forEach(({ raw, opts = {} }, index) => {
    let lead: CleanLead;
    try {
      lead = validateIntake(raw);
    } catch (err) {
      if (!(err instanceof IntakeValidationError)) throw err;
      outcomes[index] = { ok: false, error: err };
      return;
    }
    const key = opts.idempotencyKey;
    const hash = key ? requestHash(raw) : null;
    const first = key ? firstWithKey.get(key) : undefined;
    if (key && first) {
      repeats.push({ index, first, hash: hash! });
      return;
    }
    const p: Pending = { index, lead, raw, opts, hash };
    if (key) firstWithKey.set(key, p);
    pending.push(p);
  });
  return { outcomes, pending, repeats };
}

/**
 * Step 0. Each arrival's source name becomes its catalogue key (db/lead-sources/catalogue.ts:
 * matched by key or label without case or punctuation; a name never seen is added, flagged for
 * review, with the new-source segment and cadence), and its agent ID is checked against the
 * account's. Arrivals whose source the owner suppressed for their agent ID, or with an agent ID
 * not the account's, get their outcome now and are not kept; the rest are returned.
 */
async function resolveSources({ trx, accountId, now, outcomes }: Run, pending: Pending[]): Promise<Pending[]> {
  const account: { agent_ids: string[] | null } | undefined = await trx('accounts').where({ id: accountId }).first('agent_ids');
  const agentIds = account?.agent_ids ?? [];
  const byFolded = new Map(agentIds.map((a) => [a.toUpperCase(), a]));
  const checked: Pending[] = [];
  for (const p of pending) {
    if (p.lead.agentId === null) {
      p.agentId = agentIds[0] ?? null;
      checked.push(p);
      continue;
    }
    const agentId = byFolded.get(p.lead.agentId.toUpperCase());
    if (agentId === undefined) {
      outcomes[p.index] = { ok: false, error: new IntakeValidationError({ agentId: agentIds.length ? `Not an agent ID of this account (${agentIds.join(', ')})` : 'This account has no agent IDs' }) };
      continue;
    }
    p.agentId = agentId;
    checked.push(p);
  }
  if (!checked.length) return checked;
  const suppressed = await activeSuppressions(trx, accountId);
  // A suppressed source is in the catalogue already, so resolving first adds only names intake keeps.
  const entries = await resolveSourceNames(trx, accountId, checked.map((p) => p.lead.source), now);
  const accepted: Pending[] = [];
  for (const p of checked) {
    const entry = entries.get(p.lead.source)!;
    if (p.agentId && suppressed.get(entry.key)?.has(p.agentId)) {
      outcomes[p.index] = { ok: false, error: new SourceSuppressedError(entry.key, entry.label, p.agentId) };
      continue;
    }
    p.source = entry;
    p.lead = { ...p.lead, source: entry.key };
    accepted.push(p);
  }
  return accepted;
}

/**
 * Step 1. A concurrent request with the same key blocks here until the first commits, then
 * finds the key taken: a replay, never a second touch. A replay gets the first request's
 * answer (or a conflict when its body differs); the rest, returned, go on to be saved.
 */
async function claimIdempotencyKeys({ trx, accountId, outcomes, saved }: Run, pending: Pending[]): Promise<Pending[]> {
  const keyed = pending.filter((p) => p.opts.idempotencyKey);
  if (!keyed.length) return pending;
  const claimed = new Set(
    (
      await trx('intake_idempotency')
        .insert(keyed.map((p) => ({ account_id: accountId, key: p.opts.idempotencyKey, request_hash: p.hash })))
        .onConflict(['account_id', 'key'])
        .ignore()
        .returning('key')
    ).map((r: { key: string }) => r.key),
  );
  const replays = keyed.filter((p) => !claimed.has(p.opts.idempotencyKey!));
  if (!replays.length) return pending;
  const priors = await trx('intake_idempotency as i')
    .leftJoin('lead_source_touches as t', 't.id', 'i.touch_id')
    .where('i.account_id', accountId)
    .whereIn(
      'i.key',
      replays.map((p) => p.opts.idempotencyKey!),
    )
    .select('i.key', 'i.request_hash', 'i.lead_id', 'i.merged', 'i.touch_id', 't.source', 't.import_name', 't.received_at');
  const byKey = new Map(priors.map((r) => [r.key as string, r]));
  for (const p of replays) {
    const prior = byKey.get(p.opts.idempotencyKey!)!;
    if (prior.request_hash !== p.hash) {
      outcomes[p.index] = { ok: false, error: new IdempotencyConflictError(p.opts.idempotencyKey!) };
      continue;
    }
    saved.set(p.index, {
      leadId: prior.lead_id,
      merged: prior.merged,
      replay: true,
      arrival: { touchId: String(prior.touch_id), source: prior.source, importName: prior.import_name, receivedAt: new Date(prior.received_at).toISOString() },
    });
  }
  return pending.filter((p) => !p.opts.idempotencyKey || claimed.has(p.opts.idempotencyKey));
}

/**
 * Step 2's order. In duplicate-key order, so concurrent intakes lock leads in the same order
 * and cannot deadlock. One INSERT ... ON CONFLICT cannot touch a row twice, so the same person
 * twice in one call goes in rounds: the later arrival merges into the row the earlier one made.
 */
function upsertRounds(fresh: Pending[]): Pending[][] {
  const rounds: Pending[][] = [];
  const occurrences = new Map<string, number>();
  for (const p of [...fresh].sort((a, b) => (a.lead.dupKey < b.lead.dupKey ? -1 : a.lead.dupKey > b.lead.dupKey ? 1 : 0))) {
    const n = occurrences.get(p.lead.dupKey) ?? 0;
    occurrences.set(p.lead.dupKey, n + 1);
    (rounds[n] ??= []).push(p);
  }
  return rounds;
}

// Phones and e-mails that a merge brings are appended unless the lead already has them
// (compared by E.164 / address when valid, else by the raw text).
const MERGE_PHONES = `leads.phones || (
  SELECT coalesce(jsonb_agg(p), '[]'::jsonb) FROM jsonb_array_elements(excluded.phones) p
  WHERE NOT EXISTS (SELECT 1 FROM jsonb_array_elements(leads.phones) q
                    WHERE coalesce(q->>'e164', q->>'raw') = coalesce(p->>'e164', p->>'raw')))`;
const MERGE_EMAILS = `leads.emails || (
  SELECT coalesce(jsonb_agg(e), '[]'::jsonb) FROM jsonb_array_elements(excluded.emails) e
  WHERE NOT EXISTS (SELECT 1 FROM jsonb_array_elements(leads.emails) f
                    WHERE lower(coalesce(f->>'address', f->>'raw')) = lower(coalesce(e->>'address', e->>'raw'))))`;

interface UpsertedLead {
  id: string;
  dup_key: string;
  /** A new lead; false when the arrival merged into an existing one. */
  inserted: boolean;
}

/** Step 2, one round: each arrival's lead, inserted or merged, by duplicate key. */
async function upsertLeads({ trx, accountId, now }: Run, round: Pending[]): Promise<Map<string, UpsertedLead>> {
  const insert = trx('leads')
    .insert(round.map((p) => leadColumns(p.lead, accountId, p.opts.importId ?? null, now, p.source!.segment)))
    .onConflict(['account_id', 'dup_key'])
    .merge({
      phones: trx.raw(MERGE_PHONES),
      emails: trx.raw(MERGE_EMAILS),
      // Once a current customer, always one: a prospect list does not demote them.
      kind: trx.raw(`CASE WHEN excluded.kind = 'C' THEN 'C' ELSE leads.kind END`),
      time_zone: trx.raw('coalesce(leads.time_zone, excluded.time_zone)'),
      updated_at: now,
    });
  // xmax is 0 only on a freshly inserted row version; an ON CONFLICT update sets it.
  const { sql, bindings } = insert.toSQL();
  const { rows } = await trx.raw(`${sql} RETURNING id, dup_key, (xmax = 0) AS inserted`, bindings as readonly Knex.RawBinding[]);
  return new Map((rows as UpsertedLead[]).map((r) => [r.dup_key, r]));
}

/**
 * Step 2, the round's arrivals on record: a source touch (the whole arrival as its payload) and
 * a `created` or `merged` history event each. Returns what the round's keys will answer.
 */
async function recordArrivals({ trx, accountId, now, saved }: Run, round: Pending[], leads: Map<string, UpsertedLead>): Promise<KeyAnswer[]> {
  const leadOf = (p: Pending) => leads.get(p.lead.dupKey)!;
  const touches: Array<{ id: string; lead_id: string; received_at: Date }> = await trx('lead_source_touches')
    .insert(round.map((p) => ({ lead_id: leadOf(p).id, account_id: accountId, source: p.lead.source, agent_id: p.agentId ?? null, import_name: p.lead.importName, payload: JSON.stringify(p.raw), received_at: now })))
    .returning(['id', 'lead_id', 'received_at']);
  const touchByLead = new Map(touches.map((t) => [t.lead_id, t]));

  await trx('lead_events').insert(
    round.map((p) => {
      const merged = !leadOf(p).inserted;
      const touch = touchByLead.get(leadOf(p).id)!;
      return {
        lead_id: leadOf(p).id,
        account_id: accountId,
        actor_user_id: p.opts.actorUserId ?? null,
        actor_system: p.opts.actorUserId ? null : 'intake',
        type: (merged ? 'merged' : 'created') satisfies LeadEventType,
        note: merged ? `Arrived again from ${p.source!.label}; merged as another source touch` : `Lead received from ${p.source!.label}`,
        data: JSON.stringify({ touchId: String(touch.id), source: p.lead.source, importName: p.lead.importName, importId: p.opts.importId ?? null }),
        idempotency_key: `intake:touch:${touch.id}`,
        created_at: now,
      };
    }),
  );
  const answers: KeyAnswer[] = [];
  for (const p of round) {
    const lead = leadOf(p);
    const touch = touchByLead.get(lead.id)!;
    const arrival: LeadArrival = { touchId: String(touch.id), source: p.lead.source, importName: p.lead.importName, receivedAt: new Date(touch.received_at).toISOString() };
    saved.set(p.index, { leadId: lead.id, merged: !lead.inserted, replay: false, arrival });
    if (p.opts.idempotencyKey) answers.push({ key: p.opts.idempotencyKey, leadId: lead.id, touchId: String(touch.id), merged: !lead.inserted });
  }
  return answers;
}

/** Step 3: what each idempotency key answers from now on. */
async function answerIdempotencyKeys({ trx, accountId }: Run, answers: KeyAnswer[]): Promise<void> {
  if (!answers.length) return;
  await trx.raw(
    `UPDATE intake_idempotency i SET lead_id = v.lead_id, touch_id = v.touch_id, merged = v.merged
       FROM unnest(?::text[], ?::uuid[], ?::bigint[], ?::boolean[]) AS v(key, lead_id, touch_id, merged)
      WHERE i.account_id = ? AND i.key = v.key`,
    [answers.map((u) => u.key), answers.map((u) => u.leadId), answers.map((u) => u.touchId), answers.map((u) => u.merged), accountId],
  );
}

/**
 * Step 5: a new lead's facts, as this transaction saved and scrubbed them, so its workflow
 * starts from them instead of reading them back. A merge has none: its workflow exists.
 */
function buildFacts({ accountId, now, saved }: Run, fresh: Pending[], scrubs: Map<string, ScrubResult>): void {
  for (const p of fresh) {
    const s = saved.get(p.index)!;
    if (s.merged) continue;
    const scrub = scrubs.get(s.leadId)!;
    s.facts = {
      leadId: s.leadId,
      accountId,
      source: p.lead.source,
      status: scrub.status,
      milestone: 'new',
      segment: p.source!.segment,
      assignedUserId: null,
      timeZone: p.lead.timeZone,
      callable: scrub.callable,
      emailable: scrub.emailable,
      cadenceTemplate: p.source!.cadenceTemplate,
      scrubbedAt: now.toISOString(),
    };
  }
}

/**
 * After the commit: start (or signal) each lead's workflow. Temporal failing here leaves the
 * lead saved; the arrival's outcome is a LeadWorkflowStartError and the lead's history says
 * so (best effort), for support and for reconcile's next sweep.
 */
async function startWorkflows(deps: IntakeDeps, accountId: string, saved: Map<number, Saved>, outcomes: Array<IntakeOutcome | undefined>): Promise<void> {
  let client: Promise<Client> | undefined;
  const getClient = () => (client ??= Promise.resolve(typeof deps.temporal === 'function' ? deps.temporal() : deps.temporal));
  await forEachLimit([...saved], START_CONCURRENCY, async ([index, s]) => {
    try {
      const c = await getClient();
      // A replay: the first request committed; if its start failed, this retry is the moment to start it.
      if (!s.replay || !(await leadWorkflowExists(c, s.leadId))) {
        await signalWithStartLead(c, { leadId: s.leadId, accountId, ...(s.facts ? { facts: s.facts } : {}) }, leadArrivedSignal, [s.arrival], { taskQueue: deps.taskQueue });
      }
      outcomes[index] = { ok: true, result: { id: s.leadId, merged: s.merged } };
    } catch (err) {
      await deps
        .db('lead_events')
        .insert({
          lead_id: s.leadId,
          account_id: accountId,
          actor_system: 'intake',
          type: 'workflow_start_failed' satisfies LeadEventType,
          note: 'The lead is saved; its workflow will be started by reconcile',
          data: JSON.stringify({ touchId: s.arrival.touchId, error: err instanceof Error ? err.message : String(err) }),
        })
        .catch(() => {});
      outcomes[index] = { ok: false, error: new LeadWorkflowStartError(s.leadId, s.merged, err) };
    }
  });
}

function requestHash(raw: unknown): string {
  return createHash('sha256').update(stableJson(raw)).digest('hex');
}

// Key order must not make the "same body" different.
function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}
