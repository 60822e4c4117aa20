// Cron workflows (`cronSchedule` on a start, a signal-with-start or a child) through the real
// SDK on the time-skipping server: the first run waits for the first cron time, each run that
// completes, fails or times out goes on in a new run at the next cron time with the last result
// or failure, cancel and terminate end the chain, and the execution timeout spans it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkflowExecutionInfo } from '@temporalio/client';
import proto from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createTimeSkippingEnv, uniqueTaskQueue, uniqueWorkflowId, workflowBundle } from '../support/temporal.ts';
import { eventually } from '../support/eventually.ts';
import { expectGrpcCode, GrpcStatus } from './client-helpers.ts';
import type { CronRun } from './fixtures/schedule-workflows.ts';

const workflowsPath = new URL('./fixtures/schedule-workflows.ts', import.meta.url).pathname;
const MINUTE = 60_000;

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
const taskQueue = uniqueTaskQueue('cron');

beforeAll(async () => {
  env = await createTimeSkippingEnv();
  worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: await workflowBundle(workflowsPath) });
  running = worker.run();
}, 60_000);

afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
});

/** Every run of a workflow id, oldest first. */
async function runs(workflowId: string): Promise<WorkflowExecutionInfo[]> {
  const out = [];
  for await (const wf of env.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) out.push(wf);
  return out.sort((a, b) => a.startTime.getTime() - b.startTime.getTime());
}

/** What a closed run returned (without following the chain). */
async function resultOf(wf: WorkflowExecutionInfo): Promise<CronRun> {
  return env.client.workflow.getHandle(wf.workflowId, wf.runId, { followRuns: false }).result();
}

async function startedEvent(wf: WorkflowExecutionInfo) {
  const h = await env.client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
  return h.events![0]!.workflowExecutionStartedEventAttributes!;
}

const statusesOf = async (id: string) => (await runs(id)).map((w) => w.status.name);

describe('cron workflows', () => {
  it('delays the first run to the first cron time and shows the schedule on it', async () => {
    const workflowId = uniqueWorkflowId('cron');
    const t = await env.currentTimeMs();
    const handle = await env.client.workflow.start('cronCounter', { taskQueue, workflowId, args: [[], 0], cronSchedule: '*/5 * * * *' });
    try {
      const d = await handle.describe();
      expect(d.status.name).toBe('RUNNING');
      const firstCronTime = Math.floor(t / (5 * MINUTE)) * 5 * MINUTE + 5 * MINUTE;
      expect(Math.abs(d.executionTime!.getTime() - firstCronTime)).toBeLessThan(1500);
      const [first] = await runs(workflowId);
      const started = await startedEvent(first!);
      expect(started.cronSchedule).toBe('*/5 * * * *');
      expect(Number(started.firstWorkflowTaskBackoff!.seconds)).toBeGreaterThan(0);
      // Nothing ran yet: no workflow task before the cron time.
      const history = await handle.fetchHistory();
      expect(history.events!.some((e) => e.workflowTaskScheduledEventAttributes)).toBe(false);
    } finally {
      await handle.terminate();
    }
  });

  it('runs again at each cron time, handing each run the last result', async () => {
    const workflowId = uniqueWorkflowId('cron');
    const t0 = await env.currentTimeMs();
    const handle = await env.client.workflow.start('cronCounter', { taskQueue, workflowId, args: [[], 0], cronSchedule: '*/5 * * * *' });
    try {
      // Past the third cron time, before the fourth.
      const third = Math.floor(t0 / (5 * MINUTE)) * 5 * MINUTE + 15 * MINUTE;
      await env.sleep(third + 30_000 - (await env.currentTimeMs()));
      const all = await eventually(async () => {
        const r = await runs(workflowId);
        return r.length === 4 && r.slice(0, 3).every((w) => w.status.name === 'COMPLETED') ? r : undefined;
      }, 'three completed runs and a fourth waiting');
      expect(all[3]!.status.name).toBe('RUNNING');
      // The handle without a run id is the chain's current run (asked before result() lets time move on).
      expect((await env.client.workflow.getHandle(workflowId).describe()).runId).toBe(all[3]!.runId);
      // One at a time: each result() call unlocks time skipping while it waits.
      const results: CronRun[] = [];
      for (const wf of all.slice(0, 3)) results.push(await resultOf(wf));
      expect(results.map((r) => r.n)).toEqual([1, 2, 3]);
      expect(results.map((r) => r.lastResultN)).toEqual([null, 1, 2]);
      expect(results.every((r) => r.cronSchedule === '*/5 * * * *')).toBe(true);
      // Each run started on a cron time, five minutes apart.
      const times = results.map((r) => r.startedAt);
      for (const t of times) expect(t % (5 * MINUTE)).toBeLessThan(2000);
      expect(times[1]! - times[0]!).toBeGreaterThan(4 * MINUTE);
      for (const wf of all.slice(1)) {
        const started = await startedEvent(wf);
        expect(started.initiator).toBe(proto.temporal.api.enums.v1.ContinueAsNewInitiator.CONTINUE_AS_NEW_INITIATOR_CRON_SCHEDULE);
        expect(started.cronSchedule).toBe('*/5 * * * *');
        expect(started.firstExecutionRunId).toBe(all[0]!.runId);
      }
      // The closed runs point at the run that continues them.
      const closeEvent = (await env.client.workflow.getHandle(workflowId, all[0]!.runId).fetchHistory()).events!.at(-1)!;
      expect(closeEvent.workflowExecutionCompletedEventAttributes!.newExecutionRunId).toBe(all[1]!.runId);
    } finally {
      await handle.terminate();
    }
  });

  it('goes on after a failed run, handing on the failure and the last result', async () => {
    const workflowId = uniqueWorkflowId('cron');
    const handle = await env.client.workflow.start('cronCounter', { taskQueue, workflowId, args: [[2], 0], cronSchedule: '* * * * *' });
    try {
      await env.sleep(3 * MINUTE + 5000);
      const all = await eventually(async () => {
        const r = await runs(workflowId);
        return r.length >= 4 && r[2]!.status.name === 'COMPLETED' ? r : undefined;
      }, 'a completed run after the failed one');
      expect(all.slice(0, 3).map((w) => w.status.name)).toEqual(['COMPLETED', 'FAILED', 'COMPLETED']);
      const third = await resultOf(all[2]!);
      expect(third).toMatchObject({ n: 3, lastFailure: 'run 2 failed', lastResultN: 1 });
    } finally {
      await handle.terminate();
    }
  });

  it('ends the chain when cancelled or terminated', async () => {
    const cancelled = uniqueWorkflowId('cron');
    const terminated = uniqueWorkflowId('cron');
    const c = await env.client.workflow.start('cronCounter', { taskQueue, workflowId: cancelled, args: [[], 3 * MINUTE], cronSchedule: '* * * * *' });
    const t = await env.client.workflow.start('cronCounter', { taskQueue, workflowId: terminated, args: [[], 0], cronSchedule: '* * * * *' });
    // The cancelled one is in its first run, sleeping.
    await env.sleep(MINUTE + 30_000);
    await eventually(async () => (await c.fetchHistory()).events!.some((e) => e.timerStartedEventAttributes), 'the first run sleeping');
    await c.cancel();
    await t.terminate('enough');
    await eventually(async () => (await statusesOf(cancelled)).join() === 'CANCELLED', 'the cancelled run');
    await env.sleep(5 * MINUTE);
    expect(await statusesOf(cancelled)).toEqual(['CANCELLED']);
    const tr = await statusesOf(terminated);
    expect(tr.at(-1)).toBe('TERMINATED');
    expect(tr.filter((s) => s === 'TERMINATED')).toHaveLength(1);
    expect(tr.every((s) => s === 'COMPLETED' || s === 'TERMINATED')).toBe(true);
  });

  it('ends the chain at the execution timeout, which spans all its runs', async () => {
    const workflowId = uniqueWorkflowId('cron');
    const t0 = await env.currentTimeMs();
    const firstCronTime = Math.floor(t0 / (5 * MINUTE)) * 5 * MINUTE + 5 * MINUTE;
    // Long enough for the runs at the first two cron times, not for the third.
    const workflowExecutionTimeout = firstCronTime + 7 * MINUTE - t0;
    await env.client.workflow.start('cronCounter', { taskQueue, workflowId, args: [[], 0], cronSchedule: '*/5 * * * *', workflowExecutionTimeout });
    await env.sleep(30 * MINUTE);
    const statuses = await eventually(async () => {
      const s = await statusesOf(workflowId);
      return s.at(-1) === 'TIMED_OUT' ? s : undefined;
    }, 'the chain timed out');
    // Runs at the first two cron times, then the run waiting for the third times out.
    expect(statuses).toEqual(['COMPLETED', 'COMPLETED', 'TIMED_OUT']);
  });

  it('runs a child workflow with a cron schedule as a chain of its own', async () => {
    const workflowId = uniqueWorkflowId('cron-parent');
    const parent = await env.client.workflow.start('cronParent', { taskQueue, workflowId, args: ['*/10 * * * *'] });
    const firstRunId = await parent.result();
    await env.sleep(21 * MINUTE);
    const child = await eventually(async () => {
      const r = await runs(`${workflowId}-child`);
      return r.length >= 3 ? r : undefined;
    }, 'two child runs and a third waiting');
    expect(child[0]!.runId).toBe(firstRunId);
    expect((await resultOf(child[1]!)).lastResultN).toBe(1);
  });

  it('starts a cron workflow with signal-with-start', async () => {
    const workflowId = uniqueWorkflowId('cron');
    const handle = await env.client.workflow.signalWithStart('cronCounter', { taskQueue, workflowId, args: [[], 0], cronSchedule: '0 * * * *', signal: 'finish' });
    try {
      const d = await handle.describe();
      expect(d.executionTime!.getTime() % (60 * MINUTE)).toBeLessThan(1000);
      expect((await startedEvent((await runs(workflowId))[0]!)).cronSchedule).toBe('0 * * * *');
    } finally {
      await handle.terminate();
    }
  });

  it('refuses a bad cron schedule, and one with a start delay', async () => {
    await expectGrpcCode(env.client.workflow.start('cronCounter', { taskQueue, workflowId: uniqueWorkflowId('cron'), cronSchedule: '61 * * * *' }), GrpcStatus.INVALID_ARGUMENT);
    await expectGrpcCode(env.client.workflow.start('cronCounter', { taskQueue, workflowId: uniqueWorkflowId('cron'), cronSchedule: '* * *' }), GrpcStatus.INVALID_ARGUMENT);
    await expectGrpcCode(
      env.client.workflow.start('cronCounter', { taskQueue, workflowId: uniqueWorkflowId('cron'), cronSchedule: '* * * * *', startDelay: '1 minute' }),
      GrpcStatus.INVALID_ARGUMENT,
    );
  });
});
