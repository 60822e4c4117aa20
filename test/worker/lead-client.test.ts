// The door to a lead's workflow (worker/clients/lead.ts) against a time-skipping Temporal
// server and the real lead workflow. The worker registers no activities: what is checked here
// is what the door sets and reaches (ids, task queue, search attributes, signals, queries),
// not what the workflow does with Postgres.
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerSearchAttributes } from '../../temporal.config.ts';
import { LEAD_WORKFLOW_TYPE, leadWorkflowExists, queryLead, signalLead, signalWithStartLead, startLead } from '../../worker/clients/lead.ts';
import { assignmentChangedSignal, leadArrivedSignal, leadStateQuery, leadWorkflowId, quickActionSignal, type LeadFacts } from '../../workflows/lead/messages.ts';
import { LeadAssignee, LeadflowAccountId, LeadMilestone, LeadStatus } from '../../workflows/search-attributes.ts';
import { eventually } from '../support/eventually.ts';
import { createTimeSkippingEnv, uniqueTaskQueue, withWorker } from '../support/temporal.ts';

const workflowsPath = new URL('../../workflows/index.ts', import.meta.url).pathname;
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await createTimeSkippingEnv();
});
afterAll(async () => {
  await env?.teardown();
});

function facts(accountId: string, overrides: Partial<LeadFacts> = {}): LeadFacts {
  const leadId = randomUUID();
  return {
    leadId,
    accountId,
    source: 'web_vendor',
    status: 'new',
    milestone: 'new',
    segment: null,
    assignedUserId: null,
    timeZone: 'America/New_York',
    callable: true,
    emailable: true,
    cadenceTemplate: null,
    scrubbedAt: new Date().toISOString(),
    ...overrides,
  };
}

const arrival = (touchId: string) => ({ touchId, source: 'web_vendor', importName: null, receivedAt: new Date().toISOString() });

/** The workflow ids visibility lists for a query, once it lists `expected` of them. */
async function listed(client: Client, query: string, expected: number): Promise<string[]> {
  return eventually(async () => {
    const ids: string[] = [];
    for await (const w of client.workflow.list({ query })) ids.push(w.workflowId);
    return ids.length >= expected ? ids.sort() : null;
  }, `visibility to list ${expected} for ${query}`);
}

describe('the lead workflow door', () => {
  it('runs on a server that knows every Leadflow search attribute', async () => {
    // Nothing left to register: the test server is set up as the worker sets up a real one.
    expect(await registerSearchAttributes(env.connection, env.namespace ?? 'default')).toEqual([]);
  });

  it('starts a lead on the given task queue with the search attributes its facts carry', async () => {
    const taskQueue = uniqueTaskQueue('lead-door');
    const accountId = randomUUID();
    const unassigned = facts(accountId);
    const assigned = facts(accountId, { status: 'active', milestone: 'attempted_contact', assignedUserId: randomUUID() });
    await withWorker(env, { taskQueue, workflowsPath }, async () => {
      const first = await startLead(env.client, { leadId: unassigned.leadId, accountId, facts: unassigned }, { taskQueue });
      await startLead(env.client, { leadId: assigned.leadId, accountId, facts: assigned }, { taskQueue });
      expect(first.workflowId).toBe(leadWorkflowId(unassigned.leadId));

      const d = await first.describe();
      expect(d.type).toBe(LEAD_WORKFLOW_TYPE);
      expect(d.taskQueue).toBe(taskQueue);
      expect(d.typedSearchAttributes.get(LeadflowAccountId)).toBe(accountId);
      expect(d.typedSearchAttributes.get(LeadStatus)).toBe('new');
      expect(d.typedSearchAttributes.get(LeadMilestone)).toBe('new');
      expect(d.typedSearchAttributes.get(LeadAssignee)).toBeUndefined();
      expect(d.searchAttributes).toMatchObject({ LeadflowAccountId: [accountId], LeadStatus: ['new'], LeadMilestone: ['new'] });

      const a = await env.client.workflow.getHandle(leadWorkflowId(assigned.leadId)).describe();
      expect(a.typedSearchAttributes.get(LeadStatus)).toBe('active');
      expect(a.typedSearchAttributes.get(LeadMilestone)).toBe('attempted_contact');
      expect(a.typedSearchAttributes.get(LeadAssignee)).toBe(assigned.assignedUserId);

      expect(await listed(env.client, `LeadflowAccountId = '${accountId}'`, 2)).toEqual([leadWorkflowId(unassigned.leadId), leadWorkflowId(assigned.leadId)].sort());
      expect(await listed(env.client, `LeadflowAccountId = '${accountId}' AND LeadAssignee = '${assigned.assignedUserId}'`, 1)).toEqual([leadWorkflowId(assigned.leadId)]);

      // A second start of a running lead answers with the same run.
      const again = await startLead(env.client, { leadId: unassigned.leadId, accountId, facts: unassigned }, { taskQueue });
      expect(again.firstExecutionRunId).toBe(first.firstExecutionRunId);
    });
  });

  it('starts without facts (a restart from Postgres) with the account alone, on the configured task queue', async () => {
    const taskQueue = uniqueTaskQueue('lead-door-default');
    const accountId = randomUUID();
    const leadId = randomUUID();
    const saved = process.env.TEMPORAL_TASK_QUEUE;
    process.env.TEMPORAL_TASK_QUEUE = taskQueue;
    try {
      const handle = await startLead(env.client, { leadId, accountId });
      const d = await handle.describe();
      expect(d.taskQueue).toBe(taskQueue);
      expect(d.typedSearchAttributes.get(LeadflowAccountId)).toBe(accountId);
      expect(d.typedSearchAttributes.get(LeadStatus)).toBeUndefined();
      expect(d.typedSearchAttributes.get(LeadMilestone)).toBeUndefined();
      await handle.terminate('test over');
    } finally {
      if (saved === undefined) delete process.env.TEMPORAL_TASK_QUEUE;
      else process.env.TEMPORAL_TASK_QUEUE = saved;
    }
  });

  it('signal-with-start starts a lead once and afterwards only signals it; signalLead and queryLead reach it', async () => {
    const taskQueue = uniqueTaskQueue('lead-door-signal');
    const accountId = randomUUID();
    const lead = facts(accountId);
    const { leadId } = lead;
    await withWorker(env, { taskQueue, workflowsPath }, async () => {
      expect(await leadWorkflowExists(env.client, leadId)).toBe(false);
      const started = await signalWithStartLead(env.client, { leadId, accountId, facts: lead }, leadArrivedSignal, [arrival('t1')], { taskQueue });
      expect(await leadWorkflowExists(env.client, leadId)).toBe(true);
      const d = await started.describe();
      expect(d.taskQueue).toBe(taskQueue);
      expect(d.typedSearchAttributes.get(LeadflowAccountId)).toBe(accountId);
      expect(d.typedSearchAttributes.get(LeadStatus)).toBe('new');

      // The second arrival names other facts and another queue: they are for a start, and
      // there is none, so the running workflow only gets the signal.
      const other: LeadFacts = { ...lead, status: 'removed', milestone: 'sold' };
      const signalled = await signalWithStartLead(env.client, { leadId, accountId, facts: other }, leadArrivedSignal, [arrival('t2')], { taskQueue: uniqueTaskQueue('elsewhere') });
      expect(signalled.signaledRunId).toBe(d.runId);
      const after = await signalled.describe();
      expect(after.taskQueue).toBe(taskQueue);
      expect(after.typedSearchAttributes.get(LeadStatus)).toBe('new');
      expect(await listed(env.client, `WorkflowId = '${leadWorkflowId(leadId)}'`, 1)).toHaveLength(1);

      const state = await eventually(async () => {
        const s = await queryLead(env.client, leadId, leadStateQuery);
        return s.touchIds.includes('t2') ? s : null;
      }, 'both arrivals in the workflow');
      expect(state).toMatchObject({ leadId, accountId, status: 'new', milestone: 'new', touchIds: ['t1', 't2'] });

      const userId = randomUUID();
      await signalLead(env.client, leadId, assignmentChangedSignal, { userId, byUserId: null, reason: 'test', at: new Date().toISOString() });
      await eventually(async () => (await queryLead(env.client, leadId, leadStateQuery)).assignedUserId === userId, 'the assignment in the workflow');
      await started.terminate('test over');
    });
  });

  it('takes only the arguments a message is defined with', () => {
    // Compiled, not run: `npx tsc --noEmit` fails if the door stops checking these.
    const misuse = (client: Client) => {
      // @ts-expect-error a Quick Action is not an assignment change
      void signalLead(client, 'x', quickActionSignal, { userId: null, byUserId: null, reason: 'r', at: 'now' });
      // @ts-expect-error leadArrived carries one arrival
      void signalWithStartLead(client, { leadId: 'x', accountId: 'a' }, leadArrivedSignal, []);
      // @ts-expect-error the lead's state query takes no argument
      void queryLead(client, 'x', leadStateQuery, 1);
    };
    expect(misuse).toBeTypeOf('function');
  });
});
