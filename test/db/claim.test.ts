// Claim and Next lead (db/distribution/claim.ts) against the real database: what a claim
// writes, who it names when the lead is taken, two LSPs claiming one lead at once, licensing,
// closed leads and Shark Tank off; Next's order, its target check and its stored reason, and
// concurrent Next presses never handing out one lead twice or an LSP more than their target.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AssignmentError, type AssignDeps } from '../../db/distribution/assign.ts';
import { AtTargetError, claimLead, nextLead, NO_POOL_LEAD, SHARK_TANK_OFF, type NextLeadDetail } from '../../db/distribution/claim.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { createAccountWithAdmin, createLsp, insertLeads } from '../support/fixtures.ts';

let db: TestDatabase;
let deps: AssignDeps;

beforeAll(async () => {
  db = await createTestDatabase();
  deps = { db: db.knex, temporal: null };
});
afterAll(async () => {
  await db?.destroy();
});

/** A fresh account with Shark Tank on (or off) and two LSPs licensed in Texas. */
async function account(opts: { sharkTank?: boolean } = {}) {
  const { accountId, userId: adminId } = await createAccountWithAdmin(db.knex, 'Claim Agency');
  await db.knex('accounts').where({ id: accountId }).update({ shark_tank: opts.sharkTank ?? true });
  const alex = await createLsp(db.knex, accountId, { name: 'Alex Rivera', states: ['TX', 'OH'] });
  const sam = await createLsp(db.knex, accountId, { name: 'Sam Lee', states: ['TX'] });
  return { accountId, adminId, alex, sam };
}

async function refusal(p: Promise<unknown>): Promise<AssignmentError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AssignmentError);
  return err as AssignmentError;
}

const assigneeOf = async (leadId: string) => (await db.knex('leads').where({ id: leadId }).first('assigned_user_id')).assigned_user_id as string | null;
const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000);

describe('claimLead', () => {
  it('gives a pool lead to the LSP who claims it, with one assignments row and one history entry in words', async () => {
    const { accountId, alex } = await account();
    const [leadId] = await insertLeads(db.knex, accountId, [{ firstName: 'Jane', lastName: 'Doe' }]);
    const result = await claimLead(deps, { accountId, leadId: leadId!, userId: alex, via: 'claim' });
    expect(result).toMatchObject({ claimed: true, user: { id: alex, name: 'Alex Rivera' } });
    expect(await assigneeOf(leadId!)).toBe(alex);
    const rows = await db.knex('assignments').where({ lead_id: leadId });
    expect(rows).toEqual([expect.objectContaining({ user_id: alex, assigned_by_user_id: alex, method: 'claim', reason: 'Claimed from the pool', detail: null })]);
    expect(String(rows[0].id)).toBe(result.assignmentId);
    const events = await db.knex('lead_events').where({ lead_id: leadId, type: 'assigned' });
    expect(events).toEqual([expect.objectContaining({ actor_user_id: alex, actor_system: null, note: 'Claimed by Alex Rivera from the pool' })]);
    // Temporal is off here: the claim stands and says the workflow was not told.
    expect(result.signalFailures).toEqual([{ leadId, message: expect.stringContaining('Temporal is not configured') }]);

    // Claiming it again (a double click) changes nothing.
    const again = await claimLead(deps, { accountId, leadId: leadId!, userId: alex, via: 'claim' });
    expect(again).toMatchObject({ claimed: false, assignmentId: null, signalFailures: [] });
    expect(await db.knex('assignments').where({ lead_id: leadId }).count({ n: '*' })).toEqual([{ n: '1' }]);
  });

  it('records a claim made by working the lead with its own reason', async () => {
    const { accountId, sam } = await account();
    const [leadId] = await insertLeads(db.knex, accountId, [{}]);
    await claimLead(deps, { accountId, leadId: leadId!, userId: sam, via: 'quick_action' });
    expect(await db.knex('assignments').where({ lead_id: leadId }).first('reason', 'method')).toEqual({ reason: 'Claimed by working it (Quick Action)', method: 'claim' });
    expect((await db.knex('lead_events').where({ lead_id: leadId, type: 'assigned' }).first('note')).note).toBe('Claimed by Sam Lee by working it (Quick Action)');
  });

  it('refuses a lead someone else holds, naming the lead and its holder', async () => {
    const { accountId, alex, sam } = await account();
    const [leadId] = await insertLeads(db.knex, accountId, [{ firstName: 'Jane', lastName: 'Doe', assignedUserId: sam }]);
    const err = await refusal(claimLead(deps, { accountId, leadId: leadId!, userId: alex, via: 'claim' }));
    expect([err.kind, err.status, err.message]).toEqual(['conflict', 409, "Jane Doe is already Sam Lee's lead"]);
    expect(await assigneeOf(leadId!)).toBe(sam);
    expect(await db.knex('assignments').where({ lead_id: leadId })).toEqual([]);
  });

  it('lets exactly one of two LSPs claiming one lead at once have it, and tells the other who did', async () => {
    const { accountId, alex, sam } = await account();
    const leads = await insertLeads(db.knex, accountId, Array.from({ length: 5 }, (_, i) => ({ firstName: 'Race', lastName: `Lead${i}` })));
    for (const [i, leadId] of leads.entries()) {
      const results = await Promise.allSettled([
        claimLead(deps, { accountId, leadId, userId: alex, via: 'claim' }),
        claimLead(deps, { accountId, leadId, userId: sam, via: 'quick_action' }),
      ]);
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      const winner = await assigneeOf(leadId);
      expect(winner).toBe((won[0] as PromiseFulfilledResult<{ user: { id: string } }>).value.user.id);
      expect(lost[0]!.reason).toBeInstanceOf(AssignmentError);
      expect(lost[0]!.reason.message).toBe(`Race Lead${i} is already ${winner === alex ? 'Alex Rivera' : 'Sam Lee'}'s lead`);
      expect(await db.knex('assignments').where({ lead_id: leadId }).count({ n: '*' })).toEqual([{ n: '1' }]);
    }
  });

  it('refuses a lead in a state the LSP is not licensed in, a closed lead and one without a state', async () => {
    const { accountId, sam } = await account();
    const [illinois, recycled, sold, stateless] = await insertLeads(db.knex, accountId, [
      { state: 'IL' },
      { firstName: 'Rita', lastName: 'Recycled', status: 'recycled' },
      { firstName: 'Sol', lastName: 'Sold', milestone: 'sold', status: 'active' },
      { firstName: 'No', lastName: 'State', state: '' },
    ]);
    const claim = (leadId: string) => refusal(claimLead(deps, { accountId, leadId, userId: sam, via: 'claim' }));
    expect((await claim(illinois!)).message).toBe('Sam Lee is not licensed in IL');
    expect((await claim(recycled!)).message).toBe('Rita Recycled is recycled: an owner or admin must restore the lead before anyone works it');
    expect((await claim(sold!)).message).toBe('Sol Sold is closed (Sold): there is nothing left to work');
    expect((await claim(stateless!)).message).toBe('No State has no state, so no license can cover it');
    expect(await db.knex('assignments').whereIn('lead_id', [illinois, recycled, sold, stateless])).toEqual([]);
  });

  it('refuses every claim while Shark Tank is off', async () => {
    const { accountId, alex } = await account({ sharkTank: false });
    const [leadId] = await insertLeads(db.knex, accountId, [{}]);
    const err = await refusal(claimLead(deps, { accountId, leadId: leadId!, userId: alex, via: 'claim' }));
    expect([err.kind, err.message]).toEqual(['conflict', SHARK_TANK_OFF]);
    expect(await assigneeOf(leadId!)).toBeNull();
  });

  it('answers not found for another account’s lead or user, and refuses a user who is not an active LSP', async () => {
    const a = await account();
    const b = await account();
    const [bLead] = await insertLeads(db.knex, b.accountId, [{}]);
    const [aLead] = await insertLeads(db.knex, a.accountId, [{}]);
    expect((await refusal(claimLead(deps, { accountId: a.accountId, leadId: bLead!, userId: a.alex, via: 'claim' }))).kind).toBe('not_found');
    expect((await refusal(claimLead(deps, { accountId: a.accountId, leadId: aLead!, userId: b.alex, via: 'claim' }))).kind).toBe('not_found');
    expect((await refusal(claimLead(deps, { accountId: a.accountId, leadId: 'nope', userId: a.alex, via: 'claim' }))).kind).toBe('not_found');
    expect((await refusal(claimLead(deps, { accountId: a.accountId, leadId: aLead!, userId: a.adminId, via: 'claim' }))).message).toBe('Test Admin is not an LSP: leads are assigned to LSPs');
    expect(await assigneeOf(bLead!)).toBeNull();
    expect(await assigneeOf(aLead!)).toBeNull();
  });
});

describe('nextLead', () => {
  it('hands out the pool best first: highly engaged, engaged, cold, the freshest first in each, only leads the LSP may work', async () => {
    const { accountId, alex, sam } = await account();
    const [coldNew, engagedOld, heOld, engagedNew, heNew, _illinois, _taken, _noPhone] = await insertLeads(db.knex, accountId, [
      { segment: 'cold', createdAt: minutesAgo(1) },
      { segment: 'engaged', createdAt: minutesAgo(50) },
      { segment: 'highly_engaged', createdAt: minutesAgo(60) },
      { segment: 'engaged', createdAt: minutesAgo(5) },
      { segment: 'highly_engaged', createdAt: minutesAgo(10), firstName: 'Hot', lastName: 'Fresh' },
      { segment: 'highly_engaged', createdAt: minutesAgo(0), state: 'IL' },
      { segment: 'highly_engaged', createdAt: minutesAgo(0), assignedUserId: sam },
      { segment: 'highly_engaged', createdAt: minutesAgo(0), phone: false },
    ]);
    const first = await nextLead(deps, { accountId, userId: alex });
    expect(first.lead).toEqual({ id: heNew, name: 'Hot Fresh' });
    const order = [first.lead!.id];
    for (let i = 0; i < 4; i++) order.push((await nextLead(deps, { accountId, userId: alex })).lead!.id);
    expect(order).toEqual([heNew, heOld, engagedNew, engagedOld, coldNew]);
    expect(await nextLead(deps, { accountId, userId: alex })).toEqual({ lead: null, message: NO_POOL_LEAD, signalFailures: [] });

    // The first one's reason: its rank and Alex's ledger before it was counted.
    const row = await db.knex('assignments').where({ lead_id: heNew }).first();
    expect(row).toMatchObject({ user_id: alex, assigned_by_user_id: alex, method: 'next', reason: 'Next lead: best in the pool for Alex Rivera' });
    const detail = row.detail as NextLeadDetail;
    expect(detail).toMatchObject({
      kind: 'next',
      rank: { segment: 'highly_engaged', priority: 1, position: 1 },
      chosen: { userId: alex, name: 'Alex Rivera', target: 50, followUpsDue: 0, newAssigned: 0, capacityLeft: 50 },
    });
    // The fifth saw the four before it on the ledger.
    expect((await db.knex('assignments').where({ lead_id: coldNew }).first('detail')).detail.chosen).toMatchObject({ newAssigned: 4, capacityLeft: 46 });
    expect((await db.knex('lead_events').where({ lead_id: heNew, type: 'assigned' }).first('note')).note).toBe(
      'Alex Rivera took it with Next lead: highly engaged lead, the best in the pool for them; 50 of 50 left today',
    );
  });

  it('refuses an LSP at today’s target, with the numbers, and takes nothing', async () => {
    const { accountId, sam } = await account();
    await db.knex('users').where({ id: sam }).update({ daily_target: 3 });
    // Two follow-ups due today and one lead already given today fill a target of 3.
    const soon = new Date(Date.now() + 60_000);
    await insertLeads(db.knex, accountId, [
      { assignedUserId: sam, status: 'active', nextFollowUpAt: soon },
      { assignedUserId: sam, status: 'active', nextFollowUpAt: soon },
    ]);
    const [pool1, pool2] = await insertLeads(db.knex, accountId, [{}, {}]);
    expect((await nextLead(deps, { accountId, userId: sam })).lead).not.toBeNull();
    const err = await refusal(nextLead(deps, { accountId, userId: sam }));
    expect(err).toBeInstanceOf(AtTargetError);
    expect([err.kind, err.status, err.message]).toEqual(['conflict', 409, 'You are at your target today (3 / 3)']);
    expect([(err as AtTargetError).used, (err as AtTargetError).target]).toEqual([3, 3]);
    expect((await assigneeOf(pool1!)) === null || (await assigneeOf(pool2!)) === null).toBe(true);
    expect(await db.knex('assignments').where({ account_id: accountId })).toHaveLength(1);
  });

  it('is refused while Shark Tank is off', async () => {
    const { accountId, alex } = await account({ sharkTank: false });
    const [leadId] = await insertLeads(db.knex, accountId, [{}]);
    expect((await refusal(nextLead(deps, { accountId, userId: alex }))).message).toBe(SHARK_TANK_OFF);
    expect(await assigneeOf(leadId!)).toBeNull();
  });

  it('never gives one lead to two LSPs pressing Next at once', async () => {
    const { accountId, alex, sam } = await account();
    const leads = await insertLeads(db.knex, accountId, [
      { segment: 'highly_engaged', createdAt: minutesAgo(1) },
      { segment: 'engaged' },
      { segment: 'cold' },
      { segment: 'cold', state: 'OH' },
    ]);
    const [a, s] = await Promise.all([nextLead(deps, { accountId, userId: alex }), nextLead(deps, { accountId, userId: sam })]);
    expect(a.lead).not.toBeNull();
    expect(s.lead).not.toBeNull();
    expect(a.lead!.id).not.toBe(s.lead!.id);
    // Whoever went first got the best; the other the next best.
    expect(new Set([a.lead!.id, s.lead!.id])).toEqual(new Set([leads[0], leads[1]]));
    expect(await assigneeOf(a.lead!.id)).toBe(alex);
    expect(await assigneeOf(s.lead!.id)).toBe(sam);
    expect(await db.knex('assignments').where({ account_id: accountId })).toHaveLength(2);
  });

  it('with exactly one lead both may take, gives it to one and tells the other there is none', async () => {
    const { accountId, alex, sam } = await account();
    // One Texas lead, which both may take; each round puts it back in the pool.
    const [texas] = await insertLeads(db.knex, accountId, [{ state: 'TX' }]);
    for (let round = 0; round < 3; round++) {
      await db.knex('leads').where({ id: texas }).update({ assigned_user_id: null });
      const [a, s] = await Promise.all([nextLead(deps, { accountId, userId: alex }), nextLead(deps, { accountId, userId: sam })]);
      const got = [a, s].filter((r) => r.lead);
      expect(got).toHaveLength(1);
      expect(got[0]!.lead!.id).toBe(texas);
      expect([a, s].find((r) => !r.lead)).toMatchObject({ lead: null, message: NO_POOL_LEAD });
      expect(await assigneeOf(texas!)).toBe(a.lead ? alex : sam);
    }
  });

  it('never takes an LSP over target when they press Next twice at once', async () => {
    const { accountId, alex } = await account();
    await db.knex('users').where({ id: alex }).update({ daily_target: 1 });
    await insertLeads(db.knex, accountId, [{}, {}, {}]);
    const results = await Promise.allSettled([nextLead(deps, { accountId, userId: alex }), nextLead(deps, { accountId, userId: alex })]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const refused = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(refused?.reason).toBeInstanceOf(AtTargetError);
    expect(refused?.reason.message).toBe('You are at your target today (1 / 1)');
    expect(await db.knex('leads').where({ account_id: accountId, assigned_user_id: alex })).toHaveLength(1);
  });
});
