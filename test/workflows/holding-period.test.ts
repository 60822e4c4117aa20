// The holding period end to end: a time-skipping Temporal server, a real worker running the
// real activities against this file's own Postgres database. An account holds leads N days; a
// lead assigned to an LSP who records no Quick Action for N days returns to the pool, by its
// own workflow's timer and a decision made in Postgres.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities/index.ts';
import { createMailer, type Mailer } from '../../activities/mailer.ts';
import { lockDistribution, LOCKED_LEAD_COLUMNS, tellWorkflows, writeAssignments, type LockedLead } from '../../db/distribution/assign.ts';
import { WORKFLOWS_PATH } from '../../worker/main.ts';
import { leadStateQuery, leadWorkflowId, quickActionSignal } from '../../workflows/lead/messages.ts';
import type { QuickActionRequest } from '../../workflows/lead/quick-actions.ts';
import { WORKFLOW_TEMPLATES } from '../../workflows/lead/templates.ts';
import type { leadWorkflow } from '../../workflows/lead/workflow.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { eventually } from '../support/eventually.ts';
import { createAccountWithAdmin, createLsp, insertLeads } from '../support/fixtures.ts';
import { startSmtpListener, type SmtpListener } from '../support/smtp.ts';
import { createTimeSkippingEnv, uniqueTaskQueue, withWorker } from '../support/temporal.ts';

// lead-assigned-before-holding.json, the path before the holding-period patch (a lead assigned,
// worked and reassigned over 11 days), was recorded from the workflow before it and must never
// be re-recorded: it is what running leads replay after the deploy.
const HISTORY_FILE = fileURLToPath(new URL('../histories/lead-holding-period.json', import.meta.url));

let db: TestDatabase;
let env: TestWorkflowEnvironment;
let smtp: SmtpListener;
let mailer: Mailer;

beforeAll(async () => {
  [db, env, smtp] = await Promise.all([createTestDatabase(), createTimeSkippingEnv(), startSmtpListener()]);
  mailer = createMailer(smtp.url);
});

afterAll(async () => {
  mailer?.close?.();
  await env?.teardown();
  await Promise.all([db?.destroy(), smtp?.close()]);
});

type Handle = WorkflowHandle<typeof leadWorkflow>;

/**
 * An account holding leads `days` days (null: off), with its templates (auto-assign off), Alex
 * and Sam, and one callable lead in the pool. A cold lead: its cadence and its 3-day recycle
 * check wake it at 0, 3 and 7 days, so a return at any other time is the holding timer's.
 */
async function seed(days: number | null) {
  const k = db.knex;
  const { accountId, userId: adminId } = await createAccountWithAdmin(k);
  await k('accounts').where({ id: accountId }).update({ holding_days: days });
  await k('workflow_templates').insert(WORKFLOW_TEMPLATES.map((t) => ({ account_id: accountId, key: t.key, name: t.name, enabled: t.key !== 'auto_assign' })));
  const alex = await createLsp(k, accountId, { name: 'Alex Rivera' });
  const sam = await createLsp(k, accountId, { name: 'Sam Ortiz' });
  const [leadId] = await insertLeads(k, accountId, [{ segment: 'cold' }]);
  await k('leads').where({ id: leadId }).update({ source: 'national_campaign' });
  return { accountId, adminId, alex, sam, leadId: leadId! };
}

const started: string[] = [];

/**
 * Assigns the lead the way db/distribution/assign.ts does: the row, the assignments row and the
 * history under the account's lock, then `assignmentChanged` to the lead's workflow
 * (signal-with-start: the first assignment starts it). Stamped on the Temporal server's clock:
 * once a test has skipped days it runs ahead of Postgres's, and in production the two agree.
 */
async function assign(taskQueue: string, lead: { accountId: string; leadId: string; adminId: string }, userId: string): Promise<{ handle: Handle; at: Date }> {
  const at = new Date(await env.currentTimeMs());
  const locked = await db.knex.transaction(async (trx) => {
    await lockDistribution(trx, lead.accountId);
    const row: LockedLead = await trx('leads').where({ id: lead.leadId }).forUpdate().first(...LOCKED_LEAD_COLUMNS);
    await writeAssignments(trx, lead.accountId, at, [{ lead: row, userId, byUserId: lead.adminId, actorSystem: null, reason: 'Working Texas today', method: 'manual', note: 'Assigned by the test' }]);
    return row;
  });
  const failures = await tellWorkflows({ db: db.knex, temporal: env.client, taskQueue }, lead.accountId, [
    { lead: locked, change: { userId, byUserId: lead.adminId, reason: 'Working Texas today', at: at.toISOString() } },
  ]);
  expect(failures).toEqual([]);
  const handle = env.client.workflow.getHandle<typeof leadWorkflow>(leadWorkflowId(lead.leadId));
  if (!started.includes(handle.workflowId)) started.push(handle.workflowId);
  return { handle, at };
}

let actionSeq = 0;
const quickAction = async (handle: Handle, byUserId: string, action: QuickActionRequest['action']) =>
  handle.signal(quickActionSignal, { actionId: `hp-${++actionSeq}`, action, byUserId, at: new Date(await env.currentTimeMs()).toISOString() });

const leadRow = (leadId: string) => db.knex('leads').where({ id: leadId }).first('assigned_user_id');
const returns = (leadId: string) => db.knex('assignments').where({ lead_id: leadId, method: 'holding_period' }).orderBy('created_at').select('user_id', 'reason', 'detail', 'assigned_by_user_id');
const unassignedHistory = (leadId: string) => db.knex('lead_events').where({ lead_id: leadId, type: 'unassigned' }).orderBy('id').select('note', 'actor_system', 'data');
const heldBy = async (leadId: string) => (await leadRow(leadId)).assigned_user_id as string | null;

/** Waits until the workflow has read the account's period for the assignment it holds. */
const armed = (handle: Handle, userId: string, days: number | null) =>
  eventually(async () => {
    const s = await handle.query(leadStateQuery);
    return s.assignedUserId === userId && s.holdingDays === days;
  }, `the workflow holding the lead for ${days} days`);

/** The activities the workflow scheduled, by name: the holding check must come once, when it is due, not early and again. */
const scheduled = async (handle: Handle, name: string) =>
  (await handle.fetchHistory()).events!.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === name).length;

const returnedToPool = (leadId: string) => eventually(async () => (await heldBy(leadId)) === null, 'the lead back in the pool');

/**
 * Runs a test with its own worker; its leads are terminated before the worker stops (a lead
 * workflow never ends by itself, and its next timer would hold the server's clock).
 */
const run = <T>(fn: (taskQueue: string) => Promise<T>) => {
  const taskQueue = uniqueTaskQueue('holding');
  return withWorker(env, { taskQueue, workflowsPath: WORKFLOWS_PATH, activities: createActivities({ db: db.knex, mailer, temporal: env.client, taskQueue }) }, async () => {
    try {
      return await fn(taskQueue);
    } finally {
      for (const id of started.splice(0)) await env.client.workflow.getHandle(id).terminate('test over').catch(() => undefined);
    }
  });
};

describe('holding period', () => {
  it('returns a lead to the pool after 2 days without a Quick Action, with the reason in its history', async () => {
    await run(async (tq) => {
      const lead = await seed(2);
      const { handle } = await assign(tq, lead, lead.alex);
      await armed(handle, lead.alex, 2);

      await env.sleep('47 hours');
      expect(await heldBy(lead.leadId)).toBe(lead.alex);
      expect(await returns(lead.leadId)).toEqual([]);

      await env.sleep('1 hour');
      await returnedToPool(lead.leadId);
      const reason = 'Holding period: no Quick Action by Alex Rivera for 2 days';
      expect(await returns(lead.leadId)).toMatchObject([{ user_id: null, assigned_by_user_id: null, reason, detail: { holdingDays: 2, previousUserId: lead.alex } }]);
      expect(await unassignedHistory(lead.leadId)).toMatchObject([
        { note: 'Returned to the pool: Alex Rivera recorded no Quick Action for 2 days (the holding period)', actor_system: 'holding-period', data: { reason, method: 'holding_period', previousUserId: lead.alex } },
      ]);
      expect(await eventually(async () => (await handle.query(leadStateQuery)).assignedUserId === null, 'the workflow’s copy unassigned')).toBe(true);
      // The lead's workflow was told like after any assignment (it had already taken Postgres's answer).
      const signalled = (await handle.fetchHistory()).events!.flatMap((e) => (e.workflowExecutionSignaledEventAttributes?.signalName === 'assignmentChanged' ? [e] : []));
      expect(signalled).toHaveLength(2);
      expect(await scheduled(handle, 'returnHeldLead')).toBe(1);

      // Back in the pool, nothing more happens to it.
      await env.sleep('5 days');
      expect(await returns(lead.leadId)).toHaveLength(1);
      expect(await heldBy(lead.leadId)).toBeNull();
      // Recorded for the replay test: the holding period's path (RECORD_HISTORIES=1 refreshes it).
      if (process.env.RECORD_HISTORIES === '1' || !fs.existsSync(HISTORY_FILE)) fs.writeFileSync(HISTORY_FILE, historyToJSON(await handle.fetchHistory()));
    });
  });

  it('counts again from a Quick Action: one on day 1 moves the return to day 3', async () => {
    await run(async (tq) => {
      const lead = await seed(2);
      const { handle } = await assign(tq, lead, lead.alex);
      await armed(handle, lead.alex, 2);

      await env.sleep('30 hours');
      await quickAction(handle, lead.alex, 'attempted_contact');
      await eventually(async () => (await db.knex('lead_events').where({ lead_id: lead.leadId, type: 'quick_action' })).length === 1, 'the Quick Action recorded');
      await eventually(async () => (await handle.query(leadStateQuery)).lastQuickActionAt, 'the workflow counting from it');

      await env.sleep('47 hours');
      expect(await heldBy(lead.leadId)).toBe(lead.alex);
      expect(await returns(lead.leadId)).toEqual([]);

      await env.sleep('2 hours');
      await returnedToPool(lead.leadId);
      expect(await returns(lead.leadId)).toMatchObject([{ reason: 'Holding period: no Quick Action by Alex Rivera for 2 days' }]);
      expect(await scheduled(handle, 'returnHeldLead')).toBe(1);
    });
  });

  it('does nothing while the holding period is off, and reaches the lead within a week of being turned on', async () => {
    await run(async (tq) => {
      const lead = await seed(null);
      const { handle } = await assign(tq, lead, lead.alex);
      await armed(handle, lead.alex, null);

      await env.sleep('30 days');
      expect(await heldBy(lead.leadId)).toBe(lead.alex);
      expect(await returns(lead.leadId)).toEqual([]);
      expect(await scheduled(handle, 'returnHeldLead')).toBe(0);

      // Turned on with the lead untouched for a month: its weekly re-read finds it.
      await db.knex('accounts').where({ id: lead.accountId }).update({ holding_days: 3 });
      await env.sleep('8 days');
      await returnedToPool(lead.leadId);
      expect(await returns(lead.leadId)).toMatchObject([{ reason: 'Holding period: no Quick Action by Alex Rivera for 3 days' }]);
    });
  });

  it('gives a new holder a whole period: reassigned on day 1, the lead goes back on day 3, from Sam', async () => {
    await run(async (tq) => {
      const lead = await seed(2);
      const { handle } = await assign(tq, lead, lead.alex);
      await armed(handle, lead.alex, 2);

      await env.sleep('30 hours');
      await assign(tq, lead, lead.sam);
      await armed(handle, lead.sam, 2);

      await env.sleep('47 hours');
      expect(await heldBy(lead.leadId)).toBe(lead.sam);
      expect(await returns(lead.leadId)).toEqual([]);

      await env.sleep('2 hours');
      await returnedToPool(lead.leadId);
      expect(await returns(lead.leadId)).toMatchObject([{ reason: 'Holding period: no Quick Action by Sam Ortiz for 2 days', detail: { previousUserId: lead.sam } }]);
      expect(await scheduled(handle, 'returnHeldLead')).toBe(1);
    });
  });

  it('stops for a lead whose Quick Action closes it: a sold lead stays with its LSP', async () => {
    await run(async (tq) => {
      const lead = await seed(1);
      const { handle } = await assign(tq, lead, lead.alex);
      await armed(handle, lead.alex, 1);
      await quickAction(handle, lead.alex, 'sold');
      await eventually(async () => (await handle.query(leadStateQuery)).closed, 'the lead closed');

      await env.sleep('5 days');
      expect(await heldBy(lead.leadId)).toBe(lead.alex);
      expect(await scheduled(handle, 'returnHeldLead')).toBe(0);
    });
  });
});
