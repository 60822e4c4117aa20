// My preferences over HTTP: any signed-in user picks the zone they read times in (the leads
// list follows at once; the agency's zone again by choosing it), an unknown zone is refused,
// an LSP turns the hot-lead e-mail on and off, and nobody changes anyone's preferences but
// their own; CSRF and sign-in are required.
import { beforeAll, describe, expect, it } from 'vitest';
import { visibleText, type WebClient } from '../support/http.ts';
import { demoWebSuite } from '../support/web-suite.ts';

const suite = demoWebSuite();
const CREATED = new Date('2026-11-30T07:15:00Z');
let leadId: string;

async function signedIn(username: string, password: string): Promise<WebClient> {
  const c = suite.client();
  expect((await c.login(username, password)).status, `login ${username}`).toBe(302);
  return c;
}
const row = async (username: string) => suite.db.knex('users').where({ username }).first('time_zone', 'notify_hot_leads');
/** The Created cell of Alex's lead on his leads list, as he reads it. */
async function createdAsShown(c: WebClient): Promise<string> {
  const html = (await c.get('/leads')).text;
  const cell = new RegExp(`href="/leads/${leadId}"[\\s\\S]*?data-label="Created"><time[^>]*>([^<]+)</time>`).exec(html);
  expect(cell, 'the lead’s row on the leads list').not.toBeNull();
  return cell![1]!;
}

beforeAll(async () => {
  const alex = await suite.db.knex('users').where({ username: 'lsp.alex' }).first('id');
  const lead = await suite.db.knex('leads').where({ assigned_user_id: alex.id, last_name: 'Gonzalez' }).first('id');
  leadId = lead.id;
  await suite.db.knex('leads').where({ id: leadId }).update({ created_at: CREATED });
});

describe('my preferences', () => {
  it('lets a user read times in a zone of their own, and in the agency’s again: the leads list follows', async () => {
    const alex = await signedIn('lsp.alex', 'alex-demo-pass');
    const page = await alex.get('/account/preferences');
    expect(page.status).toBe(200);
    const text = visibleText(page.text);
    expect(text).toContain('Show times in');
    expect(text).toContain('The agency’s zone (America/Chicago)');
    // The agency's zone to begin with.
    expect(await createdAsShown(alex)).toBe('Nov 30, 2026, 01:15 CST');

    const saved = await alex.submit('/account/preferences', { timeZone: 'pacific/honolulu', notifyHotLeads: 'on' });
    expect(saved.status).toBe(302);
    expect(saved.location).toBe('/account/preferences?saved=1');
    expect(visibleText((await alex.get(saved.location!)).text)).toContain('Saved.');
    // Stored as Intl spells it.
    expect((await row('lsp.alex')).time_zone).toBe('Pacific/Honolulu');
    expect(await createdAsShown(alex)).toBe('Nov 29, 2026, 21:15 HST');

    // Only Alex's own view changed: the owner still reads the agency's zone.
    const owner = await signedIn('A0DEMO1', 'owner-demo-pass');
    expect(visibleText((await owner.get(`/leads/${leadId}`)).text)).toContain('Nov 30, 2026, 01:15 CST');

    expect((await alex.submit('/account/preferences', { timeZone: '', notifyHotLeads: 'on' })).status).toBe(302);
    expect((await row('lsp.alex')).time_zone).toBeNull();
    expect(await createdAsShown(alex)).toBe('Nov 30, 2026, 01:15 CST');
  });

  it('refuses a zone Intl does not know, and keeps the one before', async () => {
    const alex = await signedIn('lsp.alex', 'alex-demo-pass');
    expect((await alex.submit('/account/preferences', { timeZone: 'Europe/Lisbon' })).status).toBe(302);
    for (const bad of ['Mars/Olympus_Mons', 'CST; drop table users', 'x'.repeat(200)]) {
      const res = await alex.submit('/account/preferences', { timeZone: bad });
      expect(res.status, bad).toBe(400);
      expect(visibleText(res.text)).toContain('Choose a time zone from the list');
    }
    expect((await row('lsp.alex')).time_zone).toBe('Europe/Lisbon');
    await alex.submit('/account/preferences', { timeZone: '' });
  });

  it('an LSP turns the hot-lead e-mail on and off; other roles are not offered it and cannot set it', async () => {
    const sam = await signedIn('lsp.sam', 'sam-demo-pass');
    expect(visibleText((await sam.get('/account/preferences')).text)).toContain('E-mail me when a highly engaged lead is assigned to me');
    await sam.submit('/account/preferences', { timeZone: '', notifyHotLeads: 'on' });
    expect((await row('lsp.sam')).notify_hot_leads).toBe(true);
    expect((await sam.get('/account/preferences')).text).toMatch(/<input type="checkbox" name="notifyHotLeads" checked=""/);
    // An unticked box is not sent at all: off.
    await sam.submit('/account/preferences', { timeZone: '' });
    expect((await row('lsp.sam')).notify_hot_leads).toBe(false);

    const kim = await signedIn('support.kim', 'kim-demo-pass');
    expect(visibleText((await kim.get('/account/preferences')).text)).not.toContain('E-mail me when');
    expect((await kim.submit('/account/preferences', { timeZone: 'America/Denver', notifyHotLeads: 'on' })).status).toBe(302);
    expect(await row('support.kim')).toEqual({ time_zone: 'America/Denver', notify_hot_leads: false });
  });

  it('changes only the signed-in user’s own row, needs the CSRF token and a sign-in, and is linked from every role’s user menu', async () => {
    const sam = await signedIn('lsp.sam', 'sam-demo-pass');
    const before = await row('lsp.alex');
    // A user id in the form is not a field of this form: Sam's own row changes, nobody else's.
    const alexId = (await suite.db.knex('users').where({ username: 'lsp.alex' }).first('id')).id;
    expect((await sam.submit('/account/preferences', { timeZone: 'Asia/Tokyo', userId: alexId, notifyHotLeads: 'on' })).status).toBe(302);
    expect(await row('lsp.alex')).toEqual(before);
    expect((await row('lsp.sam')).time_zone).toBe('Asia/Tokyo');

    expect((await sam.post('/account/preferences', { timeZone: 'America/Denver' })).status).toBe(403);
    expect((await row('lsp.sam')).time_zone).toBe('Asia/Tokyo');

    const anonymous = suite.client();
    expect((await anonymous.get('/account/preferences')).location).toBe('/login?redirectTo=%2Faccount%2Fpreferences');

    for (const [username, password] of [
      ['lsp.sam', 'sam-demo-pass'],
      ['A0DEMO1', 'owner-demo-pass'],
      ['support.kim', 'kim-demo-pass'],
    ] as const) {
      const html = (await (await signedIn(username, password)).get('/leads')).text;
      expect(/<div class="user-menu">[\s\S]*?<\/div>/.exec(html)![0], username).toContain('href="/account/preferences"');
    }
  });
});
