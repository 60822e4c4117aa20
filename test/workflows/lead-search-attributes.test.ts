// The lead workflow keeps its search attributes true (patch `search-attributes`): after an
// assignment, a Quick Action that moves the milestone and a status change, a visibility query
// on LeadStatus / LeadAssignee / LeadMilestone finds exactly the leads Postgres says.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities/index.ts';
import { assignLeads } from '../../db/distribution/assign.ts';
import { startLead } from '../../worker/clients/lead.ts';
import { WORKFLOWS_PATH } from '../../worker/main.ts';
import { archiveSignal, leadStateQuery, leadWorkflowId, quickActionSignal } from '../../workflows/lead/messages.ts';
import { WORKFLOW_TEMPLATES } from '../../workflows/lead/templates.ts';
import { LeadNextWakeAt, LeadSegment } from '../../workflows/search-attributes.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { eventually } from '../support/eventually.ts';
import { createAccountWithAdmin, createLsp, insertLeads } from '../support/fixtures.ts';
import { createTimeSkippingEnv, uniqueTaskQueue, withWorker } from '../support/temporal.ts';

const HISTORY_FILE = fileURLToPath(new URL('../histories/lead-search-attributes.json', import.meta.url));

let db: TestDatabase;
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  [db, env] = await Promise.all([createTestDatabase(), createTimeSkippingEnv()]);
});

afterAll(async () => {
  await env?.teardown();
  await db?.destroy();
});

/** The lead ids a visibility query lists, sorted. */
async function listed(query: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const w of env.client.workflow.list({ query })) ids.push(w.workflowId.replace(/^lead-/, ''));
  return ids.sort();
}

/** The lead ids Postgres has for these conditions, sorted. */
async function inPostgres(accountId: string, where: Record<string, string | null>): Promise<string[]> {
  const rows: Array<{ id: string }> = await db.knex('leads').where({ account_id: accountId, ...where }).select('id');
  return rows.map((r) => r.id).sort();
}

describe('lead search attributes', () => {
  it('follow assignment, milestone and status, so a visibility query finds what Postgres says', async () => {
    const taskQueue = uniqueTaskQueue('lead-sa');
    const k = db.knex;
    const { accountId, userId: adminId } = await createAccountWithAdmin(k);
    await k('workflow_templates').insert(WORKFLOW_TEMPLATES.map((t) => ({ account_id: accountId, key: t.key, name: t.name, enabled: t.key !== 'auto_assign' })));
    const alex = await createLsp(k, accountId, { name: 'Alex Rivera', states: ['TX'] });
    const [a, b] = await insertLeads(k, accountId, [{ segment: 'highly_engaged' }, { segment: 'cold' }]);
    const activities = createActivities({ db: k, mailer: { sendMail: async () => Promise.reject(new Error('no mail here')) }, temporal: env.client, taskQueue });
    await withWorker(env, { taskQueue, workflowsPath: WORKFLOWS_PATH, activities }, async () => {
      const handles = await Promise.all([a!, b!].map((leadId) => startLead(env.client, { leadId, accountId }, { taskQueue })));
      try {
        const mine = `LeadflowAccountId = "${accountId}"`;
        // Started without facts (as reconcile starts a lead): the workflow publishes what it loaded.
        await eventually(async () => (await listed(`${mine} AND LeadStatus = "new" AND LeadAssignee IS NULL AND LeadSegment IS NOT NULL`)).length === 2, 'both new and unassigned');
        expect(await listed(`${mine} AND LeadSegment = "highly_engaged"`)).toEqual([a]);
        expect((await handles[0]!.describe()).typedSearchAttributes.get(LeadSegment)).toBe('highly_engaged');
        // Asleep, the workflow publishes the timer it sleeps on: its cadence's next step.
        await eventually(async () => {
          const wake = (await handles[0]!.describe()).typedSearchAttributes.get(LeadNextWakeAt);
          const state = await handles[0]!.query(leadStateQuery);
          return wake && state.nextWakeAt === wake.toISOString() && state.nextWakeFor === 'cadence';
        }, 'next wake-up published');

        // Assign: decided in Postgres, the workflow told.
        await assignLeads({ db: k, temporal: env.client, taskQueue }, { accountId, leadIds: [a!], userId: alex, byUserId: adminId, reason: 'covers Texas' });
        const assignedQuery = `${mine} AND LeadStatus = "new" AND LeadAssignee = "${alex}"`;
        await eventually(async () => (await listed(assignedQuery)).length === 1, 'assignment published');
        expect(await listed(assignedQuery)).toEqual(await inPostgres(accountId, { status: 'new', assigned_user_id: alex }));
        expect(await listed(`${mine} AND LeadAssignee IS NULL`)).toEqual(await inPostgres(accountId, { assigned_user_id: null }));

        // A Quick Action: milestone contacted, status active.
        await handles[0]!.signal(quickActionSignal, { actionId: 'sa-1', byUserId: alex, at: new Date().toISOString(), action: 'contacted' });
        await eventually(async () => (await k('leads').where({ id: a }).first()).milestone === 'contacted', 'milestone in Postgres');
        const activeQuery = `${mine} AND LeadStatus = "active" AND LeadAssignee = "${alex}"`;
        await eventually(async () => (await listed(activeQuery)).length === 1, 'active published');
        expect(await listed(activeQuery)).toEqual(await inPostgres(accountId, { status: 'active', assigned_user_id: alex }));
        expect(await listed(`${mine} AND LeadMilestone = "contacted"`)).toEqual(await inPostgres(accountId, { milestone: 'contacted' }));

        // A status change: archive.
        await handles[1]!.signal(archiveSignal, { byUserId: adminId, at: new Date().toISOString() });
        await eventually(async () => (await k('leads').where({ id: b }).first()).status === 'archived', 'archived in Postgres');
        await eventually(async () => (await listed(`${mine} AND LeadStatus = "archived"`)).length === 1, 'archive published');
        expect(await listed(`${mine} AND LeadStatus = "archived"`)).toEqual(await inPostgres(accountId, { status: 'archived' }));
        expect(await listed(`${mine} AND LeadStatus = "new"`)).toEqual(await inPostgres(accountId, { status: 'new' }));

        // Recorded for the replay test: the patched path (RECORD_HISTORIES=1 refreshes it).
        if (process.env.RECORD_HISTORIES === '1' || !fs.existsSync(HISTORY_FILE)) fs.writeFileSync(HISTORY_FILE, historyToJSON(await handles[0]!.fetchHistory()));
      } finally {
        for (const id of [a!, b!]) await env.client.workflow.getHandle(leadWorkflowId(id)).terminate('test over').catch(() => undefined);
      }
    });
  });
});
