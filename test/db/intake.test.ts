// Intake against the real database and a time-skipping Temporal server with no worker: the lead
// workflow is started by name, so what we check is that `lead-<id>` exists once and saw every
// arrival as a leadArrived signal.
import { Client, Connection } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { intakeLead, intakeLeads, IdempotencyConflictError, IntakeValidationError, LeadWorkflowStartError, type IntakeInput } from '../../db/intake/index.ts';
import { importDncNumbers } from '../../db/compliance/suppression-lists.ts';
import { leadWorkflowId } from '../../workflows/lead/messages.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { createAccountWithAdmin } from '../support/fixtures.ts';
import { createTimeSkippingEnv, uniqueTaskQueue } from '../support/temporal.ts';

let db: TestDatabase;
let env: TestWorkflowEnvironment;
let accountId: string;
const taskQueue = uniqueTaskQueue('intake');

beforeAll(async () => {
  db = await createTestDatabase();
  env = await createTimeSkippingEnv();
  accountId = (await createAccountWithAdmin(db.knex)).accountId;
});

afterAll(async () => {
  await env?.teardown();
  await db?.destroy();
});

let n = 0;
function person(overrides: Partial<IntakeInput> = {}): IntakeInput {
  n += 1;
  return {
    firstName: 'PAT',
    lastName: `O'BRIEN${'X'.repeat(n)}`,
    address: { line1: '12  Elm Street', city: 'Haddonfield', state: 'New Jersey', zip: '8033' },
    phones: ['(856) 456-7890'],
    emails: ['Pat@Example.COM'],
    source: 'web_vendor',
    ...overrides,
  };
}

const deps = () => ({ db: db.knex, temporal: env.client, taskQueue });

async function arrivalSignals(leadId: string): Promise<number> {
  const history = await env.client.workflow.getHandle(leadWorkflowId(leadId)).fetchHistory();
  return (history.events ?? []).filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'leadArrived').length;
}

async function runsOf(leadId: string): Promise<number> {
  let count = 0;
  for await (const _ of env.client.workflow.list({ query: `WorkflowId = '${leadWorkflowId(leadId)}'` })) count += 1;
  return count;
}

describe('intakeLead', () => {
  it('saves a cleaned lead, a touch and a history event, and starts its workflow with the arrival', async () => {
    const result = await intakeLead(deps(), accountId, person());
    expect(result.merged).toBe(false);
    const lead = await db.knex('leads').where({ id: result.id }).first();
    expect(lead).toMatchObject({ account_id: accountId, first_name: 'Pat', state: 'NJ', zip: '08033', address_line1: '12 Elm Street', time_zone: 'America/New_York', source: 'web_vendor', segment: 'highly_engaged', kind: 'P' });
    expect(lead.phones).toEqual([{ raw: '(856) 456-7890', e164: '+18564567890', valid: true }]);
    expect(lead.emails).toEqual([{ raw: 'Pat@Example.COM', address: 'Pat@example.com', valid: true }]);
    expect(await db.knex('lead_source_touches').where({ lead_id: result.id })).toHaveLength(1);
    // Intake scrubs the lead in the transaction that saves it.
    expect((await db.knex('lead_events').where({ lead_id: result.id }).orderBy('id')).map((e) => e.type)).toEqual(['created', 'scrubbed']);
    expect(lead.scrubbed_at).toBeInstanceOf(Date);

    const description = await env.client.workflow.getHandle(leadWorkflowId(result.id)).describe();
    expect(description.type).toBe('leadWorkflow');
    expect(description.taskQueue).toBe(taskQueue);
    expect(await arrivalSignals(result.id)).toBe(1);
  });

  it('merges a later arrival of the same person into the existing lead as a touch and a signal', async () => {
    const first = await intakeLead(deps(), accountId, person({ phones: ['856-456-7890'] }));
    const lead = await db.knex('leads').where({ id: first.id }).first();
    // Same person, written differently: spacing, case, the state's code for its name, ZIP+4.
    const again = person({
      firstName: ' pat ',
      lastName: lead.last_name.toUpperCase(),
      address: { line1: '12 ELM STREET', city: 'haddonfield', state: 'nj', zip: '08033-1234' },
      source: 'mwi',
      importName: 'MWI March',
      customer: true,
      phones: ['+1 856 456 7890', '609-555-0199'],
      emails: ['other@example.com'],
    });
    const second = await intakeLead(deps(), accountId, again);

    expect(second).toEqual({ id: first.id, merged: true });
    const merged = await db.knex('leads').where({ id: first.id }).first();
    expect(merged.kind).toBe('C');
    expect(merged.source).toBe('web_vendor');
    expect(merged.phones.map((p: { e164: string }) => p.e164)).toEqual(['+18564567890', '+16095550199']);
    expect(merged.emails.map((e: { address: string }) => e.address)).toEqual(['Pat@example.com', 'other@example.com']);
    const touches = await db.knex('lead_source_touches').where({ lead_id: first.id }).orderBy('id');
    expect(touches.map((t) => [t.source, t.import_name])).toEqual([
      ['web_vendor', null],
      ['mwi', 'MWI March'],
    ]);
    expect((await db.knex('lead_events').where({ lead_id: first.id }).orderBy('id')).map((e) => e.type)).toEqual(['created', 'scrubbed', 'merged', 'scrubbed']);
    expect(await arrivalSignals(first.id)).toBe(2);
    expect(await runsOf(first.id)).toBe(1);
  });

  it('turns two identical intakes at the same moment into one lead, one workflow and two touches', async () => {
    const input = person();
    const results = await Promise.all([intakeLead(deps(), accountId, input), intakeLead(deps(), accountId, input)]);
    expect(results[0]!.id).toBe(results[1]!.id);
    expect(results.map((r) => r.merged).sort()).toEqual([false, true]);
    const id = results[0]!.id;
    const leads = await db.knex('leads').where({ account_id: accountId, dup_key: (await db.knex('leads').where({ id }).first()).dup_key });
    expect(leads).toHaveLength(1);
    expect(await db.knex('lead_source_touches').where({ lead_id: id })).toHaveLength(2);
    expect(await runsOf(id)).toBe(1);
    expect(await arrivalSignals(id)).toBe(2);
  });

  it('keeps a person with the same name and address in another account apart', async () => {
    const other = (await createAccountWithAdmin(db.knex, 'Other Agency')).accountId;
    const input = person();
    const a = await intakeLead(deps(), accountId, input);
    const b = await intakeLead(deps(), other, input);
    expect(b.id).not.toBe(a.id);
    expect(b.merged).toBe(false);
  });

  it('rejects bad input with an error per field and saves nothing', async () => {
    const before = await db.knex('leads').count<{ n: string }[]>({ n: '*' });
    const bad = { ...person(), firstName: '  ', address: { line1: '1 Main St', city: 'X', state: 'ZZ', zip: 'ABCDE' }, source: 'x'.repeat(81) } as unknown as IntakeInput;
    const err = await intakeLead(deps(), accountId, bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IntakeValidationError);
    expect((err as IntakeValidationError).fieldErrors).toMatchObject({ firstName: 'Required', source: 'At most 80 characters' });
    const stateAndZip = await intakeLead(deps(), accountId, { ...person(), address: { line1: '1 Main St', city: 'X', state: 'ZZ', zip: 'ABCDE' } }).catch((e: unknown) => e);
    expect((stateAndZip as IntakeValidationError).fieldErrors).toEqual({ 'address.state': 'Not a US state, DC or territory', 'address.zip': 'Not a ZIP code' });
    expect(await db.knex('leads').count<{ n: string }[]>({ n: '*' })).toEqual(before);
  });

  it('answers a repeated Idempotency-Key with the first answer and no second touch', async () => {
    const input = person();
    const first = await intakeLead(deps(), accountId, input, { idempotencyKey: 'vendor-req-1' });
    const again = await intakeLead(deps(), accountId, { ...input }, { idempotencyKey: 'vendor-req-1' });
    expect(again).toEqual(first);
    expect(await db.knex('lead_source_touches').where({ lead_id: first.id })).toHaveLength(1);
    expect(await arrivalSignals(first.id)).toBe(1);
    await expect(intakeLead(deps(), accountId, { ...input, source: 'mwi' }, { idempotencyKey: 'vendor-req-1' })).rejects.toBeInstanceOf(IdempotencyConflictError);
  });

  it('keeps the lead when Temporal cannot be reached, reports it, and starts the workflow on an idempotent retry', async () => {
    const input = person();
    const down = { db: db.knex, temporal: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:7233')), taskQueue };
    const err = await intakeLead(down, accountId, input, { idempotencyKey: 'retry-me' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LeadWorkflowStartError);
    const { leadId } = err as LeadWorkflowStartError;
    expect(await db.knex('leads').where({ id: leadId }).first()).toBeTruthy();
    expect((await db.knex('lead_events').where({ lead_id: leadId }).orderBy('id')).map((e) => e.type)).toEqual(['created', 'scrubbed', 'workflow_start_failed']);
    await expect(env.client.workflow.getHandle(leadWorkflowId(leadId)).describe()).rejects.toThrow();

    const retried = await intakeLead(deps(), accountId, input, { idempotencyKey: 'retry-me' });
    expect(retried).toEqual({ id: leadId, merged: false });
    expect(await arrivalSignals(leadId)).toBe(1);
    expect(await db.knex('lead_source_touches').where({ lead_id: leadId })).toHaveLength(1);
  });

  it('reports a start that Temporal itself refuses, after saving the lead', async () => {
    // A client on a namespace that does not exist: the server answers, and refuses.
    const connection = await Connection.connect({ address: env.connection.options.address });
    try {
      const client = new Client({ connection, namespace: 'no-such-namespace' });
      const err = await intakeLead({ db: db.knex, temporal: client, taskQueue }, accountId, person()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LeadWorkflowStartError);
      expect(await db.knex('leads').where({ id: (err as LeadWorkflowStartError).leadId }).first()).toBeTruthy();
    } finally {
      await connection.close();
    }
  });
});

describe('intakeLeads (a CSV batch)', () => {
  it('takes a batch in one go: bad rows reported in place, the same person twice merged, listed phones flagged at once, and a repeat adds nothing', async () => {
    await importDncNumbers(db.knex, (async function* () { yield '(973) 555-0142'; })(), { accountId: null, source: 'federal' });
    const twin = person({ phones: ['973-555-0142'] });
    const items = [
      { raw: person(), opts: { idempotencyKey: 'batch:2' } },
      { raw: { ...person(), address: { line1: '1 Main St', city: 'Boston', state: 'Ontario', zip: '02134' } }, opts: { idempotencyKey: 'batch:3' } },
      { raw: twin, opts: { idempotencyKey: 'batch:4' } },
      { raw: { ...twin, firstName: 'pat', phones: ['856-555-0100'] }, opts: { idempotencyKey: 'batch:5' } },
    ];
    const outcomes = await intakeLeads(deps(), accountId, items);
    expect(outcomes.map((o) => o.ok)).toEqual([true, false, true, true]);
    const bad = outcomes[1]!;
    expect(!bad.ok && bad.error instanceof IntakeValidationError && bad.error.fieldErrors).toEqual({ 'address.state': 'Not a US state, DC or territory' });
    const [a, , b, c] = outcomes.map((o) => (o.ok ? o.result : null));
    expect(b).toEqual({ id: b!.id, merged: false });
    expect(c).toEqual({ id: b!.id, merged: true });
    expect(a!.id).not.toBe(b!.id);

    const twinLead = await db.knex('leads').where({ id: b!.id }).first();
    expect(twinLead.phones.map((p: { e164: string }) => p.e164)).toEqual(['+19735550142', '+18565550100']);
    expect(twinLead).toMatchObject({ dnc: true, dnc_reason: 'federal DNC list: +19735550142' });
    expect(twinLead.scrubbed_at).toBeInstanceOf(Date);
    expect((await db.knex('lead_events').where({ lead_id: b!.id }).orderBy('id')).map((e) => e.type)).toEqual(['created', 'merged', 'flagged', 'scrubbed']);
    expect(await db.knex('lead_source_touches').where({ lead_id: b!.id })).toHaveLength(2);
    expect(await arrivalSignals(b!.id)).toBe(2);
    expect(await arrivalSignals(a!.id)).toBe(1);

    // The batch again (a worker crashed before the import recorded it): the same answers, nothing twice.
    const again = await intakeLeads(deps(), accountId, items);
    expect(again.map((o) => (o.ok ? o.result : null))).toEqual([a, null, b, c]);
    expect(await db.knex('lead_source_touches').where({ lead_id: b!.id })).toHaveLength(2);
    expect(await arrivalSignals(b!.id)).toBe(2);
    expect(await runsOf(b!.id)).toBe(1);
  });

  it('reports a row with a NUL byte, a lone surrogate or a control character as that row\'s field error, and saves the rest of the batch', async () => {
    const items = [
      { raw: person() },
      { raw: person({ firstName: 'Pa\u0000t' }) },
      { raw: person({ phones: ['856-456-78\u000090'] }) },
      { raw: person({ address: { line1: '12 Elm St\ud800', city: 'Haddonfield', state: 'NJ', zip: '08033' } }) },
      { raw: person({ importName: 'March\u001b[31m leads' }) },
      { raw: { ...person(), vendorNote: 'x\u0000' } as IntakeInput },
      { raw: person() },
    ];
    const outcomes = await intakeLeads(deps(), accountId, items);
    expect(outcomes.map((o) => o.ok)).toEqual([true, false, false, false, false, false, true]);
    const errors = outcomes.map((o) => (!o.ok && o.error instanceof IntakeValidationError ? o.error.fieldErrors : null));
    expect(errors.slice(1, 6)).toEqual([
      { firstName: 'Contains a control character (U+0000)' },
      { 'phones.0': 'Contains a control character (U+0000)' },
      { 'address.line1': 'Contains a broken character (unpaired surrogate U+D800)' },
      { importName: 'Contains a control character (U+001B)' },
      { vendorNote: 'Contains a control character (U+0000)' },
    ]);
    const saved = outcomes.filter((o) => o.ok).map((o) => o.ok && o.result.id);
    expect(await db.knex('leads').whereIn('id', saved as string[])).toHaveLength(2);
  });

  it('keeps free text such as the import name in Unicode NFC, however the sender composed it', async () => {
    const result = await intakeLead(deps(), accountId, person({ importName: 'Cafe\u0301 leads' }));
    expect(await db.knex('lead_source_touches').where({ lead_id: result.id }).first('import_name')).toEqual({ import_name: 'Caf\u00e9 leads' });
  });

  it('refuses an arrival nested deeper than any real lead instead of recursing into it', async () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const err = await intakeLead(deps(), accountId, { ...person(), extra: deep } as IntakeInput).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IntakeValidationError);
    expect(Object.values((err as IntakeValidationError).fieldErrors)).toEqual([expect.stringContaining('Nested more than')]);
  });

  it('answers the same Idempotency-Key twice in one batch like a retry, and a different body under it as a conflict', async () => {
    const raw = person();
    const outcomes = await intakeLeads(deps(), accountId, [
      { raw, opts: { idempotencyKey: 'twice' } },
      { raw, opts: { idempotencyKey: 'twice' } },
      { raw: person(), opts: { idempotencyKey: 'twice' } },
    ]);
    expect(outcomes[0]).toEqual(outcomes[1]);
    const third = outcomes[2]!;
    expect(!third.ok && third.error).toBeInstanceOf(IdempotencyConflictError);
    expect(outcomes[0]!.ok && (await db.knex('lead_source_touches').where({ lead_id: outcomes[0]!.result.id }))).toHaveLength(1);
  });
});

