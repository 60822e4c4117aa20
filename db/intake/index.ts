// Intake: the one path every door (intake API, manual entry, CSV import) takes into Leadflow.
// Validate, clean (db/hygiene/), then in ONE transaction upsert the lead by its duplicate key,
// record the arrival as a source touch and a history event, and scrub the lead against the
// compliance lists (db/compliance/scrub.ts); after the commit, signal-with-start the lead's workflow. A CSV
// batch goes through the same function as one lead does (intakeLeads), set-based: the cost of
// a batch is a handful of statements, not a handful per row.
//
// Why this order: Postgres's unique (account_id, dup_key) decides who the person is, so two
// simultaneous arrivals of the same person serialise on that index and cannot both create a
// lead. Signal-with-start is atomic on Temporal's side: whichever arrival gets there first
// starts `lead-<id>`, the other only signals it, so there is one workflow however the two
// race.
//
// Temporal failing after the commit: the lead row, its touch and its event are saved and stay
// saved (a lead must never be lost because Temporal was down). intakeLead then throws
// LeadWorkflowStartError carrying the lead's id, records a `workflow_start_failed` event
// (best effort) so support sees it on the lead, and reconcile later starts
// every open lead that has no running workflow. A retry with the same Idempotency-Key starts
// the missing workflow at once.
import { createHash } from 'node:crypto';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Knex } from 'knex';
import { z } from 'zod';
import type { EmailEntry, PhoneEntry } from '../models/index.ts';
import { duplicateKey } from '../../workflows/lead/dedupe.ts';
import { leadArrivedSignal, leadWorkflowId, type LeadArrival, type LeadFacts, type LeadWorkflowInput } from '../../workflows/lead/messages.ts';
import { cadenceTemplateFor, segmentFor } from '../../workflows/lead/segment.ts';
import { LEAD_SOURCES } from '../../workflows/lead/templates.ts';
import { cleanName, normalizeEmail, normalizePhone, normalizeState, normalizeZip, timeZoneFor } from '../hygiene/index.ts';

import { scrubLeads } from '../compliance/scrub.ts';
import { cleanStrings } from '../hygiene/text-input.ts';

/** The workflow type, by name, so intake does not import the workflow's code. */
export const LEAD_WORKFLOW_TYPE = 'leadWorkflow';

const text = (max: number) => z.string({ error: 'Required' }).trim().min(1, 'Required').max(max, `At most ${max} characters`);

const name = text(100).refine((s) => /\p{L}/u.test(s), 'Must contain a letter');

export const intakeInputSchema = z.object({
  firstName: name,
  lastName: name,
  address: z.object(
    {
      line1: text(200),
      line2: z.string().trim().max(200, 'At most 200 characters').nullish(),
      city: text(100),
      state: text(60).refine((s) => normalizeState(s) !== null, 'Not a US state, DC or territory'),
      zip: text(10).refine((s) => normalizeZip(s) !== null, 'Not a ZIP code'),
    },
    { error: 'Required' },
  ),
  phones: z.array(z.string().max(40, 'At most 40 characters'), { error: 'Must be a list of phone numbers' }).max(10, 'At most 10 phone numbers').default([]),
  emails: z.array(z.string().max(320, 'At most 320 characters'), { error: 'Must be a list of e-mail addresses' }).max(10, 'At most 10 e-mail addresses').default([]),
  source: z.enum(LEAD_SOURCES, { error: `One of ${LEAD_SOURCES.join(', ')}` }),
  importName: z.string().trim().max(200, 'At most 200 characters').nullish(),
  customer: z.boolean({ error: 'Must be true or false' }).default(false),
});

export type IntakeInput = z.input<typeof intakeInputSchema>;

/** Field path ('address.zip', 'phones.1') to its first message. */
export type IntakeFieldErrors = Record<string, string>;

export class IntakeValidationError extends Error {
  constructor(readonly fieldErrors: IntakeFieldErrors) {
    super(`Invalid lead: ${Object.entries(fieldErrors).map(([k, v]) => `${k}: ${v}`).join('; ')}`);
    this.name = 'IntakeValidationError';
  }
}

/** The same Idempotency-Key came with a different body: a caller bug, never silently merged. */
export class IdempotencyConflictError extends Error {
  constructor(readonly key: string) {
    super(`Idempotency-Key ${key} was already used with a different request`);
    this.name = 'IdempotencyConflictError';
  }
}

/** The lead is saved; only its workflow did not start. Reconcile, or a retry with the same Idempotency-Key, starts it. */
export class LeadWorkflowStartError extends Error {
  constructor(
    readonly leadId: string,
    readonly merged: boolean,
    override readonly cause: unknown,
  ) {
    super(`Lead ${leadId} was saved but its workflow could not be started: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'LeadWorkflowStartError';
  }
}

export interface CleanLead {
  firstName: string;
  lastName: string;
  addressLine1: string;
  addressLine2: string | null;
  city: string;
  state: string;
  zip: string;
  phones: PhoneEntry[];
  emails: EmailEntry[];
  timeZone: string | null;
  source: (typeof LEAD_SOURCES)[number];
  importName: string | null;
  kind: 'P' | 'C';
  dupKey: string;
}

const collapse = (s: string) => s.normalize('NFKC').trim().replace(/\s+/g, ' ');

/** Validates and cleans one arrival; throws IntakeValidationError with every field's problem. */
export function validateIntake(raw: unknown): CleanLead {
  // Every string of the arrival, unknown fields too: the whole arrival is kept as the touch's
  // jsonb payload, which PostgreSQL refuses with a NUL or a lone surrogate anywhere in it.
  const text = cleanStrings(raw);
  if (!text.ok) throw new IntakeValidationError(text.errors);
  const parsed = intakeInputSchema.safeParse(text.value);
  if (!parsed.success) {
    const errors: IntakeFieldErrors = {};
    for (const issue of parsed.error.issues) {
      const path = issue.path.map(String).join('.') || '_';
      errors[path] ??= issue.message;
    }
    throw new IntakeValidationError(errors);
  }
  const input = parsed.data;
  // The schema has checked that both normalise.
  const state = normalizeState(input.address.state)!;
  const zip = normalizeZip(input.address.zip)!;
  const firstName = cleanName(input.firstName);
  const lastName = cleanName(input.lastName);

  const phones = input.phones.filter((p) => p.trim()).map((p) => normalizePhone(p));
  const emails = input.emails.filter((e) => e.trim()).map((e) => normalizeEmail(e));
  const lead = {
    firstName,
    lastName,
    addressLine1: collapse(input.address.line1),
    addressLine2: input.address.line2 ? collapse(input.address.line2) : null,
    city: collapse(input.address.city),
    state,
    zip,
  };
  return {
    ...lead,
    phones,
    emails,
    timeZone: timeZoneFor(zip, phones),
    source: input.source,
    importName: input.importName || null,
    kind: input.customer ? 'C' : 'P',
    dupKey: duplicateKey(lead),
  };
}

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

interface Saved {
  leadId: string;
  merged: boolean;
  arrival: LeadArrival;
  /** An idempotent replay: the first request's answer, nothing written now. */
  replay: boolean;
  /** A new lead: what its workflow starts from. */
  facts?: LeadFacts;
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

/** One arrival for intakeLeads. */
export interface IntakeItem {
  raw: IntakeInput;
  opts?: IntakeOptions;
}

/** What became of one arrival: its lead, or why not (the others are not affected). */
export type IntakeOutcome =
  | { ok: true; result: IntakeResult }
  | { ok: false; error: IntakeValidationError | IdempotencyConflictError | LeadWorkflowStartError };

/** Workflow starts in flight at once for one intakeLeads call. */
const START_CONCURRENCY = 16;

/** One arrival through intake (the intake API, the New lead form). Throws what intakeLeads reports. */
export async function intakeLead(deps: IntakeDeps, accountId: string, raw: IntakeInput, opts: IntakeOptions = {}): Promise<IntakeResult> {
  const [outcome] = await intakeLeads(deps, accountId, [{ raw, opts }]);
  if (!outcome!.ok) throw outcome!.error;
  return outcome!.result;
}

interface Pending {
  index: number;
  lead: CleanLead;
  raw: IntakeInput;
  opts: IntakeOptions;
  hash: string | null;
}

/**
 * Any number of arrivals for one account (a CSV batch, or one lead), set-based: one transaction
 * with a constant number of statements for the lot (idempotency claims, the lead upsert, the
 * touches, the history events, the compliance scrub), then a signal-with-start per saved
 * arrival. Outcomes come back in the order of `items`; a bad arrival does not stop the others.
 */
export async function intakeLeads(deps: IntakeDeps, accountId: string, items: IntakeItem[]): Promise<IntakeOutcome[]> {
  const now = deps.clock?.() ?? new Date();
  const { db } = deps;
  const outcomes: Array<IntakeOutcome | undefined> = new Array(items.length);
  const pending: Pending[] = [];
  // The same Idempotency-Key twice in one call: the later one is answered like a retry.
  const firstWithKey = new Map<string, Pending>();
  const laterWithKey: Array<{ index: number; first: Pending; hash: string }> = [];
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
      laterWithKey.push({ index, first, hash: hash! });
      return;
    }
    const p: Pending = { index, lead, raw, opts, hash };
    if (key) firstWithKey.set(key, p);
    pending.push(p);
  });

  const saved = new Map<number, Saved>();
  if (pending.length) {
    await db.transaction(async (trx) => {
      // 1. Claim the idempotency keys. A concurrent request with the same key blocks here until
      //    the first commits, then finds the key taken: a replay, never a second touch.
      let fresh = pending;
      const keyed = pending.filter((p) => p.opts.idempotencyKey);
      if (keyed.length) {
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
        if (replays.length) {
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
          fresh = pending.filter((p) => !p.opts.idempotencyKey || claimed.has(p.opts.idempotencyKey));
        }
      }

      // 2. Upsert by duplicate key, in duplicate-key order (so concurrent intakes lock leads in
      //    the same order and cannot deadlock). One INSERT ... ON CONFLICT cannot touch a row
      //    twice, so the same person twice in one call goes in rounds: the later arrival merges
      //    into the row the earlier one made.
      const rounds: Pending[][] = [];
      const occurrences = new Map<string, number>();
      for (const p of [...fresh].sort((a, b) => (a.lead.dupKey < b.lead.dupKey ? -1 : a.lead.dupKey > b.lead.dupKey ? 1 : 0))) {
        const n = occurrences.get(p.lead.dupKey) ?? 0;
        occurrences.set(p.lead.dupKey, n + 1);
        (rounds[n] ??= []).push(p);
      }
      const updates: Array<{ key: string; leadId: string; touchId: string; merged: boolean }> = [];
      for (const round of rounds) {
        const insert = trx('leads')
          .insert(round.map((p) => leadColumns(p.lead, accountId, p.opts.importId ?? null, now)))
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
        const leadByKey = new Map((rows as Array<{ id: string; dup_key: string; inserted: boolean }>).map((r) => [r.dup_key, r]));
        const leadOf = (p: Pending) => leadByKey.get(p.lead.dupKey)!;

        const touches: Array<{ id: string; lead_id: string; received_at: Date }> = await trx('lead_source_touches')
          .insert(round.map((p) => ({ lead_id: leadOf(p).id, account_id: accountId, source: p.lead.source, import_name: p.lead.importName, payload: JSON.stringify(p.raw), received_at: now })))
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
              type: merged ? 'merged' : 'created',
              note: merged ? `Arrived again from ${p.lead.source}; merged as another source touch` : `Lead received from ${p.lead.source}`,
              data: JSON.stringify({ touchId: String(touch.id), source: p.lead.source, importName: p.lead.importName, importId: p.opts.importId ?? null }),
              idempotency_key: `intake:touch:${touch.id}`,
              created_at: now,
            };
          }),
        );
        for (const p of round) {
          const lead = leadOf(p);
          const touch = touchByLead.get(lead.id)!;
          const arrival: LeadArrival = { touchId: String(touch.id), source: p.lead.source, importName: p.lead.importName, receivedAt: new Date(touch.received_at).toISOString() };
          saved.set(p.index, { leadId: lead.id, merged: !lead.inserted, replay: false, arrival });
          if (p.opts.idempotencyKey) updates.push({ key: p.opts.idempotencyKey, leadId: lead.id, touchId: String(touch.id), merged: !lead.inserted });
        }
      }

      // 3. What each idempotency key answers from now on.
      if (updates.length) {
        await trx.raw(
          `UPDATE intake_idempotency i SET lead_id = v.lead_id, touch_id = v.touch_id, merged = v.merged
             FROM unnest(?::text[], ?::uuid[], ?::bigint[], ?::boolean[]) AS v(key, lead_id, touch_id, merged)
            WHERE i.account_id = ? AND i.key = v.key`,
          [updates.map((u) => u.key), updates.map((u) => u.leadId), updates.map((u) => u.touchId), updates.map((u) => u.merged), accountId],
        );
      }

      // 4. The compliance scrub at entry, in the same transaction: no lead is ever visible
      //    unscrubbed, and a merge that brought a listed phone is flagged at once.
      const touched = fresh.map((p) => saved.get(p.index)?.leadId).filter((id): id is string => !!id);
      const scrubs = await scrubLeads(trx, touched, { at: now, actor: 'intake' });
      for (const p of fresh) {
        const s = saved.get(p.index)!;
        const scrub = scrubs.get(s.leadId)!;
        if (s.merged) continue;
        s.facts = {
          leadId: s.leadId,
          accountId,
          source: p.lead.source,
          status: scrub.status,
          milestone: 'new',
          segment: segmentFor(p.lead.source),
          assignedUserId: null,
          timeZone: p.lead.timeZone,
          callable: scrub.callable,
          emailable: scrub.emailable,
          cadenceTemplate: cadenceTemplateFor(p.lead.source),
          scrubbedAt: now.toISOString(),
        };
      }
    });
  }

  // After the commit: start (or signal) each lead's workflow.
  let client: Promise<Client> | undefined;
  const getClient = () => (client ??= Promise.resolve(typeof deps.temporal === 'function' ? deps.temporal() : deps.temporal));
  await forEachLimit([...saved], START_CONCURRENCY, async ([index, s]) => {
    try {
      const c = await getClient();
      // A replay: the first request committed; if its start failed, this retry is the moment to start it.
      if (!s.replay || !(await workflowExists(c, s.leadId))) await signalWithStart(c, deps.taskQueue, accountId, s);
      outcomes[index] = { ok: true, result: { id: s.leadId, merged: s.merged } };
    } catch (err) {
      await db('lead_events')
        .insert({
          lead_id: s.leadId,
          account_id: accountId,
          actor_system: 'intake',
          type: 'workflow_start_failed',
          note: 'The lead is saved; its workflow will be started by reconcile',
          data: JSON.stringify({ touchId: s.arrival.touchId, error: err instanceof Error ? err.message : String(err) }),
        })
        .catch(() => {});
      outcomes[index] = { ok: false, error: new LeadWorkflowStartError(s.leadId, s.merged, err) };
    }
  });

  for (const { index, first, hash } of laterWithKey) {
    outcomes[index] = hash === first.hash ? outcomes[first.index] : { ok: false, error: new IdempotencyConflictError(first.opts.idempotencyKey!) };
  }
  return outcomes as IntakeOutcome[];
}

/** A cleaned lead as a new `leads` row. */
export function leadColumns(lead: CleanLead, accountId: string, importId: string | null, now: Date) {
  return {
    account_id: accountId,
    first_name: lead.firstName,
    last_name: lead.lastName,
    address_line1: lead.addressLine1,
    address_line2: lead.addressLine2,
    city: lead.city,
    state: lead.state,
    zip: lead.zip,
    phones: JSON.stringify(lead.phones),
    emails: JSON.stringify(lead.emails),
    dup_key: lead.dupKey,
    source: lead.source,
    import_name: lead.importName,
    import_id: importId,
    kind: lead.kind,
    time_zone: lead.timeZone,
    segment: segmentFor(lead.source),
    created_at: now,
    updated_at: now,
  };
}

/** Runs `fn` over `items`, at most `limit` at a time. */
async function forEachLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

async function signalWithStart(client: Client, taskQueue: string, accountId: string, saved: Saved): Promise<void> {
  const input: LeadWorkflowInput = { leadId: saved.leadId, accountId, ...(saved.facts ? { facts: saved.facts } : {}) };
  await client.workflow.signalWithStart(LEAD_WORKFLOW_TYPE, {
    taskQueue,
    workflowId: leadWorkflowId(saved.leadId),
    args: [input],
    signal: leadArrivedSignal,
    signalArgs: [saved.arrival],
  });
}

async function workflowExists(client: Client, leadId: string): Promise<boolean> {
  try {
    await client.workflow.getHandle(leadWorkflowId(leadId)).describe();
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}
