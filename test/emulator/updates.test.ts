// Conformance: workflow updates (executeUpdate, startUpdate, update-with-start, polling for an
// outcome), driven only through the real SDK against a time-skipping environment.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { WithStartWorkflowOperation, WorkflowNotFoundError, WorkflowUpdateFailedError, WorkflowUpdateStage } from '@temporalio/client';
import { ApplicationFailure, WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { createTimeSkippingEnv, uniqueTaskQueue, uniqueWorkflowId, withWorker } from '../support/temporal.ts';
import { eventTypes, eventually, rejection, waitForEvent } from './client-helpers.ts';
import { add, broken, counter, dayTimer, finish, handlerRuns, held, peek, release, total } from './fixtures/update-workflows.ts';

const UPDATE_WORKFLOWS = new URL('./fixtures/update-workflows.ts', import.meta.url).pathname;

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await createTimeSkippingEnv();
});

afterAll(async () => {
  await env?.teardown();
});

function withUpdateWorker<T>(fn: (taskQueue: string) => Promise<T>, taskQueue = uniqueTaskQueue('updates')): Promise<T> {
  return withWorker(env, { taskQueue, workflowsPath: UPDATE_WORKFLOWS }, () => fn(taskQueue));
}

const count = (types: string[], type: string) => types.filter((t) => t === type).length;

describe('UpdateWorkflowExecution', () => {
  it('executeUpdate returns the handler result, and the history records the accepted request and the outcome', async () => {
    await withUpdateWorker(async (taskQueue) => {
      const handle = await env.client.workflow.start(counter, { taskQueue, workflowId: uniqueWorkflowId(), args: [10] });
      expect(await handle.executeUpdate(add, { args: [5] })).toBe(15);
      const history = await handle.fetchHistory();
      const accepted = history.events!.find((e) => e.workflowExecutionUpdateAcceptedEventAttributes)!.workflowExecutionUpdateAcceptedEventAttributes!;
      expect(accepted.acceptedRequest?.input?.name).toBe('add');
      const completed = history.events!.find((e) => e.workflowExecutionUpdateCompletedEventAttributes)!.workflowExecutionUpdateCompletedEventAttributes!;
      expect(completed.meta?.updateId).toBe(accepted.protocolInstanceId);
      expect(completed.outcome?.success?.payloads?.length).toBe(1);
      await handle.signal(finish);
      expect(await handle.result()).toBe(15);
    });
  });

  it('startUpdate waiting for ACCEPTED returns while the handler still runs; result() then waits for the outcome', async () => {
    await withUpdateWorker(async (taskQueue) => {
      const handle = await env.client.workflow.start(counter, { taskQueue, workflowId: uniqueWorkflowId() });
      const upd = await handle.startUpdate(held, { args: ['a'], waitForStage: WorkflowUpdateStage.ACCEPTED });
      const types = await eventTypes(handle);
      expect(types).toContain('WORKFLOW_EXECUTION_UPDATE_ACCEPTED');
      expect(types).not.toContain('WORKFLOW_EXECUTION_UPDATE_COMPLETED');
      await handle.signal(release);
      expect(await upd.result()).toBe('released a');
      // Another client call polls the outcome by update id (PollWorkflowExecutionUpdate).
      expect(await handle.getUpdateHandle<string>(upd.updateId).result()).toBe('released a');
      await handle.terminate();
    });
  });

  it('a validator that throws rejects the update: the caller gets the error and the history gets no event', async () => {
    await withUpdateWorker(async (taskQueue) => {
      const handle = await env.client.workflow.start(counter, { taskQueue, workflowId: uniqueWorkflowId() });
      expect(await handle.executeUpdate(add, { args: [1] })).toBe(1);
      const before = await eventTypes(handle);
      const err = await rejection(handle.executeUpdate(add, { args: [-1] }));
      expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
      expect(err.cause).toBeInstanceOf(ApplicationFailure);
      expect(err.cause.message).toBe('cannot add -1: negative');
      expect(await eventTypes(handle)).toEqual(before);
      // The run goes on and takes the next update.
      expect(await handle.executeUpdate(add, { args: [2] })).toBe(3);
      expect(await handle.query(handlerRuns)).toBe(2);
      await handle.terminate();
    });
  });

  it('a handler that throws fails the update, not the workflow', async () => {
    await withUpdateWorker(async (taskQueue) => {
      const handle = await env.client.workflow.start(counter, { taskQueue, workflowId: uniqueWorkflowId() });
      const err = await rejection(handle.executeUpdate(broken, { args: ['on purpose'] }));
      expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
      expect(err.cause).toBeInstanceOf(ApplicationFailure);
      expect(err.cause.type).toBe('Broken');
      expect(err.cause.message).toBe('broken: on purpose');
      const history = await handle.fetchHistory();
      const completed = history.events!.find((e) => e.workflowExecutionUpdateCompletedEventAttributes)!;
      expect(completed.workflowExecutionUpdateCompletedEventAttributes!.outcome?.failure?.message).toBe('broken: on purpose');
      expect((await handle.describe()).status.name).toBe('RUNNING');
      expect(await handle.executeUpdate(add, { args: [4] })).toBe(4);
      await handle.signal(finish);
      expect(await handle.result()).toBe(4);
    });
  });

  it('the same update id gets the same outcome without running the handler again, also after the workflow completed', async () => {
    await withUpdateWorker(async (taskQueue) => {
      const handle = await env.client.workflow.start(counter, { taskQueue, workflowId: uniqueWorkflowId() });
      expect(await handle.executeUpdate(add, { args: [5], updateId: 'once' })).toBe(5);
      expect(await handle.executeUpdate(add, { args: [5], updateId: 'once' })).toBe(5);
      expect(await handle.query(handlerRuns)).toBe(1);
      expect(await handle.query(total)).toBe(5);
      await handle.signal(finish);
      expect(await handle.result()).toBe(5);
      expect(await handle.executeUpdate(add, { args: [5], updateId: 'once' })).toBe(5);
      expect(count(await eventTypes(handle), 'WORKFLOW_EXECUTION_UPDATE_ACCEPTED')).toBe(1);
    });
  });

  it('updates sent at once, some while a workflow task is running, are each applied once', async () => {
    await withUpdateWorker(async (taskQueue) => {
      const handle = await env.client.workflow.start(counter, { taskQueue, workflowId: uniqueWorkflowId() });
      const results = await Promise.all([1, 2, 3, 4, 5, 6].map(() => handle.executeUpdate(add, { args: [1] })));
      expect([...results].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6]);
      expect(await handle.query(handlerRuns)).toBe(6);
      const types = await eventTypes(handle);
      expect(count(types, 'WORKFLOW_EXECUTION_UPDATE_ACCEPTED')).toBe(6);
      expect(count(types, 'WORKFLOW_EXECUTION_UPDATE_COMPLETED')).toBe(6);
      await handle.terminate();
    });
  });

  it('a new update to a completed workflow fails with WorkflowNotFoundError', async () => {
    await withUpdateWorker(async (taskQueue) => {
      const handle = await env.client.workflow.start(counter, { taskQueue, workflowId: uniqueWorkflowId() });
      await handle.signal(finish);
      expect(await handle.result()).toBe(0);
      const err = await rejection(handle.executeUpdate(add, { args: [1] }));
      expect(err).toBeInstanceOf(WorkflowNotFoundError);
      expect(err.message).toContain('already completed');
    });
  });

  it('polling for the outcome of an update id the workflow never had fails with WorkflowNotFoundError', async () => {
    await withUpdateWorker(async (taskQueue) => {
      const handle = await env.client.workflow.start(counter, { taskQueue, workflowId: uniqueWorkflowId() });
      const err = await rejection(handle.getUpdateHandle('never-sent').result());
      expect(err).toBeInstanceOf(WorkflowNotFoundError);
      expect(err.message).toContain('never-sent');
      await handle.terminate();
    });
  });

  it('an update to an unknown workflow fails with WorkflowNotFoundError', async () => {
    const err = await rejection(env.client.workflow.getHandle(uniqueWorkflowId('missing')).executeUpdate(add, { args: [1] }));
    expect(err).toBeInstanceOf(WorkflowNotFoundError);
  });

  it('time skipping does not jump past an update waiting for its workflow task', async () => {
    const taskQueue = uniqueTaskQueue('updates');
    const workflowId = uniqueWorkflowId();
    const handle = await withUpdateWorker(async () => {
      const h = await env.client.workflow.start(dayTimer, { taskQueue, workflowId });
      await waitForEvent(h, 'TIMER_STARTED');
      return h;
    }, taskQueue);
    const startedAt = (await handle.describe()).startTime.getTime();
    // No worker now: the update waits, and so does time, though a sleep lets it skip.
    const peeked = handle.executeUpdate(peek);
    // The update's workflow task is scheduled (the second one of the run).
    await eventually(async () => expect(count(await eventTypes(handle), 'WORKFLOW_TASK_SCHEDULED')).toBe(2));
    const sleeping = env.sleep('2 days');
    // Nothing to wait for but the sleep reaching the server: a server that let time skip past
    // the waiting update would do it in this moment, and the timer would fire first.
    await new Promise((r) => setTimeout(r, 300));
    await withUpdateWorker(async () => {
      const seen = await peeked;
      expect(seen.fired).toBe(false);
      expect(seen.now - startedAt).toBeLessThan(24 * 3600_000);
      // Once the update is answered, time moves on: the sleep ends and the timer fires.
      await sleeping;
      expect(await handle.result()).toBe('timer fired');
    }, taskQueue);
  });
});

describe('update-with-start (ExecuteMultiOperation)', () => {
  it('starts the workflow and runs the update in it when no run exists', async () => {
    await withUpdateWorker(async (taskQueue) => {
      const workflowId = uniqueWorkflowId();
      const startWorkflowOperation = new WithStartWorkflowOperation(counter, { workflowId, taskQueue, args: [10], workflowIdConflictPolicy: 'FAIL' });
      expect(await env.client.workflow.executeUpdateWithStart(add, { args: [3], startWorkflowOperation })).toBe(13);
      const handle = await startWorkflowOperation.workflowHandle();
      expect(handle.workflowId).toBe(workflowId);
      const types = await eventTypes(handle);
      expect(types[0]).toBe('WORKFLOW_EXECUTION_STARTED');
      expect(types).toContain('WORKFLOW_EXECUTION_UPDATE_COMPLETED');
      await handle.signal(finish);
      expect(await handle.result()).toBe(13);
    });
  });

  it('with conflict policy USE_EXISTING runs the update in the running workflow', async () => {
    await withUpdateWorker(async (taskQueue) => {
      const workflowId = uniqueWorkflowId();
      const running = await env.client.workflow.start(counter, { taskQueue, workflowId, args: [100] });
      const startWorkflowOperation = new WithStartWorkflowOperation(counter, { workflowId, taskQueue, args: [0], workflowIdConflictPolicy: 'USE_EXISTING' });
      const upd = await env.client.workflow.startUpdateWithStart(add, { args: [1], startWorkflowOperation, waitForStage: WorkflowUpdateStage.ACCEPTED });
      expect(await upd.result()).toBe(101);
      expect(upd.workflowRunId).toBe(running.firstExecutionRunId);
      expect((await (await startWorkflowOperation.workflowHandle()).describe()).runId).toBe(running.firstExecutionRunId);
      await running.signal(finish);
      expect(await running.result()).toBe(101);
    });
  });

  it('with conflict policy FAIL on a running workflow fails with WorkflowExecutionAlreadyStartedError and runs no update', async () => {
    await withUpdateWorker(async (taskQueue) => {
      const workflowId = uniqueWorkflowId();
      const running = await env.client.workflow.start(counter, { taskQueue, workflowId });
      const startWorkflowOperation = new WithStartWorkflowOperation(counter, { workflowId, taskQueue, workflowIdConflictPolicy: 'FAIL' });
      const err = await rejection(env.client.workflow.executeUpdateWithStart(add, { args: [1], startWorkflowOperation }));
      expect(err).toBeInstanceOf(WorkflowExecutionAlreadyStartedError);
      expect(await rejection(startWorkflowOperation.workflowHandle())).toBeInstanceOf(WorkflowExecutionAlreadyStartedError);
      expect(await running.query(handlerRuns)).toBe(0);
      await running.terminate();
    });
  });
});

describe('capabilities', () => {
  it('the namespace says it takes synchronous and asynchronous updates', async () => {
    const res = await env.connection.workflowService.describeNamespace({ namespace: env.namespace ?? 'default' });
    expect(res.namespaceInfo?.capabilities?.syncUpdate).toBe(true);
    expect(res.namespaceInfo?.capabilities?.asyncUpdate).toBe(true);
  });
});
