// Conformance: describe, history (one page and paged) and continue-as-new as the client sees them,
// driven only through the real SDK against a time-skipping environment.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type proto from '@temporalio/proto';
import { createTimeSkippingEnv, uniqueTaskQueue, uniqueWorkflowId, withWorker } from '../support/temporal.ts';
import { CLIENT_WORKFLOWS, EventType, eventTypes } from './client-helpers.ts';

type IHistoryEvent = proto.temporal.api.history.v1.IHistoryEvent;

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await createTimeSkippingEnv();
});

afterAll(async () => {
  await env?.teardown();
});

function withClientWorker<T>(fn: (taskQueue: string) => Promise<T>): Promise<T> {
  const taskQueue = uniqueTaskQueue('client-history');
  return withWorker(env, { taskQueue, workflowsPath: CLIENT_WORKFLOWS }, () => fn(taskQueue));
}

const tsMs = (ts: { seconds?: unknown; nanos?: number | null } | null | undefined) =>
  ts ? Number(ts.seconds ?? 0) * 1000 + Math.floor((ts.nanos ?? 0) / 1e6) : undefined;

/** Reads a run's whole history through raw GetWorkflowExecutionHistory calls of `pageSize` events. */
async function pagedHistory(workflowId: string, runId: string, pageSize: number) {
  const events: IHistoryEvent[] = [];
  const pageSizes: number[] = [];
  let nextPageToken: Uint8Array | undefined;
  for (let page = 0; page < 1000; page++) {
    const res = await env.connection.workflowService.getWorkflowExecutionHistory({
      namespace: 'default',
      execution: { workflowId, runId },
      maximumPageSize: pageSize,
      nextPageToken,
    });
    const got = res.history?.events ?? [];
    pageSizes.push(got.length);
    events.push(...got);
    if (!res.nextPageToken?.length) return { events, pageSizes };
    nextPageToken = res.nextPageToken;
  }
  throw new Error('history paging did not end');
}

describe('describe', () => {
  it('describes a completed workflow: COMPLETED, its type and task queue, close time, and a historyLength equal to its event count', async () => {
    await withClientWorker(async (taskQueue) => {
      const workflowId = uniqueWorkflowId();
      const handle = await env.client.workflow.start('echo', { taskQueue, workflowId, args: ['hi'] });
      await handle.result();
      const desc = await handle.describe();
      expect(desc.status.name).toBe('COMPLETED');
      expect(desc.workflowId).toBe(workflowId);
      expect(desc.runId).toBe(handle.firstExecutionRunId);
      expect(desc.type).toBe('echo');
      expect(desc.taskQueue).toBe(taskQueue);
      expect(desc.closeTime).toBeInstanceOf(Date);
      expect(desc.closeTime!.getTime()).toBeGreaterThanOrEqual(desc.startTime.getTime());
      const history = await handle.fetchHistory();
      expect(desc.historyLength).toBe(history.events!.length);
    });
  });

  it('describes a workflow whose first task no worker has picked up as RUNNING with a SCHEDULED pending workflow task', async () => {
    const taskQueue = uniqueTaskQueue('no-worker');
    const handle = await env.client.workflow.start('echo', { taskQueue, workflowId: uniqueWorkflowId(), args: ['hi'] });
    const desc = await handle.describe();
    expect(desc.status.name).toBe('RUNNING');
    expect(desc.closeTime).toBeUndefined();
    const wft = desc.raw.pendingWorkflowTask;
    expect(wft).toBeTruthy();
    expect(wft!.state).toBe(1 /* PENDING_WORKFLOW_TASK_STATE_SCHEDULED */);
    expect(wft!.attempt).toBe(1);
    expect(tsMs(wft!.scheduledTime)).toBeGreaterThanOrEqual(desc.startTime.getTime());
    expect(desc.historyLength).toBe(2); // WorkflowExecutionStarted, WorkflowTaskScheduled
    await handle.terminate();
  });

  it('has no pending workflow task once the workflow is idle waiting for a signal', async () => {
    await withClientWorker(async (taskQueue) => {
      const handle = await env.client.workflow.start('collector', { taskQueue, workflowId: uniqueWorkflowId() });
      await handle.query('stage'); // the first workflow task has completed
      const desc = await handle.describe();
      expect(desc.status.name).toBe('RUNNING');
      expect(desc.raw.pendingWorkflowTask ?? null).toBeNull();
      await handle.terminate();
    });
  });
});

describe('history', () => {
  it('fetchHistory returns the events in order with ids 1..n, from WorkflowExecutionStarted to the close event', async () => {
    await withClientWorker(async (taskQueue) => {
      const handle = await env.client.workflow.start('manySteps', { taskQueue, workflowId: uniqueWorkflowId() });
      expect(await handle.result()).toBe('ok');
      const events = (await handle.fetchHistory()).events!;
      expect(events.map((e) => Number(e.eventId))).toEqual(events.map((_, i) => i + 1));
      const types = events.map((e) => EventType[e.eventType!]);
      expect(types[0]).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_STARTED');
      expect(types.at(-1)).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED');
      expect(types.filter((t) => t === 'EVENT_TYPE_TIMER_FIRED')).toHaveLength(5);
      const times = events.map((e) => tsMs(e.eventTime)!);
      for (let i = 1; i < times.length; i++) expect(times[i]).toBeGreaterThanOrEqual(times[i - 1]!);
    });
  });

  it('paging GetWorkflowExecutionHistory with a small maximumPageSize yields the same events as one page', async () => {
    await withClientWorker(async (taskQueue) => {
      const workflowId = uniqueWorkflowId();
      const handle = await env.client.workflow.start('manySteps', { taskQueue, workflowId });
      await handle.result();
      const whole = (await handle.fetchHistory()).events!;
      const { events, pageSizes } = await pagedHistory(workflowId, handle.firstExecutionRunId, 3);
      expect(pageSizes.length).toBeGreaterThan(Math.floor(whole.length / 3) - 1);
      for (const n of pageSizes) expect(n).toBeLessThanOrEqual(3);
      expect(events.map((e) => [Number(e.eventId), e.eventType])).toEqual(whole.map((e) => [Number(e.eventId), e.eventType]));
    });
  });

  it('paging the history of a running workflow returns the events so far and then ends', async () => {
    const taskQueue = uniqueTaskQueue('no-worker');
    const workflowId = uniqueWorkflowId();
    const handle = await env.client.workflow.start('collector', { taskQueue, workflowId });
    await handle.signal('push', 'a');
    const { events } = await pagedHistory(workflowId, handle.firstExecutionRunId, 1);
    expect(events.map((e) => EventType[e.eventType!])).toEqual([
      'EVENT_TYPE_WORKFLOW_EXECUTION_STARTED',
      'EVENT_TYPE_WORKFLOW_TASK_SCHEDULED',
      'EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED',
    ]);
    await handle.terminate();
  });
});

describe('continue-as-new', () => {
  it('result() of a workflow that continues as new follows the chain to the final run', async () => {
    await withClientWorker(async (taskQueue) => {
      const handle = await env.client.workflow.start('countdown', { taskQueue, workflowId: uniqueWorkflowId(), args: [3] });
      expect(await handle.result()).toBe('done after 4 runs (continuedFromRunId set: true)');
    });
  });

  it('closes the first run as CONTINUED_AS_NEW, pointing at the next run, which describe by workflow id then shows', async () => {
    await withClientWorker(async (taskQueue) => {
      const workflowId = uniqueWorkflowId();
      const handle = await env.client.workflow.start('countdown', { taskQueue, workflowId, args: [1] });
      await handle.result();
      const first = env.client.workflow.getHandle(workflowId, handle.firstExecutionRunId);
      expect((await first.describe()).status.name).toBe('CONTINUED_AS_NEW');
      const events = (await first.fetchHistory()).events!;
      const last = events.at(-1)!;
      expect(EventType[last.eventType!]).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW');
      const nextRunId = last.workflowExecutionContinuedAsNewEventAttributes!.newExecutionRunId!;
      expect(nextRunId).toBeTruthy();
      expect(nextRunId).not.toBe(handle.firstExecutionRunId);

      const latest = await env.client.workflow.getHandle(workflowId).describe();
      expect(latest.runId).toBe(nextRunId);
      expect(latest.status.name).toBe('COMPLETED');
      const next = env.client.workflow.getHandle(workflowId, nextRunId);
      const started = (await next.fetchHistory()).events![0]!.workflowExecutionStartedEventAttributes!;
      expect(started.continuedExecutionRunId).toBe(handle.firstExecutionRunId);
      expect(started.firstExecutionRunId).toBe(handle.firstExecutionRunId);
      expect(await eventTypes(next)).toContain('WORKFLOW_EXECUTION_COMPLETED');
    });
  });
});
