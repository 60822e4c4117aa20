// Conformance: the client-facing start / signal / query / cancel / terminate surface, driven only
// through the real SDK against a time-skipping environment.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { QueryNotRegisteredError, WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import { CancelledFailure, TerminatedFailure, TimeoutFailure, WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { createTimeSkippingEnv, uniqueTaskQueue, uniqueWorkflowId, withWorker } from '../support/temporal.ts';
import { CLIENT_WORKFLOWS, eventTypes, rejection, waitForEvent } from './client-helpers.ts';

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await createTimeSkippingEnv();
});

afterAll(async () => {
  await env?.teardown();
});

/** Runs `fn` with a worker for the client fixtures on a fresh task queue. */
function withClientWorker<T>(fn: (taskQueue: string) => Promise<T>): Promise<T> {
  const taskQueue = uniqueTaskQueue('client-api');
  return withWorker(env, { taskQueue, workflowsPath: CLIENT_WORKFLOWS }, () => fn(taskQueue));
}

describe('start: workflow id conflict policies (a run with the id is still open)', () => {
  it('rejects a second start of a running workflow id with WorkflowExecutionAlreadyStartedError by default', async () => {
    await withClientWorker(async (taskQueue) => {
      const workflowId = uniqueWorkflowId();
      const first = await env.client.workflow.start('collector', { taskQueue, workflowId });
      const err = await rejection(env.client.workflow.start('collector', { taskQueue, workflowId }));
      expect(err).toBeInstanceOf(WorkflowExecutionAlreadyStartedError);
      expect(err.workflowId).toBe(workflowId);
      // The running run is untouched.
      expect((await first.describe()).status.name).toBe('RUNNING');
      await first.terminate();
    });
  });

  it('rejects a second start with conflict policy FAIL with WorkflowExecutionAlreadyStartedError, even when reuse is ALLOW_DUPLICATE', async () => {
    await withClientWorker(async (taskQueue) => {
      const workflowId = uniqueWorkflowId();
      const first = await env.client.workflow.start('collector', { taskQueue, workflowId });
      const err = await rejection(
        env.client.workflow.start('collector', { taskQueue, workflowId, workflowIdConflictPolicy: 'FAIL', workflowIdReusePolicy: 'ALLOW_DUPLICATE' }),
      );
      expect(err).toBeInstanceOf(WorkflowExecutionAlreadyStartedError);
      await first.terminate();
    });
  });

  it('USE_EXISTING returns a handle to the running run instead of starting a new one', async () => {
    await withClientWorker(async (taskQueue) => {
      const workflowId = uniqueWorkflowId();
      const first = await env.client.workflow.start('collector', { taskQueue, workflowId });
      const second = await env.client.workflow.start('collector', { taskQueue, workflowId, workflowIdConflictPolicy: 'USE_EXISTING' });
      expect(second.firstExecutionRunId).toBe(first.firstExecutionRunId);
      // Both handles drive the same run.
      await second.signal('push', 'via-second');
      await first.signal('finish', 'x');
      expect(await second.result()).toEqual(['via-second', 'finish:x']);
      expect(await eventTypes(first)).not.toContain('WORKFLOW_EXECUTION_TERMINATED');
    });
  });

  it('TERMINATE_EXISTING terminates the running run and starts a new one', async () => {
    await withClientWorker(async (taskQueue) => {
      const workflowId = uniqueWorkflowId();
      const first = await env.client.workflow.start('collector', { taskQueue, workflowId });
      const second = await env.client.workflow.start('collector', { taskQueue, workflowId, workflowIdConflictPolicy: 'TERMINATE_EXISTING' });
      expect(second.firstExecutionRunId).not.toBe(first.firstExecutionRunId);

      const err = await rejection(first.result());
      expect(err).toBeInstanceOf(WorkflowFailedError);
      expect(err.cause).toBeInstanceOf(TerminatedFailure);
      const old = env.client.workflow.getHandle(workflowId, first.firstExecutionRunId);
      expect((await old.describe()).status.name).toBe('TERMINATED');

      await second.signal('finish', 'new');
      expect(await second.result()).toEqual(['finish:new']);
    });
  });
});

describe('start: workflow id reuse policies (the last run with the id is closed)', () => {
  it('ALLOW_DUPLICATE starts a new run for the id of a completed workflow', async () => {
    await withClientWorker(async (taskQueue) => {
      const workflowId = uniqueWorkflowId();
      const first = await env.client.workflow.start('echo', { taskQueue, workflowId, args: ['one'] });
      expect(await first.result()).toBe('one');
      const second = await env.client.workflow.start('echo', { taskQueue, workflowId, args: ['two'], workflowIdReusePolicy: 'ALLOW_DUPLICATE' });
      expect(second.firstExecutionRunId).not.toBe(first.firstExecutionRunId);
      expect(await second.result()).toBe('two');
    });
  });

  it('ALLOW_DUPLICATE_FAILED_ONLY rejects reusing the id of a workflow that completed successfully', async () => {
    await withClientWorker(async (taskQueue) => {
      const workflowId = uniqueWorkflowId();
      await env.client.workflow.execute('echo', { taskQueue, workflowId, args: ['one'] });
      const err = await rejection(
        env.client.workflow.start('echo', { taskQueue, workflowId, args: ['two'], workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY' }),
      );
      expect(err).toBeInstanceOf(WorkflowExecutionAlreadyStartedError);
    });
  });

  it('ALLOW_DUPLICATE_FAILED_ONLY allows reusing the id of a workflow that failed', async () => {
    await withClientWorker(async (taskQueue) => {
      const workflowId = uniqueWorkflowId();
      const failed = await env.client.workflow.start('failing', { taskQueue, workflowId, args: ['nope'] });
      expect(await rejection(failed.result())).toBeInstanceOf(WorkflowFailedError);
      const again = await env.client.workflow.start('echo', { taskQueue, workflowId, args: ['retry'], workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY' });
      expect(again.firstExecutionRunId).not.toBe(failed.firstExecutionRunId);
      expect(await again.result()).toBe('retry');
    });
  });

  it('REJECT_DUPLICATE rejects reusing the id even when the last run failed', async () => {
    await withClientWorker(async (taskQueue) => {
      const workflowId = uniqueWorkflowId();
      const failed = await env.client.workflow.start('failing', { taskQueue, workflowId, args: ['nope'] });
      await rejection(failed.result());
      const err = await rejection(env.client.workflow.start('echo', { taskQueue, workflowId, args: ['x'], workflowIdReusePolicy: 'REJECT_DUPLICATE' }));
      expect(err).toBeInstanceOf(WorkflowExecutionAlreadyStartedError);
    });
  });
});

describe('start: timeouts and start delay', () => {
  it('closes a run that exceeds its workflowRunTimeout as TIMED_OUT; result() rejects with a TimeoutFailure cause', async () => {
    await withClientWorker(async (taskQueue) => {
      const handle = await env.client.workflow.start('sleeper', { taskQueue, workflowId: uniqueWorkflowId(), args: [86_400_000], workflowRunTimeout: '1 hour' });
      const err = await rejection(handle.result());
      expect(err).toBeInstanceOf(WorkflowFailedError);
      expect(err.cause).toBeInstanceOf(TimeoutFailure);
      expect((await handle.describe()).status.name).toBe('TIMED_OUT');
      expect((await eventTypes(handle)).at(-1)).toBe('WORKFLOW_EXECUTION_TIMED_OUT');
    });
  });

  it('closes a workflow that exceeds its workflowExecutionTimeout as TIMED_OUT; result() rejects with a TimeoutFailure cause', async () => {
    await withClientWorker(async (taskQueue) => {
      const handle = await env.client.workflow.start('sleeper', { taskQueue, workflowId: uniqueWorkflowId(), args: [86_400_000], workflowExecutionTimeout: '2 hours' });
      const err = await rejection(handle.result());
      expect(err).toBeInstanceOf(WorkflowFailedError);
      expect(err.cause).toBeInstanceOf(TimeoutFailure);
      expect((await handle.describe()).status.name).toBe('TIMED_OUT');
    });
  });

  it('workflowRunTimeout applies to each run: a chain of runs each shorter than it completes although the chain is longer', async () => {
    await withClientWorker(async (taskQueue) => {
      // Three runs of 40 minutes each, with a 1 hour run timeout.
      const handle = await env.client.workflow.start('sleepThenContinue', { taskQueue, workflowId: uniqueWorkflowId(), args: [40 * 60_000, 3], workflowRunTimeout: '1 hour' });
      expect(await handle.result()).toBe(3);
    });
  });

  it('workflowExecutionTimeout spans continue-as-new: the chain times out although no single run exceeds it', async () => {
    await withClientWorker(async (taskQueue) => {
      // Runs of 40 minutes each, five of them, with a 1 hour execution timeout: the second run times out.
      const handle = await env.client.workflow.start('sleepThenContinue', { taskQueue, workflowId: uniqueWorkflowId(), args: [40 * 60_000, 5], workflowExecutionTimeout: '1 hour' });
      const err = await rejection(handle.result());
      expect(err).toBeInstanceOf(WorkflowFailedError);
      expect(err.cause).toBeInstanceOf(TimeoutFailure);
      const latest = await env.client.workflow.getHandle(handle.workflowId).describe();
      expect(latest.runId).not.toBe(handle.firstExecutionRunId);
      expect(latest.status.name).toBe('TIMED_OUT');
    });
  });

  it('startDelay holds back the first workflow task until the delay has passed', async () => {
    await withClientWorker(async (taskQueue) => {
      const handle = await env.client.workflow.start('firstTaskTime', { taskQueue, workflowId: uniqueWorkflowId(), startDelay: '1 hour' });
      const before = await handle.describe();
      expect(before.status.name).toBe('RUNNING');
      expect(before.executionTime!.getTime() - before.startTime.getTime()).toBe(3_600_000);
      // Only the started event: no workflow task is scheduled while the delay runs.
      expect(await eventTypes(handle)).toEqual(['WORKFLOW_EXECUTION_STARTED']);
      expect(before.raw.pendingWorkflowTask ?? null).toBeNull();

      const firstTaskAt = await handle.result();
      expect(firstTaskAt).toBeGreaterThanOrEqual(before.startTime.getTime() + 3_600_000);
    });
  });
});

describe('signal and signal-with-start', () => {
  it('delivers signals to a running workflow in order, with their arguments', async () => {
    await withClientWorker(async (taskQueue) => {
      const handle = await env.client.workflow.start('collector', { taskQueue, workflowId: uniqueWorkflowId() });
      await handle.signal('push', 'a');
      await handle.signal('push', 'b');
      await handle.signal('finish', 'z');
      expect(await handle.result()).toEqual(['a', 'b', 'finish:z']);
    });
  });

  it('signalWithStart starts the workflow when the id is absent and delivers the signal to it', async () => {
    await withClientWorker(async (taskQueue) => {
      const workflowId = uniqueWorkflowId();
      const handle = await env.client.workflow.signalWithStart('collector', { taskQueue, workflowId, signal: 'push', signalArgs: ['first'] });
      expect(handle.signaledRunId).toBeTruthy();
      expect((await eventTypes(handle)).slice(0, 2)).toEqual(['WORKFLOW_EXECUTION_STARTED', 'WORKFLOW_EXECUTION_SIGNALED']);
      await handle.signal('finish', 'x');
      expect(await handle.result()).toEqual(['first', 'finish:x']);
    });
  });

  it('signalWithStart on a running workflow only signals it: no second run is started', async () => {
    await withClientWorker(async (taskQueue) => {
      const workflowId = uniqueWorkflowId();
      const running = await env.client.workflow.start('collector', { taskQueue, workflowId });
      await running.signal('push', 'a');
      const sws = await env.client.workflow.signalWithStart('collector', { taskQueue, workflowId, signal: 'push', signalArgs: ['b'] });
      expect(sws.signaledRunId).toBe(running.firstExecutionRunId);
      await running.signal('finish', 'x');
      expect(await running.result()).toEqual(['a', 'b', 'finish:x']);
      const types = await eventTypes(running);
      expect(types.filter((t) => t === 'WORKFLOW_EXECUTION_STARTED')).toHaveLength(1);
      expect(types.filter((t) => t === 'WORKFLOW_EXECUTION_SIGNALED')).toHaveLength(3);
    });
  });

  it('signalWithStart on a closed workflow id starts a new run that receives the signal', async () => {
    await withClientWorker(async (taskQueue) => {
      const workflowId = uniqueWorkflowId();
      const first = await env.client.workflow.start('collector', { taskQueue, workflowId });
      await first.signal('finish', 'one');
      await first.result();
      const second = await env.client.workflow.signalWithStart('collector', { taskQueue, workflowId, signal: 'push', signalArgs: ['again'] });
      expect(second.signaledRunId).not.toBe(first.firstExecutionRunId);
      await second.signal('finish', 'two');
      expect(await second.result()).toEqual(['again', 'finish:two']);
    });
  });

  it('signalWithStart with startDelay records the signal at once and delivers it with the delayed first workflow task', async () => {
    await withClientWorker(async (taskQueue) => {
      const handle = await env.client.workflow.signalWithStart('collector', { taskQueue, workflowId: uniqueWorkflowId(), signal: 'push', signalArgs: ['early'], startDelay: '1 hour' });
      expect(await eventTypes(handle)).toEqual(['WORKFLOW_EXECUTION_STARTED', 'WORKFLOW_EXECUTION_SIGNALED']);
      const desc = await handle.describe();
      expect(desc.executionTime!.getTime() - desc.startTime.getTime()).toBe(3_600_000);
      await env.sleep('61 minutes');
      await waitForEvent(handle, 'WORKFLOW_TASK_COMPLETED');
      expect(await handle.query('items')).toEqual(['early']);
      await handle.terminate();
    });
  });

  it('a plain signal during the start delay is recorded but does not end the delay', async () => {
    await withClientWorker(async (taskQueue) => {
      const handle = await env.client.workflow.start('collector', { taskQueue, workflowId: uniqueWorkflowId(), startDelay: '1 hour' });
      await handle.signal('push', 'waiting');
      await new Promise((r) => setTimeout(r, 300));
      expect(await eventTypes(handle)).toEqual(['WORKFLOW_EXECUTION_STARTED', 'WORKFLOW_EXECUTION_SIGNALED']);
      await env.sleep('61 minutes');
      await waitForEvent(handle, 'WORKFLOW_TASK_COMPLETED');
      expect(await handle.query('items')).toEqual(['waiting']);
      await handle.terminate();
    });
  });

  it('a second signalWithStart during the start delay dispatches the first workflow task right away', async () => {
    await withClientWorker(async (taskQueue) => {
      const workflowId = uniqueWorkflowId();
      const handle = await env.client.workflow.signalWithStart('collector', { taskQueue, workflowId, signal: 'push', signalArgs: ['a'], startDelay: '1 hour' });
      await env.client.workflow.signalWithStart('collector', { taskQueue, workflowId, signal: 'push', signalArgs: ['b'], startDelay: '1 hour' });
      // No time is skipped here (nothing awaits a result), so only the second request can end the delay.
      await waitForEvent(handle, 'WORKFLOW_TASK_COMPLETED', 3000);
      expect(await handle.query('items')).toEqual(['a', 'b']);
      await handle.terminate();
    });
  });
});

describe('calls on closed or unknown workflows', () => {
  it('rejects signal and terminate of a closed workflow with WorkflowNotFoundError', async () => {
    await withClientWorker(async (taskQueue) => {
      const handle = await env.client.workflow.start('echo', { taskQueue, workflowId: uniqueWorkflowId(), args: ['x'] });
      await handle.result();
      expect(await rejection(handle.signal('push', 'late'))).toBeInstanceOf(WorkflowNotFoundError);
      expect(await rejection(handle.terminate())).toBeInstanceOf(WorkflowNotFoundError);
      expect((await handle.describe()).status.name).toBe('COMPLETED');
    });
  });

  it('accepts a cancel request for a closed workflow as a no-op: nothing is recorded and the run stays COMPLETED', async () => {
    await withClientWorker(async (taskQueue) => {
      const handle = await env.client.workflow.start('echo', { taskQueue, workflowId: uniqueWorkflowId(), args: ['x'] });
      await handle.result();
      const before = await eventTypes(handle);
      await handle.cancel(); // the official server answers success ("cancel is a success even if the workflow has finished")
      expect(await eventTypes(handle)).toEqual(before);
      expect((await handle.describe()).status.name).toBe('COMPLETED');
    });
  });

  it('rejects describe, query and result of an unknown workflow id with WorkflowNotFoundError', async () => {
    const handle = env.client.workflow.getHandle(uniqueWorkflowId('missing'));
    expect(await rejection(handle.describe())).toBeInstanceOf(WorkflowNotFoundError);
    expect(await rejection(handle.query('items'))).toBeInstanceOf(WorkflowNotFoundError);
    expect(await rejection(handle.result())).toBeInstanceOf(WorkflowNotFoundError);
  });
});

describe('query', () => {
  it('answers a query sent right after start, before the first workflow task has completed', async () => {
    await withClientWorker(async (taskQueue) => {
      const handle = await env.client.workflow.start('collector', { taskQueue, workflowId: uniqueWorkflowId() });
      expect(await handle.query('items')).toEqual([]);
      expect(await handle.query('stage')).toBe('collecting');
      await handle.terminate();
    });
  });

  it('answers a query with state built by earlier signals', async () => {
    await withClientWorker(async (taskQueue) => {
      const handle = await env.client.workflow.start('collector', { taskQueue, workflowId: uniqueWorkflowId() });
      await handle.signal('push', 'a');
      await handle.signal('push', 'b');
      expect(await handle.query('items')).toEqual(['a', 'b']);
      await handle.terminate();
    });
  });

  it('answers a query on a closed workflow from its final state', async () => {
    await withClientWorker(async (taskQueue) => {
      const handle = await env.client.workflow.start('collector', { taskQueue, workflowId: uniqueWorkflowId() });
      await handle.signal('push', 'kept');
      await handle.signal('finish', 'x');
      await handle.result();
      expect(await handle.query('items')).toEqual(['kept']);
      expect(await handle.query('stage')).toBe('finished');
    });
  });

  it('rejects a query of an unregistered type with QueryNotRegisteredError', async () => {
    await withClientWorker(async (taskQueue) => {
      const handle = await env.client.workflow.start('collector', { taskQueue, workflowId: uniqueWorkflowId() });
      const err = await rejection(handle.query('no-such-query'));
      expect(err).toBeInstanceOf(QueryNotRegisteredError);
      // The workflow is unaffected by the failed query.
      expect(await handle.query('stage')).toBe('collecting');
      await handle.terminate();
    });
  });
});

describe('cancel and terminate', () => {
  it('delivers a cancellation request to the workflow as a CancelledFailure', async () => {
    await withClientWorker(async (taskQueue) => {
      const handle = await env.client.workflow.start('cancellable', { taskQueue, workflowId: uniqueWorkflowId(), args: [true] });
      await waitForEvent(handle, 'TIMER_STARTED');
      await handle.cancel();
      expect(await handle.result()).toBe('CancelledFailure');
      expect(await eventTypes(handle)).toContain('WORKFLOW_EXECUTION_CANCEL_REQUESTED');
    });
  });

  it('closes a workflow that lets the cancellation propagate as CANCELED; result() rejects with a CancelledFailure cause', async () => {
    await withClientWorker(async (taskQueue) => {
      const handle = await env.client.workflow.start('cancellable', { taskQueue, workflowId: uniqueWorkflowId(), args: [false] });
      await waitForEvent(handle, 'TIMER_STARTED');
      await handle.cancel();
      const err = await rejection(handle.result());
      expect(err).toBeInstanceOf(WorkflowFailedError);
      expect(err.cause).toBeInstanceOf(CancelledFailure);
      expect((await handle.describe()).status.name).toBe('CANCELLED');
      expect((await eventTypes(handle)).at(-1)).toBe('WORKFLOW_EXECUTION_CANCELED');
    });
  });

  it('accepts a second cancel request and records the cancellation once', async () => {
    await withClientWorker(async (taskQueue) => {
      const handle = await env.client.workflow.start('cancellable', { taskQueue, workflowId: uniqueWorkflowId(), args: [false] });
      await waitForEvent(handle, 'TIMER_STARTED');
      await handle.cancel();
      await handle.cancel();
      await rejection(handle.result());
      expect((await eventTypes(handle)).filter((t) => t === 'WORKFLOW_EXECUTION_CANCEL_REQUESTED')).toHaveLength(1);
    });
  });

  it('terminate closes the run as TERMINATED; result() rejects with a TerminatedFailure cause carrying the reason', async () => {
    await withClientWorker(async (taskQueue) => {
      const handle = await env.client.workflow.start('collector', { taskQueue, workflowId: uniqueWorkflowId() });
      await handle.terminate('operator says stop');
      const err = await rejection(handle.result());
      expect(err).toBeInstanceOf(WorkflowFailedError);
      expect(err.cause).toBeInstanceOf(TerminatedFailure);
      expect(err.cause.message).toBe('operator says stop');
      const desc = await handle.describe();
      expect(desc.status.name).toBe('TERMINATED');
      expect(desc.closeTime).toBeInstanceOf(Date);
      expect((await eventTypes(handle)).at(-1)).toBe('WORKFLOW_EXECUTION_TERMINATED');
    });
  });
});
