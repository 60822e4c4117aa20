// The intake API over real HTTP: the web server against this file's database and a
// time-skipping Temporal server (no worker: the lead workflow is only started by name here).
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomSecret, sha256 } from '../../db/passwords.ts';
import { startWebServer, type RunningWebServer } from '../../web/server.ts';
import { leadWorkflowId } from '../../workflows/lead/messages.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { createAccountWithAdmin } from '../support/fixtures.ts';
import { TEST_SESSION_SECRET } from '../support/http.ts';
import { createTimeSkippingEnv, uniqueTaskQueue } from '../support/temporal.ts';

let db: TestDatabase;
let env: TestWorkflowEnvironment;
let web: RunningWebServer;
let accountId: string;
let apiKey: string;
let otherKey: string;
const taskQueue = uniqueTaskQueue('intake-api');

async function addKey(account: string, revoked = false): Promise<string> {
  const key = randomSecret('lf_');
  await db.knex('api_keys').insert({ account_id: account, name: 'vendor', prefix: key.slice(0, 8), key_hash: sha256(key), revoked_at: revoked ? new Date() : null });
  return key;
}

beforeAll(async () => {
  db = await createTestDatabase();
  env = await createTimeSkippingEnv();
  accountId = (await createAccountWithAdmin(db.knex, 'API Agency')).accountId;
  apiKey = await addKey(accountId);
  otherKey = await addKey((await createAccountWithAdmin(db.knex, 'Other Agency')).accountId);
  web = await startWebServer({ port: 0, host: '127.0.0.1', databaseUrl: db.url, sessionSecret: TEST_SESSION_SECRET, mode: 'development', temporal: { client: env.client }, taskQueue });
});

afterAll(async () => {
  await web?.close();
  await env?.teardown();
  await db?.destroy();
});

const lead = (overrides: Record<string, unknown> = {}) => ({
  firstName: 'DANA',
  lastName: 'MCDONALD',
  address: { line1: '400 Pine Ave', city: 'Denver', state: 'Colorado', zip: '80202' },
  phones: ['303-456-7890'],
  emails: ['dana@Example.com'],
  source: 'web_vendor',
  ...overrides,
});

async function post(body: unknown, opts: { key?: string | null; idempotencyKey?: string } = {}) {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  const key = opts.key === undefined ? apiKey : opts.key;
  if (key) headers.Authorization = `Bearer ${key}`;
  if (opts.idempotencyKey) headers['Idempotency-Key'] = opts.idempotencyKey;
  const res = await fetch(`${web.url}/api/v1/leads`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

async function get(id: string, key: string | null = apiKey) {
  const res = await fetch(`${web.url}/api/v1/leads/${id}`, { headers: key ? { Authorization: `Bearer ${key}` } : {} });
  return { status: res.status, body: await res.json() };
}

describe('POST /api/v1/leads', () => {
  it('creates a lead (201), starts its workflow, and merges the same person arriving again (200)', async () => {
    const created = await post(lead());
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ id: expect.any(String), merged: false });
    const row = await db.knex('leads').where({ id: created.body.id }).first();
    expect(row).toMatchObject({ account_id: accountId, first_name: 'Dana', last_name: 'McDonald', state: 'CO', time_zone: 'America/Denver' });
    expect((await env.client.workflow.getHandle(leadWorkflowId(created.body.id)).describe()).type).toBe('leadWorkflow');

    const again = await post(lead({ firstName: 'dana', lastName: ' McDonald ', address: { line1: '400  PINE AVE', city: 'denver', state: 'co', zip: '80202-1111' }, source: 'mwi' }));
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ id: created.body.id, merged: true });
    expect(await db.knex('lead_source_touches').where({ lead_id: created.body.id })).toHaveLength(2);
  });

  it('answers 401 without a key, with an unknown key and with a revoked key', async () => {
    const revoked = await addKey(accountId, true);
    for (const key of [null, 'lf_not-a-real-key', revoked]) {
      const res = await post(lead({ firstName: 'Nobody' }), { key });
      expect(res.status).toBe(401);
    }
    expect(await db.knex('leads').where({ first_name: 'Nobody' })).toHaveLength(0);
  });

  it('answers 400 with field errors for bad input', async () => {
    const res = await post({ firstName: '', lastName: 'Lee', address: { line1: '1 Main', city: 'X', state: 'Narnia', zip: '1' }, phones: 'nope', source: ' ' });
    expect(res.status).toBe(400);
    expect(res.body.errors).toMatchObject({ firstName: 'Required', phones: expect.any(String), source: expect.any(String) });
    const stateZip = await post(lead({ address: { line1: '1 Main', city: 'X', state: 'Narnia', zip: '1' } }));
    expect(stateZip.status).toBe(400);
    expect(stateZip.body.errors).toEqual({ 'address.state': 'Not a US state, DC or territory', 'address.zip': 'Not a ZIP code' });
    const notJson = await post('{oops');
    expect(notJson.status).toBe(400);
    expect(notJson.body.errors).toHaveProperty('body');
  });

  it('answers 400 naming the field for a NUL byte, a lone surrogate or a control character anywhere in the body, and saves nothing', async () => {
    const before = await db.knex('leads').where({ account_id: accountId }).count<{ n: string }[]>({ n: '*' });
    expect(await post(lead({ firstName: 'Da\u0000na' }))).toEqual({ status: 400, body: { errors: { firstName: 'Contains a control character (U+0000)' } } });
    expect(await post(lead({ phones: ['303-456-7890', '303\u0000456'] }))).toEqual({ status: 400, body: { errors: { 'phones.1': 'Contains a control character (U+0000)' } } });
    expect(await post(lead({ importName: 'March\u0000' }))).toEqual({ status: 400, body: { errors: { importName: 'Contains a control character (U+0000)' } } });
    // Sent as JSON escapes, exactly as a vendor's serializer would write them.
    const surrogate = await post(JSON.stringify(lead()).replace('"DANA"', '"DA\\ud800NA"'));
    expect(surrogate).toEqual({ status: 400, body: { errors: { firstName: 'Contains a broken character (unpaired surrogate U+D800)' } } });
    const c1 = await post(lead({ address: { line1: '400 Pine Ave\u0085', city: 'Denver', state: 'CO', zip: '80202' } }));
    expect(c1).toEqual({ status: 400, body: { errors: { 'address.line1': 'Contains a control character (U+0085)' } } });
    // Fields intake does not know are kept with the arrival, so they are checked too.
    expect(await post(lead({ vendor: { note: 'x\u0000' } }))).toEqual({ status: 400, body: { errors: { 'vendor.note': 'Contains a control character (U+0000)' } } });
    const nested = await post(`{"firstName":"Dana","extra":${'['.repeat(5000)}${']'.repeat(5000)}}`);
    expect(nested.status).toBe(400);
    expect(await db.knex('leads').where({ account_id: accountId }).count<{ n: string }[]>({ n: '*' })).toEqual(before);
  });

  it('keeps text it accepts in Unicode NFC', async () => {
    const res = await post(lead({ firstName: 'Zoe\u0308', lastName: 'Nfc', importName: 'Cafe\u0301 list' }));
    expect(res.status).toBe(201);
    expect(await db.knex('lead_source_touches').where({ lead_id: res.body.id }).first('import_name')).toEqual({ import_name: 'Caf\u00e9 list' });
  });

  it('tries once more when PostgreSQL gives the transaction up as a deadlock, instead of answering 500', async () => {
    await db.knex.raw(`
      CREATE SEQUENCE deadlock_once;
      CREATE FUNCTION deadlock_once() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.import_name = 'deadlock once' AND nextval('deadlock_once') = 1 THEN
          RAISE EXCEPTION 'deadlock detected (test)' USING ERRCODE = '40P01';
        END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER deadlock_once BEFORE INSERT ON lead_source_touches FOR EACH ROW EXECUTE FUNCTION deadlock_once();`);
    try {
      const res = await post(lead({ lastName: 'Deadlock', importName: 'deadlock once' }));
      expect(res).toEqual({ status: 201, body: { id: expect.any(String), merged: false } });
      expect(await db.knex('lead_source_touches').where({ lead_id: res.body.id })).toHaveLength(1);
    } finally {
      await db.knex.raw('DROP TRIGGER deadlock_once ON lead_source_touches; DROP FUNCTION deadlock_once(); DROP SEQUENCE deadlock_once;');
    }
  });

  it('gives the same answer to a repeated Idempotency-Key and 422 when the body differs', async () => {
    const body = lead({ firstName: 'Ida', lastName: 'Empotent' });
    const first = await post(body, { idempotencyKey: 'req-42' });
    const second = await post(body, { idempotencyKey: 'req-42' });
    expect(first.status).toBe(201);
    expect(second).toEqual(first);
    expect(await db.knex('lead_source_touches').where({ lead_id: first.body.id })).toHaveLength(1);
    const conflict = await post({ ...body, source: 'mwi' }, { idempotencyKey: 'req-42' });
    expect(conflict.status).toBe(422);
    // Another account's identical key is its own.
    const other = await post(body, { key: otherKey, idempotencyKey: 'req-42' });
    expect(other.status).toBe(201);
    expect(other.body.id).not.toBe(first.body.id);
  });
});

describe('GET /api/v1/leads/:id', () => {
  it("returns the account's lead with flags, segment, status, milestone, assignee and history", async () => {
    const { body: created } = await post(lead({ firstName: 'Gina', lastName: 'Getter' }));
    await db.knex('leads').where({ id: created.id }).update({ dnc: true, dnc_reason: 'federal DNC list', dnc_at: new Date() });
    const res = await get(created.id);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: created.id,
      firstName: 'Gina',
      lastName: 'Getter',
      flags: [{ flag: 'DNC', reason: 'federal DNC list' }],
      segment: 'highly_engaged',
      status: 'new',
      milestone: 'new',
      assignee: null,
      phones: [{ e164: '+13034567890', valid: true }],
    });
    expect(res.body.history.map((e: { type: string }) => e.type).sort()).toEqual(['created', 'scrubbed']);
  });

  it("answers 404 for another account's lead and for no lead, 401 without a key", async () => {
    const { body: created } = await post(lead({ firstName: 'Priv', lastName: 'Ate' }));
    expect((await get(created.id, otherKey)).status).toBe(404);
    expect((await get('00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await get('not-a-uuid')).status).toBe(404);
    expect((await get(created.id, null)).status).toBe(401);
  });
});
