// Intake's first step, before any database work: an arrival validated and cleaned into a
// CleanLead (names, address, phones and e-mails normalised by db/hygiene/, its time zone and
// duplicate key worked out), and the errors intake answers with.
import { z } from 'zod';
import type { EmailEntry, PhoneEntry } from '../models/index.ts';
import { duplicateKey } from '../../workflows/lead/dedupe.ts';
import { BUILT_IN_SOURCES, NEW_SOURCE_SEGMENT, SOURCE_NAME_MAX, type Segment } from '../lead-sources/defaults.ts';
import { cleanName, normalizeEmail, normalizePhone, normalizeState, normalizeZip, timeZoneFor } from '../hygiene/index.ts';
import { cleanStrings } from '../hygiene/text-input.ts';

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
  // Any name: intake matches it to the account's catalogue, or adds it there (intake-leads.ts).
  source: text(SOURCE_NAME_MAX).refine((s) => /[\p{L}\p{N}]/u.test(s), 'Must contain a letter or digit'),
  /** One of the account's agent IDs (checked in intake's transaction); absent: the account's first. */
  agentId: z.string({ error: 'Must be one of the account\'s agent IDs' }).trim().max(40, 'At most 40 characters').nullish(),
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

/** The account's owner suppressed this source for this agent ID: the lead is refused, nothing is saved. */
export class SourceSuppressedError extends Error {
  constructor(
    readonly sourceKey: string,
    readonly sourceLabel: string,
    readonly agentId: string,
  ) {
    super(`Leads from ${sourceLabel} are suppressed for agent ID ${agentId} by the account owner`);
    this.name = 'SourceSuppressedError';
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
  /** The name as it came (trimmed, white space collapsed); intake stores its catalogue key. */
  source: string;
  /** As it came; null: the account's first agent ID. */
  agentId: string | null;
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
    source: collapse(input.source),
    agentId: input.agentId || null,
    importName: input.importName || null,
    kind: input.customer ? 'C' : 'P',
    dupKey: duplicateKey(lead),
  };
}

/** A cleaned lead as a new `leads` row; `segment` is its source's in the account's catalogue (without it: a built-in source's, else a new source's). */
export function leadColumns(lead: CleanLead, accountId: string, importId: string | null, now: Date, segment?: Segment) {
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
    segment: segment ?? BUILT_IN_SOURCES.find((s) => s.key === lead.source)?.segment ?? NEW_SOURCE_SEGMENT,
    created_at: now,
    updated_at: now,
  };
}
