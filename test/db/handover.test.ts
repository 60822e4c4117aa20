// A user leaving (db/distribution/handover.ts) against the real database: their open leads go
// to the pool or to an LSP (the ones that LSP may not work to the pool, counted with why), in
// one transaction that also sets them inactive and ends their sessions; pending call-backs move
// with their leads, so the reminder reaches the new holder (or the owner, for the pool) and
// never the user who left; a failure half-way leaves everything as it was; and a manual
// assignment racing with the hand-over is either moved with the rest or refused.
import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities/index.ts';
import { AssignmentError, assignLeads, type AssignDeps } from '../../db/distribution/assign.ts';
import { handOverLeads, type HandOverRequest } from '../../db/distribution/handover.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { createAccountWithAdmin, createLsp, insertLeads } from '../support/fixtures.ts';
import { eventually } from '../support/eventually.ts';

let db: TestDatabase;
let deps: AssignDeps;

beforeAll(async () => {
  db = await createTestDatabase();
  deps = { db: db.knex, temporal: null };
});
afterAll(async () => {
  await db?.destroy();
});

interface Agency {
  accountId: string;
  ownerId: string;
  alexId: string;
  samId: string;
}

/** An account on Chicago time with its owner, Alex (who leaves) and Sam, both licensed in TX and IL unless told otherwise. */
async function agency(opts: { samStates?: string[] } = {}): Promise<Agency> {
  const { accountId } = await createAccountWithAdmin(db.knex);
  await db.knex('accounts').where({ id: accountId }).update({ time_zone: 'America/Chicago' });
  const suffix = Math.random().toString(36).slice(2, 8);
  const [owner] = await db
    .knex('users')
    .insert({ account_id: accountId, username: `owner-${suffix}`, email: `owner-${suffix}@agency.test`, name: 'Dana Owner', role: 'owner', password_hash: 'x' })
    .returning('id');
  const alexId = await createLsp(db.knex, accountId, { name: 'Alex Rivera', states: ['TX', 'IL'] });
  const samId = await createLsp(db.knex, accountId, { name: 'Sam Lee', states: opts.samStates ?? ['TX', 'IL'] });
  return { accountId, ownerId: owner.id, alexId, samId };
}

const handOver = (a: Agency, over: Partial<HandOverRequest> = {}) => handOverLeads(deps, { accountId: a.accountId, fromUserId: a.alexId, toUserId: null, byUserId: a.ownerId, ...over });

async function signIn(userId: string): Promise<void> {
  await db.knex('sessions').insert({ token_hash: `t-${Math.random()}`, user_id: userId, csrf_token: 'c', expires_at: new Date(Date.now() + 3600_000) });
}

/** The Appointment / Call Back Quick Action as the lead's history records it. */
async function bookCallBack(accountId: string, leadId: string, byUserId: string, dueAt: Date, at = new Date()): Promise<void> {
  await db.knex('lead_events').insert({
    lead_id: leadId,
    account_id: accountId,
    actor_user_id: byUserId,
    type: 'quick_action',
    data: { action: 'appointment', milestone: 'appointment', at: at.toISOString(), dueAt: dueAt.toISOString(), byUserId },
    created_at: at,
  });
}

const openLeadsOf = async (userId: string) =>
  Number((await db.knex('leads').where({ assigned_user_id: userId }).whereIn('status', ['new', 'active']).count({ n: '*' }))[0]!.n);
const status = async (userId: string) => (await db.knex('users').where({ id: userId }).first('status')).status as string;
const holder = async (leadId: string) => (await db.knex('leads').where({ id: leadId }).first('assigned_user_id')).assigned_user_id as string | null;

describe('handOverLeads', () => {
  it('to the pool: sets the user inactive, ends their sessions and unassigns every open lead in one recorded step', async () => {
    const a = await agency();
    // More than one statement's worth, so the writes go in chunks.
    const open = await insertLeads(db.knex, a.accountId, [
      ...Array.from({ length: 1_050 }, () => ({ assignedUserId: a.alexId, status: 'active' })),
      { assignedUserId: a.alexId, status: 'new', state: 'IL' },
    ]);
    const [archived] = await insertLeads(db.knex, a.accountId, [{ assignedUserId: a.alexId, status: 'archived' }]);
    const [samsOwn] = await insertLeads(db.knex, a.accountId, [{ assignedUserId: a.samId }]);
    await signIn(a.alexId);

    const result = await handOver(a);

    expect(result.deactivated).toBe(true);
    expect(result.user).toEqual({ id: a.alexId, name: 'Alex Rivera' });
    expect(result.to).toBeNull();
    expect(result.handedOver).toEqual([]);
    expect(result.toPool.map((l) => l.leadId).sort()).toEqual([...open].sort());
    expect(result.notLicensed).toEqual([]);
    expect(await status(a.alexId)).toBe('inactive');
    expect(await db.knex('sessions').where({ user_id: a.alexId })).toEqual([]);
    expect(await openLeadsOf(a.alexId)).toBe(0);
    // A closed lead keeps its last holder (its history); Sam's lead is not touched.
    expect(await holder(archived!)).toBe(a.alexId);
    expect(await holder(samsOwn!)).toBe(a.samId);

    const rows = await db.knex('assignments').whereIn('lead_id', open).select('user_id', 'assigned_by_user_id', 'method', 'reason', 'detail', 'created_at');
    expect(rows).toHaveLength(open.length);
    expect(new Set(rows.map((r) => r.created_at.getTime())).size).toBe(1);
    expect(rows[0]).toMatchObject({ user_id: null, assigned_by_user_id: a.ownerId, method: 'deactivation', reason: 'Alex Rivera left: leads returned to the pool', detail: { kind: 'deactivation', fromUserId: a.alexId, toUserId: null } });
    const events = await db.knex('lead_events').whereIn('lead_id', open).where({ type: 'unassigned' }).select('note', 'actor_user_id', 'data');
    expect(events).toHaveLength(open.length);
    expect(events[0]).toMatchObject({ note: 'Returned to the pool by Dana Owner: Alex Rivera left', actor_user_id: a.ownerId, data: { method: 'deactivation', previousUserId: a.alexId } });
    // Without Temporal here, each moved lead's workflow is reported as not told; Postgres holds the hand-over.
    expect(result.signalFailures).toHaveLength(open.length);
  });

  it('to an LSP: the leads they are licensed for go to them, the others to the pool, counted per state', async () => {
    const a = await agency({ samStates: ['TX'] });
    const texas = await insertLeads(db.knex, a.accountId, Array.from({ length: 3 }, () => ({ assignedUserId: a.alexId, state: 'TX' })));
    const illinois = await insertLeads(db.knex, a.accountId, Array.from({ length: 2 }, () => ({ assignedUserId: a.alexId, state: 'IL' })));

    const result = await handOver(a, { toUserId: a.samId });

    expect(result.to).toEqual({ id: a.samId, name: 'Sam Lee' });
    expect(result.handedOver.map((l) => l.leadId).sort()).toEqual([...texas].sort());
    expect(result.toPool.map((l) => l.leadId).sort()).toEqual([...illinois].sort());
    expect(result.notLicensed).toEqual([{ state: 'IL', leads: 2 }]);
    for (const id of texas) expect(await holder(id)).toBe(a.samId);
    for (const id of illinois) expect(await holder(id)).toBeNull();
    expect(await openLeadsOf(a.alexId)).toBe(0);

    const toSam = await db.knex('assignments').where({ lead_id: texas[0] }).first('user_id', 'method', 'reason');
    expect(toSam).toEqual({ user_id: a.samId, method: 'deactivation', reason: 'Alex Rivera left: leads handed to Sam Lee' });
    expect((await db.knex('lead_events').where({ lead_id: texas[0], type: 'assigned' }).first('note')).note).toBe('Handed to Sam Lee by Dana Owner: Alex Rivera left');
    const toPool = await db.knex('assignments').where({ lead_id: illinois[0] }).first('user_id', 'reason', 'detail');
    expect(toPool).toMatchObject({ user_id: null, reason: 'Alex Rivera left: returned to the pool because Sam Lee is not licensed in IL', detail: { wanted: a.samId } });
    expect((await db.knex('lead_events').where({ lead_id: illinois[0], type: 'unassigned' }).first('note')).note).toBe(
      'Returned to the pool by Dana Owner: Alex Rivera left and Sam Lee is not licensed in IL',
    );
  });

  it('moves pending call-backs with their leads: the reminder goes to the new holder, or the owner for the pool, never to the user who left', async () => {
    const a = await agency({ samStates: ['TX'] });
    const [toSam, toPool, past] = await insertLeads(db.knex, a.accountId, [
      { assignedUserId: a.alexId, state: 'TX', status: 'active' },
      { assignedUserId: a.alexId, state: 'IL', status: 'active' },
      { assignedUserId: a.alexId, state: 'TX', status: 'active' },
    ]);
    const dueAt = new Date(Date.now() + 3 * 86_400_000);
    // An older appointment on the same lead was replaced by the newer one: only that one is pending.
    await bookCallBack(a.accountId, toSam!, a.alexId, new Date(Date.now() + 86_400_000), new Date(Date.now() - 60_000));
    await bookCallBack(a.accountId, toSam!, a.alexId, dueAt);
    await bookCallBack(a.accountId, toPool!, a.alexId, dueAt);
    await bookCallBack(a.accountId, past!, a.alexId, new Date(Date.now() - 3 * 86_400_000));

    const result = await handOver(a, { toUserId: a.samId });

    expect(result.callBacks.sort((x, y) => (x.leadId === toSam ? -1 : y.leadId === toSam ? 1 : 0))).toEqual([
      { leadId: toSam, dueAt: dueAt.toISOString(), reminderTo: { id: a.samId, name: 'Sam Lee' } },
      { leadId: toPool, dueAt: dueAt.toISOString(), reminderTo: { id: a.ownerId, name: 'Dana Owner' } },
    ]);
    const when = new Intl.DateTimeFormat('en-US', { weekday: 'short', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', timeZoneName: 'short', timeZone: 'America/Chicago' }).format(dueAt);
    const note = async (leadId: string) => (await db.knex('lead_events').where({ lead_id: leadId, type: 'callback_handed_over' }).select('note', 'actor_user_id')).map((e) => e.note);
    expect(await note(toSam!)).toEqual([`Call back on ${when} handed to Sam Lee`]);
    expect(await note(toPool!)).toEqual([`Call back on ${when} returned to the pool with the lead; its reminder goes to Dana Owner unless the lead is assigned before then`]);
    expect(await note(past!)).toEqual([]);

    // The workflow's reminder, on the due day: addressed from who holds the lead then.
    const sent: string[] = [];
    const activities = createActivities({
      db: db.knex,
      mailer: { sendMail: async (m) => (sent.push(String(m.to)), {}) },
      temporal: () => Promise.reject(new Error('no Temporal here')),
      taskQueue: 'unpolled',
      appUrl: 'https://leads.agency.example',
    });
    const emailOf = async (id: string) => (await db.knex('users').where({ id }).first('email')).email as string;
    const reminderTo = async (leadId: string) => {
      const { outboxId } = await activities.queueCallBackReminder({ leadId, dueAt: dueAt.toISOString(), byUserId: a.alexId });
      return (await db.knex('email_outbox').where({ id: outboxId }).first('to_address', 'body_text')) as { to_address: string; body_text: string };
    };
    expect((await reminderTo(toSam!)).to_address).toBe(await emailOf(a.samId));
    const ownerMail = await reminderTo(toPool!);
    expect(ownerMail.to_address).toBe(await emailOf(a.ownerId));
    expect(ownerMail.body_text).toContain('Nobody works this lead now: assign it to an LSP, or make the call yourself.');
    expect(await db.knex('email_outbox').where({ to_address: await emailOf(a.alexId) })).toEqual([]);
  });

  it('is all or nothing: a failure half-way leaves the user active with every lead and session', async () => {
    const a = await agency();
    const leads = await insertLeads(db.knex, a.accountId, Array.from({ length: 4 }, () => ({ assignedUserId: a.alexId, status: 'active' })));
    await bookCallBack(a.accountId, leads[3]!, a.alexId, new Date(Date.now() + 86_400_000));
    await signIn(a.alexId);
    // The call-back's history entry is the last write of the transaction: make it fail there.
    await failOn(db.knex, `NEW.type = 'callback_handed_over' AND NEW.lead_id = '${leads[3]}'`, async () => {
      await expect(handOver(a, { toUserId: a.samId })).rejects.toThrow(/hand-over test failure/);
    });
    expect(await status(a.alexId)).toBe('active');
    expect(await openLeadsOf(a.alexId)).toBe(4);
    expect(await db.knex('sessions').where({ user_id: a.alexId })).toHaveLength(1);
    expect(await db.knex('assignments').whereIn('lead_id', leads)).toEqual([]);
    expect(await db.knex('lead_events').whereIn('lead_id', leads).whereIn('type', ['assigned', 'unassigned', 'callback_handed_over'])).toEqual([]);
    // Once the failure is gone, the same hand-over goes through.
    expect((await handOver(a, { toUserId: a.samId })).handedOver).toHaveLength(4);
  });

  it('refuses the owner, a target who cannot take leads, the leaving user as target, and other accounts’ users', async () => {
    const a = await agency();
    const other = await agency();
    const kind = async (p: Promise<unknown>) => {
      const err = await p.then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(AssignmentError);
      return [(err as AssignmentError).kind, (err as AssignmentError).message];
    };
    expect(await kind(handOver(a, { fromUserId: a.ownerId }))).toEqual(['conflict', 'The owner holds the account and cannot be set inactive.']);
    expect(await kind(handOver(a, { toUserId: a.alexId }))).toEqual(['invalid', 'Choose someone other than the user who is leaving']);
    expect(await kind(handOver(a, { toUserId: a.ownerId }))).toEqual(['conflict', 'Dana Owner is not an LSP: leads are assigned to LSPs']);
    expect(await kind(handOver(a, { toUserId: other.samId }))).toEqual(['not_found', 'User not found']);
    expect(await kind(handOver(a, { fromUserId: other.alexId }))).toEqual(['not_found', 'User not found']);
    await db.knex('users').where({ id: a.samId }).update({ status: 'inactive' });
    expect(await kind(handOver(a, { toUserId: a.samId }))).toEqual(['conflict', 'Sam Lee is inactive']);
    // Nothing changed for anyone.
    expect(await status(a.alexId)).toBe('active');
    expect(await status(other.alexId)).toBe('active');
  });

  it('a user already inactive still has leads left with them from before moved', async () => {
    const a = await agency();
    const [lead] = await insertLeads(db.knex, a.accountId, [{ assignedUserId: a.alexId }]);
    await db.knex('users').where({ id: a.alexId }).update({ status: 'inactive' });
    const result = await handOver(a, { toUserId: a.samId });
    expect(result.deactivated).toBe(false);
    expect(result.handedOver.map((l) => l.leadId)).toEqual([lead]);
    expect(await holder(lead!)).toBe(a.samId);
  });
});

describe('handOverLeads racing a manual assignment to the leaving user', () => {
  // Both take the account's distribution lock first. The test holds that lock, lets both queue
  // up behind it in a chosen order, and releases it: PostgreSQL grants waiters in turn.
  async function race(a: Agency, first: 'assign' | 'handover') {
    const [lead] = await insertLeads(db.knex, a.accountId, [{ state: 'TX' }]);
    const gate = await db.knex.transaction();
    await gate.raw('SELECT pg_advisory_xact_lock(hashtextextended(?, 0))', [`leadflow:distribution:${a.accountId}`]);
    const waiting = async (n: number) =>
      eventually(async () => Number((await db.knex.raw(`SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`)).rows[0].n) >= n, `${n} waiting on the lock`);
    const assign = () => assignLeads(deps, { accountId: a.accountId, leadIds: [lead!], userId: a.alexId, byUserId: a.ownerId, reason: 'Alex takes this one' }).then(
      (r) => ({ ok: true as const, r }),
      (e: unknown) => ({ ok: false as const, e }),
    );
    let assigned: ReturnType<typeof assign> | undefined;
    let handed: ReturnType<typeof handOver> | undefined;
    try {
      if (first === 'assign') {
        assigned = assign();
        await waiting(1);
        handed = handOver(a, { toUserId: a.samId });
        await waiting(2);
      } else {
        handed = handOver(a, { toUserId: a.samId });
        await waiting(1);
        assigned = assign();
        await waiting(2);
      }
    } finally {
      await gate.commit();
    }
    return { lead: lead!, assigned: await assigned!, handed: await handed! };
  }

  it('an assignment that lands first is moved with the rest', async () => {
    const a = await agency();
    const { lead, assigned, handed } = await race(a, 'assign');
    expect(assigned.ok).toBe(true);
    expect(handed.handedOver.map((l) => l.leadId)).toEqual([lead]);
    expect(await holder(lead)).toBe(a.samId);
    const history = await db.knex('assignments').where({ lead_id: lead }).orderBy('id').select('user_id', 'method');
    expect(history).toEqual([
      { user_id: a.alexId, method: 'manual' },
      { user_id: a.samId, method: 'deactivation' },
    ]);
  });

  it('an assignment that comes after is refused: the user is inactive', async () => {
    const a = await agency();
    const { lead, assigned, handed } = await race(a, 'handover');
    expect(handed.handedOver).toEqual([]);
    expect(assigned.ok).toBe(false);
    const err = (assigned as { e: unknown }).e;
    expect(err).toBeInstanceOf(AssignmentError);
    expect((err as AssignmentError).message).toBe('Alex Rivera is inactive');
    expect(await holder(lead)).toBeNull();
    expect(await openLeadsOf(a.alexId)).toBe(0);
  });
});

/** Runs `fn` while inserting a lead_events row matching `condition` raises an error. */
async function failOn(knex: Knex, condition: string, fn: () => Promise<void>): Promise<void> {
  await knex.raw(`CREATE OR REPLACE FUNCTION handover_test_fail() RETURNS trigger AS $$
    BEGIN IF ${condition} THEN RAISE EXCEPTION 'hand-over test failure'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql`);
  await knex.raw('CREATE TRIGGER handover_test_fail BEFORE INSERT ON lead_events FOR EACH ROW EXECUTE FUNCTION handover_test_fail()');
  try {
    await fn();
  } finally {
    await knex.raw('DROP TRIGGER handover_test_fail ON lead_events');
    await knex.raw('DROP FUNCTION handover_test_fail()');
  }
}
