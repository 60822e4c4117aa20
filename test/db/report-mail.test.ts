// E-mailed reports against PostgreSQL: when each is due on the account's clock (DST included),
// what the e-mail says about a day the test builds (and that it names no consumer), that a
// period is queued once however often the activity runs, and that after an outage only the
// latest missed period goes out.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReportMailActivities } from '../../activities/report-mail.ts';
import { localInstant } from '../../db/distribution/ledger.ts';
import { latestDuePeriod, nextDueAt, periodDueOn } from '../../db/report-mail/schedule.ts';
import { saveSubscription } from '../../db/report-mail/subscriptions.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { createAccountWithAdmin } from '../support/fixtures.ts';
import { buildReportDay, EXPECTED_LINES, reportLsps } from '../support/report-mail.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.destroy();
});

const NY = 'America/New_York';
const daily7 = { kind: 'daily' as const, hour: 7, weekday: null };

describe('when a report is due', () => {
  it('keeps the local hour across both DST changes', () => {
    // Spring forward on Sunday 2027-03-14: 7:00 is 12:00 UTC the day before, 11:00 UTC that day.
    expect(nextDueAt(NY, daily7, new Date('2027-03-13T06:00:00Z')).toISOString()).toBe('2027-03-13T12:00:00.000Z');
    expect(nextDueAt(NY, daily7, new Date('2027-03-13T12:00:00Z')).toISOString()).toBe('2027-03-14T11:00:00.000Z');
    // Fall back on Sunday 2027-11-07.
    expect(nextDueAt(NY, daily7, new Date('2027-11-06T12:00:00Z')).toISOString()).toBe('2027-11-07T12:00:00.000Z');
    // 2:00 does not exist on 2027-03-14: the first instant after the gap, 3:00 EDT.
    expect(nextDueAt(NY, { ...daily7, hour: 2 }, new Date('2027-03-14T05:00:00Z')).toISOString()).toBe('2027-03-14T07:00:00.000Z');
  });

  it('covers the agency’s day before (daily) or the 7 days before (weekly), whole local days', () => {
    const d = periodDueOn(NY, daily7, '2027-03-15');
    expect(d).toMatchObject({ first: '2027-03-14', last: '2027-03-14' });
    // The spring-forward day is 23 hours long.
    expect(d.end.getTime() - d.start.getTime()).toBe(23 * 3600_000);
    // Weekly on Mondays at 8: from a Wednesday the next is Monday, covering Monday to Sunday.
    const weekly = { kind: 'weekly' as const, hour: 8, weekday: 1 };
    const due = nextDueAt(NY, weekly, new Date('2027-03-17T15:00:00Z'));
    expect(due.toISOString()).toBe('2027-03-22T12:00:00.000Z');
    expect(latestDuePeriod(NY, weekly, due)).toMatchObject({ first: '2027-03-15', last: '2027-03-21' });
  });

  it('after several missed due times, names the latest period only', () => {
    expect(latestDuePeriod(NY, daily7, new Date('2027-03-20T10:00:00Z'))).toMatchObject({ first: '2027-03-18', last: '2027-03-18' });
    expect(latestDuePeriod(NY, daily7, new Date('2027-03-20T11:00:00Z'))).toMatchObject({ first: '2027-03-19' });
  });
});

describe('queueDueReportMails', () => {
  const acts = () => createReportMailActivities({ db: db.knex, appUrl: 'https://leads.agency.example' });
  const outbox = (accountId: string) => db.knex('email_outbox').where({ account_id: accountId }).orderBy('idempotency_key').select('idempotency_key', 'to_address', 'subject', 'body_text');

  async function account(zone = 'America/Chicago') {
    const { accountId, userId } = await createAccountWithAdmin(db.knex, 'Prairie Insurance');
    await db.knex('accounts').where({ id: accountId }).update({ time_zone: zone });
    const admin = await db.knex('users').where({ id: userId }).first();
    return { accountId, adminId: userId, adminEmail: admin.email as string };
  }

  it('writes the day’s figures, on the reader’s clock, without any consumer’s details', async () => {
    const a = await account();
    // The reader reads times in New York; the agency's day is Chicago's.
    await db.knex('users').where({ id: a.adminId }).update({ time_zone: NY });
    const dayStart = localInstant('America/Chicago', 2026, 11, 20);
    const day = await buildReportDay(db.knex, a.accountId, await reportLsps(db.knex, a.accountId), dayStart);
    await saveSubscription(db.knex, { accountId: a.accountId, userId: a.adminId, timing: daily7, now: new Date('2026-11-20T12:00:00Z') });

    const due = localInstant('America/Chicago', 2026, 11, 21, 7 * 60);
    const r = await acts().queueDueReportMails({ accountId: a.accountId, at: due.toISOString() });
    expect(r.outboxIds).toHaveLength(1);
    expect(r.nextDueAt).toBe(localInstant('America/Chicago', 2026, 11, 22, 7 * 60).toISOString());
    const [mail] = await outbox(a.accountId);
    expect(mail.to_address).toBe(a.adminEmail);
    expect(mail.subject).toBe('Daily report, Friday, November 20, 2026: 3 leads arrived, 6 Quick Actions');
    const text: string = mail.body_text;
    for (const line of EXPECTED_LINES) expect(text.split('\n')).toContain(line);
    expect(text).toContain('  Attempted Contact: 2');
    expect(text).toContain('  Do Not Contact request: 1');
    expect(text).toContain('  Uncontactable: new and unassigned for 3 days (Recycle bin): 1');
    // The agency's midnight on the reader's (New York) clock.
    expect(text).toContain('On your clock: from Fri, Nov 20, 1:00 AM EST to Sat, Nov 21, 1:00 AM EST.');
    expect(text).toContain('https://leads.agency.example/reports/subscriptions');
    for (const secret of day.personal) {
      expect(text).not.toContain(secret);
      expect(mail.subject).not.toContain(secret);
    }
    expect(text).not.toMatch(/\d{4}-\d{2}-\d{2}T/);
  });

  it('sums the 7 days before the weekly report’s day', async () => {
    const a = await account();
    // Wednesday 2026-11-18 falls in the week Monday 16 to Sunday 22, mailed Monday 23 at 8:00.
    await buildReportDay(db.knex, a.accountId, await reportLsps(db.knex, a.accountId), localInstant('America/Chicago', 2026, 11, 18));
    await saveSubscription(db.knex, { accountId: a.accountId, userId: a.adminId, timing: { kind: 'weekly', hour: 8, weekday: 1 }, now: new Date('2026-11-01T12:00:00Z') });
    const r = await acts().queueDueReportMails({ accountId: a.accountId, at: localInstant('America/Chicago', 2026, 11, 23, 8 * 60).toISOString() });
    expect(r.outboxIds).toHaveLength(1);
    expect(r.nextDueAt).toBe(localInstant('America/Chicago', 2026, 11, 30, 8 * 60).toISOString());
    const [mail] = await outbox(a.accountId);
    // The lead that arrived the evening before (Tuesday) and its first attempt are in the week too.
    expect(mail.subject).toBe('Weekly report, Mon, Nov 16 to Sun, Nov 22, 2026: 4 leads arrived, 7 Quick Actions');
    const lines = mail.body_text.split('\n');
    for (const line of ['Leads arrived: 4', '  web_vendor: 3', '  national_campaign: 1', 'Leads assigned: 3', 'Quick Actions: 7', '  Attempted Contact: 4', 'Milestones reached: 6', 'Removed or recycled: 2']) expect(lines).toContain(line);
    // First attempts after 10 minutes, 30 minutes and 1 h 40 min.
    expect(lines).toContain('Speed to first attempt: median 30 min from arrival (3 leads had their first Quick Action in this period)');
    expect(mail.body_text).toContain('every Monday at 8 AM');
  });

  it('queues a period once however often and however concurrently it runs, and only the latest after an outage', async () => {
    const a = await account();
    await saveSubscription(db.knex, { accountId: a.accountId, userId: a.adminId, timing: daily7, now: new Date('2026-11-01T12:00:00Z') });
    const at = (d: number, minutes = 7 * 60) => localInstant('America/Chicago', 2026, 11, d, minutes).toISOString();
    const runs = await Promise.all([1, 2, 3, 4].map(() => acts().queueDueReportMails({ accountId: a.accountId, at: at(3) })));
    // One e-mail queued. A run that finds it queued and not yet sent hands it on too (its sender
    // may have stopped); sending an outbox row is once-only, so the e-mail still goes once.
    expect(new Set(runs.flatMap((r) => r.outboxIds)).size).toBe(1);
    expect(await outbox(a.accountId)).toHaveLength(1);
    await acts().queueDueReportMails({ accountId: a.accountId, at: at(3, 9 * 60) });
    // Down from the 4th to the 7th: the 4th, 5th and 6th were missed; only the 6th is sent, once.
    await acts().queueDueReportMails({ accountId: a.accountId, at: at(6, 7 * 60 + 30) });
    await acts().queueDueReportMails({ accountId: a.accountId, at: at(6, 8 * 60) });
    const keys = (await outbox(a.accountId)).map((m) => m.idempotency_key.split(':').at(-1));
    expect(keys).toEqual(['2026-11-02', '2026-11-05']);
  });

  it('sends nothing due before someone subscribed, nor to a user who left or became an LSP', async () => {
    const a = await account();
    const at = localInstant('America/Chicago', 2026, 11, 10, 9 * 60);
    // Subscribed at 8:00, after today's 7:00: the first e-mail is tomorrow's.
    await saveSubscription(db.knex, { accountId: a.accountId, userId: a.adminId, timing: daily7, now: new Date(at.getTime() - 3600_000) });
    expect((await acts().queueDueReportMails({ accountId: a.accountId, at: at.toISOString() })).outboxIds).toEqual([]);
    const tomorrow = new Date(at.getTime() + 86_400_000).toISOString();
    await db.knex('users').where({ id: a.adminId }).update({ role: 'lsp' });
    expect((await acts().queueDueReportMails({ accountId: a.accountId, at: tomorrow })).outboxIds).toEqual([]);
    await db.knex('users').where({ id: a.adminId }).update({ role: 'admin', status: 'inactive' });
    expect((await acts().queueDueReportMails({ accountId: a.accountId, at: tomorrow })).outboxIds).toEqual([]);
    await db.knex('users').where({ id: a.adminId }).update({ status: 'active' });
    const r = await acts().queueDueReportMails({ accountId: a.accountId, at: tomorrow });
    expect(r.outboxIds).toHaveLength(1);
    expect((await outbox(a.accountId))[0].subject).toContain('Daily report, Tuesday, November 10, 2026: 0 leads arrived');
  });
});
