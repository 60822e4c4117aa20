// The hot-lead e-mail, through a real SMTP listener: after an auto-assign pass, each highly
// engaged lead it gave an LSP who asked for the e-mail is mailed to them once (subject "New hot
// lead: Maria G.", city and state, a link, the time on their clock), even when the pass's
// activity is retried; a manual assignment's e-mail is queued by the web app's call and sent by
// the next pass; a lead the LSP took themselves, a colder lead, or an LSP who did not ask for it
// gets none; an e-mail SMTP refused goes with a later pass.
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createDistributionActivities, type AutoAssignAccountResult } from '../../activities/distribution.ts';
import { createMailer, type Mailer } from '../../activities/mailer.ts';
import { assignLeads } from '../../db/distribution/assign.ts';
import { autoAssign } from '../../db/distribution/auto-assign.ts';
import { notifyHotLeads } from '../../db/distribution/hot-lead-mail.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { createAccountWithAdmin, createLsp, insertLeads, setTemplate } from '../support/fixtures.ts';
import { startSmtpListener, type SmtpListener } from '../support/smtp.ts';

const APP_URL = 'https://leads.agency.example';
let db: TestDatabase;
let smtp: SmtpListener;

beforeAll(async () => {
  [db, smtp] = await Promise.all([createTestDatabase(), startSmtpListener()]);
  // Without Temporal every assigned lead's workflow is reported as not told: expected here, and only that is kept quiet.
  const error = console.error.bind(console);
  vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
    if (typeof args[0] === 'string' && args[0].startsWith('[assign] the assignment is saved')) return;
    error(...args);
  });
});
afterAll(async () => {
  vi.restoreAllMocks();
  await Promise.all([db?.destroy(), smtp?.close()]);
});

/** The worker's distribution activities, with the hot-lead e-mail's deps; lead workflows are not told here. */
function activities(mailer: Mailer = createMailer(smtp.url)) {
  return createDistributionActivities({
    db: db.knex,
    temporal: () => Promise.reject(new Error('no Temporal in this test')),
    taskQueue: 'unpolled',
    mail: { mailer, mailFrom: 'Leadflow <no-reply@leadflow.test>', clock: { now: () => new Date() }, appUrl: APP_URL },
  });
}
const runPass = (accountId: string, at: Date, acts = activities()): Promise<AutoAssignAccountResult> =>
  new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') }).run(acts.autoAssignAccount, { accountId, trigger: 'test', at: at.toISOString() });

/** An account on Chicago time whose workday has started, with auto-assign on or off. */
async function agency(autoAssignOn = true) {
  const { accountId, userId: adminId } = await createAccountWithAdmin(db.knex, 'Hot Agency');
  await db.knex('accounts').where({ id: accountId }).update({ time_zone: 'America/Chicago', workday_start_minutes: 0 });
  await setTemplate(db.knex, accountId, 'auto_assign', autoAssignOn);
  return { accountId, adminId };
}
const mailsTo = (address: string) => smtp.messages.filter((m) => m.to.includes(address));
const emailOf = async (id: string) => (await db.knex('users').where({ id }).first('email')).email as string;

describe('the hot-lead e-mail', () => {
  it('after a pass: one e-mail per hot lead to the LSP who asked for it, with the least of the consumer, in their zone; never twice on a retry', async () => {
    const { accountId } = await agency();
    // Alex asked for the e-mail and reads times in Denver; Sam did not ask. Both are licensed in TX only.
    const alex = await createLsp(db.knex, accountId, { name: 'Alex Rivera', states: ['TX'], timeZone: 'America/Denver', target: 2 });
    const sam = await createLsp(db.knex, accountId, { name: 'Sam Lee', states: ['TX'], target: 2 });
    await db.knex('users').where({ id: alex }).update({ notify_hot_leads: true });
    const [maria, cold, forSam] = await insertLeads(db.knex, accountId, [
      { firstName: 'Maria', lastName: 'gonzalez', segment: 'highly_engaged', createdAt: new Date(Date.now() - 60_000) },
      { firstName: 'Colin', lastName: 'Cold', segment: 'cold' },
      { firstName: 'Hana', lastName: 'Hot', segment: 'highly_engaged', createdAt: new Date(Date.now() - 120_000) },
    ]);
    const at = new Date();

    const result = await runPass(accountId, at);
    expect(result.assigned).toBe(3);
    const holders = new Map((await db.knex('leads').whereIn('id', [maria, cold, forSam]).select('id', 'assigned_user_id')).map((l) => [l.id, l.assigned_user_id]));
    // Most capacity left first, then by name: Alex gets Maria, Sam the other hot lead, Alex the cold one.
    expect([holders.get(maria), holders.get(forSam), holders.get(cold)]).toEqual([alex, sam, alex]);

    const alexMail = await smtp.waitFor((m) => m.subject === 'New hot lead: Maria G.');
    expect(alexMail.to).toEqual([await emailOf(alex)]);
    expect(alexMail.subject).toBe('New hot lead: Maria G.');
    const when = new Intl.DateTimeFormat('en-US', { weekday: 'short', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', timeZoneName: 'short', timeZone: 'America/Denver' }).format(at);
    expect(alexMail.text).toContain(`A highly engaged lead was assigned to you on ${when}: Maria G. in Austin, TX.`);
    expect(alexMail.text).toContain(`Open the lead: ${APP_URL}/leads/${maria}`);
    // The consumer's last name, phone and e-mail address stay out of the mail.
    expect(alexMail.text).not.toMatch(/gonzalez|5125550100|@example\.test/i);
    const assignment = await db.knex('assignments').where({ lead_id: maria, user_id: alex }).first('id');
    expect(await db.knex('email_outbox').where({ account_id: accountId }).select('idempotency_key', 'status')).toEqual([{ idempotency_key: `hot-lead:${assignment.id}`, status: 'sent' }]);

    // The activity retried with the same instant: nothing new to assign, nothing mailed again.
    await runPass(accountId, at);
    expect(mailsTo(await emailOf(alex))).toHaveLength(1);
    expect(mailsTo(await emailOf(sam))).toHaveLength(0);
  });

  it('a pass that committed and died before its e-mails: the retried activity mails them, once', async () => {
    const { accountId } = await agency();
    const alex = await createLsp(db.knex, accountId, { name: 'Ava Stone', states: ['TX'] });
    await db.knex('users').where({ id: alex }).update({ notify_hot_leads: true });
    const [lead] = await insertLeads(db.knex, accountId, [{ firstName: 'Omar', lastName: 'Haddad', segment: 'highly_engaged' }]);
    const at = new Date();
    // The first attempt: the pass commits, and the worker dies before the activity goes on.
    await autoAssign({ db: db.knex, temporal: null }, accountId, { trigger: 'test', at });
    expect((await db.knex('leads').where({ id: lead }).first('assigned_user_id')).assigned_user_id).toBe(alex);
    const result = await runPass(accountId, at);
    expect(result.assigned).toBe(0);
    const mail = await smtp.waitFor((m) => m.subject === 'New hot lead: Omar H.');
    expect(mail.to).toEqual([await emailOf(alex)]);
    await runPass(accountId, at);
    expect(smtp.messages.filter((m) => m.subject === 'New hot lead: Omar H.')).toHaveLength(1);
  });

  it('after a manual assignment: the web app queues it and the next pass sends it, auto-assign on or off; an LSP’s own claim is not mailed', async () => {
    const { accountId, adminId } = await agency(false);
    const lsp = await createLsp(db.knex, accountId, { name: 'Noor Haddad', states: ['TX'] });
    await db.knex('users').where({ id: lsp }).update({ notify_hot_leads: true });
    const [byHand, taken] = await insertLeads(db.knex, accountId, [
      { firstName: 'Lena', lastName: 'Novak', segment: 'highly_engaged' },
      { firstName: 'Tom', lastName: 'Took', segment: 'highly_engaged' },
    ]);
    const deps = { db: db.knex, temporal: null };
    const manual = await assignLeads(deps, { accountId, leadIds: [byHand!], userId: lsp, byUserId: adminId, reason: 'Noor covers Austin' });
    // The LSP assigning a lead to themselves, as a claim or Next lead does.
    const own = await assignLeads(deps, { accountId, leadIds: [taken!], userId: lsp, byUserId: lsp, reason: 'mine', method: 'claim' });
    const queued = await notifyHotLeads(deps, { accountId, leadIds: [...manual.assigned, ...own.assigned].map((a) => a.leadId), appUrl: APP_URL });
    expect(queued.map((q) => q.leadId)).toEqual([byHand]);
    // Calling again (a retried request) queues nothing new.
    expect((await notifyHotLeads(deps, { accountId, leadIds: [byHand!], appUrl: APP_URL })).map((q) => q.outboxId)).toEqual(queued.map((q) => q.outboxId));

    const result = await runPass(accountId, new Date());
    expect(result).toMatchObject({ enabled: false, assigned: 0 });
    const mail = await smtp.waitFor((m) => m.subject === 'New hot lead: Lena N.');
    expect(mail.to).toEqual([await emailOf(lsp)]);
    expect(mail.text).toContain(`${APP_URL}/leads/${byHand}`);
    expect(smtp.messages.filter((m) => m.subject === 'New hot lead: Tom T.')).toHaveLength(0);
  });

  it('an e-mail SMTP did not take goes out with a later pass', async () => {
    const { accountId } = await agency();
    const lsp = await createLsp(db.knex, accountId, { name: 'Rae Quinn', states: ['TX'] });
    await db.knex('users').where({ id: lsp }).update({ notify_hot_leads: true });
    const [lead] = await insertLeads(db.knex, accountId, [{ firstName: 'Ivy', lastName: 'Iverson', segment: 'highly_engaged' }]);
    const down: Mailer = { sendMail: () => Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })) };
    const first = await runPass(accountId, new Date(), activities(down));
    expect(first.assigned).toBe(1);
    const row = await db.knex('email_outbox').where({ account_id: accountId }).first('status', 'attempts', 'last_error');
    expect(row).toMatchObject({ status: 'pending', attempts: 1, last_error: expect.stringContaining('ECONNREFUSED') });

    await runPass(accountId, new Date());
    const mail = await smtp.waitFor((m) => m.subject === 'New hot lead: Ivy I.');
    expect(mail.text).toContain(`${APP_URL}/leads/${lead}`);
    expect((await db.knex('email_outbox').where({ account_id: accountId }).first('status')).status).toBe('sent');
  });
});
