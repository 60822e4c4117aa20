// Conformance: how workflows end (failure, cancellation, termination), failed workflow tasks,
// continue-as-new and signal delivery, driven only through the real SDK against a
// time-skipping environment.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure, TerminatedFailure } from '@temporalio/common';
import { createTimeSkippingEnv, uniqueTaskQueue, uniqueWorkflowId, withWorker } from '../support/temporal.ts';
import { ActivityProbe, createSemanticsActivities } from './fixtures/semantics-activities.ts';
import {
  blockUntilFinished,
  carryState,
  collectSignals,
  completeAfterFirstSignal,
  eventDuringBusyTask,
  explodeSignal,
  failsTaskUntilFixed,
  failWithApplicationFailure,
  finishSignal,
  fixSignal,
  itemSignal,
  itemsQuery,
  spinSignal,
} from './fixtures/semantics-workflows.ts';
import { EventType, SEMANTICS_WORKFLOWS, historyEvents, ofType, range, rejectionOf, waitForEvent } from './fixtures/semantics-helpers.ts';

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await createTimeSkippingEnv();
});

afterAll(async () => {
  await env?.teardown();
});

async function withSemanticsWorker<T>(fn: (taskQueue: string) => Promise<T>): Promise<T> {
  const taskQueue = uniqueTaskQueue('lifecycle');
  const activities = createSemanticsActivities(new ActivityProbe());
  return withWorker(env, { taskQueue, workflowsPath: SEMANTICS_WORKFLOWS, activities }, () => fn(taskQueue));
}

describe('how a workflow ends', () => {
  test('an ApplicationFailure thrown from workflow code fails the workflow with WorkflowFailedError carrying it', async () => {
    await withSemanticsWorker(async (taskQueue) => {
      const handle = await env.client.workflow.start(failWithApplicationFailure, { taskQueue, workflowId: uniqueWorkflowId('app-failure'), args: [42] });
      const err = await rejectionOf(handle.result());
      expect(err).toBeInstanceOf(WorkflowFailedError);
      expect(err.cause).toBeInstanceOf(ApplicationFailure);
      const cause = err.cause as ApplicationFailure;
      expect(cause.message).toBe('lead rejected');
      expect(cause.type).toBe('LeadRejected');
      expect(cause.details).toEqual([{ leadId: 42 }]);
      expect((await handle.describe()).status.name).toBe('FAILED');
    });
  });

  test('cancelling a workflow rejects result() with a CancelledFailure and closes it as CANCELLED', async () => {
    await withSemanticsWorker(async (taskQueue) => {
      const handle = await env.client.workflow.start(blockUntilFinished, { taskQueue, workflowId: uniqueWorkflowId('cancel') });
      await waitForEvent(handle, EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED);
      await handle.cancel();
      const err = await rejectionOf(handle.result());
      expect(err).toBeInstanceOf(WorkflowFailedError);
      expect(err.cause).toBeInstanceOf(CancelledFailure);
      expect((await handle.describe()).status.name).toBe('CANCELLED');
    });
  });

  test('terminating a workflow rejects result() with a TerminatedFailure carrying the reason and closes it as TERMINATED', async () => {
    await withSemanticsWorker(async (taskQueue) => {
      const handle = await env.client.workflow.start(blockUntilFinished, { taskQueue, workflowId: uniqueWorkflowId('terminate') });
      await waitForEvent(handle, EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED);
      await handle.terminate('lead withdrawn');
      const err = await rejectionOf(handle.result());
      expect(err).toBeInstanceOf(WorkflowFailedError);
      expect(err.cause).toBeInstanceOf(TerminatedFailure);
      expect(err.cause.message).toBe('lead withdrawn');
      expect((await handle.describe()).status.name).toBe('TERMINATED');
    });
  });
});

describe('failed workflow tasks', () => {
  test('a workflow task that throws a plain Error is retried, not fatal, and the workflow recovers', async () => {
    await withSemanticsWorker(async (taskQueue) => {
      // Core reports only the first failed attempt of a task; later attempts are left to time
      // out, so a short workflowTaskTimeout keeps the retry quick.
      const handle = await env.client.workflow.start(failsTaskUntilFixed, {
        taskQueue,
        workflowId: uniqueWorkflowId('wft-retry'),
        workflowTaskTimeout: '1s',
      });
      await handle.signal(explodeSignal);
      const failedHistory = await waitForEvent(handle, EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED);
      expect((await handle.describe()).status.name).toBe('RUNNING');
      const taskFailure = ofType(failedHistory, EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED)[0]!.workflowTaskFailedEventAttributes!;
      expect(taskFailure.failure?.message).toContain('boom: workflow task failure');

      await handle.signal(fixSignal);
      expect(await handle.result()).toBe('recovered');
    });
  });
});

describe('continue-as-new', () => {
  test('state is carried across runs and result() follows the chain to the final run', async () => {
    await withSemanticsWorker(async (taskQueue) => {
      const workflowId = uniqueWorkflowId('can');
      const handle = await env.client.workflow.start(carryState, { taskQueue, workflowId, args: [0, 3, []] });
      const out = await handle.result();

      expect(out.seen).toEqual([0, 1, 2, 3]);
      expect(out.firstExecutionRunId).toBe(handle.firstExecutionRunId);
      expect(out.runId).not.toBe(handle.firstExecutionRunId);
      expect(out.continuedFromExecutionRunId).toBeDefined();
      expect(out.continuedFromExecutionRunId).not.toBe(out.runId);

      const firstRun = env.client.workflow.getHandle(workflowId, handle.firstExecutionRunId);
      expect((await firstRun.describe()).status.name).toBe('CONTINUED_AS_NEW');
      const latest = await env.client.workflow.getHandle(workflowId).describe();
      expect(latest.runId).toBe(out.runId);
      expect(latest.status.name).toBe('COMPLETED');
    });
  });
});

describe('signal delivery', () => {
  test('50 signals sent concurrently are each delivered exactly once', async () => {
    await withSemanticsWorker(async (taskQueue) => {
      const handle = await env.client.workflow.start(collectSignals, { taskQueue, workflowId: uniqueWorkflowId('burst') });
      await Promise.all(range(50).map((i) => handle.signal(itemSignal, i)));

      const seen = await handle.query(itemsQuery);
      expect(seen).toHaveLength(50);
      expect([...seen].sort((a, b) => a - b)).toEqual(range(50));

      await handle.signal(finishSignal);
      expect(await handle.result()).toEqual(seen);
    });
  });

  test('signals sent one after another are delivered in the order they were sent', async () => {
    await withSemanticsWorker(async (taskQueue) => {
      const handle = await env.client.workflow.start(collectSignals, { taskQueue, workflowId: uniqueWorkflowId('ordered') });
      for (const i of range(30)) await handle.signal(itemSignal, i);
      expect(await handle.query(itemsQuery)).toEqual(range(30));
      await handle.signal(finishSignal);
      expect(await handle.result()).toEqual(range(30));
    });
  });

  test('signals that arrive while the completing workflow task runs are not lost: the workflow runs again and sees them', async () => {
    await withSemanticsWorker(async (taskQueue) => {
      // A server that refuses the completion but answers the RPC as if it had succeeded is only
      // caught when the worker loses a race (it keeps its finished run cached), so the scenario
      // runs several times.
      for (const round of range(8)) {
        const handle = await env.client.workflow.start(completeAfterFirstSignal, {
          taskQueue,
          workflowId: uniqueWorkflowId(`last-task-${round}`),
          args: [40_000_000], // ~200 ms of CPU work in the task that completes the workflow
        });
        await waitForEvent(handle, EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED);
        await handle.signal(itemSignal, 0);
        // Give a worker time to pick up the task the first signal caused, then send more while it runs.
        await new Promise((r) => setTimeout(r, 50));
        const settled = await Promise.allSettled(range(19).map((i) => handle.signal(itemSignal, i + 1)));
        const accepted = [0, ...range(19).filter((i) => settled[i]!.status === 'fulfilled').map((i) => i + 1)];

        const result = await handle.result();
        // Every signal the server accepted reached the workflow before it closed.
        expect({ round, seen: [...result].sort((a, b) => a - b) }).toEqual({ round, seen: accepted });
        const events = await historyEvents(handle);
        expect(ofType(events, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED)).toHaveLength(accepted.length);
        // ...and the scenario happened: signals did arrive during the completing task.
        expect(result.length).toBeGreaterThan(1);
      }
    });
  });

  for (const kind of ['timer', 'activity'] as const) {
    test(`${kind === 'timer' ? 'a timer that fires' : 'an activity that completes'} while a workflow task is running is delivered in the next task`, async () => {
      await withSemanticsWorker(async (taskQueue) => {
        const handle = await env.client.workflow.start(eventDuringBusyTask, {
          taskQueue,
          workflowId: uniqueWorkflowId(`busy-${kind}`),
          args: [kind, 500],
        });
        const scheduled = kind === 'timer' ? EventType.EVENT_TYPE_TIMER_STARTED : EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED;
        const closed = kind === 'timer' ? EventType.EVENT_TYPE_TIMER_FIRED : EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED;
        await waitForEvent(handle, scheduled);
        await handle.signal(spinSignal, 160_000_000); // ~800 ms of CPU work: the 500 ms close lands inside it

        expect(await handle.result()).toEqual({ outcome: kind === 'timer' ? 'timer fired' : 'done', spins: 1 });
        const events = await historyEvents(handle);
        const signalId = Number(ofType(events, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED)[0]!.eventId);
        const busyTaskStarted = events.find((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED && Number(e.eventId) > signalId)!;
        const closedId = Number(ofType(events, closed)[0]!.eventId);
        // The close arrived during (or after) the busy task, not before it.
        expect(closedId).toBeGreaterThan(Number(busyTaskStarted.eventId));
      });
    });
  }
});
