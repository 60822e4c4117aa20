// Conformance: timers and activities, driven only through the real SDK against a
// time-skipping environment.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure, CancelledFailure, TimeoutFailure, type ActivityOptions } from '@temporalio/common';
import { createTimeSkippingEnv, uniqueTaskQueue, uniqueWorkflowId, withWorker } from '../support/temporal.ts';
import { ActivityProbe, createSemanticsActivities } from './fixtures/semantics-activities.ts';
import {
  activityVersusTimer,
  cancelActivitySignal,
  cancelHeartbeatingActivity,
  cancellableTimer,
  cancelTimerSignal,
  localGreet,
  runActivity,
  sleepDays,
  stateQuery,
  waitWithTimeout,
  type RunActivityRequest,
} from './fixtures/semantics-workflows.ts';
import { DAY_MS, EventType, HOUR_MS, SEMANTICS_WORKFLOWS, historyEvents, ofType, rejectionOf, waitForEvent } from './fixtures/semantics-helpers.ts';

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await createTimeSkippingEnv();
});

afterAll(async () => {
  await env?.teardown();
});

/** Runs `fn` with a worker (workflows + a fresh set of probed activities) on a fresh task queue. */
async function withSemanticsWorker<T>(fn: (ctx: { taskQueue: string; probe: ActivityProbe }) => Promise<T>): Promise<T> {
  const taskQueue = uniqueTaskQueue('semantics');
  const probe = new ActivityProbe();
  return withWorker(env, { taskQueue, workflowsPath: SEMANTICS_WORKFLOWS, activities: createSemanticsActivities(probe) }, () =>
    fn({ taskQueue, probe }),
  );
}

/** Runs one activity through the `runActivity` workflow; returns the workflow's result. */
function executeActivity(taskQueue: string, activity: RunActivityRequest['activity'], args: unknown[], options: ActivityOptions) {
  return env.client.workflow.execute(runActivity, {
    taskQueue,
    workflowId: uniqueWorkflowId('activity'),
    args: [{ activity, args, options }],
  });
}

/** The WorkflowFailedError of a `runActivity` run that must fail, checked down to its ActivityFailure. */
async function activityFailureOf(taskQueue: string, activity: RunActivityRequest['activity'], args: unknown[], options: ActivityOptions): Promise<ActivityFailure> {
  const err = await rejectionOf(executeActivity(taskQueue, activity, args, options));
  expect(err).toBeInstanceOf(WorkflowFailedError);
  expect(err.cause).toBeInstanceOf(ActivityFailure);
  expect((err.cause as ActivityFailure).activityType).toBe(activity);
  return err.cause as ActivityFailure;
}

describe('timers', () => {
  test('a workflow sleeping 3 days completes in well under a second of wall time while test time moves 3 days', async () => {
    await withSemanticsWorker(async ({ taskQueue }) => {
      const timeBefore = await env.currentTimeMs();
      const wallBefore = Date.now();
      const workflowElapsed = await env.client.workflow.execute(sleepDays, { taskQueue, workflowId: uniqueWorkflowId('sleep'), args: [3] });
      const wallMs = Date.now() - wallBefore;
      const timeAfter = await env.currentTimeMs();

      expect(wallMs).toBeLessThan(1000);
      expect(workflowElapsed).toBeGreaterThanOrEqual(3 * DAY_MS);
      expect(timeAfter - timeBefore).toBeGreaterThanOrEqual(3 * DAY_MS);
    });
  });

  test('a timer cancelled through its cancellation scope never fires', async () => {
    await withSemanticsWorker(async ({ taskQueue }) => {
      const handle = await env.client.workflow.start(cancellableTimer, { taskQueue, workflowId: uniqueWorkflowId('cancel-timer') });
      // The 1-hour timer exists before it is cancelled (time does not skip while nobody waits on a result).
      await waitForEvent(handle, EventType.EVENT_TYPE_TIMER_STARTED);
      await handle.signal(cancelTimerSignal);

      expect(await handle.result()).toEqual({ fired: false, cancelled: true });
      const events = await historyEvents(handle);
      const started = ofType(events, EventType.EVENT_TYPE_TIMER_STARTED).map((e) => e.timerStartedEventAttributes!.timerId);
      const cancelled = ofType(events, EventType.EVENT_TYPE_TIMER_CANCELED).map((e) => e.timerCanceledEventAttributes!.timerId);
      const fired = ofType(events, EventType.EVENT_TYPE_TIMER_FIRED).map((e) => e.timerFiredEventAttributes!.timerId);
      expect(started).toHaveLength(2); // the cancelled 1-hour timer, then the 2-hour one
      expect(cancelled).toEqual([started[0]]);
      expect(fired).toEqual([started[1]]);
    });
  });

  test('env.sleep() advances time for a workflow waiting on condition() with a timeout', async () => {
    await withSemanticsWorker(async ({ taskQueue }) => {
      const handle = await env.client.workflow.start(waitWithTimeout, { taskQueue, workflowId: uniqueWorkflowId('condition') });
      expect(await handle.query(stateQuery)).toBe('waiting');

      const timeBefore = await env.currentTimeMs();
      await env.sleep('2 hours');
      expect((await env.currentTimeMs()) - timeBefore).toBeGreaterThanOrEqual(2 * HOUR_MS);

      expect(await handle.query(stateQuery)).toBe('timed-out');
      expect(await handle.result()).toBe('timed-out');
    });
  });
});

describe('activity retries', () => {
  test('retries a failing activity with backoff until it succeeds on the third attempt', async () => {
    await withSemanticsWorker(async ({ taskQueue, probe }) => {
      const out = await executeActivity(taskQueue, 'flakyUntilAttempt', [3], {
        startToCloseTimeout: '10s',
        retry: { initialInterval: '1s', backoffCoefficient: 2, maximumAttempts: 5 },
      });
      expect(out.result).toBe(3);
      expect(probe.attempts.flakyUntilAttempt).toEqual([1, 2, 3]);
      // Backoffs of 1 s then 2 s (initialInterval x backoffCoefficient^n) separate the attempts.
      const [first, second, third] = probe.attemptScheduledAt.flakyUntilAttempt!;
      expect(second! - first!).toBeGreaterThanOrEqual(1000);
      expect(second! - first!).toBeLessThan(1500);
      expect(third! - second!).toBeGreaterThanOrEqual(2000);
      expect(third! - second!).toBeLessThan(2500);
      expect(out.elapsedMs).toBeGreaterThanOrEqual(3000);
    });
  });

  test('an activity that exhausts maximumAttempts fails with ActivityFailure retryState MAXIMUM_ATTEMPTS_REACHED', async () => {
    await withSemanticsWorker(async ({ taskQueue, probe }) => {
      const failure = await activityFailureOf(taskQueue, 'alwaysFails', ['lead lookup failed'], {
        startToCloseTimeout: '10s',
        retry: { initialInterval: '100ms', maximumAttempts: 3 },
      });
      expect(failure.retryState).toBe('MAXIMUM_ATTEMPTS_REACHED');
      expect(failure.cause).toBeInstanceOf(ApplicationFailure);
      expect(failure.cause!.message).toBe('lead lookup failed (attempt 3)');
      expect(probe.attempts.alwaysFails).toEqual([1, 2, 3]);
    });
  });

  test('an error type listed in nonRetryableErrorTypes stops retries after the first attempt', async () => {
    await withSemanticsWorker(async ({ taskQueue, probe }) => {
      const failure = await activityFailureOf(taskQueue, 'failWithType', ['FatalLeadError', false], {
        startToCloseTimeout: '10s',
        retry: { initialInterval: '100ms', maximumAttempts: 10, nonRetryableErrorTypes: ['FatalLeadError'] },
      });
      expect(failure.retryState).toBe('NON_RETRYABLE_FAILURE');
      expect(failure.cause).toBeInstanceOf(ApplicationFailure);
      expect((failure.cause as ApplicationFailure).type).toBe('FatalLeadError');
      expect(probe.calls('failWithType')).toBe(1);
    });
  });

  test('an ApplicationFailure marked nonRetryable stops retries after the first attempt', async () => {
    await withSemanticsWorker(async ({ taskQueue, probe }) => {
      const failure = await activityFailureOf(taskQueue, 'failWithType', ['BadLeadData', true], {
        startToCloseTimeout: '10s',
        retry: { initialInterval: '100ms', maximumAttempts: 10 },
      });
      expect(failure.retryState).toBe('NON_RETRYABLE_FAILURE');
      expect(failure.cause).toBeInstanceOf(ApplicationFailure);
      expect((failure.cause as ApplicationFailure).nonRetryable).toBe(true);
      expect((failure.cause as ApplicationFailure).type).toBe('BadLeadData');
      expect(probe.calls('failWithType')).toBe(1);
    });
  });

  test('heartbeat details recorded by a failed attempt are given to the next attempt', async () => {
    await withSemanticsWorker(async ({ taskQueue }) => {
      const out = await executeActivity(taskQueue, 'resumeFromHeartbeat', [], {
        startToCloseTimeout: '10s',
        retry: { initialInterval: '100ms', maximumAttempts: 3 },
      });
      expect(out.result).toEqual({ attempt: 2, resumedFrom: { progress: 7 } });
    });
  });
});

describe('activity timeouts', () => {
  test('startToCloseTimeout fails the activity with TimeoutFailure START_TO_CLOSE', async () => {
    await withSemanticsWorker(async ({ taskQueue }) => {
      const failure = await activityFailureOf(taskQueue, 'hang', [10_000], { startToCloseTimeout: '1s', retry: { maximumAttempts: 1 } });
      expect(failure.cause).toBeInstanceOf(TimeoutFailure);
      expect((failure.cause as TimeoutFailure).timeoutType).toBe('START_TO_CLOSE');
    });
  });

  test('scheduleToCloseTimeout fails the activity with TimeoutFailure SCHEDULE_TO_CLOSE', async () => {
    await withSemanticsWorker(async ({ taskQueue, probe }) => {
      // Attempt 1 fails fast; attempt 2 hangs past the 1.5 s schedule-to-close deadline (its own
      // start-to-close deadline, capped to 1.5 s from its start, would be later).
      const failure = await activityFailureOf(taskQueue, 'failFirstThenHang', [10_000], {
        scheduleToCloseTimeout: '1500ms',
        startToCloseTimeout: '1 minute',
        retry: { initialInterval: '200ms', backoffCoefficient: 1 },
      });
      expect(failure.cause).toBeInstanceOf(TimeoutFailure);
      expect((failure.cause as TimeoutFailure).timeoutType).toBe('SCHEDULE_TO_CLOSE');
      expect(probe.attempts.failFirstThenHang).toEqual([1, 2]);
    });
  });

  test('scheduleToStartTimeout fails an activity no worker polls for with TimeoutFailure SCHEDULE_TO_START', async () => {
    await withSemanticsWorker(async ({ taskQueue, probe }) => {
      // A scheduled activity holds time in time-skipping mode (as in the Java test server, which
      // locks time from scheduling), so the timeout is short in real time.
      const failure = await activityFailureOf(taskQueue, 'hang', [10], {
        taskQueue: uniqueTaskQueue('nobody-polls'),
        scheduleToStartTimeout: '1s',
        startToCloseTimeout: '1 minute',
      });
      expect(failure.cause).toBeInstanceOf(TimeoutFailure);
      expect((failure.cause as TimeoutFailure).timeoutType).toBe('SCHEDULE_TO_START');
      expect(probe.calls('hang')).toBe(0);
    });
  });

  test('heartbeatTimeout fails an activity that stops heartbeating with TimeoutFailure HEARTBEAT carrying the last details', async () => {
    await withSemanticsWorker(async ({ taskQueue }) => {
      const failure = await activityFailureOf(taskQueue, 'heartbeatThenStall', ['beat-1', 10_000], {
        startToCloseTimeout: '1 minute',
        heartbeatTimeout: '1s',
        retry: { maximumAttempts: 1 },
      });
      expect(failure.cause).toBeInstanceOf(TimeoutFailure);
      expect((failure.cause as TimeoutFailure).timeoutType).toBe('HEARTBEAT');
      expect((failure.cause as TimeoutFailure).lastHeartbeatDetails).toBe('beat-1');
    });
  });
});

describe('activity cancellation and time', () => {
  test('cancelling a heartbeating activity delivers CancelledFailure to it and ActivityFailure(CancelledFailure) to the workflow', async () => {
    await withSemanticsWorker(async ({ taskQueue, probe }) => {
      const handle = await env.client.workflow.start(cancelHeartbeatingActivity, { taskQueue, workflowId: uniqueWorkflowId('cancel-activity') });
      await probe.started('heartbeatUntilCancelled');
      await handle.signal(cancelActivitySignal);

      const err = await rejectionOf(handle.result());
      expect(err).toBeInstanceOf(WorkflowFailedError);
      expect(err.cause).toBeInstanceOf(ActivityFailure);
      expect(err.cause.cause).toBeInstanceOf(CancelledFailure);
      expect(probe.cancellation).toBeInstanceOf(CancelledFailure);
      const events = await historyEvents(handle);
      expect(ofType(events, EventType.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED)).toHaveLength(1);
      expect(ofType(events, EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED)).toHaveLength(1);
    });
  });

  test('a running activity holds time: a 1 s activity beats a 1-hour timer', async () => {
    await withSemanticsWorker(async ({ taskQueue }) => {
      const winner = await env.client.workflow.execute(activityVersusTimer, { taskQueue, workflowId: uniqueWorkflowId('race'), args: [1000] });
      expect(winner).toBe('activity');
    });
  });

  test('a local activity returns its result and is recorded as a marker, not as an activity task', async () => {
    await withSemanticsWorker(async ({ taskQueue }) => {
      const handle = await env.client.workflow.start(localGreet, {
        taskQueue,
        workflowId: uniqueWorkflowId('local'),
        args: ['ann', { startToCloseTimeout: '10s' }],
      });
      expect(await handle.result()).toBe('hello ann');
      const events = await historyEvents(handle);
      const markers = ofType(events, EventType.EVENT_TYPE_MARKER_RECORDED);
      expect(markers.map((e) => e.markerRecordedEventAttributes!.markerName)).toEqual(['core_local_activity']);
      expect(ofType(events, EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)).toHaveLength(0);
    });
  });
});
