// The capacity ledger against real PostgreSQL: what counts toward an LSP's day, where the
// account's day starts and ends (in its own zone, across midnight and on DST change days), and
// that nothing of another account or of a lead taken away again is counted.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountDay, capacityLedger } from '../../db/distribution/ledger.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});

afterAll(async () => {
  await db?.destroy();
});

async function account(timeZone: string): Promise<string> {
  const [row] = await db.knex('accounts').insert({ name: 'Ledger Agency', agent_ids: [`L${randomUUID().slice(0, 6)}`], time_zone: timeZone }).returning('id');
  return row.id;
}

async function user(accountId: string, role = 'lsp', extra: Record<string, unknown> = {}): Promise<string> {
  const suffix = randomUUID().slice(0, 8);
  const [row] = await db
    .knex('users')
    .insert({ account_id: accountId, username: `u-${suffix}`, email: `u-${suffix}@example.test`, name: `User ${suffix}`, role, password_hash: 'x', ...extra })
    .returning('id');
  return row.id;
}

async function lead(accountId: string, fields: { assignedTo?: string | null; followUp?: string | null; status?: string } = {}): Promise<string> {
  const [row] = await db
    .knex('leads')
    .insert({
      account_id: accountId,
      first_name: 'Pat',
      last_name: randomUUID().slice(0, 8),
      dup_key: randomUUID(),
      source: 'manual',
      status: fields.status ?? 'active',
      assigned_user_id: fields.assignedTo ?? null,
      next_follow_up_at: fields.followUp ?? null,
    })
    .returning('id');
  return row.id;
}

async function assign(accountId: string, leadId: string, userId: string | null, at: string): Promise<void> {
  await db.knex('assignments').insert({ account_id: accountId, lead_id: leadId, user_id: userId, reason: 'test', created_at: at });
  await db.knex('leads').where({ id: leadId }).update({ assigned_user_id: userId });
}

describe('accountDay', () => {
  it('is the local calendar day, midnight to midnight in the zone', () => {
    // 05:59 UTC on 30 November is still 23:59 on the 29th in Chicago (CST, UTC-6).
    expect(accountDay('America/Chicago', new Date('2026-11-30T05:59:00Z'))).toEqual({
      timeZone: 'America/Chicago',
      date: '2026-11-29',
      start: new Date('2026-11-29T06:00:00Z'),
      end: new Date('2026-11-30T06:00:00Z'),
    });
    expect(accountDay('America/Chicago', new Date('2026-11-30T06:00:00Z')).date).toBe('2026-11-30');
    expect(accountDay('Asia/Kolkata', new Date('2026-01-01T00:00:00Z')).start).toEqual(new Date('2025-12-31T18:30:00Z'));
  });

  it('is 23 hours long on the spring DST change and 25 on the autumn one', () => {
    const spring = accountDay('America/Chicago', new Date('2026-03-08T18:00:00Z'));
    expect([spring.start, spring.end]).toEqual([new Date('2026-03-08T06:00:00Z'), new Date('2026-03-09T05:00:00Z')]);
    const autumn = accountDay('America/New_York', new Date('2026-11-01T18:00:00Z'));
    expect([autumn.start, autumn.end]).toEqual([new Date('2026-11-01T04:00:00Z'), new Date('2026-11-02T05:00:00Z')]);
  });

  it('starts a day whose midnight the clocks skip at the end of the gap', () => {
    // Santiago moves from 00:00 (UTC-4) straight to 01:00 (UTC-3) on 6 September 2026.
    expect(accountDay('America/Santiago', new Date('2026-09-06T15:00:00Z')).start).toEqual(new Date('2026-09-06T04:00:00Z'));
  });

  it('agrees with PostgreSQL’s own zone rules for every day of a year', async () => {
    const days = Array.from({ length: 366 }, (_, i) => new Date(Date.UTC(2026, 0, 1, 12) + i * 86_400_000));
    const { rows } = await db.knex.raw<{ rows: { start: Date }[] }>(
      `SELECT (date_trunc('day', d AT TIME ZONE 'America/Denver') AT TIME ZONE 'America/Denver') AS start FROM unnest(?::timestamptz[]) d`,
      [days.map((d) => d.toISOString())],
    );
    expect(days.map((d) => accountDay('America/Denver', d).start)).toEqual(rows.map((r) => r.start));
  });
});

describe('capacityLedger', () => {
  it('counts open follow-ups due today and distinct leads assigned today that are still theirs', async () => {
    const acct = await account('America/Chicago');
    const alex = await user(acct, 'lsp', { daily_target: 5, name: 'Alex' });
    const sam = await user(acct, 'lsp', { name: 'Sam', available: false });
    await user(acct, 'admin');
    await user(acct, 'lsp', { status: 'inactive' });
    // Now: 30 November 2026, 10:00 in Chicago. Today is 06:00Z on the 30th to 06:00Z on 1 December.
    const at = new Date('2026-11-30T16:00:00Z');

    await lead(acct, { assignedTo: alex, followUp: '2026-11-30T15:00:00Z' }); // due this morning: counts
    await lead(acct, { assignedTo: alex, followUp: '2026-12-01T05:30:00Z' }); // 23:30 tonight: counts
    await lead(acct, { assignedTo: alex, followUp: '2026-12-01T06:30:00Z' }); // 00:30 tomorrow: not
    await lead(acct, { assignedTo: alex, followUp: '2026-11-30T05:30:00Z' }); // 23:30 yesterday: not
    await lead(acct, { assignedTo: alex, followUp: '2026-11-30T18:00:00Z', status: 'archived' }); // closed: not
    await lead(acct, { assignedTo: alex, followUp: '2026-11-30T18:00:00Z', status: 'recycled' }); // closed: not
    await lead(acct, { assignedTo: sam, followUp: '2026-11-30T18:00:00Z' }); // Sam's
    const sold = await lead(acct, { assignedTo: alex, followUp: '2026-11-30T18:00:00Z' });
    await db.knex('leads').where({ id: sold }).update({ milestone: 'sold' }); // closed: not

    const fresh = await lead(acct);
    await assign(acct, fresh, alex, '2026-11-30T14:00:00Z'); // today
    const twice = await lead(acct);
    await assign(acct, twice, alex, '2026-11-30T14:00:00Z');
    await assign(acct, twice, alex, '2026-11-30T15:00:00Z'); // assigned twice today: one lead
    const yesterday = await lead(acct);
    await assign(acct, yesterday, alex, '2026-11-30T05:00:00Z'); // 23:00 yesterday: not new today
    const taken = await lead(acct);
    await assign(acct, taken, alex, '2026-11-30T14:00:00Z');
    await assign(acct, taken, null, '2026-11-30T15:00:00Z'); // unassigned again: not counted
    const moved = await lead(acct);
    await assign(acct, moved, alex, '2026-11-30T14:00:00Z');
    await assign(acct, moved, sam, '2026-11-30T15:00:00Z'); // now Sam's: counts for Sam only

    const ledger = await capacityLedger(db.knex, acct, { at });
    expect(ledger.day.date).toBe('2026-11-30');
    expect(ledger.lsps).toEqual([
      { userId: alex, name: 'Alex', username: expect.any(String), available: true, target: 5, followUpsDue: 2, newAssigned: 2, used: 4, capacityLeft: 1 },
      { userId: sam, name: 'Sam', username: expect.any(String), available: false, target: 50, followUpsDue: 1, newAssigned: 1, used: 2, capacityLeft: 48 },
    ]);

    // Over target: nothing left, never negative.
    await db.knex('users').where({ id: alex }).update({ daily_target: 3 });
    expect((await capacityLedger(db.knex, acct, { at, userId: alex })).lsps).toEqual([expect.objectContaining({ userId: alex, used: 4, capacityLeft: 0 })]);
    // Only the named user, and nobody when they are not an active LSP.
    expect((await capacityLedger(db.knex, acct, { at, userId: sam })).lsps.map((l) => l.userId)).toEqual([sam]);
    expect((await capacityLedger(db.knex, acct, { at, userId: randomUUID() })).lsps).toEqual([]);
  });

  it('counts a lead assigned today whose first call is also due today once, as new', async () => {
    const acct = await account('America/Chicago');
    const alex = await user(acct, 'lsp', { daily_target: 10 });
    const at = new Date('2026-11-30T16:00:00Z'); // 10:00 in Chicago
    const fresh = await lead(acct);
    await assign(acct, fresh, alex, '2026-11-30T14:00:00Z');
    await db.knex('leads').where({ id: fresh }).update({ next_follow_up_at: '2026-11-30T18:00:00Z' });
    // Assigned yesterday, due today: a follow-up.
    const older = await lead(acct, { followUp: '2026-11-30T19:00:00Z' });
    await assign(acct, older, alex, '2026-11-29T20:00:00Z');
    // Assigned today to someone else before Alex: Alex's new lead, still counted once.
    const sam = await user(acct, 'lsp');
    const passed = await lead(acct, { followUp: '2026-11-30T20:00:00Z' });
    await assign(acct, passed, sam, '2026-11-30T13:00:00Z');
    await assign(acct, passed, alex, '2026-11-30T15:00:00Z');

    const [ledger] = (await capacityLedger(db.knex, acct, { at, userId: alex })).lsps;
    expect(ledger).toMatchObject({ followUpsDue: 1, newAssigned: 2, used: 3, capacityLeft: 7 });
  });

  it('moves with the account’s midnight: a follow-up at 23:30 local counts today, 00:30 tomorrow does not', async () => {
    const acct = await account('Asia/Tokyo');
    const kai = await user(acct);
    // Tokyo is UTC+9: 30 November runs from 15:00Z on the 29th to 15:00Z on the 30th.
    await lead(acct, { assignedTo: kai, followUp: '2026-11-30T14:30:00Z' }); // 23:30 on the 30th
    await lead(acct, { assignedTo: kai, followUp: '2026-11-30T15:30:00Z' }); // 00:30 on 1 December
    const late = await capacityLedger(db.knex, acct, { at: new Date('2026-11-30T14:59:00Z') });
    expect(late.day.date).toBe('2026-11-30');
    expect(late.lsps[0]!.followUpsDue).toBe(1);
    const nextDay = await capacityLedger(db.knex, acct, { at: new Date('2026-11-30T15:00:00Z') });
    expect(nextDay.day.date).toBe('2026-12-01');
    expect(nextDay.lsps[0]!.followUpsDue).toBe(1);
  });

  it('counts the whole 25-hour day on the autumn DST change', async () => {
    const acct = await account('America/Chicago');
    const lee = await user(acct);
    // 1 November 2026 in Chicago: 05:00Z to 06:00Z on the 2nd (clocks go back at 02:00 CDT).
    await lead(acct, { assignedTo: lee, followUp: '2026-11-01T05:10:00Z' }); // 00:10 CDT: counts
    await lead(acct, { assignedTo: lee, followUp: '2026-11-02T05:40:00Z' }); // 23:40 CST: counts
    await lead(acct, { assignedTo: lee, followUp: '2026-11-02T06:10:00Z' }); // 00:10 on the 2nd: not
    await lead(acct, { assignedTo: lee, followUp: '2026-11-01T04:50:00Z' }); // 23:50 on 31 October: not
    const ledger = await capacityLedger(db.knex, acct, { at: new Date('2026-11-01T20:00:00Z') });
    expect(ledger.lsps[0]!.followUpsDue).toBe(2);
  });

  it('never counts another account’s rows', async () => {
    const mine = await account('America/Chicago');
    const other = await account('America/Chicago');
    const jo = await user(mine);
    const at = new Date('2026-11-30T16:00:00Z');
    // Rows of the other account that name this account's LSP (as a bad write could).
    const foreign = await lead(other, { assignedTo: jo, followUp: '2026-11-30T18:00:00Z' });
    await db.knex('assignments').insert({ account_id: other, lead_id: foreign, user_id: jo, reason: 'test', created_at: '2026-11-30T14:00:00Z' });
    await user(other);
    const ledger = await capacityLedger(db.knex, mine, { at });
    expect(ledger.lsps).toEqual([expect.objectContaining({ userId: jo, followUpsDue: 0, newAssigned: 0, used: 0, capacityLeft: 50 })]);
  });
});
