// Quick Action buttons on the lead page: each click reaches the lead's workflow as a signal
// (started if it was not running), with who clicked and the id that makes a double click count once.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoAccount } from '../../db/seed.ts';
import { startWebServer, type RunningWebServer } from '../../web/server.ts';
import { zonedLocalToIso } from '../../web/app/utils/quick-actions.server.ts';
import type { QuickActionRequest } from '../../workflows/lead/quick-actions.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { TEST_SESSION_SECRET, WebClient } from '../support/http.ts';
import { createTimeSkippingEnv, uniqueTaskQueue, withWorker } from '../support/temporal.ts';

const WORKFLOWS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/signal-recorder-workflow.ts');
let db: TestDatabase;
let env: TestWorkflowEnvironment;
let web: RunningWebServer;
const taskQueue = uniqueTaskQueue('quick-actions');

beforeAll(async () => {
  db = await createTestDatabase();
  await seedDemoAccount(db.knex);
  env = await createTimeSkippingEnv();
  web = await startWebServer({ port: 0, databaseUrl: db.url, sessionSecret: TEST_SESSION_SECRET, mode: 'development', temporal: { client: env.client }, taskQueue });
});
afterAll(async () => {
  await web?.close();
  await env?.teardown();
  await db?.destroy();
});

async function alexsLead() {
  const alex = await db.knex('users').where({ username: 'lsp.alex' }).first('id');
  const lead = await db.knex('leads').where({ assigned_user_id: alex.id }).orderBy('created_at').first('id', 'time_zone');
  return { alexId: alex.id as string, leadId: lead.id as string };
}

const actionIdOf = (html: string) => /name="actionId" value="([0-9a-f-]{36})"/.exec(html)![1]!;

describe('Quick Actions on the lead page', () => {
  it('sends the clicked action to the lead workflow with who clicked, once per click id', async () => {
    const { alexId, leadId } = await alexsLead();
    const alex = new WebClient(web.url);
    await alex.login('lsp.alex', 'alex-demo-pass');
    const page = await alex.get(`/leads/${leadId}`);
    expect(page.text).toContain('Quick Actions');
    expect(page.text).toContain('Attempted Contact');
    const actionId = actionIdOf(page.text);
    await withWorker(env, { taskQueue, workflowsPath: WORKFLOWS }, async () => {
      const res = await alex.submit(`/leads/${leadId}`, { action: 'attempted_contact', actionId });
      expect(res.status).toBe(200);
      // The double click: the same form, the same id.
      await alex.submit(`/leads/${leadId}`, { action: 'attempted_contact', actionId });
      const received = await env.client.workflow.getHandle(`lead-${leadId}`).query<QuickActionRequest[]>('received');
      expect(received).toHaveLength(2);
      expect(received[0]).toMatchObject({ action: 'attempted_contact', actionId, byUserId: alexId });
      expect(received[1]!.actionId).toBe(received[0]!.actionId);
    });
  });

  it('refuses an appointment without a time, and converts one given in the lead’s local time', async () => {
    const { leadId } = await alexsLead();
    const alex = new WebClient(web.url);
    await alex.login('lsp.alex', 'alex-demo-pass');
    const actionId = actionIdOf((await alex.get(`/leads/${leadId}`)).text);
    const missing = await alex.submit(`/leads/${leadId}`, { action: 'appointment', actionId });
    expect(missing.status).toBe(400);
    expect(missing.text).toContain('Appointment / Call Back needs a date and time');
    expect(zonedLocalToIso('2026-07-01T09:30', 'America/Chicago')).toBe('2026-07-01T14:30:00.000Z');
    expect(zonedLocalToIso('2026-01-15T09:30', 'America/New_York')).toBe('2026-01-15T14:30:00.000Z');
  });

  it('gives support users no Quick Actions, and refuses one they post anyway', async () => {
    const { leadId } = await alexsLead();
    const kim = new WebClient(web.url);
    await kim.login('support.kim', 'kim-demo-pass');
    const page = await kim.get(`/leads/${leadId}`);
    expect(page.status).toBe(200);
    expect(page.text).not.toContain('Quick Actions');
    const res = await kim.submit(`/leads/${leadId}`, { action: 'sold', actionId: '00000000-0000-4000-8000-000000000000' });
    expect([403, 404]).toContain(res.status);
  });

  it('answers 404 for a Quick Action on another LSP’s lead', async () => {
    const { leadId } = await alexsLead();
    const sam = new WebClient(web.url);
    await sam.login('lsp.sam', 'sam-demo-pass');
    const res = await sam.submit(`/leads/${leadId}`, { action: 'sold', actionId: '00000000-0000-4000-8000-000000000001' });
    expect(res.status).toBe(404);
  });

  it('offers to archive a lead at Personalized Proposal, and sends the archive to its workflow', async () => {
    const { alexId, leadId } = await alexsLead();
    const alex = new WebClient(web.url);
    await alex.login('lsp.alex', 'alex-demo-pass');
    expect((await alex.get(`/leads/${leadId}`)).text).not.toContain('Archive lead');
    expect((await alex.submit(`/leads/${leadId}`, { intent: 'archive' })).status).toBe(400);
    await db.knex('leads').where({ id: leadId }).update({ milestone: 'personalized_proposal' });
    expect((await alex.get(`/leads/${leadId}`)).text).toContain('Archive lead');
    await withWorker(env, { taskQueue, workflowsPath: WORKFLOWS }, async () => {
      expect((await alex.submit(`/leads/${leadId}`, { intent: 'archive' })).status).toBe(200);
      const archived = await env.client.workflow.getHandle(`lead-${leadId}`).query<Array<{ byUserId: string }>>('archived');
      expect(archived).toEqual([expect.objectContaining({ byUserId: alexId })]);
    });
  });
});
