// The account's distribution workflow with fake passes (the passes themselves are tested against
// PostgreSQL in test/db/auto-assign.test.ts): a pass that passed over a locked lead runs again
// within a moment, without waiting for another trigger, and only a bounded number of times.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AutoAssignAccountResult } from '../../activities/distribution.ts';
import { WORKFLOWS_PATH } from '../../worker/main.ts';
import { autoAssignRequestedSignal, distributionStatusQuery } from '../../workflows/distribution/messages.ts';
import type { distributionWorkflow } from '../../workflows/distribution/workflow.ts';
import { eventually } from '../support/eventually.ts';
import { createTimeSkippingEnv, uniqueTaskQueue, uniqueWorkflowId, withWorker } from '../support/temporal.ts';

// Recorded from the first test with RECORD_HISTORIES=1: the retry path behind its patch.
const HISTORY_FILE = fileURLToPath(new URL('../histories/distribution-retry-locked.json', import.meta.url));

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await createTimeSkippingEnv();
});
afterAll(async () => {
  await env?.teardown();
});

/** Fake passes answering from `answers` in turn (the last one repeats), each call's trigger and workflow time noted. */
function fakePasses(answers: Array<Partial<AutoAssignAccountResult>>) {
  const calls: Array<{ trigger: string; at: number }> = [];
  const nextRunAt = new Date(Date.now() + 10 * 3600_000).toISOString();
  return {
    calls,
    activities: {
      async autoAssignAccount({ trigger, at }: { accountId: string; trigger: string; at: string }): Promise<AutoAssignAccountResult> {
        const answer = answers[Math.min(calls.length, answers.length - 1)]!;
        calls.push({ trigger, at: Date.parse(at) });
        return { enabled: true, assigned: 0, more: false, nextRunAt, ...answer };
      },
    },
  };
}

describe('distribution workflow', () => {
  it('runs the pass again a moment after it passed over a locked lead, and not again once it did not', async () => {
    const taskQueue = uniqueTaskQueue('distribution');
    const fake = fakePasses([{ retrySoon: true }, { assigned: 1 }]);
    await withWorker(env, { taskQueue, workflowsPath: WORKFLOWS_PATH, activities: fake.activities }, async () => {
      const handle = await env.client.workflow.start<typeof distributionWorkflow>('distributionWorkflow', { taskQueue, workflowId: uniqueWorkflowId('distribution'), args: [{ accountId: 'acct-1' }] });
      await eventually(async () => fake.calls.length >= 2, 'the second pass');
      expect(fake.calls[1]!.trigger).toBe('a lead was busy during the last pass');
      // Within a second of workflow time, not at the next workday start ten hours away.
      expect(fake.calls[1]!.at - fake.calls[0]!.at).toBeLessThan(1_000);
      // Afterwards it waits for a trigger: a status query answers, and no third pass ran.
      expect((await handle.query(distributionStatusQuery)).lastAssigned).toBe(1);
      expect(fake.calls).toHaveLength(2);
      await handle.signal(autoAssignRequestedSignal, { why: 'lead arrived' });
      await eventually(async () => fake.calls.length >= 3, 'the pass the signal asked for');
      expect(fake.calls[2]!.trigger).toBe('lead arrived');
      await handle.terminate('test over');
      if (process.env.RECORD_HISTORIES === '1') fs.writeFileSync(HISTORY_FILE, JSON.stringify(JSON.parse(historyToJSON(await handle.fetchHistory())), null, 2));
    });
  });

  it('gives up running again after twenty busy passes in a row, until the next trigger', async () => {
    const taskQueue = uniqueTaskQueue('distribution');
    const fake = fakePasses([{ retrySoon: true }]);
    await withWorker(env, { taskQueue, workflowsPath: WORKFLOWS_PATH, activities: fake.activities }, async () => {
      const handle = await env.client.workflow.start<typeof distributionWorkflow>('distributionWorkflow', { taskQueue, workflowId: uniqueWorkflowId('distribution'), args: [{ accountId: 'acct-2' }] });
      await eventually(async () => fake.calls.length >= 21, 'twenty-one passes');
      // Time skipping would run a 22nd at once if it were coming; a query round trip lets it try.
      await handle.query(distributionStatusQuery);
      expect(fake.calls).toHaveLength(21);
      await handle.signal(autoAssignRequestedSignal, { why: 'lead arrived' });
      await eventually(async () => fake.calls.length >= 22, 'the pass the signal asked for');
      expect(fake.calls[21]!.trigger).toBe('lead arrived');
      await handle.terminate('test over');
    });
  });
});
