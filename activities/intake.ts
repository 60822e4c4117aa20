// Intake: the one path every door (intake API, manual entry, CSV import) takes into Leadflow.
// Validate, clean (hygiene.ts), then in ONE transaction upsert the lead by its duplicate key
// and record the arrival as a source touch and a history event; after the commit,
// signal-with-start the lead's workflow.
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
// (best effort) so support sees it on the lead, and reconcile (issue 4, item 11) later starts
// every open lead that has no running workflow. A retry with the same Idempotency-Key starts
// the missing workflow at once.
import { createHash } from 'node:crypto';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Knex } from 'knex';
import { z } from 'zod';
import type { EmailEntry, PhoneEntry } from '../db/models/index.ts';
import { duplicateKey } from '../workflows/lead/dedupe.ts';
import { leadArrivedSignal, leadWorkflowId, type LeadArrival, type LeadWorkflowInput } from '../workflows/lead/messages.ts';
import { segmentFor } from '../workflows/lead/segment.ts';
import { LEAD_SOURCES } from '../workflows/lead/templates.ts';
import { cleanName, normalizeEmail, normalizePhone, normalizeState, normalizeZip, timeZoneFor } from './hygiene.ts';

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
  const parsed = intakeInputSchema.safeParse(raw);
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

export async function intakeLead(deps: IntakeDeps, accountId: string, raw: IntakeInput, opts: IntakeOptions = {}): Promise<IntakeResult> {
  const lead = validateIntake(raw);
  const now = deps.clock?.() ?? new Date();
  const { db } = deps;
  const idemKey = opts.idempotencyKey;
  const hash = idemKey ? requestHash(raw) : null;

  const saved = await db.transaction(async (trx): Promise<Saved> => {
    if (idemKey) {
      // A concurrent request with the same key blocks here until the first commits, then
      // finds its row: the second is a replay, never a second touch.
      const claimed = await trx('intake_idempotency')
        .insert({ account_id: accountId, key: idemKey, request_hash: hash })
        .onConflict(['account_id', 'key'])
        .ignore()
        .returning('key');
      if (claimed.length === 0) {
        const prior = await trx('intake_idempotency').where({ account_id: accountId, key: idemKey }).first();
        if (prior.request_hash !== hash) throw new IdempotencyConflictError(idemKey);
        const touch = await trx('lead_source_touches').where({ id: prior.touch_id }).first();
        return {
          leadId: prior.lead_id,
          merged: prior.merged,
          replay: true,
          arrival: { touchId: String(prior.touch_id), source: touch.source, importName: touch.import_name, receivedAt: new Date(touch.received_at).toISOString() },
        };
      }
    }

    const insert = trx('leads')
      .insert({
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
        import_id: opts.importId ?? null,
        kind: lead.kind,
        time_zone: lead.timeZone,
        segment: segmentFor(lead.source),
        created_at: now,
        updated_at: now,
      })
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
    const { rows } = await trx.raw(`${sql} RETURNING id, (xmax = 0) AS inserted`, bindings as readonly Knex.RawBinding[]);
    const leadId: string = rows[0].id;
    const merged = !rows[0].inserted;

    const [touch] = await trx('lead_source_touches')
      .insert({ lead_id: leadId, account_id: accountId, source: lead.source, import_name: lead.importName, payload: JSON.stringify(raw), received_at: now })
      .returning(['id', 'received_at']);
    await trx('lead_events').insert({
      lead_id: leadId,
      account_id: accountId,
      actor_user_id: opts.actorUserId ?? null,
      actor_system: opts.actorUserId ? null : 'intake',
      type: merged ? 'merged' : 'created',
      note: merged ? `Arrived again from ${lead.source}; merged as another source touch` : `Lead received from ${lead.source}`,
      data: JSON.stringify({ touchId: String(touch.id), source: lead.source, importName: lead.importName, importId: opts.importId ?? null }),
      idempotency_key: `intake:touch:${touch.id}`,
      created_at: now,
    });
    if (idemKey) {
      await trx('intake_idempotency').where({ account_id: accountId, key: idemKey }).update({ lead_id: leadId, touch_id: touch.id, merged });
    }
    return {
      leadId,
      merged,
      replay: false,
      arrival: { touchId: String(touch.id), source: lead.source, importName: lead.importName, receivedAt: new Date(touch.received_at).toISOString() },
    };
  });

  try {
    const client = typeof deps.temporal === 'function' ? await deps.temporal() : deps.temporal;
    if (saved.replay) {
      // The first request committed; if its start failed, this retry is the moment to start it.
      if (!(await workflowExists(client, saved.leadId))) await signalWithStart(client, deps.taskQueue, accountId, saved);
    } else {
      await signalWithStart(client, deps.taskQueue, accountId, saved);
    }
  } catch (err) {
    await db('lead_events')
      .insert({
        lead_id: saved.leadId,
        account_id: accountId,
        actor_system: 'intake',
        type: 'workflow_start_failed',
        note: 'The lead is saved; its workflow will be started by reconcile',
        data: JSON.stringify({ touchId: saved.arrival.touchId, error: err instanceof Error ? err.message : String(err) }),
      })
      .catch(() => {});
    throw new LeadWorkflowStartError(saved.leadId, saved.merged, err);
  }
  return { id: saved.leadId, merged: saved.merged };
}

async function signalWithStart(client: Client, taskQueue: string, accountId: string, saved: Saved): Promise<void> {
  const input: LeadWorkflowInput = { leadId: saved.leadId, accountId };
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
