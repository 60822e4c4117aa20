// Conformance: search attribute and memo upserts, visibility queries and the server's
// continue-as-new suggestion, driven only through the real SDK against a dev-server
// (real-time) environment with custom search attributes registered.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createLocalEnv, uniqueTaskQueue, uniqueWorkflowId, withWorker } from '../support/temporal.ts';
import { ActivityProbe, createSemanticsActivities } from './fixtures/semantics-activities.ts';
import {
  continueWhenSuggested,
  finishSignal,
  leadScoreKey,
  leadStageKey,
  upsertLeadMemo,
  upsertLeadSearchAttributes,
} from './fixtures/semantics-workflows.ts';
import { EventType, SEMANTICS_WORKFLOWS, waitFor, waitForEvent } from './fixtures/semantics-helpers.ts';

/** History length at which the server is told to suggest continue-as-new. */
const SUGGEST_CAN_AT = 40;

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  // The same dynamic-config flag sets the threshold on the official dev server and here.
  env = await createLocalEnv({
    searchAttributes: [leadStageKey, leadScoreKey],
    extraArgs: ['--dynamic-config-value', `limit.historyCount.suggestContinueAsNew=${SUGGEST_CAN_AT}`],
  });
});

afterAll(async () => {
  await env?.teardown();
});

async function withSemanticsWorker<T>(fn: (taskQueue: string) => Promise<T>): Promise<T> {
  const taskQueue = uniqueTaskQueue('metadata');
  const activities = createSemanticsActivities(new ActivityProbe());
  return withWorker(env, { taskQueue, workflowsPath: SEMANTICS_WORKFLOWS, activities }, () => fn(taskQueue));
}

describe('search attributes', () => {
  test('search attributes upserted by the workflow are visible through describe()', async () => {
    await withSemanticsWorker(async (taskQueue) => {
      const handle = await env.client.workflow.start(upsertLeadSearchAttributes, {
        taskQueue,
        workflowId: uniqueWorkflowId('sa-describe'),
        args: ['qualified', 87],
      });
      await waitForEvent(handle, EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES);
      const desc = await handle.describe();
      expect(desc.status.name).toBe('RUNNING');
      expect(desc.typedSearchAttributes.get(leadStageKey)).toBe('qualified');
      expect(desc.typedSearchAttributes.get(leadScoreKey)).toBe(87);
      await handle.signal(finishSignal);
      await handle.result();
    });
  });

  test('a workflow is found by list() with a query on the search attributes it upserted', async () => {
    await withSemanticsWorker(async (taskQueue) => {
      const stage = `stage-${randomUUID()}`;
      const match = await env.client.workflow.start(upsertLeadSearchAttributes, { taskQueue, workflowId: uniqueWorkflowId('sa-match'), args: [stage, 90] });
      const lowScore = await env.client.workflow.start(upsertLeadSearchAttributes, { taskQueue, workflowId: uniqueWorkflowId('sa-low'), args: [stage, 10] });
      await waitForEvent(match, EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES);
      await waitForEvent(lowScore, EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES);

      const list = async (query: string) => {
        const ids: string[] = [];
        for await (const wf of env.client.workflow.list({ query })) ids.push(wf.workflowId);
        return ids.sort();
      };
      // Visibility may lag a little behind the upsert.
      const both = await waitFor('both workflows in visibility', async () => {
        const ids = await list(`LeadStage = '${stage}'`);
        return ids.length === 2 ? ids : undefined;
      });
      expect(both).toEqual([match.workflowId, lowScore.workflowId].sort());
      expect(await list(`LeadStage = '${stage}' AND LeadScore >= 50`)).toEqual([match.workflowId]);

      await match.signal(finishSignal);
      await lowScore.signal(finishSignal);
      await Promise.all([match.result(), lowScore.result()]);
    });
  });
});

describe('memo', () => {
  test('a memo upserted by the workflow is merged into the start memo and visible through describe()', async () => {
    await withSemanticsWorker(async (taskQueue) => {
      const handle = await env.client.workflow.start(upsertLeadMemo, {
        taskQueue,
        workflowId: uniqueWorkflowId('memo'),
        memo: { owner: 'alice', stage: 'new' },
        args: [{ stage: 'contacted', notes: { calls: 2 } }],
      });
      await waitForEvent(handle, EventType.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED);
      const desc = await handle.describe();
      expect(desc.memo).toEqual({ owner: 'alice', stage: 'contacted', notes: { calls: 2 } });
      await handle.signal(finishSignal);
      await handle.result();
    });
  });
});

describe('continue-as-new suggestion', () => {
  test('workflowInfo().continueAsNewSuggested becomes true once history reaches the server limit, and resets in the new run', async () => {
    await withSemanticsWorker(async (taskQueue) => {
      const handle = await env.client.workflow.start(continueWhenSuggested, { taskQueue, workflowId: uniqueWorkflowId('can-suggested'), args: [50] });
      const out = await handle.result();
      expect(out.previousRun.suggestedAtStart).toBe(false);
      expect(out.previousRun.timers).toBeGreaterThan(0);
      // Suggested near the limit (each timer adds 5 events), not long before it.
      expect(out.previousRun.historyLength).toBeGreaterThanOrEqual(SUGGEST_CAN_AT - 6);
      expect(out.suggestedAtStartOfNewRun).toBe(false);
      const firstRun = env.client.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId);
      expect((await firstRun.describe()).status.name).toBe('CONTINUED_AS_NEW');
    });
  });
});
