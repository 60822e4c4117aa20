// The LSP's side of distribution over real HTTP: claiming a pool lead from its page (CSRF,
// the holder named when someone was quicker, Shark Tank off, other accounts), the Next lead
// button on My Leads (it opens the lead, or says why not), a Quick Action on a pool lead
// claiming it first, the lead page's "Why is this lead …'s?" panel and who sees it, and the
// live stream of newly assigned leads My Leads listens to. The web server talks to a
// time-skipping Temporal server; a worker running a recorder workflow shows what the Quick
// Actions delivered.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { assignLeads } from '../../db/distribution/assign.ts';
import { autoAssign } from '../../db/distribution/auto-assign.ts';
import { capacityLedger } from '../../db/distribution/ledger.ts';
import { hashPassword } from '../../db/passwords.ts';
import { seedDemoAccount } from '../../db/seed.ts';
import type { QuickActionRequest } from '../../workflows/lead/quick-actions.ts';
import { startWebServer, type RunningWebServer } from '../../web/server.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { insertLeads } from '../support/fixtures.ts';
import { leadIds, listenToStream, TEST_SESSION_SECRET, visibleText, WebClient } from '../support/http.ts';
import { createTimeSkippingEnv, uniqueTaskQueue, withWorker } from '../support/temporal.ts';

const RECORDER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/signal-recorder-workflow.ts');
const DEMO_STATES = ['AZ', 'CO', 'IL', 'MA', 'NJ', 'OH', 'TX', 'WA'];
let db: TestDatabase;
let env: TestWorkflowEnvironment;
let web: RunningWebServer;
const taskQueue = uniqueTaskQueue('claim-next');
let accountId: string;
const users: Record<string, string> = {};

beforeAll(async () => {
  db = await createTestDatabase();
  await seedDemoAccount(db.knex);
  env = await createTimeSkippingEnv();
  web = await startWebServer({ port: 0, databaseUrl: db.url, sessionSecret: TEST_SESSION_SECRET, mode: 'development', temporal: { client: env.client }, taskQueue });
  for (const u of await db.knex('users').select('id', 'username')) users[u.username] = u.id;
  accountId = (await db.knex('users').where({ username: 'A0DEMO1' }).first('account_id')).account_id;
  // Another agency, with an admin and an LSP, to check its people cannot reach this account's leads.
  const [other] = await db.knex('accounts').insert({ name: 'Other Agency', agent_ids: ['B0CLAIM'], shark_tank: true }).returning('id');
  await db.knex('users').insert([
    { account_id: other.id, username: 'admin.other', name: 'Olga Admin', email: 'olga@other.test', role: 'admin', password_hash: await hashPassword('olga-admin-pass') },
    { account_id: other.id, username: 'lsp.other', name: 'Otto Lsp', email: 'otto@other.test', role: 'lsp', password_hash: await hashPassword('otto-lsp-pass'), licensed_states: DEMO_STATES },
  ]);
});
afterAll(async () => {
  await web?.close();
  await env?.teardown();
  await db?.destroy();
});
beforeEach(async () => {
  await db.knex('login_attempts').del();
  await db.knex('accounts').where({ id: accountId }).update({ shark_tank: true });
  await db.knex('users').where({ account_id: accountId, role: 'lsp' }).update({ licensed_states: DEMO_STATES, status: 'active', daily_target: 50, available: true });
});

async function signedIn(username: string, password: string): Promise<WebClient> {
  const c = new WebClient(web.url);
  expect((await c.login(username, password)).status, `login ${username}`).toBe(302);
  return c;
}
const alex = () => signedIn('lsp.alex', 'alex-demo-pass');
const sam = () => signedIn('lsp.sam', 'sam-demo-pass');
const owner = () => signedIn('A0DEMO1', 'owner-demo-pass');
const assigneeOf = async (leadId: string) => (await db.knex('leads').where({ id: leadId }).first('assigned_user_id')).assigned_user_id as string | null;
/** A fresh unassigned Texas lead of the demo account (cold unless told). */
const poolLead = async (firstName: string, lastName: string, over: Parameters<typeof insertLeads>[2][number] = {}) => (await insertLeads(db.knex, accountId, [{ firstName, lastName, ...over }]))[0]!;
const actionIdOf = (html: string) => /name="actionId" value="([0-9a-f-]{36})"/.exec(html)![1]!;

describe('claiming a pool lead from its page', () => {
  it('gives it to the LSP, with CSRF; the page then shows it as theirs and why', async () => {
    const leadId = await poolLead('Jane', 'Claimable');
    const a = await alex();
    const page = await a.get(`/leads/${leadId}`);
    expect(page.status).toBe(200);
    expect(visibleText(page.text)).toContain('Claim this lead');

    // Without the session's token nothing happens.
    expect((await a.post(`/leads/${leadId}`, { intent: 'claim' })).status).toBe(403);
    expect(await assigneeOf(leadId)).toBeNull();

    const res = await a.submit(`/leads/${leadId}`, { intent: 'claim' });
    expect(res.status).toBe(200);
    const text = visibleText(res.text);
    expect(text).toContain('You claimed this lead: it is yours now.');
    expect(text).toContain('Alex Rivera (lsp.alex)');
    expect(text).not.toContain('Claim this lead');
    expect(text).toContain("Why is this lead Alex Rivera's?");
    expect(text).toContain('How Claimed by Alex Rivera');
    expect(text).toContain('Reason Claimed from the pool');
    expect(await assigneeOf(leadId)).toBe(users['lsp.alex']);
    expect(await db.knex('assignments').where({ lead_id: leadId }).first('method', 'assigned_by_user_id')).toEqual({ method: 'claim', assigned_by_user_id: users['lsp.alex'] });
    expect(leadIds((await a.get('/leads')).text)).toContain(leadId);
  });

  it('answers 409 naming who has it when another LSP took it after the page was opened', async () => {
    const leadId = await poolLead('Jane', 'Doe');
    const a = await alex();
    const s = await sam();
    const alexPage = await a.get(`/leads/${leadId}`);
    expect(visibleText(alexPage.text)).toContain('Claim this lead');
    expect((await s.submit(`/leads/${leadId}`, { intent: 'claim' })).status).toBe(200);

    const res = await a.submit(`/leads/${leadId}`, { intent: 'claim' }, { from: '/leads' });
    expect(res.status).toBe(409);
    expect(visibleText(res.text)).toContain("Jane Doe is already Sam Chen's lead");
    expect(await assigneeOf(leadId)).toBe(users['lsp.sam']);
    expect(await db.knex('assignments').where({ lead_id: leadId })).toHaveLength(1);
  });

  it('refuses a lead in a state the LSP is not licensed in, on its page', async () => {
    const leadId = await poolLead('Ida', 'Illinois', { state: 'IL' });
    await db.knex('users').where({ id: users['lsp.alex'] }).update({ licensed_states: ['TX'] });
    const res = await (await alex()).submit(`/leads/${leadId}`, { intent: 'claim' });
    expect(res.status).toBe(409);
    expect(visibleText(res.text)).toContain('Alex Rivera is not licensed in IL');
    expect(await assigneeOf(leadId)).toBeNull();
  });

  it('offers no claim and takes none while Shark Tank is off', async () => {
    const leadId = await poolLead('Off', 'Tank');
    await db.knex('accounts').where({ id: accountId }).update({ shark_tank: false });
    const a = await alex();
    // The pool is not theirs to see, nor to take.
    expect((await a.get(`/leads/${leadId}`)).status).toBe(404);
    expect((await a.submit(`/leads/${leadId}`, { intent: 'claim' }, { from: '/leads' })).status).toBe(404);
    expect(visibleText((await a.get('/leads')).text)).not.toContain('Next lead');
    expect(await assigneeOf(leadId)).toBeNull();
  });

  it('is for LSPs: an owner is refused, and another account’s admin or LSP gets 404', async () => {
    const leadId = await poolLead('Only', 'Lsps');
    const o = await owner();
    expect(visibleText((await o.get(`/leads/${leadId}`)).text)).not.toContain('Claim this lead');
    expect((await o.submit(`/leads/${leadId}`, { intent: 'claim' })).status).toBe(403);
    const olga = await signedIn('admin.other', 'olga-admin-pass');
    expect((await olga.get(`/leads/${leadId}`)).status).toBe(404);
    expect((await olga.submit(`/leads/${leadId}`, { intent: 'claim' }, { from: '/leads' })).status).toBe(404);
    const otto = await signedIn('lsp.other', 'otto-lsp-pass');
    expect((await otto.submit(`/leads/${leadId}`, { intent: 'claim' }, { from: '/leads' })).status).toBe(404);
    expect(await assigneeOf(leadId)).toBeNull();
  });
});

describe('the Next lead button', () => {
  it('gives the LSP the best lead of the pool and opens it, with why', async () => {
    const best = await poolLead('Nora', 'Next', { segment: 'highly_engaged' });
    const a = await alex();
    const list = await a.get('/leads');
    expect(visibleText(list.text)).toContain('Next lead');
    // Without the session's token nothing happens.
    expect((await a.post('/next-lead', {})).status).toBe(403);
    expect(await assigneeOf(best)).toBeNull();

    const res = await a.submit('/next-lead', {}, { from: '/leads' });
    expect(res.status).toBe(302);
    expect(res.location).toBe(`/leads/${best}`);
    expect(await assigneeOf(best)).toBe(users['lsp.alex']);
    const page = visibleText((await a.get(res.location!)).text);
    expect(page).toContain('Alex Rivera (lsp.alex)');
    expect(page).toContain("Why is this lead Alex Rivera's?");
    expect(page).toContain('How Next button');
    expect(page).toContain('Reason Next lead: best in the pool for Alex Rivera');
    expect(page).toContain("Lead's rank Highly engaged (priority 1 of 4), the best lead in the pool for Alex Rivera");
    expect(page).toMatch(/Alex Rivera's day then \d+ of 50 left: \d+ follow-ups? due, \d+ new today/);
  });

  it('brings the LSP back to My Leads saying so at today’s target, and when the pool has nothing for them', async () => {
    await poolLead('Tara', 'Target');
    const { lsps } = await capacityLedger(db.knex, accountId, { userId: users['lsp.alex'] });
    const used = Math.max(1, lsps[0]!.used);
    if (lsps[0]!.used === 0) await assignLeads({ db: db.knex, temporal: null }, { accountId, leadIds: [await poolLead('Fill', 'Day')], userId: users['lsp.alex']!, byUserId: users['A0DEMO1']!, reason: 'fill the day' });
    await db.knex('users').where({ id: users['lsp.alex'] }).update({ daily_target: used });
    const a = await alex();
    const before = await db.knex('assignments').where({ account_id: accountId }).count({ n: '*' });
    const res = await a.submit('/next-lead', {}, { from: '/leads' });
    expect(res.status).toBe(302);
    expect(res.location).toBe(`/leads?next=target&used=${used}&target=${used}`);
    expect(visibleText((await a.get(res.location!)).text)).toContain(`You are at your target today (${used} / ${used})`);
    expect(await db.knex('assignments').where({ account_id: accountId }).count({ n: '*' })).toEqual(before);

    // Under target again, but licensed only where the pool has nothing.
    await db.knex('users').where({ id: users['lsp.alex'] }).update({ daily_target: 50, licensed_states: ['WA'] });
    const none = await a.submit('/next-lead', {}, { from: '/leads' });
    expect(none.location).toBe('/leads?next=none');
    expect(visibleText((await a.get(none.location!)).text)).toContain('No lead in the pool you can take now');

    // A code in the address is all the page reads: made-up text is not shown.
    const forged = visibleText((await a.get('/leads?next=target&used=<b>x</b>&target=9')).text);
    expect(forged).toContain('You are at your target today');
    expect(forged).not.toContain('<b>');
  });

  it('with Shark Tank off, is not offered and is refused', async () => {
    await db.knex('accounts').where({ id: accountId }).update({ shark_tank: false });
    const a = await alex();
    const res = await a.submit('/next-lead', {}, { from: '/leads' });
    expect(res.location).toBe('/leads?next=off');
    expect(visibleText((await a.get(res.location!)).text)).toContain('Shark Tank is off: leads are assigned by an owner or admin');
  });

  it('is the LSP’s: an owner gets 403', async () => {
    const o = await owner();
    expect(visibleText((await o.get('/leads')).text)).not.toContain('Next lead');
    expect((await o.submit('/next-lead', {}, { from: '/leads' })).status).toBe(403);
  });
});

describe('a Quick Action on a pool lead', () => {
  it('claims the lead for the LSP first, then sends the action', async () => {
    const leadId = await poolLead('Quinn', 'Quick');
    const s = await sam();
    const page = await s.get(`/leads/${leadId}`);
    const actionId = actionIdOf(page.text);
    await withWorker(env, { taskQueue, workflowsPath: RECORDER }, async () => {
      const res = await s.submit(`/leads/${leadId}`, { action: 'attempted_contact', actionId });
      expect(res.status).toBe(200);
      expect(await assigneeOf(leadId)).toBe(users['lsp.sam']);
      expect(await db.knex('assignments').where({ lead_id: leadId }).first('method', 'reason')).toEqual({ method: 'claim', reason: 'Claimed by working it (Quick Action)' });
      const received = await env.client.workflow.getHandle(`lead-${leadId}`).query<QuickActionRequest[]>('received');
      expect(received).toEqual([expect.objectContaining({ action: 'attempted_contact', actionId, byUserId: users['lsp.sam'] })]);
    });
  });

  it('is refused with 409 naming the holder when another LSP took the lead meanwhile, and sends nothing', async () => {
    const leadId = await poolLead('Tess', 'Taken');
    const s = await sam();
    const actionId = actionIdOf((await s.get(`/leads/${leadId}`)).text);
    expect((await (await alex()).submit(`/leads/${leadId}`, { intent: 'claim' })).status).toBe(200);
    await withWorker(env, { taskQueue, workflowsPath: RECORDER }, async () => {
      const res = await s.submit(`/leads/${leadId}`, { action: 'contacted', actionId }, { from: '/leads' });
      expect(res.status).toBe(409);
      expect(visibleText(res.text)).toContain("Tess Taken is already Alex Rivera's lead");
      expect(await assigneeOf(leadId)).toBe(users['lsp.alex']);
      // Alex's claim started the lead's workflow; Sam's action never reached it.
      expect(await env.client.workflow.getHandle(`lead-${leadId}`).query<QuickActionRequest[]>('received')).toEqual([]);
    });
  });

  it('by an owner leaves the lead in the pool', async () => {
    const leadId = await poolLead('Owen', 'Owner');
    const o = await owner();
    const actionId = actionIdOf((await o.get(`/leads/${leadId}`)).text);
    await withWorker(env, { taskQueue, workflowsPath: RECORDER }, async () => {
      expect((await o.submit(`/leads/${leadId}`, { action: 'attempted_contact', actionId })).status).toBe(200);
    });
    expect(await assigneeOf(leadId)).toBeNull();
    expect(await db.knex('assignments').where({ lead_id: leadId })).toEqual([]);
  });
});

describe('why a lead is its LSP’s', () => {
  it('shows auto-assign’s reasoning to owners and the LSP who holds it: rank, ledger and every other LSP, and not to support', async () => {
    // Only this lead in the pool for the pass; Alex has the most room.
    await db.knex('leads').where({ account_id: accountId }).whereNull('assigned_user_id').update({ status: 'archived' });
    const leadId = await poolLead('Avery', 'Auto', { segment: 'engaged' });
    await db.knex('accounts').where({ id: accountId }).update({ workday_start_minutes: 0 });
    await db.knex('users').where({ id: users['lsp.sam'] }).update({ licensed_states: ['WA'] });
    const pass = await autoAssign({ db: db.knex, temporal: null }, accountId, { trigger: 'lead arrived' });
    expect(pass.assigned).toEqual([{ leadId, userId: users['lsp.alex'] }]);

    for (const viewer of [await owner(), await alex()]) {
      const page = visibleText((await viewer.get(`/leads/${leadId}`)).text);
      expect(page).toContain("Why is this lead Alex Rivera's?");
      expect(page).toContain('How Auto-assign (lead arrived)');
      expect(page).toContain("Lead's rank Engaged / warmed (priority 2 of 4), #1 in this pass");
      expect(page).toMatch(/Alex Rivera's day then \d+ of 50 left: \d+ follow-ups? due, \d+ new today/);
      expect(page).toMatch(/Sam Chen No not licensed in TX \d+ of 50 left/);
    }
    const kim = await signedIn('support.kim', 'kim-demo-pass');
    const supportPage = visibleText((await kim.get(`/leads/${leadId}`)).text);
    expect(supportPage).toContain('Alex Rivera (lsp.alex)');
    expect(supportPage).not.toContain('Why is this lead');
  });

  it('says who assigned it by hand', async () => {
    const leadId = await poolLead('Manny', 'Manual');
    await assignLeads({ db: db.knex, temporal: null }, { accountId, leadIds: [leadId], userId: users['lsp.sam']!, byUserId: users['A0DEMO1']!, reason: 'Sam knows the family' });
    const page = visibleText((await (await sam()).get(`/leads/${leadId}`)).text);
    expect(page).toContain("Why is this lead Sam Chen's?");
    expect(page).toContain('How Assigned by Dana Owner');
    expect(page).toContain('Reason Sam knows the family');
  });
});

describe('the live stream of newly assigned leads', () => {
  /** Opens /leads/live as `client` and reads it as it streams. */
  const listen = (client: WebClient, query = '') => listenToStream(client, `/leads/live${query}`);

  it('sends the LSP an event for each lead newly assigned to them, and none for another LSP’s', async () => {
    const forSam = await poolLead('Sasha', 'ForSam');
    const forAlex = await poolLead('Alba', 'ForAlex');
    const stream = await listen(await alex());
    try {
      expect(stream.res.status).toBe(200);
      expect(stream.res.headers.get('content-type')).toContain('text/event-stream');
      await stream.until('retry:');
      const deps = { db: db.knex, temporal: null };
      await assignLeads(deps, { accountId, leadIds: [forSam], userId: users['lsp.sam']!, byUserId: users['A0DEMO1']!, reason: 'for Sam' });
      await assignLeads(deps, { accountId, leadIds: [forAlex], userId: users['lsp.alex']!, byUserId: users['A0DEMO1']!, reason: 'for Alex' });
      await stream.until('Alba ForAlex');
      expect(stream.text()).toMatch(new RegExp(`id: \\d+\\nevent: assigned\\ndata: \\{"assignmentId":"\\d+","leadId":"${forAlex}","name":"Alba ForAlex"\\}`));
      expect(stream.text()).not.toContain(forSam);
    } finally {
      await stream.close();
    }
  });

  it('goes on after the last event a reconnecting browser saw', async () => {
    const first = await poolLead('Fay', 'First');
    const second = await poolLead('Sid', 'Second');
    const deps = { db: db.knex, temporal: null };
    const a = await alex();
    const [{ id: seen }] = await db.knex('assignments').insert({ lead_id: first, account_id: accountId, user_id: users['lsp.alex'], reason: 'seen' }).returning('id');
    await db.knex('leads').where({ id: first }).update({ assigned_user_id: users['lsp.alex'] });
    await assignLeads(deps, { accountId, leadIds: [second], userId: users['lsp.alex']!, byUserId: users['A0DEMO1']!, reason: 'while away' });
    const stream = await listen(a, `?after=${seen}`);
    try {
      await stream.until('Sid Second');
      expect(stream.text()).not.toContain('Fay First');
    } finally {
      await stream.close();
    }
  });

  it('is for a signed-in LSP only', async () => {
    expect((await (await owner()).get('/leads/live')).status).toBe(403);
    const anonymous = await fetch(new URL('/leads/live', web.url), { redirect: 'manual' });
    expect(anonymous.status).toBe(302);
    expect(anonymous.headers.get('location')).toContain('/login');
  });
});
