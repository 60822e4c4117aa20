// The "New lead" form: an owner or admin enters one lead by hand; it goes through intake
// (source 'manual'), starts the lead's workflow and lands on the lead's page.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoAccount } from '../../db/seed.ts';
import { startWebServer, type RunningWebServer } from '../../web/server.ts';
import { leadWorkflowId } from '../../workflows/lead/messages.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { TEST_SESSION_SECRET, visibleText, WebClient } from '../support/http.ts';
import { createTimeSkippingEnv, uniqueTaskQueue } from '../support/temporal.ts';

let db: TestDatabase;
let env: TestWorkflowEnvironment;
let web: RunningWebServer;
const taskQueue = uniqueTaskQueue('new-lead');

beforeAll(async () => {
  db = await createTestDatabase();
  await seedDemoAccount(db.knex);
  env = await createTimeSkippingEnv();
  web = await startWebServer({ port: 0, host: '127.0.0.1', databaseUrl: db.url, sessionSecret: TEST_SESSION_SECRET, mode: 'development', temporal: { client: env.client }, taskQueue });
});

afterAll(async () => {
  await web?.close();
  await env?.teardown();
  await db?.destroy();
});

const fields = {
  firstName: 'maria',
  lastName: "O'CONNOR",
  line1: '77 Harbor Rd',
  line2: '',
  city: 'Portland',
  state: 'Maine',
  zip: '4101',
  phone: '(207) 456-7890',
  email: 'maria@Example.org',
  customer: 'on',
};

describe('New lead form', () => {
  it('adds a manual lead for the owner, starts its workflow and opens its page', async () => {
    const owner = new WebClient(web.url);
    expect((await owner.login('A0DEMO1', 'owner-demo-pass')).status).toBe(302);
    expect(visibleText((await owner.get('/leads')).text)).toContain('New lead');

    const res = await owner.submit('/leads/new', fields);
    expect(res.status).toBe(302);
    const id = /^\/leads\/([0-9a-f-]{36})$/.exec(res.location ?? '')?.[1];
    expect(id).toBeDefined();
    const lead = await db.knex('leads').where({ id }).first();
    expect(lead).toMatchObject({ source: 'manual', first_name: 'Maria', last_name: "O'Connor", state: 'ME', zip: '04101', kind: 'C', segment: 'highly_engaged', time_zone: 'America/New_York' });
    const ownerId = (await db.knex('users').where({ username: 'A0DEMO1' }).first('id')).id;
    expect(await db.knex('lead_events').where({ lead_id: id }).first()).toMatchObject({ type: 'created', actor_user_id: ownerId });
    expect((await env.client.workflow.getHandle(leadWorkflowId(id!)).describe()).type).toBe('leadWorkflow');

    const page = visibleText((await owner.get(res.location!)).text);
    expect(page).toContain("Maria O'Connor");
    // The number as a person reads it.
    expect(page).toContain('+1 207-456-7890');

    // The same person entered again is the same lead.
    const again = await owner.submit('/leads/new', { ...fields, firstName: 'Maria', lastName: "O'Connor", state: 'ME', zip: '04101' });
    expect(again.location).toBe(res.location);
    expect(await db.knex('lead_source_touches').where({ lead_id: id })).toHaveLength(2);
  });

  it('shows field errors and saves nothing for bad input', async () => {
    const owner = new WebClient(web.url);
    await owner.login('A0DEMO1', 'owner-demo-pass');
    const before = (await db.knex('leads').count<{ n: string }[]>({ n: '*' }))[0]!.n;
    const res = await owner.submit('/leads/new', { ...fields, firstName: '', state: 'Atlantis', zip: 'x' });
    expect(res.status).toBe(400);
    const text = visibleText(res.text);
    expect(text).toContain('Required');
    expect(text).toContain('Not a US state, DC or territory');
    expect(text).toContain('Not a ZIP code');
    expect((await db.knex('leads').count<{ n: string }[]>({ n: '*' }))[0]!.n).toBe(before);
  });

  it('refuses a NUL byte or another control character in any field with 400 and the message beside that field, and saves nothing', async () => {
    const owner = new WebClient(web.url);
    expect((await owner.login('A0DEMO1', 'owner-demo-pass')).status).toBe(302);
    const before = await db.knex('leads').count<{ n: string }[]>({ n: '*' });
    for (const [field, value, code] of [
      ['firstName', 'Ma\u0000ria', 'U+0000'],
      ['phone', '207\u0000456-7890', 'U+0000'],
      ['line1', '77 Harbor\u001b Rd', 'U+001B'],
      ['email', 'maria@example.org\u007f', 'U+007F'],
    ] as const) {
      const res = await owner.submit('/leads/new', { ...fields, lastName: `Nul${field}`, [field]: value });
      expect([field, res.status]).toEqual([field, 400]);
      // The field's input is marked invalid and described by its message.
      const input = new RegExp(`<input[^>]*name="${field}"[^>]*>`).exec(res.text)?.[0] ?? '';
      expect(input).toContain('aria-invalid="true"');
      expect(visibleText(res.text)).toContain(`Contains a control character (${code})`);
    }
    expect(await db.knex('leads').count<{ n: string }[]>({ n: '*' })).toEqual(before);
  });

  it('refuses an LSP and a post without the CSRF token', async () => {
    const alex = new WebClient(web.url);
    await alex.login('lsp.alex', 'alex-demo-pass');
    expect((await alex.get('/leads/new')).status).toBe(403);
    expect(visibleText((await alex.get('/leads')).text)).not.toContain('New lead');

    const owner = new WebClient(web.url);
    await owner.login('A0DEMO1', 'owner-demo-pass');
    const forged = await owner.post('/leads/new', { ...fields, firstName: 'Forged' });
    expect(forged.status).toBe(403);
    expect(await db.knex('leads').where({ first_name: 'Forged' })).toHaveLength(0);
  });
});
