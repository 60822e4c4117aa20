// Action e-mails through the web app, with the real lead workflow on the offline Temporal server,
// real Postgres and a real SMTP listener: E-mail Confirmed mails the lead the account's
// confirmation (first name merged) once per press and stamps the date when it is sent; a DNE
// lead gets nothing and its history says why; an Appointment tells the appointment desk when
// the account has its address, and nobody without; the owner's template edits reach the next
// e-mail; nobody else may edit them. The appointment path is recorded for the replay test.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities/index.ts';
import { createMailer } from '../../activities/mailer.ts';
import { hashPassword } from '../../db/passwords.ts';
import { seedDemoAccount } from '../../db/seed.ts';
import { registerSearchAttributes } from '../../temporal.config.ts';
import { startWebServer, type RunningWebServer } from '../../web/server.ts';
import { leadHistoryKey } from '../../workflows/lead/messages.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { eventually } from '../support/eventually.ts';
import { TEST_SESSION_SECRET, visibleText, WebClient } from '../support/http.ts';
import { startSmtpListener, type SmtpListener } from '../support/smtp.ts';
import { createLocalEnv, uniqueTaskQueue, withWorker } from '../support/temporal.ts';

const WORKFLOWS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../workflows/index.ts');
// Recorded from the appointment test (RECORD_HISTORIES=1 refreshes it): E-mail Confirmed, then
// an Appointment told to the desk, behind the appointment-desk-mail patch.
const HISTORY_FILE = fileURLToPath(new URL('../histories/lead-action-emails.json', import.meta.url));

let db: TestDatabase;
let env: TestWorkflowEnvironment;
let web: RunningWebServer;
let smtp: SmtpListener;
const taskQueue = uniqueTaskQueue('action-emails');
const APP_URL = 'https://leadflow.agency.example';

beforeAll(async () => {
  db = await createTestDatabase();
  await seedDemoAccount(db.knex);
  env = await createLocalEnv();
  await registerSearchAttributes(env.connection, env.namespace ?? 'default');
  smtp = await startSmtpListener();
  web = await startWebServer({ port: 0, databaseUrl: db.url, sessionSecret: TEST_SESSION_SECRET, mode: 'development', temporal: { client: env.client }, taskQueue });
  const demo = await db.knex('accounts').first('id');
  await db.knex('users').insert({ account_id: demo.id, username: 'admin.ash', email: 'ash@leadflow.test', name: 'Ash Admin', role: 'admin', password_hash: await hashPassword('ash-admin-pass') });
}, 120_000);

afterAll(async () => {
  await web?.close();
  await smtp?.close();
  await env?.teardown();
  await db?.destroy();
});

const activities = () => createActivities({ db: db.knex, mailer: createMailer(smtp.url), temporal: env.client, taskQueue, appUrl: APP_URL, workerIdentity: 'action-emails-test' });
const working = <T>(fn: () => Promise<T>) => withWorker(env, { taskQueue, workflowsPath: WORKFLOWS, activities: activities() }, fn);

/** One of Alex's leads, made into the person the test needs. */
let used = 0;
async function alexsLead(person: { firstName: string; email: string | null; dne?: boolean; timeZone?: string }) {
  const alex = await db.knex('users').where({ username: 'lsp.alex' }).first('id');
  const lead = await db.knex('leads').orderBy('created_at').offset(used++).first('id');
  await db.knex('leads').where({ id: lead.id }).update({
    assigned_user_id: alex.id,
    first_name: person.firstName,
    emails: JSON.stringify(person.email ? [{ raw: person.email, address: person.email, valid: true }] : []),
    dne: person.dne ?? false,
    milestone: 'new',
    time_zone: person.timeZone ?? 'America/Chicago',
  });
  return lead.id as string;
}

const actionIdOf = (html: string) => /name="actionId" value="([0-9a-f-]{36})"/.exec(html)![1]!;

async function signedIn(username: string, password: string) {
  const client = new WebClient(web.url);
  expect((await client.login(username, password)).status).toBe(302);
  return client;
}

const leadPage = async (client: WebClient, leadId: string) => visibleText((await client.get(`/leads/${leadId}`)).text);
const outboxRows = (key: string) => db.knex('email_outbox').where({ idempotency_key: key }).select('id', 'status', 'to_address', 'sent_at');

describe('E-mail Confirmed', () => {
  it('mails the lead the confirmation with their first name, once for a double press, and stamps the date it went out', async () => {
    const leadId = await alexsLead({ firstName: 'Priya', email: 'priya.shah@example.com' });
    const alex = await signedIn('lsp.alex', 'alex-demo-pass');
    const before = await leadPage(alex, leadId);
    expect(before).toContain('E-mail Confirmed');
    expect(before).toMatch(/E-mail confirmed\s*Not yet/);
    const actionId = actionIdOf((await alex.get(`/leads/${leadId}`)).text);
    await working(async () => {
      expect((await alex.submit(`/leads/${leadId}`, { action: 'email_confirmed', actionId })).status).toBe(200);
      // The double click: the same form, the same id.
      expect((await alex.submit(`/leads/${leadId}`, { action: 'email_confirmed', actionId })).status).toBe(200);
      const mail = await smtp.waitFor((m) => m.to.includes('priya.shah@example.com'), 30_000);
      expect(mail.subject).toBe('Your e-mail address is confirmed');
      expect(mail.text).toMatch(/^Hi Priya,/);
      expect(mail.text).toContain('Alex Rivera');
      const key = leadHistoryKey.actionEmail(leadId, 'confirmation', actionId);
      await eventually(async () => (await db.knex('lead_events').where({ idempotency_key: key, type: 'confirmation_sent' }).first('id')) ?? null, 'the confirmation recorded as sent', 30_000);
    });
    const [row] = await outboxRows(leadHistoryKey.actionEmail(leadId, 'confirmation', actionId));
    expect(row).toMatchObject({ status: 'sent', to_address: 'priya.shah@example.com' });
    expect(smtp.messages.filter((m) => m.to.includes('priya.shah@example.com'))).toHaveLength(1);
    const lead = await db.knex('leads').where({ id: leadId }).first('email_confirmed_at', 'milestone');
    // Stamped with the moment the server accepted the e-mail, not when it was queued.
    expect(lead.email_confirmed_at.toISOString()).toBe(row.sent_at.toISOString());
    // A lead at New has been reached: Contacted.
    expect(lead.milestone).toBe('contacted');
    const page = await leadPage(alex, leadId);
    // The viewer's zone (the demo account's, Central): the date in words, never ISO.
    expect(page).toMatch(/E-mail confirmed\s*[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{2}:\d{2} C[SD]T/);
    expect(page).toContain('Confirmation e-mail sent to p…@example.com');
    expect(page).toContain('E-mail Confirmed by Alex Rivera');
  }, 120_000);

  it('sends a DNE lead nothing, and the history says why', async () => {
    const leadId = await alexsLead({ firstName: 'Dee', email: 'dee.nomail@example.com', dne: true });
    const alex = await signedIn('lsp.alex', 'alex-demo-pass');
    const actionId = actionIdOf((await alex.get(`/leads/${leadId}`)).text);
    const key = leadHistoryKey.actionEmail(leadId, 'confirmation', actionId);
    await working(async () => {
      expect((await alex.submit(`/leads/${leadId}`, { action: 'email_confirmed', actionId })).status).toBe(200);
      await eventually(async () => (await db.knex('lead_events').where({ idempotency_key: key }).first('type')) ?? null, 'the refusal recorded', 30_000);
    });
    expect(await outboxRows(key)).toHaveLength(0);
    expect(smtp.messages.some((m) => m.to.includes('dee.nomail@example.com'))).toBe(false);
    expect((await db.knex('leads').where({ id: leadId }).first('email_confirmed_at')).email_confirmed_at).toBeNull();
    const page = await leadPage(alex, leadId);
    expect(page).toContain('Confirmation not sent: the lead does not accept e-mail');
    expect(page).toMatch(/E-mail confirmed\s*Not yet/);
  }, 120_000);
});

describe('the owner’s templates', () => {
  it('lets the owner preview and save the confirmation, refuses unknown merge fields, and the next e-mail uses it (an empty first name reads "there")', async () => {
    const dana = await signedIn('A0DEMO1', 'owner-demo-pass');
    const page = visibleText((await dana.get('/email-templates')).text);
    expect(page).toContain('E-mail confirmation (to the lead)');
    expect(page).toContain('{{first_name}}');

    const unknown = await dana.submit('/email-templates', { intent: 'save', key: 'confirmation', subject: 'Hello {{first_name}}', body: 'Your favourite: {{favourite_color}}' });
    expect(unknown.status).toBe(400);
    expect(visibleText(unknown.text)).toContain('Unknown merge field {{favourite_color}}: this template can use {{first_name}}');
    expect(await db.knex('action_email_templates').count({ n: '*' }).first()).toMatchObject({ n: '0' });

    const subject = 'Thanks {{first_name}}: {{agency_name}} has your address';
    const body = 'Dear {{first_name}},\r\n\r\nWe have your e-mail on file now.\r\n{{lsp_name}}';
    const preview = await dana.submit('/email-templates', { intent: 'preview', key: 'confirmation', subject, body });
    expect(preview.status).toBe(200);
    const previewText = visibleText(preview.text);
    expect(previewText).toContain('Subject: Thanks Pat: ');
    expect(previewText).toContain('Dear Pat,');
    expect(await db.knex('action_email_templates').count({ n: '*' }).first()).toMatchObject({ n: '0' });

    const saved = await dana.submit('/email-templates', { intent: 'save', key: 'confirmation', subject, body });
    expect(saved.status).toBe(302);

    const leadId = await alexsLead({ firstName: '', email: 'nameless@example.com' });
    const alex = await signedIn('lsp.alex', 'alex-demo-pass');
    const actionId = actionIdOf((await alex.get(`/leads/${leadId}`)).text);
    await working(async () => {
      expect((await alex.submit(`/leads/${leadId}`, { action: 'email_confirmed', actionId })).status).toBe(200);
      const mail = await smtp.waitFor((m) => m.to.includes('nameless@example.com'), 30_000);
      const agency = await db.knex('accounts').first('name');
      expect(mail.subject).toBe(`Thanks there: ${agency.name} has your address`);
      expect(mail.text).toMatch(/^Dear there,\n\nWe have your e-mail on file now.\nAlex Rivera/);
    });
  }, 120_000);

  it('is the owner’s alone: an admin and an LSP can neither open nor change it', async () => {
    for (const [username, password] of [
      ['admin.ash', 'ash-admin-pass'],
      ['lsp.alex', 'alex-demo-pass'],
    ] as const) {
      const c = await signedIn(username, password);
      expect((await c.get('/email-templates')).status).toBe(403);
      expect(visibleText((await c.get('/leads')).text)).not.toContain('E-mail templates');
      // A form posted anyway (with a valid CSRF token from a page they may open) changes nothing.
      const res = await c.submit('/email-templates', { intent: 'desk', deskEmail: 'attacker@example.com' }, { from: '/leads' });
      expect(res.status).toBe(403);
    }
    expect((await db.knex('accounts').first('appointment_desk_email')).appointment_desk_email).not.toBe('attacker@example.com');
  });
});

describe('Appointment and the appointment desk', () => {
  it('tells nobody without a desk address, then e-mails the desk the lead, both clocks, the LSP and the link, and stamps Appointment made', async () => {
    const dana = await signedIn('A0DEMO1', 'owner-demo-pass');
    expect((await dana.submit('/email-templates', { intent: 'desk', deskEmail: '' })).status).toBe(302);
    const leadId = await alexsLead({ firstName: 'Marco', email: 'marco@example.com', timeZone: 'America/New_York' });
    const alex = await signedIn('lsp.alex', 'alex-demo-pass');
    // Three days ahead at 10:00 on the lead's (Eastern) clock, as the form's datetime-local sends it.
    const day = new Date(Date.now() + 3 * 86_400_000).toLocaleDateString('en-CA', { timeZone: 'America/New_York' });

    await working(async () => {
      const handle = env.client.workflow.getHandle(`lead-${leadId}`);
      // No desk address: the action is recorded, and the desk is not told.
      const first = actionIdOf((await alex.get(`/leads/${leadId}`)).text);
      expect((await alex.submit(`/leads/${leadId}`, { action: 'appointment', actionId: first, dueAt: `${day}T10:00` })).status).toBe(200);
      // The workflow asked whether there is a desk, and the answer came back.
      const deskLookupDone = async () => {
        const events = (await handle.fetchHistory()).events!;
        const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'queueAppointmentDeskEmail');
        return scheduled && events.some((e) => String(e.activityTaskCompletedEventAttributes?.scheduledEventId ?? '') === String(scheduled.eventId)) ? true : null;
      };
      await eventually(deskLookupDone, 'the desk looked up', 30_000);
      expect(await outboxRows(leadHistoryKey.actionEmail(leadId, 'appointment_desk', first))).toHaveLength(0);

      // With an E-mail Confirmed first, so the recorded history holds both action e-mails.
      const confirm = actionIdOf((await alex.get(`/leads/${leadId}`)).text);
      expect((await alex.submit(`/leads/${leadId}`, { action: 'email_confirmed', actionId: confirm })).status).toBe(200);
      await smtp.waitFor((m) => m.to.includes('marco@example.com'), 30_000);

      expect((await dana.submit('/email-templates', { intent: 'desk', deskEmail: 'appointments@agency.example' })).status).toBe(302);
      const second = actionIdOf((await alex.get(`/leads/${leadId}`)).text);
      expect((await alex.submit(`/leads/${leadId}`, { action: 'appointment', actionId: second, dueAt: `${day}T10:00` })).status).toBe(200);
      const mail = await smtp.waitFor((m) => m.to.includes('appointments@agency.example'), 30_000);
      const lead = await db.knex('leads').where({ id: leadId }).first('first_name', 'last_name');
      expect(mail.subject).toBe(`Appointment requested: ${lead.first_name} ${lead.last_name}`);
      // The agency's clock (Central) and the lead's (Eastern), in words.
      expect(mail.text).toMatch(/When: [A-Z][a-z]{2}, [A-Z][a-z]{2} \d{1,2}, 9:00 AM C[SD]T \(10:00 AM E[SD]T for the lead\)/);
      expect(mail.text).toContain('LSP: Alex Rivera');
      expect(mail.text).toContain(`Lead: ${APP_URL}/leads/${leadId}`);
      expect(mail.text).toMatch(/Phone: \+1 \d{3}-\d{3}-\d{4}/);
      const key = leadHistoryKey.actionEmail(leadId, 'appointment_desk', second);
      await eventually(async () => (await db.knex('lead_events').where({ idempotency_key: key, type: 'appointment_desk_told' }).first('id')) ?? null, 'the desk recorded as told', 30_000);
      if (process.env.RECORD_HISTORIES === '1' || !fs.existsSync(HISTORY_FILE)) fs.writeFileSync(HISTORY_FILE, historyToJSON(await handle.fetchHistory()));
      await handle.terminate('test over');
    });
    expect(smtp.messages.filter((m) => m.to.includes('appointments@agency.example'))).toHaveLength(1);
    const [row] = await outboxRows(leadHistoryKey.actionEmail(leadId, 'appointment_desk', (await db.knex('lead_events').where({ lead_id: leadId, type: 'appointment_desk_told' }).first('data')).data.actionId));
    expect((await db.knex('leads').where({ id: leadId }).first('appointment_made_at')).appointment_made_at.toISOString()).toBe(row.sent_at.toISOString());
    const page = await leadPage(alex, leadId);
    expect(page).toMatch(/Appointment made\s*[A-Z][a-z]{2} \d{1,2}, \d{4}/);
    expect(page).toContain('Appointment desk told of the call back on');
    expect(page).toContain('(e-mailed a…@agency.example)');
  }, 180_000);
});
