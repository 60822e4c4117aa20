// Auto-assign (db/distribution/auto-assign.ts) against the real database: priority,
// contactability, licensing, most capacity left, the structured reason, the workday and the
// template switch, day rollover with follow-ups, and passes racing each other and manual
// assignment without an LSP going over target or a lead being assigned twice.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assignLeads, type AssignDeps } from '../../db/distribution/assign.ts';
import { AUTO_ASSIGN_PASS_MAX, autoAssign } from '../../db/distribution/auto-assign.ts';
import type { AutoAssignDetail } from '../../db/models/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { createAccountWithAdmin, createLsp, insertLeads, setTemplate } from '../support/fixtures.ts';

let db: TestDatabase;
let deps: AssignDeps;

beforeAll(async () => {
  db = await createTestDatabase();
  deps = { db: db.knex, temporal: null };
});
afterAll(async () => {
  await db?.destroy();
});

/** A fresh account in Chicago whose workday starts at midnight (so any time of the test run is in it), auto-assign on. */
async function account(opts: { workdayStart?: number; zone?: string } = {}) {
  const { accountId, userId } = await createAccountWithAdmin(db.knex, 'Auto Agency');
  await db.knex('accounts').where({ id: accountId }).update({ time_zone: opts.zone ?? 'America/Chicago', workday_start_minutes: opts.workdayStart ?? 0 });
  await setTemplate(db.knex, accountId, 'auto_assign', true);
  return { accountId, adminId: userId };
}

const assignedTo = async (leadIds: string[]) => {
  const rows: Array<{ id: string; assigned_user_id: string | null }> = await db.knex('leads').whereIn('id', leadIds).select('id', 'assigned_user_id');
  const by = new Map(rows.map((r) => [r.id, r.assigned_user_id]));
  return leadIds.map((id) => by.get(id) ?? null);
};
const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000);

describe('autoAssign', () => {
  it('takes highly engaged, then engaged, then cold, the freshest first within each', async () => {
    const { accountId } = await account();
    const alex = await createLsp(db.knex, accountId, { name: 'Alex', target: 4 });
    const [coldNew, engagedOld, heOld, engagedNew, heNew, coldOld] = await insertLeads(db.knex, accountId, [
      { segment: 'cold', createdAt: minutesAgo(1) },
      { segment: 'engaged', createdAt: minutesAgo(50) },
      { segment: 'highly_engaged', createdAt: minutesAgo(60) },
      { segment: 'engaged', createdAt: minutesAgo(5) },
      { segment: 'highly_engaged', createdAt: minutesAgo(10) },
      { segment: 'cold', createdAt: minutesAgo(90) },
    ]);
    const pass = await autoAssign(deps, accountId, { trigger: 'test' });
    expect(pass.assigned.map((a) => a.leadId)).toEqual([heNew, heOld, engagedNew, engagedOld]);
    expect(await assignedTo([coldNew!, coldOld!])).toEqual([null, null]);
    const details: Array<{ lead_id: string; detail: AutoAssignDetail }> = await db.knex('assignments').where({ account_id: accountId }).select('lead_id', 'detail');
    const rankOf = new Map(details.map((d) => [d.lead_id, d.detail.rank]));
    expect(rankOf.get(heNew!)).toMatchObject({ segment: 'highly_engaged', priority: 1, position: 1 });
    expect(rankOf.get(engagedOld!)).toMatchObject({ segment: 'engaged', priority: 2, position: 4 });
    expect(pass.assigned.every((a) => a.userId === alex)).toBe(true);
  });

  it('assigns only contactable, open leads: a valid phone not on DNC or a valid e-mail not on DNE', async () => {
    const { accountId } = await account();
    await createLsp(db.knex, accountId, { name: 'Alex', target: 50 });
    const [phoneOk, dncOnly, emailOk, dncAndDne, noContact, recycled, sold, archived, active] = await insertLeads(db.knex, accountId, [
      {},
      { dnc: true },
      { phone: false, email: true },
      { dnc: true, email: true, dne: true },
      { phone: false },
      { status: 'recycled' },
      { status: 'active', milestone: 'sold' },
      { status: 'archived' },
      { status: 'active', milestone: 'contacted' },
    ]);
    await autoAssign(deps, accountId, { trigger: 'test' });
    const got = await assignedTo([phoneOk!, dncOnly!, emailOk!, dncAndDne!, noContact!, recycled!, sold!, archived!, active!]);
    expect(got.map((u) => u !== null)).toEqual([true, false, true, false, false, false, false, false, true]);
  });

  it('gives each lead to a licensed LSP, the one with most capacity left, and says why, naming who else was eligible and why not', async () => {
    const { accountId } = await account();
    const alex = await createLsp(db.knex, accountId, { name: 'Alex', states: ['TX', 'OK'], target: 10 });
    const sam = await createLsp(db.knex, accountId, { name: 'Sam', states: ['TX'], target: 10 });
    const away = await createLsp(db.knex, accountId, { name: 'Avery', states: ['TX', 'OK'], target: 10, available: false });
    const florida = await createLsp(db.knex, accountId, { name: 'Flo', states: ['FL'], target: 10 });
    // Alex has 4 follow-ups due today on his own leads: 6 left; Sam has 10 left.
    const now = new Date();
    await insertLeads(db.knex, accountId, Array.from({ length: 4 }, () => ({ assignedUserId: alex, status: 'active', milestone: 'contacted', nextFollowUpAt: now })));
    const [tx, ok, nm] = await insertLeads(db.knex, accountId, [
      { state: 'TX', segment: 'highly_engaged' },
      { state: 'OK', segment: 'engaged' },
      { state: 'NM', segment: 'highly_engaged' },
    ]);
    await autoAssign(deps, accountId, { trigger: 'lead arrived' });
    expect(await assignedTo([tx!, ok!, nm!])).toEqual([sam, alex, null]);

    const row = await db.knex('assignments').where({ lead_id: tx }).first();
    expect(row).toMatchObject({ method: 'auto', user_id: sam, assigned_by_user_id: null });
    const detail = row.detail as AutoAssignDetail;
    expect(detail.chosen).toEqual({ userId: sam, name: 'Sam', target: 10, followUpsDue: 0, newAssigned: 0, capacityLeft: 10 });
    expect(detail.trigger).toBe('lead arrived');
    const other = (id: string) => detail.others.find((o) => o.userId === id)!;
    expect(other(alex)).toMatchObject({ eligible: true, capacityLeft: 6, followUpsDue: 4, why: 'less capacity left (6)' });
    expect(other(away)).toMatchObject({ eligible: false, why: 'away today' });
    expect(other(florida)).toMatchObject({ eligible: false, why: 'not licensed in TX' });
    expect(row.reason).toContain('Sam had 10 of 10 left');
    const event = await db.knex('lead_events').where({ lead_id: tx, type: 'assigned' }).first();
    expect(event).toMatchObject({ actor_system: 'auto-assign', actor_user_id: null });
    expect(event.note).toBe('Assigned to Sam by auto-assign: highly engaged lead; Sam had 10 of 10 left today');
  });

  it('fills each LSP exactly to target, counting follow-ups due today, and leaves the rest in the pool', async () => {
    const { accountId } = await account();
    const alex = await createLsp(db.knex, accountId, { name: 'Alex', target: 5 });
    const sam = await createLsp(db.knex, accountId, { name: 'Sam', target: 3 });
    await insertLeads(db.knex, accountId, [{ assignedUserId: alex, status: 'active', milestone: 'quoted', nextFollowUpAt: new Date() }]);
    const pool = await insertLeads(db.knex, accountId, Array.from({ length: 20 }, () => ({})));
    const pass = await autoAssign(deps, accountId, { trigger: 'test' });
    expect(pass.assigned).toHaveLength(4 + 3);
    const got = await assignedTo(pool);
    expect(got.filter((u) => u === alex)).toHaveLength(4);
    expect(got.filter((u) => u === sam)).toHaveLength(3);
    // A second pass finds everyone at target.
    expect((await autoAssign(deps, accountId, { trigger: 'again' })).assigned).toEqual([]);
  });

  it('does nothing while the template is off or before the workday starts, and says when the workday starts', async () => {
    const off = await account();
    await createLsp(db.knex, off.accountId, { name: 'Alex' });
    const [lead] = await insertLeads(db.knex, off.accountId, [{}]);
    await setTemplate(db.knex, off.accountId, 'auto_assign', false);
    const pass = await autoAssign(deps, off.accountId, { trigger: 'test' });
    expect(pass).toMatchObject({ enabled: false, assigned: [] });
    expect(await assignedTo([lead!])).toEqual([null]);

    // 07:30 in Chicago on a winter day; the workday starts at 08:00 (CST, UTC-6).
    const early = await account({ workdayStart: 8 * 60 });
    await createLsp(db.knex, early.accountId, { name: 'Sam' });
    const [waiting] = await insertLeads(db.knex, early.accountId, [{}]);
    const at = new Date('2026-12-01T13:30:00Z');
    const before = await autoAssign(deps, early.accountId, { trigger: 'test', at });
    expect(before).toMatchObject({ enabled: true, workday: false, assigned: [] });
    expect(before.nextRunAt.toISOString()).toBe('2026-12-01T14:00:00.000Z');
    const after = await autoAssign(deps, early.accountId, { trigger: 'workday start', at: new Date('2026-12-01T14:00:00Z') });
    expect(after.assigned.map((a) => a.leadId)).toEqual([waiting]);
    expect(after.nextRunAt.toISOString()).toBe('2026-12-02T14:00:00.000Z');
  });

  it('starts a new day at the account’s midnight: yesterday’s leads no longer count, today’s follow-ups do', async () => {
    const { accountId } = await account({ zone: 'America/New_York' });
    const alex = await createLsp(db.knex, accountId, { name: 'Alex', target: 3 });
    const pool = await insertLeads(db.knex, accountId, Array.from({ length: 10 }, () => ({})));
    // 23:30 in New York on Dec 1 (04:30Z Dec 2).
    const day1 = await autoAssign(deps, accountId, { trigger: 'test', at: new Date('2026-12-02T04:30:00Z') });
    expect(day1.assigned).toHaveLength(3);
    // One of those has a call-back at 10:00 on Dec 2, New York time.
    await db.knex('leads').where({ id: day1.assigned[0]!.leadId }).update({ next_follow_up_at: new Date('2026-12-02T15:00:00Z'), status: 'active' });
    // 00:30 Dec 2 in New York: a new day. Target 3: one follow-up due, so two new leads.
    const day2 = await autoAssign(deps, accountId, { trigger: 'test', at: new Date('2026-12-02T05:30:00Z') });
    expect(day2.assigned).toHaveLength(2);
    expect((await assignedTo(pool)).filter((u) => u === alex)).toHaveLength(5);
  });

  it('never puts an LSP over target nor assigns a lead twice when passes and manual assignments race', async () => {
    const { accountId, adminId } = await account();
    const lsps = await Promise.all(['A', 'B', 'C', 'D'].map((n) => createLsp(db.knex, accountId, { name: `LSP ${n}`, states: ['TX', 'OK'], target: 25 })));
    const pool = await insertLeads(db.knex, accountId, Array.from({ length: 300 }, (_, i) => ({ state: i % 2 ? 'TX' : 'OK', segment: (['cold', 'engaged', 'highly_engaged'] as const)[i % 3] })));
    const manual = pool.slice(250, 260);
    await Promise.all([
      ...Array.from({ length: 8 }, (_, i) => autoAssign(deps, accountId, { trigger: `race ${i}` })),
      assignLeads(deps, { accountId, leadIds: manual, userId: lsps[0]!, byUserId: adminId, reason: 'by hand', bulk: true, onlyUnassigned: true }),
    ]);
    const counts: Array<{ lead_id: string; n: number }> = await db.knex('assignments').where({ account_id: accountId }).groupBy('lead_id').select('lead_id', db.knex.raw('count(*)::int as n'));
    expect(counts.every((c) => c.n === 1)).toBe(true);
    const perUser: Array<{ assigned_user_id: string; n: number }> = await db.knex('leads').where({ account_id: accountId }).whereNotNull('assigned_user_id').groupBy('assigned_user_id').select('assigned_user_id', db.knex.raw('count(*)::int as n'));
    // Manual assignment may go over target by the owner's choice; auto-assign never adds past it.
    for (const { assigned_user_id, n } of perUser) expect(n).toBeLessThanOrEqual(25 + (assigned_user_id === lsps[0] ? 10 : 0));
    // The pool was big enough: everyone reached target.
    expect(perUser.map((r) => r.n).every((n) => n >= 25)).toBe(true);
    expect(perUser).toHaveLength(4);
  });

  it('passes over a lead another transaction holds, says so, and takes it on the next pass', async () => {
    const { accountId } = await account();
    const alex = await createLsp(db.knex, accountId, { name: 'Alex', target: 5 });
    const [busy, free] = await insertLeads(db.knex, accountId, [{ segment: 'highly_engaged' }, { segment: 'cold' }]);
    // The lead's own workflow activity holding its row (a cadence step updating it).
    const trx = await db.knex.transaction();
    try {
      await trx('leads').where({ id: busy }).forUpdate().first('id');
      const during = await autoAssign(deps, accountId, { trigger: 'lead arrived' });
      expect(during.assigned).toEqual([{ leadId: free, userId: alex }]);
      expect(during.skippedLocked).toBe(true);
    } finally {
      await trx.commit();
    }
    const after = await autoAssign(deps, accountId, { trigger: 'a lead was busy during the last pass' });
    expect(after.assigned).toEqual([{ leadId: busy, userId: alex }]);
    expect(after.skippedLocked).toBe(false);
    // Nothing left an LSP could take: no reason to run again.
    expect((await autoAssign(deps, accountId, { trigger: 'again' })).skippedLocked).toBe(false);
  });

  it('runs passes back to back past the ceiling when asked, and stops when the pool is done', async () => {
    const { accountId } = await account();
    await Promise.all(['A', 'B', 'C', 'D', 'E'].map((n) => createLsp(db.knex, accountId, { name: `LSP ${n}`, target: 500 })));
    const total = AUTO_ASSIGN_PASS_MAX + 200;
    await insertLeads(db.knex, accountId, Array.from({ length: total }, () => ({})));
    const one = await autoAssign(deps, accountId, { trigger: 'workday start', passes: 1 });
    expect(one.assigned).toHaveLength(AUTO_ASSIGN_PASS_MAX);
    expect(one.more).toBe(true);
    await insertLeads(db.knex, accountId, Array.from({ length: AUTO_ASSIGN_PASS_MAX }, () => ({})));
    const both = await autoAssign(deps, accountId, { trigger: 'workday start', passes: 3 });
    expect(both.assigned).toHaveLength(AUTO_ASSIGN_PASS_MAX + 200);
    expect(both.more).toBe(false);
    const counts: Array<{ n: number }> = await db.knex('assignments').where({ account_id: accountId }).groupBy('lead_id').select(db.knex.raw('count(*)::int as n'));
    expect(counts).toHaveLength(total + AUTO_ASSIGN_PASS_MAX);
    expect(counts.every((c) => c.n === 1)).toBe(true);
  });
});
