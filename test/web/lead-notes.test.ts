// Notes on a lead, through the web app with the real lead workflow: a note written alone and a
// note sent with a Quick Action land in the lead's history with their author; when that Quick
// Action reaches the account's eAgent milestone, the transfer to a real HTTP server on this
// machine carries the most recent note.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities/index.ts';
import { seedDemoAccount } from '../../db/seed.ts';
import { startWebServer, type RunningWebServer } from '../../web/server.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { eventually } from '../support/eventually.ts';
import { TEST_SESSION_SECRET, visibleText, WebClient } from '../support/http.ts';
import { registerSearchAttributes } from '../../temporal.config.ts';
import { createLocalEnv, uniqueTaskQueue, withWorker } from '../support/temporal.ts';

const WORKFLOWS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../workflows/index.ts');

let db: TestDatabase;
let env: TestWorkflowEnvironment;
let web: RunningWebServer;
let eagent: http.Server;
let eagentUrl: string;
const received: Array<{ headers: http.IncomingHttpHeaders; body: { lead: { id: string }; note: { text: string; by: string | null } | null } }> = [];
const taskQueue = uniqueTaskQueue('lead-notes');

beforeAll(async () => {
  db = await createTestDatabase();
  await seedDemoAccount(db.knex);
  env = await createLocalEnv();
  await registerSearchAttributes(env.connection, env.namespace ?? 'default');
  web = await startWebServer({ port: 0, databaseUrl: db.url, sessionSecret: TEST_SESSION_SECRET, mode: 'development', temporal: { client: env.client }, taskQueue });
  eagent = http.createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (text += c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: JSON.parse(text) });
      res.writeHead(201).end('{"ok":true}');
    });
  });
  await new Promise<void>((r) => eagent.listen(0, '127.0.0.1', r));
  eagentUrl = `http://127.0.0.1:${(eagent.address() as AddressInfo).port}/leads`;
}, 120_000);

afterAll(async () => {
  await new Promise<void>((r) => (eagent ? eagent.close(() => r()) : r()));
  await web?.close();
  await env?.teardown();
  await db?.destroy();
});

async function alexsLead(offset = 0) {
  const alex = await db.knex('users').where({ username: 'lsp.alex' }).first('id', 'account_id');
  const lead = await db.knex('leads').where({ assigned_user_id: alex.id }).orderBy('created_at').offset(offset).first('id');
  return { alexId: alex.id as string, accountId: alex.account_id as string, leadId: lead.id as string };
}

const actionIdOf = (html: string) => /name="actionId" value="([0-9a-f-]{36})"/.exec(html)![1]!;

async function signedIn(username: string, password: string) {
  const client = new WebClient(web.url);
  expect((await client.login(username, password)).status).toBe(302);
  return client;
}

describe('notes on a lead', () => {
  it('records a note alone in the history with its author, once per form, and refuses an empty one', async () => {
    const { leadId } = await alexsLead(0);
    const alex = await signedIn('lsp.alex', 'alex-demo-pass');
    const actionId = actionIdOf((await alex.get(`/leads/${leadId}`)).text);
    const empty = await alex.submit(`/leads/${leadId}`, { intent: 'note', actionId, note: '   ' });
    expect(empty.status).toBe(400);
    expect(visibleText(empty.text)).toContain('Write the note first');

    const note = 'Prefers calls after 5 PM; spouse decides on the auto policy.';
    expect((await alex.submit(`/leads/${leadId}`, { intent: 'note', actionId, note })).status).toBe(200);
    // The double click: the same form again.
    expect((await alex.submit(`/leads/${leadId}`, { intent: 'note', actionId, note })).status).toBe(200);
    const rows = await db.knex('lead_events').where({ lead_id: leadId, type: 'note' }).select('note', 'actor_user_id');
    expect(rows).toHaveLength(1);

    const text = visibleText((await alex.get(`/leads/${leadId}`)).text);
    expect(text).toContain(`Note by Alex Rivera ${note}`);
  });

  it('lets neither support nor another LSP write a note', async () => {
    const { leadId } = await alexsLead(0);
    const kim = await signedIn('support.kim', 'kim-demo-pass');
    expect((await kim.get(`/leads/${leadId}`)).text).not.toContain('Save note');
    expect([403, 404]).toContain((await kim.submit(`/leads/${leadId}`, { intent: 'note', actionId: crypto.randomUUID(), note: 'not mine' })).status);
    const sam = await signedIn('lsp.sam', 'sam-demo-pass');
    expect((await sam.submit(`/leads/${leadId}`, { intent: 'note', actionId: crypto.randomUUID(), note: 'not mine' }, { from: '/leads' })).status).toBe(404);
    expect(await db.knex('lead_events').where({ lead_id: leadId, type: 'note', note: 'not mine' }).first()).toBeUndefined();
  });

  it('sends the most recent note to eAgent when a Quick Action with that note reaches the eAgent milestone', async () => {
    const { leadId, accountId } = await alexsLead(1);
    await db.knex('accounts').where({ id: accountId }).update({ eagent_enabled: true, eagent_url: eagentUrl, eagent_milestone: 'quoted' });
    const alex = await signedIn('lsp.alex', 'alex-demo-pass');
    // An older note first: eAgent must get the newer one.
    expect((await alex.submit(`/leads/${leadId}`, { intent: 'note', actionId: actionIdOf((await alex.get(`/leads/${leadId}`)).text), note: 'First call: voicemail.' })).status).toBe(200);

    const activities = createActivities({ db: db.knex, mailer: { sendMail: async () => undefined } as never, temporal: env.client, taskQueue, workerIdentity: 'lead-notes-test-worker', eagentAllowPrivate: true });
    await withWorker(env, { taskQueue, workflowsPath: WORKFLOWS, activities }, async () => {
      const note = 'Quoted $142/month auto + home bundle; wants the proposal by e-mail.';
      const actionId = actionIdOf((await alex.get(`/leads/${leadId}`)).text);
      expect((await alex.submit(`/leads/${leadId}`, { action: 'quoted', actionId, note })).status).toBe(200);
      const sent = await eventually(async () => received.find((r) => r.body.lead.id === leadId), 'the eAgent transfer', 30_000);
      expect(sent.body.note).toMatchObject({ text: note, by: 'Alex Rivera' });
      expect(sent.headers['idempotency-key']).toBe(`lead-${leadId}:eagent`);
      await eventually(async () => (await db.knex('lead_events').where({ lead_id: leadId, type: 'eagent_transferred' }).first('id')) ?? null, 'the transfer recorded');
      const text = visibleText((await alex.get(`/leads/${leadId}`)).text);
      expect(text).toContain('Sent to eAgent');
      expect(text).toContain('Quoted by Alex Rivera');
      expect(text).toContain(`Note by Alex Rivera, with Quoted ${note}`);
      await env.client.workflow.getHandle(`lead-${leadId}`).terminate('test over');
    });
  });
});
