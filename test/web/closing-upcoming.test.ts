// Closing milestones and call-backs ahead, over real HTTP and PostgreSQL: a closed lead leaves
// My Leads' working view, Due today and Upcoming but is found with the "closed" filter; Do Not
// Contact (the Quick Action activity itself) suppresses every channel with its time; an owner
// or admin reopens; Upcoming lists each LSP's call-backs by day in the viewer's zone; Due today
// is the account's day.
import { beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../activities/index.ts';
import { createQuickActionActivities } from '../../activities/lead/quick-action.ts';
import { accountDay } from '../../db/distribution/ledger.ts';
import { getLeadForAccount } from '../../web/app/utils/leads.server.ts';
import type { QuickActionKey } from '../../workflows/lead/quick-actions.ts';
import { createAccountWithAdmin, insertLeads } from '../support/fixtures.ts';
import { leadIds, visibleText, type WebClient } from '../support/http.ts';
import { demoWebSuite } from '../support/web-suite.ts';

const suite = demoWebSuite();
const HOUR = 3600_000;

async function signedIn(username: string, password: string): Promise<WebClient> {
  const client = suite.client();
  expect((await client.login(username, password)).status).toBe(302);
  return client;
}

const userId = async (username: string) => (await suite.db.knex('users').where({ username }).first('id')).id as string;
const leadRow = (id: string) => suite.db.knex('leads').where({ id }).first();

let actions: ReturnType<typeof createQuickActionActivities>;
let seq = 0;
/** A Quick Action as the lead workflow records it (the real activity, no Temporal). */
async function quickAction(leadId: string, action: QuickActionKey, byUserId: string, dueAt?: Date) {
  const milestone = action;
  await actions.recordQuickAction({ leadId, milestone, request: { actionId: `qa-${++seq}-${Date.now()}`, action, byUserId, at: new Date().toISOString(), dueAt: dueAt?.toISOString() } });
}

let demo: string;
let alex: string;
let sam: string;

beforeAll(async () => {
  actions = createQuickActionActivities({ db: suite.db.knex, clock: systemClock, appUrl: 'http://leadflow.test', eagentAllowPrivate: false });
  demo = (await suite.db.knex('users').where({ username: 'A0DEMO1' }).first('account_id')).account_id;
  alex = await userId('lsp.alex');
  sam = await userId('lsp.sam');
});

describe('Closing milestones', () => {
  it('take the lead out of My Leads and Due today, and the closed filter finds it', async () => {
    const due = new Date(Date.now() - HOUR);
    const ids = await insertLeads(
      suite.db.knex,
      demo,
      ['Open', 'NotInterested', 'Sold', 'BadContact', 'DoNotContact'].map((lastName) => ({ lastName: `Closing${lastName}`, assignedUserId: alex, status: 'active', nextFollowUpAt: due })),
    );
    const [open, ...closing] = ids as [string, ...string[]];
    const closers: QuickActionKey[] = ['not_interested', 'sold', 'bad_contact_info', 'do_not_contact'];
    for (const [i, id] of closing.entries()) await quickAction(id, closers[i]!, alex);

    const client = await signedIn('lsp.alex', 'alex-demo-pass');
    const myLeads = leadIds((await client.get('/leads')).text);
    expect(myLeads).toContain(open);
    for (const id of closing) expect(myLeads).not.toContain(id);
    const dueToday = leadIds((await client.get('/due-today')).text);
    expect(dueToday).toContain(open);
    for (const id of closing) expect(dueToday).not.toContain(id);

    const onlyClosed = await client.get('/leads?closed=only');
    expect(leadIds(onlyClosed.text).filter((id) => ids.includes(id)).sort()).toEqual([...closing].sort());
    expect(visibleText(onlyClosed.text)).toContain('closed leads only');
    const all = leadIds((await client.get('/leads?closed=include')).text);
    for (const id of ids) expect(all).toContain(id);
    // An LSP does not get the reopen link.
    expect(onlyClosed.text).not.toContain('/reopen"');
  });

  it('Do Not Contact suppresses calls, e-mail and mail at once, with the time it was recorded', async () => {
    const [id] = await insertLeads(suite.db.knex, demo, [{ lastName: 'Dnc-Now', assignedUserId: alex, email: true }]);
    const before = Date.now();
    await quickAction(id!, 'do_not_contact', alex);
    const lead = await leadRow(id!);
    expect(lead).toMatchObject({ milestone: 'do_not_contact', dnc: true, dne: true, dnm: true });
    for (const flag of ['dnc', 'dne', 'dnm']) {
      expect(lead[`${flag}_at`].getTime()).toBeGreaterThanOrEqual(before - 1000);
      expect(lead[`${flag}_reason`]).toBe('Do Not Contact request recorded by the LSP');
    }
  });

  it('an owner or admin reopens a closed lead: back to its milestone before, in the working views, in its history', async () => {
    const [id] = await insertLeads(suite.db.knex, demo, [{ lastName: 'Reopen-Me', assignedUserId: alex, status: 'active', nextFollowUpAt: new Date(Date.now() - HOUR) }]);
    await quickAction(id!, 'quoted', alex);
    await quickAction(id!, 'not_interested', alex);

    const lsp = await signedIn('lsp.alex', 'alex-demo-pass');
    expect((await lsp.get(`/leads/${id}/reopen`)).status).toBe(403);
    expect(leadIds((await lsp.get('/leads')).text)).not.toContain(id);

    const owner = await signedIn('A0DEMO1', 'owner-demo-pass');
    const list = await owner.get('/leads?closed=only');
    expect(list.text).toContain(`href="/leads/${id}/reopen"`);
    // The lead page offers it too, to owners and admins only.
    expect((await owner.get(`/leads/${id}`)).text).toContain(`href="/leads/${id}/reopen"`);
    expect((await lsp.get(`/leads/${id}`)).text).not.toContain(`href="/leads/${id}/reopen"`);
    const page = await owner.get(`/leads/${id}/reopen`);
    expect(visibleText(page.text)).toContain('This lead is closed at Not Interested');
    // No CSRF token: refused, nothing changes.
    expect((await owner.post(`/leads/${id}/reopen`, {})).status).toBe(403);
    expect((await leadRow(id!)).milestone).toBe('not_interested');

    const res = await owner.submit(`/leads/${id}/reopen`, {});
    expect(res.status).toBe(302);
    expect(res.location).toBe(`/leads/${id}`);
    expect((await leadRow(id!)).milestone).toBe('quoted');
    const event = await suite.db.knex('lead_events').where({ lead_id: id, type: 'reopened' }).first();
    expect(event).toMatchObject({ actor_user_id: await userId('A0DEMO1'), data: { from: 'not_interested', to: 'quoted', lifted: [] } });
    expect(leadIds((await lsp.get('/leads')).text)).toContain(id);
    expect(leadIds((await lsp.get('/due-today')).text)).toContain(id);

    // Reopening an open lead is refused.
    expect((await owner.submit(`/leads/${id}/reopen`, {})).status).toBe(409);
  });

  it('reopening a Do Not Contact lead lifts the request’s flags only when asked, never a list’s', async () => {
    const [kept, lifted] = await insertLeads(suite.db.knex, demo, [
      { lastName: 'Dnc-Kept', assignedUserId: alex, email: true },
      { lastName: 'Dnc-Lifted', assignedUserId: alex, email: true },
    ]);
    for (const id of [kept!, lifted!]) await quickAction(id, 'do_not_contact', alex);
    // The number was on a DNC list before the request: that flag is the list's.
    const listed = { dnc: true, dnc_at: new Date(Date.now() - 86_400_000), dnc_reason: 'On the federal DNC list' };
    await suite.db.knex('leads').where({ id: lifted }).update(listed);

    const owner = await signedIn('A0DEMO1', 'owner-demo-pass');
    expect((await owner.submit(`/leads/${kept}/reopen`, {})).status).toBe(302);
    expect(await leadRow(kept!)).toMatchObject({ milestone: 'attempted_contact', dnc: true, dne: true, dnm: true });

    expect(visibleText((await owner.get(`/leads/${lifted}/reopen`)).text)).toContain('Also lift the Do Not Contact request (DNE, DNM)');
    expect((await owner.submit(`/leads/${lifted}/reopen`, { lift: 'yes' })).status).toBe(302);
    expect(await leadRow(lifted!)).toMatchObject({ milestone: 'attempted_contact', dnc: true, dnc_reason: 'On the federal DNC list', dne: false, dne_at: null, dnm: false, dnm_at: null });
  });

  it('another account’s lead is not found', async () => {
    const other = await createAccountWithAdmin(suite.db.knex, 'Other Agency');
    const [id] = await insertLeads(suite.db.knex, other.accountId, [{ lastName: 'Elsewhere', milestone: 'sold' }]);
    const owner = await signedIn('A0DEMO1', 'owner-demo-pass');
    expect((await owner.get(`/leads/${id}/reopen`)).status).toBe(404);
    expect((await owner.submit(`/leads/${id}/reopen`, {}, { from: '/leads' })).status).toBe(404);
    expect((await leadRow(id!)).milestone).toBe('sold');
  });
});

describe('Upcoming call-backs', () => {
  /** The lead ids under each day heading of /upcoming, in page order. */
  function days(html: string): Array<{ title: string; ids: string[] }> {
    return [...html.matchAll(/<h2 id="day-[^"]+">([\s\S]*?)<\/h2>([\s\S]*?)<\/section>/g)].map((m) => ({ title: visibleText(m[1]!), ids: leadIds(m[2]!) }));
  }

  it('lists each LSP’s call-backs ahead by day in the viewer’s zone; owners see everyone’s and filter by LSP', async () => {
    // Alex reads times in New York; the account is in Chicago.
    await suite.db.knex('users').where({ id: alex }).update({ time_zone: 'America/New_York' });
    const ids = await insertLeads(
      suite.db.knex,
      demo,
      ['Soon', 'Later', 'LateEvening', 'Closed', 'Past', 'Sams'].map((n) => ({ lastName: `Upcoming${n}`, assignedUserId: n === 'Sams' ? sam : alex, status: 'active' })),
    );
    const [soon, later, lateEvening, closed, past, samsLead] = ids as [string, string, string, string, string, string];
    const dayMs = 86_400_000;
    // Two days ahead at 02:30 UTC: the evening before in New York.
    const twoDays = new Date(Date.now() + 2 * dayMs);
    const evening = new Date(Date.UTC(twoDays.getUTCFullYear(), twoDays.getUTCMonth(), twoDays.getUTCDate(), 2, 30));
    await quickAction(soon, 'appointment', alex, new Date(Date.now() + 2 * HOUR));
    // A later booking replaces an earlier one, as in the workflow.
    await quickAction(later, 'appointment', alex, new Date(Date.now() + 3 * HOUR));
    await quickAction(later, 'appointment', alex, new Date(Date.now() + 5 * dayMs));
    await quickAction(lateEvening, 'appointment', alex, evening);
    await quickAction(closed, 'appointment', alex, new Date(Date.now() + dayMs));
    await quickAction(closed, 'not_interested', alex);
    // The lead page shows the next call-back beside the next follow-up.
    const soonPage = visibleText((await (await signedIn('lsp.alex', 'alex-demo-pass')).get(`/leads/${soon}`)).text);
    expect(soonPage).toMatch(/Next call-back [A-Z][a-z]{2} \d{1,2}, \d{4}, \d{2}:\d{2} E[SD]T/);
    await quickAction(past, 'appointment', alex, new Date(Date.now() + 2 * HOUR));
    await suite.db.knex('leads').where({ id: past }).update({ call_back_at: new Date(Date.now() - HOUR) });
    await quickAction(samsLead, 'appointment', sam, new Date(Date.now() + 4 * HOUR));

    const client = await signedIn('lsp.alex', 'alex-demo-pass');
    const page = await client.get('/upcoming');
    expect(page.status).toBe(200);
    const shown = days(page.text);
    const all = shown.flatMap((d) => d.ids);
    // Soonest first.
    expect(all.filter((id) => ids.includes(id))).toEqual([soon, lateEvening, later]);
    for (const id of [closed, past, samsLead]) expect(all).not.toContain(id);
    const newYorkDay = (at: Date) => new Intl.DateTimeFormat('en-US', { timeZone: 'America/New_York', weekday: 'long', month: 'long', day: 'numeric', year: 'numeric' }).format(at);
    const eveningDay = shown.find((d) => d.ids.includes(lateEvening))!;
    expect(eveningDay.title).toContain(newYorkDay(evening));
    expect(eveningDay.title).not.toContain(new Intl.DateTimeFormat('en-US', { timeZone: 'UTC', weekday: 'long', month: 'long', day: 'numeric', year: 'numeric' }).format(evening));
    expect(visibleText(page.text)).toMatch(/\d{2}:\d{2} EST/);

    // The lists show the next call-back too.
    const list = await client.get('/leads?q=UpcomingLater');
    expect(leadIds(list.text)).toEqual([later]);
    expect(list.text).toContain(`dateTime="${(await leadRow(later)).call_back_at.toISOString()}"`);
    // And the lead's own detail (the lead page, the API's GET), only while it is ahead.
    expect((await getLeadForAccount(suite.db.knex, demo, later))?.nextCallBackAt).toEqual((await leadRow(later)).call_back_at);
    expect((await getLeadForAccount(suite.db.knex, demo, past))?.nextCallBackAt).toBeNull();

    const owner = await signedIn('A0DEMO1', 'owner-demo-pass');
    const everyone = days((await owner.get('/upcoming')).text).flatMap((d) => d.ids);
    for (const id of [soon, later, lateEvening, samsLead]) expect(everyone).toContain(id);
    const samsOnly = days((await owner.get(`/upcoming?user=${sam}`)).text).flatMap((d) => d.ids);
    expect(samsOnly).toContain(samsLead);
    for (const id of [soon, later, lateEvening]) expect(samsOnly).not.toContain(id);

    // Support has no call-backs to keep.
    expect((await (await signedIn('support.kim', 'kim-demo-pass')).get('/upcoming')).status).toBe(403);
  });
});

describe('Due today', () => {
  it('is the account’s day, not UTC’s', async () => {
    // Honolulu is ten hours behind UTC: its day ends long after UTC's on the same date.
    await suite.db.knex('accounts').where({ id: demo }).update({ time_zone: 'Pacific/Honolulu' });
    try {
      const { end } = accountDay('Pacific/Honolulu');
      const [inDay, nextDay] = await insertLeads(suite.db.knex, demo, [
        { lastName: 'DueLastMinute', assignedUserId: sam, status: 'active', nextFollowUpAt: new Date(end.getTime() - 60_000) },
        { lastName: 'DueTomorrow', assignedUserId: sam, status: 'active', nextFollowUpAt: new Date(end.getTime() + 60_000) },
      ]);
      const client = await signedIn('lsp.sam', 'sam-demo-pass');
      const due = leadIds((await client.get('/due-today')).text);
      expect(due).toContain(inDay);
      expect(due).not.toContain(nextDay);
    } finally {
      await suite.db.knex('accounts').where({ id: demo }).update({ time_zone: 'America/Chicago' });
    }
  });
});
