// Manual assignment through the web app over real HTTP: the lead page's Assign and Unassign
// forms and the leads list's bulk forms, with CSRF, roles and account scoping. The web server
// runs without Temporal here: the assignment is Postgres's, and the page says the workflow was
// not told (test/db/assign.test.ts covers the signal).
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hashPassword } from '../../db/passwords.ts';
import { csrfToken, leadIds, visibleText, WebClient } from '../support/http.ts';
import { demoWebSuite } from '../support/web-suite.ts';

const suite = demoWebSuite();
const DEMO_STATES = ['AZ', 'CO', 'IL', 'MA', 'NJ', 'OH', 'TX', 'WA'];
let accountId: string;
const users: Record<string, string> = {};
const leads: Record<string, string> = {};

async function signedIn(username: string, password: string): Promise<WebClient> {
  const c = suite.client();
  expect((await c.login(username, password)).status, `login ${username}`).toBe(302);
  return c;
}
const assigneeOf = async (leadId: string) => (await suite.db.knex('leads').where({ id: leadId }).first('assigned_user_id')).assigned_user_id as string | null;

beforeAll(async () => {
  const knex = suite.db.knex;
  for (const u of await knex('users').select('id', 'username', 'account_id')) users[u.username] = u.id;
  accountId = (await knex('users').where({ username: 'A0DEMO1' }).first('account_id')).account_id;
  for (const l of await knex('leads').where({ account_id: accountId }).select('id', 'last_name')) leads[l.last_name] = l.id;
  // Another agency with an admin, to check that its people cannot reach this account's leads.
  const [other] = await knex('accounts').insert({ name: 'Other Agency', agent_ids: ['B0ASSIGN'] }).returning('id');
  await knex('users').insert({ account_id: other.id, username: 'admin.other', name: 'Olga Admin', email: 'olga@other.test', role: 'admin', password_hash: await hashPassword('olga-admin-pass') });
});
beforeEach(async () => {
  await suite.db.knex('users').where({ account_id: accountId, role: 'lsp' }).update({ licensed_states: DEMO_STATES, status: 'active' });
});

describe('assigning from the lead page', () => {
  it('lets the owner assign with a reason: the LSP then sees the lead in My Leads, and the page shows who, when and why', async () => {
    const leadId = leads['Gonzalez']!; // Austin, TX; Alex's in the seed
    const sam = await signedIn('lsp.sam', 'sam-demo-pass');
    expect(leadIds((await sam.get('/leads')).text)).not.toContain(leadId);

    const owner = await signedIn('A0DEMO1', 'owner-demo-pass');
    const page = visibleText((await owner.get(`/leads/${leadId}`)).text);
    expect(page).toContain('Assign to');
    expect(page).toContain('Sam Chen');
    const res = await owner.submit(`/leads/${leadId}`, { intent: 'assign', userId: users['lsp.sam']!, reason: 'Sam covers Texas this week' });
    expect(res.status).toBe(200);
    expect(visibleText(res.text)).toContain('Assigned to Sam Chen.');
    expect(await assigneeOf(leadId)).toBe(users['lsp.sam']);

    expect(leadIds((await sam.get('/leads')).text)).toContain(leadId);
    const after = visibleText((await owner.get(`/leads/${leadId}`)).text);
    expect(after).toContain('Sam Chen (lsp.sam)');
    expect(after).toContain('To Sam Chen by Dana Owner: Sam covers Texas this week');
    expect(after).toContain('Assigned to Sam Chen by Dana Owner: Sam covers Texas this week');

    // Unassign, with its reason, back to nobody.
    const un = await owner.submit(`/leads/${leadId}`, { intent: 'unassign', reason: 'back to the pool' });
    expect(un.status).toBe(200);
    expect(await assigneeOf(leadId)).toBeNull();
    expect(visibleText((await owner.get(`/leads/${leadId}`)).text)).toContain('Unassigned from Sam Chen by Dana Owner: back to the pool');
    expect(leadIds((await sam.get('/leads')).text)).not.toContain(leadId);
  });

  it('refuses an LSP not licensed in the lead’s state, with the message, and marks them in the select', async () => {
    const leadId = leads['Novak']!; // Denver, CO
    await suite.db.knex('users').where({ id: users['lsp.alex'] }).update({ licensed_states: ['TX', 'AZ'] });
    const owner = await signedIn('A0DEMO1', 'owner-demo-pass');
    expect(visibleText((await owner.get(`/leads/${leadId}`)).text)).toContain('Alex Rivera (not licensed in CO)');
    const res = await owner.submit(`/leads/${leadId}`, { intent: 'assign', userId: users['lsp.alex']!, reason: 'try' });
    expect(res.status).toBe(409);
    expect(visibleText(res.text)).toContain('Alex Rivera is not licensed in CO');
    expect(await assigneeOf(leadId)).toBeNull();
  });

  it('asks for a reason and an LSP', async () => {
    const owner = await signedIn('A0DEMO1', 'owner-demo-pass');
    const noReason = await owner.submit(`/leads/${leads['Novak']}`, { intent: 'assign', userId: users['lsp.sam']!, reason: '  ' });
    expect(noReason.status).toBe(400);
    expect(visibleText(noReason.text)).toContain('A reason is required');
    const noLsp = await owner.submit(`/leads/${leads['Novak']}`, { intent: 'assign', userId: '', reason: 'x' });
    expect(noLsp.status).toBe(400);
    expect(visibleText(noLsp.text)).toContain('Choose an LSP');
    expect(await assigneeOf(leads['Novak']!)).toBeNull();
  });

  it('gives LSPs and support no Assign form and answers 403 to one they post', async () => {
    const leadId = leads['Smith']!; // Alex's
    for (const [username, password] of [
      ['lsp.alex', 'alex-demo-pass'],
      ['support.kim', 'kim-demo-pass'],
    ] as const) {
      const c = await signedIn(username, password);
      expect(visibleText((await c.get(`/leads/${leadId}`)).text)).not.toContain('Assign to');
      const res = await c.submit(`/leads/${leadId}`, { intent: 'assign', userId: users['lsp.alex']!, reason: 'mine' }, { from: '/leads' });
      expect(res.status, username).toBe(403);
      const bulk = await c.submit('/leads?index', { intent: 'assign-selected', leadId, userId: users['lsp.alex']!, reason: 'mine' }, { from: '/leads' });
      expect(bulk.status, username).toBe(403);
    }
    expect(await assigneeOf(leadId)).toBe(users['lsp.alex']);
  });

  it('answers 404 to an admin of another account, on the lead page and in the bulk form', async () => {
    const olga = await signedIn('admin.other', 'olga-admin-pass');
    const leadId = leads['Haddad']!;
    expect((await olga.get(`/leads/${leadId}`)).status).toBe(404);
    const res = await olga.submit(`/leads/${leadId}`, { intent: 'assign', userId: users['lsp.sam']!, reason: 'steal' }, { from: '/leads' });
    expect(res.status).toBe(404);
    // Her own list's bulk form, naming this account's lead and LSP: neither is hers.
    const bulk = await olga.submit('/leads?index', { intent: 'assign-selected', leadId, userId: users['lsp.sam']!, reason: 'steal' }, { from: '/leads' });
    expect(bulk.status).toBe(404);
    expect(await assigneeOf(leadId)).toBeNull();
  });

  it('requires the CSRF token', async () => {
    const owner = await signedIn('A0DEMO1', 'owner-demo-pass');
    const res = await owner.post(`/leads/${leads['Haddad']}`, { intent: 'assign', userId: users['lsp.sam']!, reason: 'no token' });
    expect(res.status).toBe(403);
    const bulk = await owner.post('/leads?index', { intent: 'assign-selected', leadId: leads['Haddad']!, userId: users['lsp.sam']!, reason: 'no token' });
    expect(bulk.status).toBe(403);
    expect(await assigneeOf(leads['Haddad']!)).toBeNull();
  });
});

describe('bulk assignment from the leads list', () => {
  it('assigns the selected rows, skipping and reporting those the LSP is not licensed for', async () => {
    await suite.db.knex('users').where({ id: users['lsp.sam'] }).update({ licensed_states: ['AZ', 'TX'] });
    const owner = await signedIn('A0DEMO1', 'owner-demo-pass');
    const list = await owner.get('/leads');
    expect(list.text).toContain('Assign selected');
    expect(list.text).toMatch(new RegExp(`<input type="checkbox" name="leadId" form="assign-selected"[^>]* value="${leads['Haddad']}"`));
    const token = csrfToken(list.text)!;
    const body = new URLSearchParams({ csrf: token, intent: 'assign-selected', userId: users['lsp.sam']!, reason: 'Sam takes the Southwest' });
    for (const name of ['Haddad', 'Gonzalez', 'Walsh', 'Kim']) body.append('leadId', leads[name]!); // AZ, TX, IL, WA
    const res = await owner.request('/leads?index', { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: body.toString() });
    expect(res.status).toBe(200);
    const said = visibleText(res.text);
    // Skips are listed in lead id order, which is random here.
    expect(said).toMatch(/Assigned 2 leads to Sam Chen\. 2 skipped: Sam Chen is not licensed in (IL; Sam Chen is not licensed in WA|WA; Sam Chen is not licensed in IL)\./);
    expect(await assigneeOf(leads['Haddad']!)).toBe(users['lsp.sam']);
    expect(await assigneeOf(leads['Gonzalez']!)).toBe(users['lsp.sam']);
    expect(await assigneeOf(leads['Walsh']!)).toBeNull();
    expect(await assigneeOf(leads['Kim']!)).toBe(users['lsp.alex']);
    const rows = await suite.db.knex('assignments').where({ lead_id: leads['Haddad'], user_id: users['lsp.sam'] });
    expect(rows).toEqual([expect.objectContaining({ assigned_by_user_id: users['A0DEMO1'], reason: 'Sam takes the Southwest' })]);
  });

  it('assigns N of the leads matching the filters: the freshest unassigned licensed ones', async () => {
    const knex = suite.db.knex;
    const base = Date.parse('2026-11-01T12:00:00Z');
    // Eight fresh highly engaged manual leads: five in Ohio, two in New York (no demo LSP is
    // licensed there), one in Ohio already Sam's; plus a cold one that the segment filter leaves out.
    const specs = [
      ...[0, 1, 2, 3, 4].map((i) => ({ last: `Ohio${i}`, state: 'OH', segment: 'highly_engaged', assigned: null as string | null, minutes: i })),
      { last: 'York0', state: 'NY', segment: 'highly_engaged', assigned: null, minutes: 10 },
      { last: 'York1', state: 'NY', segment: 'highly_engaged', assigned: null, minutes: 11 },
      { last: 'OhioSam', state: 'OH', segment: 'highly_engaged', assigned: users['lsp.sam']!, minutes: 12 },
      { last: 'OhioCold', state: 'OH', segment: 'cold', assigned: null, minutes: 13 },
    ];
    const inserted: Array<{ id: string; last_name: string }> = await knex('leads')
      .insert(
        specs.map((s) => ({
          account_id: accountId,
          first_name: 'Bulk',
          last_name: s.last,
          address_line1: `${s.minutes} Test St`,
          city: 'Town',
          state: s.state,
          zip: '43004',
          dup_key: `bulk ${s.last}`,
          source: 'manual',
          import_name: 'Bulk test',
          segment: s.segment,
          assigned_user_id: s.assigned,
          created_at: new Date(base + s.minutes * 60_000),
        })),
      )
      .returning(['id', 'last_name']);
    const id = Object.fromEntries(inserted.map((r) => [r.last_name, r.id]));

    const owner = await signedIn('A0DEMO1', 'owner-demo-pass');
    const filters = 'segment=highly_engaged&source=manual&import=Bulk+test&sort=name';
    const list = await owner.get(`/leads?${filters}`);
    expect(list.text).toContain('of the unassigned leads matching these filters');
    const res = await owner.submit('/leads?index', { intent: 'assign-matching', filters, count: '3', userId: users['lsp.alex']!, reason: '3 hot Ohio leads for Alex' }, { from: `/leads?${filters}` });
    expect(res.status).toBe(200);
    // Freshest first, whatever the list's sort: Ohio4, Ohio3, Ohio2.
    const alexNow = (await knex('leads').where({ assigned_user_id: users['lsp.alex'], first_name: 'Bulk' }).pluck('last_name')).sort();
    expect(alexNow).toEqual(['Ohio2', 'Ohio3', 'Ohio4']);
    expect(visibleText(res.text)).toContain('Assigned 3 leads to Alex Rivera.');

    // Asking for more than there are: the rest assigned, and the New York ones reported as skipped.
    const more = await owner.submit('/leads?index', { intent: 'assign-matching', filters, count: '50', userId: users['lsp.alex']!, reason: 'the rest' }, { from: `/leads?${filters}` });
    expect(more.status).toBe(200);
    expect(visibleText(more.text)).toContain("Assigned 2 leads to Alex Rivera. 2 skipped: Alex Rivera is not licensed in their state (2 leads) (asked for 50; 2 unassigned leads in Alex Rivera's states match).");
    expect(await assigneeOf(id['Ohio0']!)).toBe(users['lsp.alex']);
    expect(await assigneeOf(id['York0']!)).toBeNull();
    expect(await assigneeOf(id['OhioSam']!)).toBe(users['lsp.sam']);
    expect(await assigneeOf(id['OhioCold']!)).toBeNull();

    const tooMany = await owner.submit('/leads?index', { intent: 'assign-matching', filters, count: '501', userId: users['lsp.alex']!, reason: 'x' }, { from: '/leads' });
    expect(tooMany.status).toBe(400);
    expect(visibleText(tooMany.text)).toContain('At most 500');
  });
});
