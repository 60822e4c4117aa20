// The LSP's day through the web app over real HTTP: the owner sets the agency's zone, workday
// start and licensed states (My Company) and each LSP's target, states and availability (Users &
// Seats, where "used / target" shows); an LSP sees their own ledger on My Leads and sets
// themselves away; roles and CSRF hold.
import { describe, expect, it } from 'vitest';
import { accountDay } from '../../db/distribution/ledger.ts';
import { createAccountWithAdmin } from '../support/fixtures.ts';
import { csrfToken, visibleText, type WebClient } from '../support/http.ts';
import { demoWebSuite } from '../support/web-suite.ts';

const suite = demoWebSuite();

const user = (username: string) => suite.db.knex('users').where({ username }).first();
const demoAccount = async () =>
  suite.db
    .knex('accounts')
    .where({ id: (await user('A0DEMO1')).account_id })
    .first();

async function signedIn(username: string, password: string): Promise<WebClient> {
  const client = suite.client();
  expect((await client.login(username, password)).status).toBe(302);
  return client;
}

/** Like WebClient.submit, with repeated fields (checkboxes) kept. */
async function submitEntries(client: WebClient, path: string, entries: Array<[string, string]>, from = path) {
  const form = await client.follow(from);
  const token = csrfToken(form.text);
  if (!token) throw new Error(`no CSRF token on ${from}`);
  return client.request(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams([['csrf', token], ...entries]).toString(),
  });
}

describe('My Company: the agency’s day', () => {
  it('saves the time zone, workday start and licensed states', async () => {
    const dana = await signedIn('A0DEMO1', 'owner-demo-pass');
    const res = await submitEntries(dana, '/company', [
      // Stored as Intl spells it.
      ['timeZone', 'america/new_york'],
      ['workdayStart', '07:30'],
      ['licensedStates', 'TX'],
      ['licensedStates', 'FL'],
      ['licensedStates', 'OK'],
    ]);
    expect(res.status).toBe(200);
    expect(visibleText(res.text)).toContain('Saved.');
    expect(await demoAccount()).toMatchObject({
      time_zone: 'America/New_York',
      workday_start_minutes: 450,
      licensed_states: ['FL', 'OK', 'TX'],
    });
    const page = await dana.get('/company');
    expect(page.text).toMatch(/<option value="America\/New_York" selected="">/);
    expect(page.text).toContain('value="07:30"');
    expect(page.text).toMatch(/checked="" value="FL"/);
    expect(page.text).not.toMatch(/checked="" value="CA"/);
  });

  it.each([
    [
      [
        ['timeZone', 'Mars/Olympus_Mons'],
        ['workdayStart', '08:00'],
      ],
      'Choose a time zone from the list',
    ],
    [
      [
        ['timeZone', 'America/Chicago'],
        ['workdayStart', '25:00'],
      ],
      'Enter the time the workday starts as HH:MM',
    ],
    [
      [
        ['timeZone', 'America/Chicago'],
        ['workdayStart', '08:00'],
        ['licensedStates', 'XX'],
      ],
      'Not a US state, DC or territory: XX',
    ],
  ] as Array<[Array<[string, string]>, string]>)('refuses %j with “%s” and changes nothing', async (entries, message) => {
    const before = await demoAccount();
    const dana = await signedIn('A0DEMO1', 'owner-demo-pass');
    const res = await submitEntries(dana, '/company', entries);
    expect(res.status).toBe(400);
    expect(visibleText(res.text)).toContain(message);
    expect(await demoAccount()).toEqual(before);
  });

  it('is the owner’s: an LSP gets 403 and a form without the CSRF token is refused', async () => {
    const alex = await signedIn('lsp.alex', 'alex-demo-pass');
    expect(
      (
        await alex.post('/company', {
          csrf: 'x',
          timeZone: 'UTC',
          workdayStart: '08:00',
        })
      ).status
    ).toBe(403);
    const dana = await signedIn('A0DEMO1', 'owner-demo-pass');
    expect((await dana.post('/company', { timeZone: 'UTC', workdayStart: '08:00' })).status).toBe(403);
    expect((await demoAccount()).time_zone).toBe('America/New_York');
  });
});

describe('Users & Seats: each LSP’s day', () => {
  it('shows used / target per LSP and lets the owner change target, states and availability', async () => {
    const alex = await user('lsp.alex');
    // Alex's day: clear the demo's follow-ups and assignments, then 3 follow-ups due today.
    const day = accountDay((await demoAccount()).time_zone);
    await suite.db.knex('assignments').where({ user_id: alex.id }).del();
    await suite.db.knex('leads').where({ assigned_user_id: alex.id }).update({ next_follow_up_at: null });
    const three = await suite.db.knex('leads').where({ assigned_user_id: alex.id, status: 'active' }).limit(3).pluck('id');
    expect(three).toHaveLength(3);
    await suite.db
      .knex('leads')
      .whereIn('id', three)
      .update({ next_follow_up_at: new Date(day.start.getTime() + 60_000) });

    const dana = await signedIn('A0DEMO1', 'owner-demo-pass');
    const res = await submitEntries(dana, '/users', [
      ['intent', 'day'],
      ['userId', alex.id],
      ['dailyTarget', '40'],
      ['licensedStates', 'TX'],
      ['licensedStates', 'AZ'],
    ]);
    expect(res.status).toBe(302);
    expect(await user('lsp.alex')).toMatchObject({
      daily_target: 40,
      licensed_states: ['AZ', 'TX'],
      available: false,
    });
    const text = visibleText((await dana.get('/users')).text);
    expect(text).toMatch(/Alex Rivera 3 \/ 40 \(3 follow-ups, 0 new\) Away AZ, TX/);
    expect(text).toMatch(/Sam Chen \d+ \/ 50 .*Available/);
  });

  it('refuses a target outside 1..500 with the field’s message and changes nothing', async () => {
    const alex = await user('lsp.alex');
    const dana = await signedIn('A0DEMO1', 'owner-demo-pass');
    for (const target of ['0', '501', 'ten']) {
      const res = await submitEntries(dana, '/users', [
        ['intent', 'day'],
        ['userId', alex.id],
        ['dailyTarget', target],
        ['available', 'on'],
      ]);
      expect(res.status).toBe(400);
      expect(visibleText(res.text)).toMatch(/At least 1|At most 500|Enter a number/);
    }
    expect(await user('lsp.alex')).toMatchObject({
      daily_target: 40,
      available: false,
    });
  });

  it('is the owner’s to change: an admin and an LSP are refused, another account’s user is not found', async () => {
    const sam = await user('lsp.sam');
    const alex = await signedIn('lsp.alex', 'alex-demo-pass');
    // An LSP has no Users & Seats page at all, so no token from it either.
    expect((await alex.get('/users')).status).toBe(403);
    expect(
      (
        await submitEntries(
          alex,
          '/users',
          [
            ['intent', 'day'],
            ['userId', sam.id],
            ['dailyTarget', '5'],
          ],
          '/leads'
        )
      ).status
    ).toBe(403);

    const { accountId } = await createAccountWithAdmin(suite.db.knex, 'Elsewhere');
    const [stranger] = await suite.db
      .knex('users')
      .insert({
        account_id: accountId,
        username: 'far.lsp',
        email: 'far@example.test',
        name: 'Far Away',
        role: 'lsp',
        password_hash: 'x',
      })
      .returning('id');
    const dana = await signedIn('A0DEMO1', 'owner-demo-pass');
    expect(
      (
        await submitEntries(dana, '/users', [
          ['intent', 'day'],
          ['userId', stranger.id],
          ['dailyTarget', '5'],
        ])
      ).status
    ).toBe(404);
    expect((await suite.db.knex('users').where({ id: stranger.id }).first('daily_target')).daily_target).toBe(50);
    // Without the CSRF token nothing changes.
    expect(
      (
        await dana.post('/users', {
          intent: 'day',
          userId: sam.id,
          dailyTarget: '5',
        })
      ).status
    ).toBe(403);
    expect((await user('lsp.sam')).daily_target).toBe(50);
  });

  it('starts a new LSP with the account’s licensed states', async () => {
    await suite.db
      .knex('accounts')
      .where({ id: (await demoAccount()).id })
      .update({ paid_seats: 5 });
    const dana = await signedIn('A0DEMO1', 'owner-demo-pass');
    const res = await dana.submit('/users', {
      intent: 'create',
      username: 'new.lsp',
      name: 'New Person',
      email: 'new@leadflow.test',
      role: 'lsp',
    });
    expect(res.status).toBe(200);
    expect((await user('new.lsp')).licensed_states).toEqual(['FL', 'OK', 'TX']);
    await dana.submit('/users', {
      intent: 'create',
      username: 'new.admin',
      name: 'New Admin',
      email: 'admin@leadflow.test',
      role: 'admin',
    });
    expect((await user('new.admin')).licensed_states).toEqual([]);
  });

  it('shows times in the viewer’s zone: the account’s, or the user’s own', async () => {
    const dana = await signedIn('A0DEMO1', 'owner-demo-pass');
    // America/New_York (set above): EST in November, never UTC.
    const text = visibleText((await dana.get('/users')).text);
    expect(text).toMatch(/\d{2}:\d{2} E[SD]T/);
    expect(text).not.toMatch(/\d{2}:\d{2} UTC/);
    await suite.db.knex('users').where({ username: 'A0DEMO1' }).update({ time_zone: 'America/Los_Angeles' });
    expect(visibleText((await dana.get('/users')).text)).toMatch(/\d{2}:\d{2} P[SD]T/);
    await suite.db.knex('users').where({ username: 'A0DEMO1' }).update({ time_zone: null });
  });
});

describe('My Leads: the LSP’s own day', () => {
  it('shows the LSP their ledger and lets them set themselves available and away', async () => {
    const alex = await signedIn('lsp.alex', 'alex-demo-pass');
    let text = visibleText((await alex.get('/leads')).text);
    expect(text).toContain('3 / 40 today: 3 follow-ups, 0 new · 37 left');
    expect(text).toContain('Away');

    const back = await alex.submit('/my-day', { available: 'true' }, { from: '/leads' });
    expect(back.status).toBe(302);
    expect(back.location).toBe('/leads');
    expect((await user('lsp.alex')).available).toBe(true);
    text = visibleText((await alex.get('/leads')).text);
    expect(text).toContain('Available');
    expect(text).toContain('Set me away');

    expect((await alex.submit('/my-day', { available: 'false' }, { from: '/leads' })).status).toBe(302);
    expect((await user('lsp.alex')).available).toBe(false);
    // Only their own row changed.
    expect((await user('lsp.sam')).available).toBe(true);
  });

  it('needs the CSRF token, a clear choice, and an LSP', async () => {
    const alex = await signedIn('lsp.alex', 'alex-demo-pass');
    expect((await alex.post('/my-day', { available: 'true' })).status).toBe(403);
    expect((await alex.submit('/my-day', { available: 'maybe' }, { from: '/leads' })).status).toBe(400);
    expect((await user('lsp.alex')).available).toBe(false);
    const dana = await signedIn('A0DEMO1', 'owner-demo-pass');
    expect((await dana.submit('/my-day', { available: 'false' }, { from: '/leads' })).status).toBe(403);
  });

  it('shows no ledger to owners, admins or support', async () => {
    const dana = await signedIn('A0DEMO1', 'owner-demo-pass');
    const text = visibleText((await dana.get('/leads')).text);
    expect(text).not.toMatch(/\d+ \/ \d+ today/);
    expect(text).not.toContain('Set me away');
  });
});
