// The reports and exports through the web app over real HTTP, on history this file writes with
// known times: figures (milestone durations across a workflow's continue-as-new, speed to first
// attempt, the funnel), the date range on the account's local days, filters, sorting and
// paging, role and account scoping, and CSV exports that carry no consumer's personal data.
import { randomUUID } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../db/passwords.ts';
import { insertLeads } from '../support/fixtures.ts';
import { leadIds, visibleText, type WebClient } from '../support/http.ts';
import { demoWebSuite } from '../support/web-suite.ts';

const suite = demoWebSuite();
const TZ = 'America/Chicago';
const REPORTS = ['user-activity', 'lead-log', 'milestones', 'lead-snapshot', 'account-metrics', 'leads-removed'] as const;
// A range holding everything this file writes (Chicago days).
const ALL = 'from=2026-10-01&to=2026-11-20';

let accountId: string;
const users: Record<string, string> = {};
const L: Record<string, string> = {};

// What no export may contain: the people behind the leads (this file's and the demo seed's).
const PII = [
  'Zebediah',
  'Quillfeather',
  '4471 Wisteria Boulevard',
  'Apt 9Z',
  '+15125550199',
  '512-555-0199',
  'zeb.quill@example.test',
  'Maria',
  'Gonzalez',
  '12 Oak St',
  '+15125550101',
  'maria.g@example.com',
  'Lena',
  'Novak',
  '5 Birch Ln',
  '80202',
];

/** 2026-11-02 09:00 in Chicago (CST, UTC-6) plus `minutes`. */
const t0 = Date.parse('2026-11-02T15:00:00Z');
const at = (minutes: number) => new Date(t0 + minutes * 60_000);

async function signedIn(username: string, password: string): Promise<WebClient> {
  const c = suite.client();
  expect((await c.login(username, password)).status, `login ${username}`).toBe(302);
  return c;
}

async function event(leadId: string, type: string, when: Date, opts: { by?: string; data?: Record<string, unknown>; note?: string } = {}) {
  await suite.db.knex('lead_events').insert({
    lead_id: leadId,
    account_id: accountId,
    actor_user_id: opts.by ?? null,
    actor_system: opts.by ? null : 'lead-workflow',
    type,
    note: opts.note ?? null,
    data: JSON.stringify(opts.data ?? {}),
    created_at: when,
    idempotency_key: `test:${randomUUID()}`,
  });
}

/** Each lead's milestone as its last Quick Action here left it (this file writes them in time order). */
const lastMilestone = new Map<string, string>();

/**
 * A Quick Action as recordQuickAction writes it: the milestone is the action's, and it carries
 * the one the lead came from. (The appointment below is written without it, as older history is.)
 */
const qa = (leadId: string, action: string, when: Date, by: string, note?: string) => {
  const fromMilestone = lastMilestone.get(leadId) ?? 'new';
  lastMilestone.set(leadId, action);
  return event(leadId, 'quick_action', when, { by, note, data: { action, milestone: action, fromMilestone, at: when.toISOString(), dueAt: null, byUserId: by } });
};

async function csv(client: WebClient, path: string): Promise<{ status: number; type: string | null; rows: string[][]; text: string }> {
  const res = await client.get(path);
  return { status: res.status, type: res.headers.get('content-type'), rows: res.status === 200 ? parse(res.text, { relax_column_count: false }) : [], text: res.text };
}

const column = (rows: string[][], name: string) => {
  const i = rows[0]!.indexOf(name);
  expect(i, `column ${name} in ${rows[0]!.join(',')}`).toBeGreaterThanOrEqual(0);
  return rows.slice(1).map((r) => r[i]!);
};

beforeAll(async () => {
  const k = suite.db.knex;
  for (const u of await k('users').select('id', 'username', 'account_id')) users[u.username] = u.id;
  accountId = (await k('users').where({ username: 'A0DEMO1' }).first('account_id')).account_id;
  await k('accounts').where({ id: accountId }).update({ time_zone: TZ });
  const alex = users['lsp.alex']!;
  const sam = users['lsp.sam']!;
  const dana = users['A0DEMO1']!;

  // A lead worked to Sold; its workflow continued as new between Quoted and Sold (the history
  // rows of both runs are the lead's, keyed the same way). Two more leads from the same import.
  [L.worked, L.untouched, L.slow] = await insertLeads(k, accountId, [
    { firstName: 'Zebediah', lastName: 'Quillfeather', segment: 'highly_engaged', status: 'active', assignedUserId: alex, createdAt: at(0) },
    { createdAt: at(60), segment: 'highly_engaged' },
    { createdAt: at(120), status: 'active', assignedUserId: alex, segment: 'highly_engaged' },
  ]);
  await k('leads')
    .whereIn('id', [L.worked!, L.untouched!, L.slow!])
    .update({ source: 'mwi', import_name: 'Fall list', city: 'Austin', state: 'TX', zip: '78701' });
  await k('leads')
    .where({ id: L.worked })
    .update({
      address_line1: '4471 Wisteria Boulevard',
      address_line2: 'Apt 9Z',
      phones: JSON.stringify([{ raw: '512-555-0199', e164: '+15125550199', valid: true }]),
      emails: JSON.stringify([{ raw: 'zeb.quill@example.test', address: 'zeb.quill@example.test', valid: true }]),
      milestone: 'sold',
    });
  await event(L.worked!, 'created', at(0), { data: { source: 'mwi' }, note: 'Lead received from mwi' });
  await event(L.worked!, 'assigned', at(5), { by: dana, data: { userId: alex, method: 'manual', reason: 'call Zebediah at 512-555-0199' }, note: 'Assigned to Alex Rivera by Dana Owner: call Zebediah at 512-555-0199' });
  await qa(L.worked!, 'attempted_contact', at(10), alex, 'Left a message for Zebediah Quillfeather at 512-555-0199');
  await qa(L.worked!, 'attempted_contact', at(60), alex); // again: no new milestone
  await qa(L.worked!, 'contacted', at(120), alex, 'zeb.quill@example.test, 4471 Wisteria Boulevard');
  await qa(L.worked!, 'quoted', at(26 * 60), alex);
  await event(L.worked!, 'flagged', at(27 * 60), { data: { flag: 'dnc', reason: 'account DNC list: +15125550199' }, note: 'account DNC list: +15125550199' });
  // --- continue-as-new: the next run records on; the lead's history is one.
  await event(L.worked!, 'scrubbed', at(49 * 60), { data: { dnc: true } });
  await qa(L.worked!, 'sold', at(50 * 60), sam);
  await qa(L.slow!, 'attempted_contact', at(150), alex);

  // Removals, one of each kind.
  [L.customer, L.dnc, L.recycled, L.archived] = await insertLeads(k, accountId, [
    { status: 'removed', createdAt: at(0) },
    { status: 'active', createdAt: at(0), assignedUserId: alex },
    { status: 'recycled', createdAt: at(0) },
    { status: 'archived', createdAt: at(0) },
  ]);
  await event(L.customer!, 'removed', at(300), { data: { reason: 'customer list: Zebediah Quillfeather' }, note: 'customer list: Zebediah Quillfeather' });
  await qa(L.dnc!, 'do_not_contact', at(310), alex);
  await event(L.recycled!, 'recycled', at(320), { data: { rule: 'recycle_uncontactable' } });
  await event(L.archived!, 'archived', at(330), { by: dana, data: { byUserId: dana, after: 'quoted' } });

  // A lead being worked with an appointment ahead.
  [L.booked] = await insertLeads(k, accountId, [{ status: 'active', createdAt: at(400), assignedUserId: sam, segment: 'engaged' }]);
  await event(L.booked!, 'quick_action', at(410), { by: sam, data: { action: 'appointment', milestone: 'appointment', dueAt: '2099-01-05T16:00:00.000Z', byUserId: sam } });
  await event(L.booked!, 'call_task', at(420), { note: 'Call Zebediah' });

  // The day boundary in Chicago: 23:59:59 on Nov 10 (CST) and midnight starting Nov 11, and Nov 1, the
  // 25-hour day the clocks go back (00:30 CDT and 23:30 CST are both on it).
  [L.boundary] = await insertLeads(k, accountId, [{ createdAt: new Date('2026-10-30T12:00:00Z') }]);
  await k('leads').where({ id: L.boundary }).update({ import_name: 'Boundary list' });
  await event(L.boundary!, 'source_touch', new Date('2026-11-11T05:59:59Z'));
  await event(L.boundary!, 'source_touch', new Date('2026-11-11T06:00:00Z'));
  await event(L.boundary!, 'source_touch', new Date('2026-11-01T05:30:00Z'));
  await event(L.boundary!, 'source_touch', new Date('2026-11-02T05:30:00Z'));
  await event(L.boundary!, 'source_touch', new Date('2026-11-02T06:00:00Z'));

  // An import name that would be a formula in a spreadsheet, and a user name with a comma.
  [L.formula] = await insertLeads(k, accountId, [{ createdAt: at(500), status: 'active', assignedUserId: sam }]);
  await k('leads').where({ id: L.formula }).update({ import_name: '=HYPERLINK("http://evil.test","x")' });
  await k('users').where({ id: sam }).update({ name: 'Chen, Sam' });

  // Many entries on one lead, for paging.
  [L.busy] = await insertLeads(k, accountId, [{ createdAt: at(600) }]);
  await k('leads').where({ id: L.busy }).update({ import_name: 'Busy list' });
  for (let i = 0; i < 60; i++) await event(L.busy!, 'scrubbed', at(600 + i));

  // Another agency, with an admin, events of its own and a user.
  const [other] = await k('accounts').insert({ name: 'Other Agency', agent_ids: ['B0REPORT'], time_zone: TZ }).returning('id');
  const [olga] = await k('users').insert({ account_id: other.id, username: 'admin.other', name: 'Olga Admin', email: 'olga@other.test', role: 'admin', password_hash: await hashPassword('olga-admin-pass') }).returning('id');
  users['admin.other'] = olga.id;
});

describe('who may see reports', () => {
  it('lists the six reports for owners in the navigation’s Reports page', async () => {
    const dana = await signedIn('A0DEMO1', 'owner-demo-pass');
    const page = await dana.get('/reports');
    expect(page.status).toBe(200);
    const text = visibleText(page.text);
    for (const title of ['User Activity', 'Lead Log History', 'Milestones', 'Lead Snapshot', 'Account Status & Metrics', 'Leads Removed']) expect(text).toContain(title);
    for (const name of REPORTS) expect(page.text).toContain(`href="/reports/${name}"`);
    expect((await dana.get('/reports/no-such-report')).status).toBe(404);
    expect((await dana.get('/reports/no-such-report.csv')).status).toBe(404);
  });

  it('answers 403 to LSPs and support on every report, export and the leads export', async () => {
    for (const [username, password] of [
      ['lsp.alex', 'alex-demo-pass'],
      ['support.kim', 'kim-demo-pass'],
    ] as const) {
      const c = await signedIn(username, password);
      expect((await c.get('/reports')).status, username).toBe(403);
      for (const name of REPORTS) {
        expect((await c.get(`/reports/${name}`)).status, `${username} ${name}`).toBe(403);
        expect((await c.get(`/reports/${name}.csv`)).status, `${username} ${name}.csv`).toBe(403);
      }
      expect((await c.get('/leads.csv')).status, username).toBe(403);
    }
  });

  it('sends someone signed out to sign in', async () => {
    const res = await suite.client().get('/reports/lead-log.csv');
    expect(res.status).toBe(302);
    expect(res.location).toMatch(/^\/login\?redirectTo=/);
  });

  it('answers 404 to another account’s user id, and shows another account nothing of this one', async () => {
    const olga = await signedIn('admin.other', 'olga-admin-pass');
    for (const name of REPORTS) {
      expect((await olga.get(`/reports/${name}?user=${users['lsp.alex']}`)).status, name).toBe(404);
      expect((await olga.get(`/reports/${name}.csv?user=${users['lsp.alex']}`)).status, name).toBe(404);
      const own = await csv(olga, `/reports/${name}.csv?${ALL}`);
      expect(own.status).toBe(200);
      expect(own.rows.length, `${name}: only the header`).toBe(1);
    }
    const leads = await csv(olga, '/leads.csv');
    expect(leads.rows).toHaveLength(1);
    // And this account's owner naming Olga.
    const dana = await signedIn('A0DEMO1', 'owner-demo-pass');
    expect((await dana.get(`/reports/lead-log?user=${users['admin.other']}`)).status).toBe(404);
  });
});

describe('figures', () => {
  it('Milestones: elapsed since arrival, time at each milestone until the next (across the continue-as-new) or now, time since', async () => {
    const dana = await signedIn('A0DEMO1', 'owner-demo-pass');
    const { rows } = await csv(dana, `/reports/milestones.csv?${ALL}&import=Fall+list&sort=reached&dir=asc`);
    const lead = column(rows, 'Lead ID');
    const mine = rows.slice(1).filter((_, i) => lead[i] === L.worked);
    const h = rows[0]!;
    const get = (r: string[], name: string) => r[h.indexOf(name)]!;
    // Attempted twice, but reached once; then Contacted, Quoted and Sold.
    expect(mine.map((r) => get(r, 'Milestone'))).toEqual(['Attempted Contact', 'Contacted', 'Quoted', 'Sold']);
    expect(mine.map((r) => Number(get(r, 'Since the lead arrived (seconds)')))).toEqual([600, 7200, 26 * 3600, 50 * 3600]);
    const [attempted, contacted, quoted, sold] = mine;
    expect(Number(get(attempted!, 'Time at milestone (seconds)'))).toBe(110 * 60);
    expect(Number(get(contacted!, 'Time at milestone (seconds)'))).toBe(24 * 3600);
    // Reached in the first run, left in the second.
    expect(Number(get(quoted!, 'Time at milestone (seconds)'))).toBe(24 * 3600);
    expect(get(quoted!, 'Still there')).toBe('no');
    // Still at Sold: its time there is its time since, up to now.
    expect(get(sold!, 'Still there')).toBe('yes');
    const soldSince = Number(get(sold!, 'Time since reached (seconds)'));
    expect(Math.abs(soldSince - (Date.now() - at(50 * 60).getTime()) / 1000)).toBeLessThan(120);
    expect(Number(get(sold!, 'Time at milestone (seconds)'))).toBe(soldSince);
    expect(get(sold!, 'By')).toBe('Chen, Sam');
    expect(get(quoted!, 'Reached')).toBe('2026-11-03T11:00:00-06:00');

    // Sorted by a computed column (every row computed before sorting), the same rows and figures.
    const byTime = await csv(dana, `/reports/milestones.csv?${ALL}&import=Fall+list&sort=atMilestone&dir=asc`);
    expect(byTime.rows[0]).toEqual(h);
    const figures = (r: string[]) =>
      ['Lead ID', 'Reached', 'Milestone', 'By', 'Since the lead arrived (seconds)', 'Still there', ...(get(r, 'Still there') === 'no' ? ['Time at milestone (seconds)'] : [])].map((c) => get(r, c)).join('|');
    expect(byTime.rows.slice(1).map(figures).sort()).toEqual(rows.slice(1).map(figures).sort());
    expect(rows.length).toBeGreaterThan(4);

    // A range of the Quoted day alone: the milestone before it and the one that ended it lie outside.
    const day = await csv(dana, `/reports/milestones.csv?from=2026-11-03&to=2026-11-03&import=Fall+list`);
    expect(day.rows.slice(1).map((r) => [get(r, 'Lead ID'), get(r, 'Milestone'), get(r, 'Time at milestone (seconds)'), get(r, 'Still there')])).toEqual([[L.worked, 'Quoted', String(24 * 3600), 'no']]);
    const dayByTime = await csv(dana, `/reports/milestones.csv?from=2026-11-03&to=2026-11-03&import=Fall+list&sort=atMilestone`);
    expect(dayByTime.rows.slice(1).map((r) => [get(r, 'Lead ID'), get(r, 'Milestone'), get(r, 'Time at milestone (seconds)'), get(r, 'Still there')])).toEqual([[L.worked, 'Quoted', String(24 * 3600), 'no']]);

    const page = visibleText((await dana.get(`/reports/milestones?${ALL}&import=Fall+list&sort=reached&dir=asc`)).text);
    expect(page).toContain('1 h 50 min');
    expect(page).toContain('24 h');
  });

  it('User Activity: Quick Actions entered and milestones reached, per user and type, with the per-day chart', async () => {
    const dana = await signedIn('A0DEMO1', 'owner-demo-pass');
    const { rows } = await csv(dana, `/reports/user-activity.csv?${ALL}&sort=user&dir=asc`);
    const table = rows.slice(1).map((r) => r.join('|'));
    expect(table).toEqual([
      'Alex Rivera|Attempted Contact|3|2',
      'Alex Rivera|Contacted|1|1',
      'Alex Rivera|Do Not Contact|1|1',
      'Alex Rivera|Quoted|1|1',
      'Chen, Sam|Appointment / Call Back|1|1',
      'Chen, Sam|Sold|1|1',
    ]);
    // Contacted again the day after (before this file's other history): no new milestone,
    // though the first Contacted is outside the range.
    const [again] = await insertLeads(suite.db.knex, accountId, [{ status: 'active', createdAt: new Date('2026-09-09T15:00:00Z'), assignedUserId: users['lsp.alex'] }]);
    await qa(again!, 'contacted', new Date('2026-09-10T15:00:00Z'), users['lsp.alex']!);
    await qa(again!, 'contacted', new Date('2026-09-11T15:00:00Z'), users['lsp.alex']!);
    const nextDay = await csv(dana, `/reports/user-activity.csv?from=2026-09-11&to=2026-09-11`);
    expect(nextDay.rows.slice(1).map((r) => r.join('|'))).toEqual(['Alex Rivera|Contacted|1|0']);
    expect((await csv(dana, `/reports/milestones.csv?from=2026-09-11&to=2026-09-11`)).rows).toHaveLength(1);
    const bySam = await csv(dana, `/reports/user-activity.csv?${ALL}&user=${users['lsp.sam']}`);
    expect(column(bySam.rows, 'User')).toEqual(['Chen, Sam', 'Chen, Sam']);

    const page = await dana.get(`/reports/user-activity?${ALL}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('Quick Actions per user per day');
    expect(page.text).toMatch(/<svg[^>]*role="img"/);
    // Sorted by how many were entered, most first.
    const sorted = await csv(dana, `/reports/user-activity.csv?${ALL}&sort=actions&dir=desc`);
    expect(column(sorted.rows, 'Entered')[0]).toBe('3');
  });

  it('Account Status & Metrics: leads, contacted, quoted, sold, out, and speed to first attempt (median and 90th percentile), per source and import, with charts', async () => {
    const dana = await signedIn('A0DEMO1', 'owner-demo-pass');
    const { rows } = await csv(dana, `/reports/account-metrics.csv?${ALL}&import=Fall+list`);
    expect(rows[0]).toEqual([
      'Source',
      'Import',
      'Leads',
      'Contacted %',
      'Quoted %',
      'Sold %',
      'Recycled / removed %',
      'First attempt, median (seconds)',
      'First attempt, 90th percentile (seconds)',
    ]);
    // Three leads: one sold (first attempt after 10 min), one untouched, one attempted after 30 min.
    // percentile_cont over 600 s and 1,800 s: median 1,200 s, 90th percentile 1,680 s.
    expect(rows.slice(1)).toEqual([['MWI unsold quote', 'Fall list', '3', '33.3', '33.3', '33.3', '0', '1200', '1680']]);

    const page = await dana.get(`/reports/account-metrics?${ALL}`);
    expect(page.status).toBe(200);
    const text = visibleText(page.text);
    expect(text).toContain('Funnel by source');
    expect(text).toContain('Speed to first attempt');
    expect(page.text).toMatch(/aria-label="[^"]*MWI unsold quote: 3 leads, 1 contacted, 1 quoted, 1 sold/);
    expect(page.text).toMatch(/aria-label="[^"]*MWI unsold quote: median 20 min, 90th percentile 28 min/);
  });

  it('Leads Removed: each removal with its reason and who', async () => {
    const dana = await signedIn('A0DEMO1', 'owner-demo-pass');
    const { rows } = await csv(dana, `/reports/leads-removed.csv?${ALL}&sort=at&dir=asc`);
    const byLead = new Map(rows.slice(1).map((r) => [r[1], `${r[4]} / ${r[5]}`]));
    expect(byLead.get(L.customer)).toBe('On the customer list / system');
    expect(byLead.get(L.dnc)).toBe('Do Not Contact request / Alex Rivera');
    expect(byLead.get(L.recycled)).toBe('Uncontactable: new and unassigned for 3 days (Recycle bin) / system');
    expect(byLead.get(L.archived)).toBe('Archived by a user / Dana Owner');
    expect(rows[1]![0]).toBe('2026-11-02T14:00:00-06:00');
  });

  it('Lead Snapshot: leads being worked, with assignee, next appointment, last entries by a user and by the system', async () => {
    const dana = await signedIn('A0DEMO1', 'owner-demo-pass');
    const { rows } = await csv(dana, `/reports/lead-snapshot.csv?${ALL}&segment=engaged`);
    const h = rows[0]!;
    const row = rows.slice(1).find((r) => r[0] === L.booked)!;
    expect(row).toBeDefined();
    const get = (name: string) => row[h.indexOf(name)];
    expect(get('Assignee')).toBe('Chen, Sam');
    expect(get('Next appointment')).toBe('2099-01-05T10:00:00-06:00');
    expect(get('Last entry by a user')).toBe('Quick Action: Appointment / Call Back (Chen, Sam)');
    expect(get('Last entry by the system')).toBe('Cadence call task');
    expect(get('Created')).toBe('2026-11-02T15:40:00-06:00');
    // Removed, recycled and archived leads, and unassigned ones, are not being worked.
    const all = column((await csv(dana, `/reports/lead-snapshot.csv?${ALL}`)).rows, 'Lead ID');
    expect(all).toContain(L.worked);
    for (const id of [L.customer, L.recycled, L.archived, L.untouched]) expect(all).not.toContain(id);
  });

  it('Lead Log History: every entry in words, with the lead, the user and the time', async () => {
    const dana = await signedIn('A0DEMO1', 'owner-demo-pass');
    const { rows } = await csv(dana, `/reports/lead-log.csv?${ALL}&import=Fall+list&sort=at&dir=asc`);
    const what = rows.slice(1).filter((r) => r[1] === L.worked).map((r) => `${r[4]} | ${r[5]}`);
    expect(what).toEqual([
      'Arrived | system',
      'Assigned to Alex Rivera by hand | Dana Owner',
      'Quick Action: Attempted Contact | Alex Rivera',
      'Quick Action: Attempted Contact | Alex Rivera',
      'Quick Action: Contacted | Alex Rivera',
      'Quick Action: Quoted | Alex Rivera',
      'Flagged DNC | system',
      'Compliance scrub | system',
      'Quick Action: Sold | Chen, Sam',
    ]);
    // The page links each lead and shows times on the viewer's clock, not ISO.
    const page = await dana.get(`/reports/lead-log?${ALL}&import=Fall+list`);
    expect(leadIds(page.text)).toContain(L.worked);
    expect(visibleText(page.text)).toContain('Nov 3, 2026, 11:00 CST');
  });
});

describe('date range, filters, sorting and paging', () => {
  const touches = async (client: WebClient, range: string) => (await csv(client, `/reports/lead-log.csv?${range}&import=Boundary+list&sort=at&dir=asc`)).rows.slice(1).map((r) => r[0]);

  it('takes from and to as the account’s local days: midnight in its zone is the boundary, DST days included', async () => {
    const dana = await signedIn('A0DEMO1', 'owner-demo-pass');
    expect(await touches(dana, 'from=2026-11-10&to=2026-11-10')).toEqual(['2026-11-10T23:59:59-06:00']);
    expect(await touches(dana, 'from=2026-11-11&to=2026-11-11')).toEqual(['2026-11-11T00:00:00-06:00']);
    // Nov 1 is 25 hours long in Chicago: 00:30 CDT and 23:30 CST are both on it, midnight after is not.
    expect(await touches(dana, 'from=2026-11-01&to=2026-11-01')).toEqual(['2026-11-01T00:30:00-05:00', '2026-11-01T23:30:00-06:00']);
    // Reversed dates are read the right way round.
    expect(await touches(dana, 'from=2026-11-11&to=2026-11-10')).toHaveLength(2);
    // In another zone the same instants fall on other days.
    await suite.db.knex('accounts').where({ id: accountId }).update({ time_zone: 'America/New_York' });
    try {
      expect(await touches(dana, 'from=2026-11-11&to=2026-11-11')).toEqual(['2026-11-11T00:59:59-05:00', '2026-11-11T01:00:00-05:00']);
    } finally {
      await suite.db.knex('accounts').where({ id: accountId }).update({ time_zone: TZ });
    }
  });

  it('filters by user, source, import and segment', async () => {
    const dana = await signedIn('A0DEMO1', 'owner-demo-pass');
    const log = async (q: string) => new Set(column((await csv(dana, `/reports/lead-log.csv?${ALL}&${q}`)).rows, 'Lead ID'));
    expect(await log(`user=${users['lsp.sam']}`)).toEqual(new Set([L.worked, L.booked]));
    expect(await log('import=Fall+list')).toEqual(new Set([L.worked, L.slow]));
    expect(await log('source=mwi&segment=highly_engaged')).toEqual(new Set([L.worked, L.slow]));
    expect(await log('source=mwi&segment=cold')).toEqual(new Set());
  });

  it('pages 50 rows at a time and sorts by a column either way', async () => {
    const dana = await signedIn('A0DEMO1', 'owner-demo-pass');
    const first = await dana.get(`/reports/lead-log?${ALL}&import=Busy+list&sort=at&dir=asc`);
    expect(visibleText(first.text)).toContain('rows 1–50 of 60');
    expect(visibleText(first.text)).toContain('Page 1 of 2');
    const second = await dana.get(`/reports/lead-log?${ALL}&import=Busy+list&sort=at&dir=asc&page=2`);
    expect(visibleText(second.text)).toContain('rows 51–60 of 60');
    expect((second.text.match(/data-label="When"/g) ?? []).length).toBe(10);
    // The last page ascending starts where the first page descending does.
    const desc = await dana.get(`/reports/lead-log?${ALL}&import=Busy+list&sort=at&dir=desc`);
    const firstTime = (html: string) => /<td data-label="When"><time datetime="([^"]+)"/i.exec(html)?.[1];
    expect(firstTime(desc.text)).toBe(at(659).toISOString());
    expect(firstTime(first.text)).toBe(at(600).toISOString());
    // The header links to the other direction; the CSV has every row, not a page.
    expect(first.text).toContain('aria-sort="ascending"');
    expect((await csv(dana, `/reports/lead-log.csv?${ALL}&import=Busy+list`)).rows).toHaveLength(61);
  });
});

describe('CSV exports', () => {
  const exportUrls = () => [...REPORTS.map((name) => `/reports/${name}.csv?${ALL}`), '/leads.csv', '/leads.csv?status=active&sort=name'];

  it('every export: a CSV download with rows, and none of the names, streets, phones or e-mails of the leads', async () => {
    const dana = await signedIn('A0DEMO1', 'owner-demo-pass');
    for (const url of exportUrls()) {
      const res = await csv(dana, url);
      expect(res.status, url).toBe(200);
      expect(res.type, url).toMatch(/^text\/csv/);
      expect(res.rows.length, `${url} has rows`).toBeGreaterThan(1);
      for (const pii of PII) expect(res.text, `${url} leaks ${pii}`).not.toContain(pii);
      // Every row has the header's columns (a stray comma or line break would break one).
      for (const row of res.rows) expect(row).toHaveLength(res.rows[0]!.length);
    }
  });

  it('leads.csv: the list’s filters and order, ZIP3 not the ZIP, and formula-like text defused', async () => {
    const dana = await signedIn('A0DEMO1', 'owner-demo-pass');
    const { rows, text } = await csv(dana, `/leads.csv?import=Fall+list&sort=created&dir=asc`);
    expect(column(rows, 'Lead ID')).toEqual([L.worked, L.untouched, L.slow]);
    expect(column(rows, 'ZIP3')).toEqual(['787', '787', '787']);
    expect(column(rows, 'Assignee')).toEqual(['Alex Rivera', '', 'Alex Rivera']);
    expect(column(rows, 'Milestone')[0]).toBe('Sold');
    expect(text).not.toContain('78701');
    const formula = await csv(dana, `/leads.csv?assignee=${users['lsp.sam']}`);
    const row = column(formula.rows, 'Lead ID').indexOf(L.formula!);
    expect(column(formula.rows, 'Import')[row]).toBe(`'=HYPERLINK("http://evil.test","x")`);
    expect(formula.text).toContain(`"'=HYPERLINK(""http://evil.test"",""x"")"`);
    expect(column(formula.rows, 'Assignee')[row]).toBe('Chen, Sam');
    // The list's search and closed-lead choice: found by name, exported without it.
    const found = await csv(dana, `/leads.csv?q=${encodeURIComponent('Zebediah Quillfeather')}`);
    expect(column(found.rows, 'Lead ID')).toEqual([L.worked]);
    expect(found.text).not.toContain('Zebediah');
    expect(column((await csv(dana, '/leads.csv?import=Fall+list&closed=hide')).rows, 'Lead ID').sort()).toEqual([L.untouched, L.slow].sort());
    expect(column((await csv(dana, '/leads.csv?import=Fall+list&closed=only')).rows, 'Lead ID')).toEqual([L.worked]);
    expect(formula.text).toContain('"Chen, Sam"');
    // The leads list links to its own export with the filters it shows; an LSP's list does not.
    expect((await dana.get('/leads?import=Fall+list&sort=created&dir=asc')).text).toContain('href="/leads.csv?import=Fall+list&amp;sort=created&amp;dir=asc"');
    expect((await (await signedIn('lsp.alex', 'alex-demo-pass')).get('/leads')).text).not.toContain('/leads.csv');
  });

  it('names the file after the report and its dates, and the page links to it with the same filters', async () => {
    const dana = await signedIn('A0DEMO1', 'owner-demo-pass');
    const res = await dana.get('/reports/milestones.csv?from=2026-11-01&to=2026-11-15');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="milestones-2026-11-01-to-2026-11-15.csv"');
    const page = await dana.get(`/reports/milestones?from=2026-11-01&to=2026-11-15&import=Fall+list&page=2`);
    expect(page.text).toContain('href="/reports/milestones.csv?from=2026-11-01&amp;to=2026-11-15&amp;import=Fall+list"');
  });
});
