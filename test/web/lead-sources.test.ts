// Lead sources as a catalogue, through the web app and the intake API with real PostgreSQL and
// the offline Temporal server: any source name is accepted and a new one is flagged on the
// Sources page; names match without case or punctuation; a reclassified source gives later
// loads its cadence; the owner's suppression for one agent ID refuses API and CSV leads for
// that agent ID alone; roles and accounts are kept apart; the lists and reports filter by it.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities/index.ts';
import { createLoadLeadActivities } from '../../activities/lead/load-lead.ts';
import type { LeadDeps } from '../../activities/lead/shared.ts';
import { hashPassword } from '../../db/passwords.ts';
import { seedDemoAccount } from '../../db/seed.ts';
import { registerSearchAttributes } from '../../temporal.config.ts';
import { startWebServer, type RunningWebServer } from '../../web/server.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { csrfToken, leadIds, TEST_SESSION_SECRET, visibleText, WebClient } from '../support/http.ts';
import { createLocalEnv, uniqueTaskQueue, withWorker } from '../support/temporal.ts';

const WORKFLOWS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../workflows/index.ts');

let db: TestDatabase;
let env: TestWorkflowEnvironment;
let web: RunningWebServer;
let accountId: string;
let apiKey: string;
let otherOwner: { username: string; password: string };
const taskQueue = uniqueTaskQueue('lead-sources');

beforeAll(async () => {
  db = await createTestDatabase();
  const seeded = await seedDemoAccount(db.knex);
  accountId = seeded.accountId;
  apiKey = seeded.apiKey!;
  await db.knex('users').insert({ account_id: accountId, username: 'admin.ada', name: 'Ada Admin', email: 'ada@leadflow.test', role: 'admin', password_hash: await hashPassword('ada-admin-pass') });
  const [other] = await db.knex('accounts').insert({ name: 'Other Agency', agent_ids: ['B0SRC1'] }).returning('id');
  await db.knex('users').insert({ account_id: other.id, username: 'B0SRC1', name: 'Bea Owner', email: 'bea@other.test', role: 'owner', password_hash: await hashPassword('bea-owner-pass') });
  otherOwner = { username: 'B0SRC1', password: 'bea-owner-pass' };
  env = await createLocalEnv();
  await registerSearchAttributes(env.connection, env.namespace ?? 'default');
  web = await startWebServer({ port: 0, host: '127.0.0.1', databaseUrl: db.url, sessionSecret: TEST_SESSION_SECRET, mode: 'development', temporal: { client: env.client }, taskQueue });
}, 120_000);

afterAll(async () => {
  await web?.close();
  await env?.teardown();
  await db?.destroy();
});

async function signedIn(username: string, password: string): Promise<WebClient> {
  await db.knex('login_attempts').del();
  const c = new WebClient(web.url);
  expect((await c.login(username, password)).status, `login ${username}`).toBe(302);
  return c;
}
const owner = () => signedIn('A0DEMO1', 'owner-demo-pass');

let n = 0;
/** A new person each call, so no arrival merges into another. */
const person = (overrides: Record<string, unknown> = {}) => ({
  firstName: 'Casey',
  lastName: `Source${String.fromCharCode(65 + (n % 26))}${String.fromCharCode(65 + (Math.floor(n++ / 26) % 26))}`,
  address: { line1: '9 Oak St', city: 'Denver', state: 'CO', zip: '80202' },
  phones: ['303-555-0142'],
  ...overrides,
});

async function post(body: unknown) {
  const res = await fetch(`${web.url}/api/v1/leads`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${apiKey}` }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

const loadLead = (leadId: string) => createLoadLeadActivities({ db: db.knex } as unknown as LeadDeps).loadLead(leadId);
const sourceRows = () => db.knex('lead_sources').where({ account_id: accountId }).orderBy('key');

describe('an unknown source at intake', () => {
  it('is accepted through the API, added to the catalogue flagged, in the cold segment, and listed first on the Sources page', async () => {
    const res = await post(person({ source: 'EverQuote' }));
    expect(res.status).toBe(201);
    const lead = await db.knex('leads').where({ id: res.body.id }).first('source', 'segment');
    expect(lead).toEqual({ source: 'everquote', segment: 'cold' });
    expect(await sourceRows()).toEqual([expect.objectContaining({ key: 'everquote', label: 'EverQuote', segment: 'cold', cadence_template: 'cold_prospects', needs_review: true })]);
    expect((await loadLead(res.body.id)).cadenceTemplate).toBe('cold_prospects');

    // The same source, however the vendor spells it, is one entry.
    for (const name of ['everquote', 'Ever-Quote', ' EVER QUOTE ']) {
      const again = await post(person({ source: name }));
      expect(again.status, name).toBe(201);
      expect((await db.knex('leads').where({ id: again.body.id }).first('source')).source).toBe('everquote');
    }
    expect(await sourceRows()).toHaveLength(1);
    // A built-in source by its label, as a person would write it.
    const byLabel = await post(person({ source: 'mwi unsold QUOTE' }));
    expect((await db.knex('leads').where({ id: byLabel.body.id }).first('source', 'segment'))).toEqual({ source: 'mwi', segment: 'highly_engaged' });

    const text = visibleText((await (await owner()).get('/sources')).text);
    expect(text).toContain('EverQuote Needs classifying');
    expect(text.indexOf('EverQuote Needs classifying')).toBeLessThan(text.indexOf('MWI unsold quote'));
    expect(text).toMatch(/EverQuote Needs classifying No definition yet\. Segment Cold Cadence Cold prospects Leads 4 First seen/);
  });

  it('is refused when empty, longer than 80 characters or holding a control character, with a clear message', async () => {
    expect((await post(person({ source: '' }))).body.errors).toEqual({ source: 'Required' });
    expect((await post(person({ source: 'x'.repeat(81) }))).body.errors).toEqual({ source: 'At most 80 characters' });
    expect((await post(person({ source: 'Ever\u0007Quote' }))).body.errors).toEqual({ source: 'Contains a control character (U+0007)' });
    expect((await post(person({ source: '!!!' }))).body.errors).toEqual({ source: 'Must contain a letter or digit' });
  });
});

describe('the New lead form', () => {
  it('takes any source name and one of the account’s agent IDs, and says so when the source is suppressed for it', async () => {
    const dana = await owner();
    const form = await dana.get('/leads/new');
    expect(form.text).toMatch(/<input[^>]*name="source"[^>]*value="Manual entry"/);
    const fields = { firstName: 'Pat', lastName: 'Referral', line1: '5 Ash St', city: 'Austin', state: 'TX', zip: '78701', phone: '', email: '' };
    const res = await dana.submit('/leads/new', { ...fields, source: 'Referral from a client', agentId: 'A0DEMO2' });
    expect(res.status).toBe(302);
    const leadId = res.location!.split('/')[2]!;
    expect(await db.knex('leads').where({ id: leadId }).first('source', 'segment')).toEqual({ source: 'referral_from_a_client', segment: 'cold' });
    expect(await db.knex('lead_source_touches').where({ lead_id: leadId }).first('agent_id')).toEqual({ agent_id: 'A0DEMO2' });
    expect((await db.knex('lead_sources').where({ account_id: accountId, key: 'referral_from_a_client' }).first('needs_review')).needs_review).toBe(true);

    const [s] = await db.knex('lead_source_suppressions').insert({ account_id: accountId, source_key: 'referral_from_a_client', agent_id: 'A0DEMO2' }).returning('id');
    const refused = await dana.submit('/leads/new', { ...fields, lastName: 'Second', source: 'referral from a client', agentId: 'A0DEMO2' });
    expect(refused.status).toBe(400);
    expect(visibleText(refused.text)).toContain('Leads from Referral from a client are suppressed for agent ID A0DEMO2 by the account owner');
    await db.knex('lead_source_suppressions').where({ id: s.id }).del();
  });
});

describe('classifying a source on the Sources page', () => {
  it('changes the segment of later leads and the cadence loadLead gives every lead loaded after the change', async () => {
    const before = await post(person({ source: 'EverQuote' }));
    expect((await loadLead(before.body.id)).cadenceTemplate).toBe('cold_prospects');
    const dana = await owner();
    const res = await dana.submit('/sources', { intent: 'edit', key: 'everquote', label: 'EverQuote', definition: 'Shoppers from the EverQuote comparison site.', segment: 'highly_engaged', cadenceTemplate: 'highly_engaged_web_manual' });
    expect(res.status).toBe(200);
    expect(visibleText(res.text)).toContain('Saved. Leads that arrive or are loaded from now on use it.');
    expect((await loadLead(before.body.id)).cadenceTemplate).toBe('highly_engaged_web_manual');
    const after = await post(person({ source: 'everquote' }));
    expect((await db.knex('leads').where({ id: after.body.id }).first('segment')).segment).toBe('highly_engaged');

    const text = visibleText((await dana.get('/sources')).text);
    expect(text).not.toContain('EverQuote Needs classifying');
    expect(text).toContain('EverQuote Shoppers from the EverQuote comparison site. Segment Highly engaged Cadence Highly engaged prospects: web and manually added');
    expect(text).toMatch(/Last changed .* by Dana Owner/);
    expect(text).toContain('leads already working keep the cadence they started with');
  });

  it('refuses a name another source already has, and lets an admin edit a built-in source', async () => {
    const ada = await signedIn('admin.ada', 'ada-admin-pass');
    const clash = await ada.submit('/sources', { intent: 'edit', key: 'everquote', label: 'web-vendor', definition: '', segment: 'cold', cadenceTemplate: 'cold_prospects' });
    expect(clash.status).toBe(400);
    expect(visibleText(clash.text)).toContain('Another source is already called that (Web vendor)');
    const ok = await ada.submit('/sources', { intent: 'edit', key: 'national_campaign', label: 'National TV campaign', definition: 'TV ads.', segment: 'engaged', cadenceTemplate: 'engaged_prospects' });
    expect(ok.status).toBe(200);
    const lead = await post(person({ source: 'national tv campaign' }));
    expect(await db.knex('leads').where({ id: lead.body.id }).first('source', 'segment')).toEqual({ source: 'national_campaign', segment: 'engaged' });
  });
});

describe('who may do what on the Sources page', () => {
  it('lets an LSP read the lookup only, keeps the admin from suppressing, and answers 404 for another account’s source or suppression', async () => {
    expect((await post(person({ source: 'EverQuote' }))).status).toBe(201);
    const alex = await signedIn('lsp.alex', 'alex-demo-pass');
    const page = await alex.get('/sources');
    expect(page.status).toBe(200);
    expect(visibleText(page.text)).toContain('EverQuote');
    expect(page.text).not.toContain('name="intent"');
    expect(visibleText(page.text)).not.toContain('Suppressed sources by agent ID');
    const token = csrfToken(page.text) ?? csrfToken((await alex.get('/leads')).text)!;
    expect((await alex.post('/sources', { csrf: token, intent: 'edit', key: 'everquote', label: 'Hacked', definition: '', segment: 'cold', cadenceTemplate: 'cold_prospects' })).status).toBe(403);
    expect((await db.knex('lead_sources').where({ account_id: accountId, key: 'everquote' }).first('label')).label).toBe('EverQuote');

    const ada = await signedIn('admin.ada', 'ada-admin-pass');
    expect(visibleText((await ada.get('/sources')).text)).toContain('Only the account owner can suppress or restore a source.');
    expect((await ada.submit('/sources', { intent: 'suppress', key: 'mwi', agentId: 'A0DEMO1' })).status).toBe(403);
    expect(await db.knex('lead_source_suppressions').where({ account_id: accountId })).toHaveLength(0);

    const bea = await signedIn(otherOwner.username, otherOwner.password);
    expect(visibleText((await bea.get('/sources')).text)).not.toContain('EverQuote');
    expect((await bea.submit('/sources', { intent: 'edit', key: 'everquote', label: 'Mine', definition: '', segment: 'cold', cadenceTemplate: 'cold_prospects' })).status).toBe(404);
    const [theirs] = await db.knex('lead_source_suppressions').insert({ account_id: accountId, source_key: 'cldp', agent_id: 'A0DEMO1', lifted_at: new Date() }).returning('id');
    const [active] = await db.knex('lead_source_suppressions').insert({ account_id: accountId, source_key: 'cldp', agent_id: 'A0DEMO1' }).returning('id');
    expect((await bea.submit('/sources', { intent: 'lift', id: String(active.id) })).status).toBe(404);
    expect((await bea.submit('/sources', { intent: 'suppress', key: 'everquote', agentId: 'B0SRC1' })).status).toBe(404);
    expect((await bea.submit('/sources', { intent: 'suppress', key: 'mwi', agentId: 'A0DEMO1' })).status).toBe(400);
    await db.knex('lead_source_suppressions').whereIn('id', [theirs.id, active.id]).del();
  });
});

describe('suppressing a source for one agent ID', () => {
  it('refuses that source’s API and CSV leads for that agent ID only, says so, and records who suppressed and restored it', async () => {
    const dana = await owner();
    const res = await dana.submit('/sources', { intent: 'suppress', key: 'mwi', agentId: 'A0DEMO2' });
    expect(res.status).toBe(200);
    expect(visibleText(res.text)).toContain('MWI unsold quote leads for agent ID A0DEMO2 are now refused at intake.');

    const refused = await post(person({ source: 'MWI', agentId: 'A0DEMO2' }));
    expect(refused.status).toBe(422);
    expect(refused.body.errors).toEqual({ source: 'Leads from MWI unsold quote are suppressed for agent ID A0DEMO2 by the account owner' });
    expect((await post(person({ source: 'mwi', agentId: 'a0demo1' }))).status).toBe(201);
    expect((await post(person({ source: 'mwi' }))).status).toBe(201); // the account's first agent ID
    expect((await post(person({ source: 'blueprint', agentId: 'A0DEMO2' }))).status).toBe(201);
    const stranger = await post(person({ source: 'mwi', agentId: 'B0SRC1' }));
    expect(stranger.status).toBe(400);
    expect(stranger.body.errors).toEqual({ agentId: 'Not an agent ID of this account (A0DEMO1, A0DEMO2)' });

    // A CSV with a Source and an Agent ID column: the suppressed row is reported at its line, the others go in.
    const csv = ['First Name,Last Name,Address,City,State,Zip,Lead Source,Agent ID', 'Ivy,Suppressed,1 Elm St,Austin,TX,78701,MWI,A0DEMO2', 'Jo,Welcome,2 Elm St,Austin,TX,78701,MWI,A0DEMO1', 'Kit,Newvendor,3 Elm St,Austin,TX,78701,SmartFinancial,', 'Lee,Default,4 Elm St,Austin,TX,78701,,A0DEMO2'].join('\n');
    const up = await dana.upload('/imports?index', { name: 'Vendor mix', source: 'Spreadsheet' }, { file: { name: 'mix.csv', content: csv } }, { from: '/imports' });
    expect(up.status).toBe(302);
    const importId = up.location!.split('/')[2]!;
    const mappingPath = `/imports/${importId}/mapping`;
    const mapping = await dana.get(mappingPath);
    const activities = createActivities({
      db: db.knex,
      mailer: { sendMail: async () => Promise.reject(new Error('an import sends no mail')) },
      temporal: env.client,
      taskQueue: uniqueTaskQueue('leads-nobody-polls'),
      workerIdentity: 'lead-sources-test-worker',
    });
    await withWorker(env, { taskQueue, workflowsPath: WORKFLOWS, activities }, async () => {
      // The guesses pick the Lead Source and Agent ID columns.
      const start = await dana.post(mappingPath, { csrf: csrfToken(mapping.text)!, firstName: '0', lastName: '1', line1: '2', city: '3', state: '4', zip: '5', source: '6', agentId: '7' });
      expect(start.status).toBe(302);
      await env.client.workflow.getHandle(`import-${importId}`).result();
    });
    expect(mapping.text).toMatch(/<select[^>]*name="source"[^>]*>[\s\S]*?<option value="6" selected=""/);
    const progress = visibleText((await dana.get(`/imports/${importId}`)).text);
    expect(progress).toContain('Rows read 4 Imported 3 Bad rows 1');
    expect(progress).toContain('Line 2 Leads from MWI unsold quote are suppressed for agent ID A0DEMO2 by the account owner');
    const imported = await db.knex('leads').where({ import_id: importId }).orderBy('last_name').select('last_name', 'source', 'segment');
    expect(imported).toEqual([
      { last_name: 'Default', source: 'spreadsheet', segment: 'highly_engaged' },
      { last_name: 'Newvendor', source: 'smartfinancial', segment: 'cold' },
      { last_name: 'Welcome', source: 'mwi', segment: 'highly_engaged' },
    ]);
    expect(await db.knex('lead_source_touches').whereIn('lead_id', db.knex('leads').select('id').where({ import_id: importId })).orderBy('source').pluck('agent_id')).toEqual(['A0DEMO1', 'A0DEMO1', 'A0DEMO2']);

    // The page shows who suppressed it; the owner restores it and the leads are accepted again.
    const page = await dana.get('/sources');
    expect(visibleText(page.text)).toMatch(/MWI unsold quote A0DEMO2 .* by Dana Owner In force/);
    const [row] = await db.knex('lead_source_suppressions').where({ account_id: accountId, source_key: 'mwi', agent_id: 'A0DEMO2' }).whereNull('lifted_at');
    const lift = await dana.submit('/sources', { intent: 'lift', id: String(row.id) });
    expect(lift.status).toBe(200);
    expect((await post(person({ source: 'MWI', agentId: 'A0DEMO2' }))).status).toBe(201);
    const users = await db.knex('users').where({ username: 'A0DEMO1' }).first('id');
    expect(await db.knex('lead_source_suppressions').where({ id: row.id }).first()).toMatchObject({ suppressed_by_user_id: users.id, lifted_by_user_id: users.id, lifted_at: expect.any(Date), suppressed_at: expect.any(Date) });
    expect(visibleText((await dana.get('/sources')).text)).toMatch(/MWI unsold quote A0DEMO2 .* by Dana Owner .* by Dana Owner/);
  }, 180_000);
});

describe('filters and reports by a source the catalogue learned', () => {
  it('filters the leads list and a report by it, with its label in the choices and the rows', async () => {
    const dana = await owner();
    const everquote = await db.knex('leads').where({ account_id: accountId, source: 'everquote' }).pluck('id');
    expect(everquote.length).toBeGreaterThan(0);
    const list = await dana.get('/leads?source=everquote&closed=include');
    expect(new Set(leadIds(list.text))).toEqual(new Set(everquote));
    expect(list.text).toMatch(/<option value="everquote"[^>]*>EverQuote<\/option>/);
    expect(visibleText(list.text)).toContain('EverQuote');

    const from = new Date(Date.now() - 3 * 86_400_000).toISOString().slice(0, 10);
    const to = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const table = (html: string) => visibleText(/<table[\s\S]*?<\/table>/.exec(html)?.[0] ?? '');
    const all = await dana.get(`/reports/account-metrics?from=${from}&to=${to}`);
    expect(table(all.text)).toContain('MWI unsold quote');
    const report = await dana.get(`/reports/account-metrics?from=${from}&to=${to}&source=everquote`);
    expect(report.status).toBe(200);
    expect(report.text).toMatch(/<option value="everquote" selected="">EverQuote<\/option>/);
    const rows = table(report.text);
    expect(rows).toContain(`EverQuote — ${everquote.length}`);
    expect(rows).not.toContain('MWI unsold quote');
    expect(rows).not.toContain('Spreadsheet');
  });
});
