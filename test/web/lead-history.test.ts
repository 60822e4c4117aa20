// The lead's history in words. Every kind of entry the code writes (db/lead-event-types.ts, the
// list the writers name their kinds by) has a wording with no code or ISO time in it; the lead
// page shows the entries newest first in words, on the viewer's clock with the lead's beside it;
// and the entries real writers leave in Postgres are all kinds of that list.
import { describe, expect, it } from 'vitest';
import { LEAD_EVENT_TYPES, type LeadEventType } from '../../db/lead-event-types.ts';
import { describeLeadEvent, hasWording, type HistoryContext, type HistoryEvent } from '../../web/app/utils/lead-history.ts';
import { visibleText } from '../support/http.ts';
import { demoWebSuite } from '../support/web-suite.ts';

const ALEX = '11111111-1111-4111-8111-111111111111';
const SAM = '22222222-2222-4222-8222-222222222222';
const ctx: HistoryContext = { viewerZone: 'America/New_York', leadZone: 'America/Chicago', userNames: { [ALEX]: 'Alex Rivera', [SAM]: 'Sam Lee' } };
const AT = '2026-12-01T15:00:00.000Z';

/** A typical entry of each kind, as its writer records it (a kind without one fails the typecheck). */
const SAMPLES: Record<LeadEventType, Partial<HistoryEvent>> = {
  created: { data: { source: 'mwi', importName: null } },
  merged: { data: { source: 'EverQuote' } },
  source_touch: { data: { touchId: '7', source: 'web_vendor' } },
  workflow_start_failed: { note: 'The lead is saved; its workflow will be started by reconcile', data: { touchId: '7', error: 'connect ECONNREFUSED' } },
  flagged: { data: { flag: 'dnc', reason: 'federal DNC list: +15045550101' } },
  removed: { data: { reason: 'current customer (+15045550101 on the customer list)' } },
  scrubbed: { data: { dnc: false, dne: true, dnm: false, newlyFlagged: [] } },
  assigned: { note: 'Assigned to Alex Rivera by Dana Owner: covers Colorado', data: { userId: ALEX, method: 'manual' } },
  unassigned: { note: 'Holding period: no Quick Action by Alex Rivera for 3 days', data: { userId: null, method: 'holding_period' } },
  callback_handed_over: { data: { dueAt: AT, toUserId: SAM, reminderTo: SAM } },
  quick_action: { actorName: 'Alex Rivera', data: { action: 'appointment', milestone: 'appointment', dueAt: AT } },
  note: { actorName: 'Alex Rivera', note: 'Call after 5', data: {} },
  callback_due: { data: { dueAt: AT, outboxId: '9', userId: ALEX, as: 'holder' } },
  confirmation_sent: { data: { actionId: '5', outboxId: '9', to: 'pat@example.com' } },
  confirmation_not_sent: { data: { actionId: '5', reason: 'dne' } },
  appointment_desk_told: { data: { actionId: '5', outboxId: '9', to: 'desk@agency.example', dueAt: AT } },
  appointment_desk_not_told: { data: { actionId: '5', outboxId: '9', reason: 'send_failed' } },
  call_task: { note: 'Introductory call', data: { cadence: 'cold_prospects', stepIndex: 1, kind: 'call_task', scheduledFor: AT, movedToCallingWindow: true, phone: '+15045550101' } },
  email_queued: { note: 'Checking in', data: { cadence: 'cold_prospects', stepIndex: 2, kind: 'email', to: 'pat@example.com' } },
  step_skipped: { note: 'dnc_list', data: { cadence: 'engaged_prospects', stepIndex: 0, kind: 'call_task', reason: 'dnc_list' } },
  recycled: { note: 'New, unassigned and neither callable nor e-mailable for 3 days', data: { rule: 'recycle_uncontactable' } },
  restored: { actorName: 'Dana Owner', data: { byUserId: SAM } },
  archived: { actorName: 'Alex Rivera', data: { after: 'personalized_proposal' } },
  workflow_restarted: { actorName: 'Kim Patel', note: 'Workflow restarted from the database by Kim Patel (Support)' },
  workflow_continued_as_new: { actorName: 'Kim Patel', note: 'Workflow asked to continue as new by Kim Patel (Support)' },
  reopened: { actorName: 'Dana Owner', data: { from: 'do_not_contact', to: 'attempted_contact', lifted: ['dnc', 'dne'], byUserId: SAM } },
  eagent_transferred: { data: { status: 201, attempt: 1 } },
  eagent_transfer_failed: { data: { attempt: 2, status: 503, body: 'busy' } },
  eagent_refused: { data: { attempt: 1, reason: 'the address must be https' } },
  eagent_rejected: { data: { attempt: 1, status: 422, body: 'bad lead' } },
};

const event = (type: string, e: Partial<HistoryEvent> = {}): HistoryEvent => ({ id: '1', type, note: null, data: {}, actorName: null, actorSystem: 'lead-workflow', createdAt: AT, ...e });
const words = (type: string, e: Partial<HistoryEvent> = {}, c: HistoryContext = ctx) => describeLeadEvent(event(type, e), c).text;

const ISO = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;
/** A code as the database holds it (`quick_action`, `dnc_list`, `cold_prospects`…), never words. */
const CODE = /\b[a-z]+_[a-z_]+\b/;

describe('every kind of history entry in words', () => {
  it.each(LEAD_EVENT_TYPES)('%s has a wording without codes or ISO times', (type) => {
    expect(hasWording(type), `no wording for lead event type "${type}" in web/app/utils/lead-history.ts`).toBe(true);
    const text = words(type, SAMPLES[type]);
    expect(text.length).toBeGreaterThan(5);
    expect(text).not.toMatch(ISO);
    expect(text).not.toMatch(CODE);
  });

  it('says what the issue promises, on the viewer’s clock with the lead’s beside it', () => {
    expect(words('quick_action', { actorName: 'Alex Rivera', data: { action: 'attempted_contact' } })).toBe('Attempted Contact by Alex Rivera');
    expect(words('quick_action', SAMPLES.quick_action)).toBe("Call back booked for Tue, Dec 1, 10:00 AM (lead's time 9:00 AM CST) by Alex Rivera");
    expect(words('email_queued', SAMPLES.email_queued)).toBe("Cold prospects, step 3: e-mail 'Checking in' sent");
    expect(words('step_skipped', { data: { cadence: 'cold_prospects', stepIndex: 1, reason: 'template_disabled' } })).toBe('Step skipped: the Cold prospects template is off');
    expect(words('merged', SAMPLES.merged)).toBe('Merged: arrived again from EverQuote');
    expect(words('flagged', SAMPLES.flagged)).toBe('Scrubbed: phone +1 504-555-0101 on the federal DNC list (Do Not Call)');
    expect(words('callback_handed_over', SAMPLES.callback_handed_over)).toBe("Call back on Tue, Dec 1, 10:00 AM (lead's time 9:00 AM CST) handed to Sam Lee");
    expect(words('step_skipped', SAMPLES.step_skipped)).toBe("Engaged or warmed prospects, step 1 skipped: every phone of the lead's is on a Do Not Call list");
    expect(describeLeadEvent(event('note', SAMPLES.note), ctx)).toEqual({ text: 'Note by Alex Rivera', note: 'Call after 5' });
    expect(words('reopened', SAMPLES.reopened)).toBe('Reopened by Dana Owner (was Do Not Contact), back to Attempted Contact; lifted Do Not Call, Do Not E-mail');
  });

  it('shows the lead’s clock only when it differs: Arizona keeps MST all year, Denver does not', () => {
    const denver: HistoryContext = { viewerZone: 'America/Denver', leadZone: 'America/Phoenix' };
    // Winter: Denver on MST too, the same clock.
    expect(words('quick_action', { actorName: 'Alex Rivera', data: { action: 'appointment', dueAt: '2026-12-15T16:00:00Z' } }, denver)).toBe('Call back booked for Tue, Dec 15, 9:00 AM by Alex Rivera');
    // Summer: Denver on MDT, Phoenix still on MST, an hour behind.
    expect(words('quick_action', { actorName: 'Alex Rivera', data: { action: 'appointment', dueAt: '2026-07-15T16:00:00Z' } }, denver)).toBe("Call back booked for Wed, Jul 15, 10:00 AM (lead's time 9:00 AM MST) by Alex Rivera");
    // Across the night of the change (Sunday Nov 1, 2026, 2:00 AM in the US): a call-back the
    // Monday after is on EST, one the Saturday before on EDT; the lead in Chicago an hour behind either way.
    const ny: HistoryContext = { viewerZone: 'America/New_York', leadZone: 'America/Chicago' };
    expect(words('callback_due', { data: { dueAt: '2026-10-31T14:00:00Z' } }, ny)).toBe("Call back due Sat, Oct 31, 10:00 AM (lead's time 9:00 AM CDT): nobody to remind");
    expect(words('callback_due', { data: { dueAt: '2026-11-02T15:00:00Z' } }, ny)).toBe("Call back due Mon, Nov 2, 10:00 AM (lead's time 9:00 AM CST): nobody to remind");
    // Across midnight the lead's day is said too.
    expect(words('callback_due', { data: { dueAt: '2026-12-02T06:30:00Z' } }, { viewerZone: 'America/Los_Angeles', leadZone: 'America/New_York' })).toBe("Call back due Tue, Dec 1, 10:30 PM (lead's time Wed 1:30 AM EST): nobody to remind");
  });

  it('gives a kind it does not know its note, never its code', () => {
    expect(words('some_new_kind', { note: 'Something in words' })).toBe('Something in words');
    expect(words('some_new_kind')).toBe('Recorded by Leadflow');
  });
});

const suite = demoWebSuite();

describe('the lead page’s history', () => {
  it('reads newest first, in words, on the viewer’s clock, with no code or ISO time on the page', async () => {
    const { knex } = suite.db;
    const alex = await knex('users').where({ username: 'lsp.alex' }).first('id', 'account_id');
    await knex('users').where({ id: alex.id }).update({ time_zone: 'America/Denver' });
    const lead = await knex('leads').where({ assigned_user_id: alex.id }).orderBy('created_at').first('id');
    await knex('leads').where({ id: lead.id }).update({ time_zone: 'America/Phoenix' });
    const base = { lead_id: lead.id, account_id: alex.account_id };
    await knex('lead_events').insert([
      { ...base, actor_system: 'lead-workflow', type: 'step_skipped', note: 'template_disabled', data: { cadence: 'cold_prospects', stepIndex: 0, kind: 'email', reason: 'template_disabled' }, created_at: new Date('2026-07-14T12:00:00Z') },
      { ...base, actor_user_id: alex.id, type: 'quick_action', data: { action: 'appointment', milestone: 'appointment', dueAt: '2026-07-15T16:00:00.000Z', byUserId: alex.id }, created_at: new Date('2026-07-14T13:00:00Z') },
      { ...base, actor_system: 'list upload', type: 'flagged', note: 'account DNC list: +15045550101 (uploaded by A0DEMO1 (dnc.txt))', data: { flag: 'dnc', reason: 'account DNC list: +15045550101 (uploaded by A0DEMO1 (dnc.txt))' }, created_at: new Date('2026-07-14T14:00:00Z') },
    ]);
    const client = suite.client();
    expect((await client.login('lsp.alex', 'alex-demo-pass')).status).toBe(302);
    const text = visibleText((await client.get(`/leads/${lead.id}`)).text);
    const history = text.slice(text.indexOf('History'));
    const flagged = history.indexOf("Scrubbed: phone +1 504-555-0101 on the agency's DNC list (uploaded by A0DEMO1 (dnc.txt)) (Do Not Call)");
    const booked = history.indexOf("Call back booked for Wed, Jul 15, 10:00 AM (lead's time 9:00 AM MST) by Alex Rivera");
    const skipped = history.indexOf('Step skipped: the Cold prospects template is off');
    expect([flagged, booked, skipped].every((i) => i >= 0)).toBe(true);
    expect(flagged).toBeLessThan(booked);
    expect(booked).toBeLessThan(skipped);
    // Each entry's own time on Alex's clock (Denver, MDT in July).
    expect(history).toContain('Jul 14, 2026, 08:00 MDT');
    expect(text).not.toMatch(ISO);
    for (const type of LEAD_EVENT_TYPES.filter((t) => t.includes('_'))) expect(text).not.toContain(type);
  });

  it('leaves in Postgres, from the real writers, only kinds the page has words for', async () => {
    const { knex } = suite.db;
    // Real writers at work: the demo seed, an owner's assignment, a DNC upload's sweep, a note.
    const owner = suite.client();
    expect((await owner.login('A0DEMO1', 'owner-demo-pass')).status).toBe(302);
    const sam = await knex('users').where({ username: 'lsp.sam' }).first('id', 'account_id');
    const lead = await knex('leads').where({ account_id: sam.account_id }).whereNull('assigned_user_id').first('id', 'phones');
    expect((await owner.submit(`/leads/${lead.id}`, { intent: 'assign', userId: sam.id, reason: 'covers the state' })).status).toBe(200);
    const page = await owner.get(`/leads/${lead.id}`);
    const actionId = /name="actionId" value="([0-9a-f-]{36})"/.exec(page.text)![1]!;
    expect((await owner.submit(`/leads/${lead.id}`, { intent: 'note', actionId, note: 'Owner looked at it' })).status).toBe(200);
    const phone = (lead.phones as Array<{ e164: string | null }>).find((p) => p.e164)?.e164;
    if (phone) await owner.upload('/compliance', { list: 'internal' }, { file: { name: 'dnc.txt', content: `${phone.slice(2)}\n`, type: 'text/plain' } });
    const kinds: string[] = (await knex('lead_events').distinct('type')).map((r: { type: string }) => r.type);
    expect(kinds).toEqual(expect.arrayContaining(['created', 'assigned', 'note']));
    expect(kinds.filter((k) => !(LEAD_EVENT_TYPES as readonly string[]).includes(k))).toEqual([]);
  });
});
