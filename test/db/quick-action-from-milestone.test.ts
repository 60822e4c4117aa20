// Each Quick Action in the history carries the milestone its lead came from (data.fromMilestone),
// which the User Activity and Milestones reports read instead of the lead's whole history: the
// recorder writes it, and the migration fills it in for history recorded before.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../activities/index.ts';
import { createQuickActionActivities } from '../../activities/lead/quick-action.ts';
import { up as backfill } from '../../db/migrations/20261130150000_quick_action_from_milestone.ts';
import { reportPage, type ReportContext } from '../../db/reports/reports.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { createAccountWithAdmin, createLsp, insertLeads } from '../support/fixtures.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.destroy();
});

const fromMilestones = async (leadId: string) =>
  (await db.knex('lead_events').where({ lead_id: leadId, type: 'quick_action' }).orderBy([{ column: 'created_at' }, { column: 'id' }]).select('data')).map((r) => [r.data.milestone, r.data.fromMilestone]);

describe('the milestone a Quick Action moved its lead from', () => {
  it('is written by recordQuickAction (New before the first), and the reports count moves by it', async () => {
    const { accountId } = await createAccountWithAdmin(db.knex);
    const alex = await createLsp(db.knex, accountId, { name: 'Alex Rivera' });
    const [leadId] = await insertLeads(db.knex, accountId, [{ status: 'active', milestone: 'new' }]);
    const { recordQuickAction } = createQuickActionActivities({ db: db.knex, clock: systemClock, appUrl: 'https://leads.agency.example', eagentAllowPrivate: false });
    const started = new Date(Date.now() - 60_000);
    for (const [i, action] of (['attempted_contact', 'attempted_contact', 'contacted'] as const).entries()) {
      await recordQuickAction({ leadId: leadId!, request: { actionId: `qa-${i}`, action, byUserId: alex, at: new Date().toISOString() }, milestone: action });
    }
    // A retry of the last one records nothing new.
    await recordQuickAction({ leadId: leadId!, request: { actionId: 'qa-2', action: 'contacted', byUserId: alex, at: new Date().toISOString() }, milestone: 'contacted' });
    expect(await fromMilestones(leadId!)).toEqual([
      ['attempted_contact', 'new'],
      ['attempted_contact', 'attempted_contact'],
      ['contacted', 'attempted_contact'],
    ]);

    const ctx: ReportContext = { accountId, timeZone: 'UTC', start: started, end: new Date(Date.now() + 60_000), now: new Date(), filters: {} };
    const activity = await reportPage(db.knex, 'user-activity', ctx, { sort: 'action', dir: 'asc' }, 1);
    expect(activity.rows.map((r) => [r.action, r.actions, r.milestones])).toEqual([
      ['Attempted Contact', 2, 1],
      ['Contacted', 1, 1],
    ]);
    const reached = await reportPage(db.knex, 'milestones', ctx, { sort: 'reached', dir: 'asc' }, 1);
    expect(reached.rows.map((r) => [r.milestone, r.current])).toEqual([
      ['Attempted Contact', 'no'],
      ['Contacted', 'yes'],
    ]);
  });

  it('is filled in by the migration for history recorded without it, lead by lead in time order', async () => {
    const { accountId } = await createAccountWithAdmin(db.knex);
    const [a, b] = await insertLeads(db.knex, accountId, [{ status: 'active' }, { status: 'active' }]);
    const qa = (leadId: string, milestone: string, at: string, extra: Record<string, unknown> = {}) => ({
      lead_id: leadId,
      account_id: accountId,
      type: 'quick_action',
      data: JSON.stringify({ action: milestone, milestone, ...extra }),
      created_at: new Date(at),
    });
    // Inserted out of time order: the order that counts is when they happened.
    await db.knex('lead_events').insert([
      qa(a!, 'quoted', '2026-11-03T10:00:00Z'),
      qa(a!, 'attempted_contact', '2026-11-01T10:00:00Z'),
      qa(b!, 'contacted', '2026-11-02T10:00:00Z'),
      qa(a!, 'contacted', '2026-11-02T10:00:00Z'),
      qa(a!, 'contacted', '2026-11-02T11:00:00Z'),
      { lead_id: a!, account_id: accountId, type: 'assigned', data: JSON.stringify({ method: 'auto' }), created_at: new Date('2026-11-02T12:00:00Z') },
    ]);
    await backfill(db.knex);
    expect(await fromMilestones(a!)).toEqual([
      ['attempted_contact', 'new'],
      ['contacted', 'attempted_contact'],
      ['contacted', 'contacted'],
      ['quoted', 'contacted'],
    ]);
    expect(await fromMilestones(b!)).toEqual([['contacted', 'new']]);
    const other = await db.knex('lead_events').where({ lead_id: a!, type: 'assigned' }).first('data');
    expect(other.data).toEqual({ method: 'auto' });
  });
});
