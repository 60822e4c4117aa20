// Conformance: child workflows (results, failures, cancellation, parent close policies, id
// conflicts) and signalling / cancelling external workflows, driven only through the real SDK
// against a time-skipping environment.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure, ChildWorkflowFailure, TerminatedFailure } from '@temporalio/common';
import { createTimeSkippingEnv, uniqueTaskQueue, uniqueWorkflowId, withWorker } from '../support/temporal.ts';
import { ActivityProbe, createSemanticsActivities } from './fixtures/semantics-activities.ts';
import {
  blockUntilFinished,
  cancelExternal,
  childEcho,
  finishSignal,
  parentCancelsChild,
  parentLeavesChild,
  parentOfFailingChild,
  parentRunsChild,
  parentStartsDuplicateChild,
  signalExternal,
  waitForValue,
} from './fixtures/semantics-workflows.ts';
import { EventType, SEMANTICS_WORKFLOWS, historyEvents, ofType, rejectionOf, waitForEvent } from './fixtures/semantics-helpers.ts';

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await createTimeSkippingEnv();
});

afterAll(async () => {
  await env?.teardown();
});

async function withSemanticsWorker<T>(fn: (taskQueue: string) => Promise<T>): Promise<T> {
  const taskQueue = uniqueTaskQueue('children');
  const activities = createSemanticsActivities(new ActivityProbe());
  return withWorker(env, { taskQueue, workflowsPath: SEMANTICS_WORKFLOWS, activities }, () => fn(taskQueue));
}

describe('child workflows', () => {
  test('a parent starts a child and gets its result; the child knows its parent', async () => {
    await withSemanticsWorker(async (taskQueue) => {
      const parentId = uniqueWorkflowId('parent');
      const childId = uniqueWorkflowId('child');
      const out = await env.client.workflow.execute(parentRunsChild, { taskQueue, workflowId: parentId, args: [childId, 'lead-1'] });
      expect(out).toEqual({ text: 'child:lead-1', parentWorkflowId: parentId });

      const child = await env.client.workflow.getHandle(childId).describe();
      expect(child.status.name).toBe('COMPLETED');
      expect(child.parentExecution?.workflowId).toBe(parentId);
    });
  });

  test("a child's failure reaches the parent as a ChildWorkflowFailure carrying the child's ApplicationFailure", async () => {
    await withSemanticsWorker(async (taskQueue) => {
      const childId = uniqueWorkflowId('failing-child');
      const err = await rejectionOf(env.client.workflow.execute(parentOfFailingChild, { taskQueue, workflowId: uniqueWorkflowId('parent'), args: [childId] }));
      expect(err).toBeInstanceOf(WorkflowFailedError);
      expect(err.cause).toBeInstanceOf(ChildWorkflowFailure);
      const childFailure = err.cause as ChildWorkflowFailure;
      expect(childFailure.execution.workflowId).toBe(childId);
      expect(childFailure.workflowType).toBe('childFails');
      expect(childFailure.cause).toBeInstanceOf(ApplicationFailure);
      expect((childFailure.cause as ApplicationFailure).type).toBe('ChildBroke');
      expect(childFailure.cause!.message).toBe('child broke');
    });
  });

  test('cancelling the scope a child runs in cancels the child; the parent sees ChildWorkflowFailure(CancelledFailure)', async () => {
    await withSemanticsWorker(async (taskQueue) => {
      const childId = uniqueWorkflowId('cancelled-child');
      const err = await rejectionOf(env.client.workflow.execute(parentCancelsChild, { taskQueue, workflowId: uniqueWorkflowId('parent'), args: [childId] }));
      expect(err).toBeInstanceOf(WorkflowFailedError);
      expect(err.cause).toBeInstanceOf(ChildWorkflowFailure);
      expect(err.cause.cause).toBeInstanceOf(CancelledFailure);
      expect((await env.client.workflow.getHandle(childId).describe()).status.name).toBe('CANCELLED');
    });
  });

  test('parent close policy TERMINATE terminates a still-running child when the parent completes', async () => {
    await withSemanticsWorker(async (taskQueue) => {
      const childId = uniqueWorkflowId('terminated-child');
      await env.client.workflow.execute(parentLeavesChild, { taskQueue, workflowId: uniqueWorkflowId('parent'), args: [childId, 'TERMINATE'] });
      const err = await rejectionOf(env.client.workflow.getHandle(childId).result());
      expect(err).toBeInstanceOf(WorkflowFailedError);
      expect(err.cause).toBeInstanceOf(TerminatedFailure);
      expect((await env.client.workflow.getHandle(childId).describe()).status.name).toBe('TERMINATED');
    });
  });

  test('parent close policy ABANDON leaves the child running after the parent completes', async () => {
    await withSemanticsWorker(async (taskQueue) => {
      const childId = uniqueWorkflowId('abandoned-child');
      await env.client.workflow.execute(parentLeavesChild, { taskQueue, workflowId: uniqueWorkflowId('parent'), args: [childId, 'ABANDON'] });
      const child = env.client.workflow.getHandle(childId);
      await new Promise((r) => setTimeout(r, 300)); // room for a wrongly applied policy to act
      expect((await child.describe()).status.name).toBe('RUNNING');
      await child.signal(finishSignal);
      expect(await child.result()).toBe('finished');
    });
  });

  test('parent close policy REQUEST_CANCEL cancels the child when the parent completes', async () => {
    await withSemanticsWorker(async (taskQueue) => {
      const childId = uniqueWorkflowId('cancel-requested-child');
      await env.client.workflow.execute(parentLeavesChild, { taskQueue, workflowId: uniqueWorkflowId('parent'), args: [childId, 'REQUEST_CANCEL'] });
      const err = await rejectionOf(env.client.workflow.getHandle(childId).result());
      expect(err).toBeInstanceOf(WorkflowFailedError);
      expect(err.cause).toBeInstanceOf(CancelledFailure);
      expect((await env.client.workflow.getHandle(childId).describe()).status.name).toBe('CANCELLED');
    });
  });

  test('starting a child with the id of a running workflow fails in the parent with WorkflowExecutionAlreadyStartedError', async () => {
    await withSemanticsWorker(async (taskQueue) => {
      const takenId = uniqueWorkflowId('taken');
      const existing = await env.client.workflow.start(blockUntilFinished, { taskQueue, workflowId: takenId });
      const out = await env.client.workflow.execute(parentStartsDuplicateChild, { taskQueue, workflowId: uniqueWorkflowId('parent'), args: [takenId] });
      expect(out).toEqual({ error: 'WorkflowExecutionAlreadyStartedError', workflowId: takenId, workflowType: 'blockUntilFinished' });
      // The running workflow is untouched.
      expect((await existing.describe()).runId).toBe(existing.firstExecutionRunId);
      await existing.signal(finishSignal);
      expect(await existing.result()).toBe('finished');
    });
  });
});

describe('external workflows', () => {
  test('a workflow signals another workflow through getExternalWorkflowHandle().signal()', async () => {
    await withSemanticsWorker(async (taskQueue) => {
      const target = await env.client.workflow.start(waitForValue, { taskQueue, workflowId: uniqueWorkflowId('target') });
      const sender = await env.client.workflow.start(signalExternal, { taskQueue, workflowId: uniqueWorkflowId('sender'), args: [target.workflowId, 'hot lead'] });
      expect(await sender.result()).toBe('signalled');
      expect(await target.result()).toBe('hot lead');

      const signalled = ofType(await historyEvents(target), EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED);
      expect(signalled).toHaveLength(1);
      expect(signalled[0]!.workflowExecutionSignaledEventAttributes!.externalWorkflowExecution?.workflowId).toBe(sender.workflowId);
      expect(ofType(await historyEvents(sender), EventType.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_SIGNALED)).toHaveLength(1);
    });
  });

  test('a workflow cancels another workflow through getExternalWorkflowHandle().cancel()', async () => {
    await withSemanticsWorker(async (taskQueue) => {
      const target = await env.client.workflow.start(blockUntilFinished, { taskQueue, workflowId: uniqueWorkflowId('target') });
      await waitForEvent(target, EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED);
      const canceller = await env.client.workflow.start(cancelExternal, { taskQueue, workflowId: uniqueWorkflowId('canceller'), args: [target.workflowId] });
      expect(await canceller.result()).toBe('cancel-requested');

      const err = await rejectionOf(target.result());
      expect(err).toBeInstanceOf(WorkflowFailedError);
      expect(err.cause).toBeInstanceOf(CancelledFailure);
      expect((await target.describe()).status.name).toBe('CANCELLED');
    });
  });

  test('signalling a workflow that does not exist fails in the sending workflow', async () => {
    await withSemanticsWorker(async (taskQueue) => {
      const sender = await env.client.workflow.start(signalExternal, {
        taskQueue,
        workflowId: uniqueWorkflowId('sender'),
        args: [uniqueWorkflowId('missing'), 'anyone there?'],
      });
      const err = await rejectionOf(sender.result());
      expect(err).toBeInstanceOf(WorkflowFailedError);
      expect(err.cause).toBeInstanceOf(ApplicationFailure);
      expect(err.cause.message).toMatch(/not found/);
      expect(ofType(await historyEvents(sender), EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED)).toHaveLength(1);
    });
  });

  test('signalling a workflow that has already completed fails in the sending workflow', async () => {
    await withSemanticsWorker(async (taskQueue) => {
      const targetId = uniqueWorkflowId('completed-target');
      await env.client.workflow.execute(childEcho, { taskQueue, workflowId: targetId, args: ['done'] });
      const sender = await env.client.workflow.start(signalExternal, { taskQueue, workflowId: uniqueWorkflowId('sender'), args: [targetId, 'too late'] });
      const err = await rejectionOf(sender.result());
      expect(err).toBeInstanceOf(WorkflowFailedError);
      expect(err.cause).toBeInstanceOf(ApplicationFailure);
      expect(err.cause.message).toMatch(/not found/);
      expect(ofType(await historyEvents(env.client.workflow.getHandle(targetId)), EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED)).toHaveLength(0);
    });
  });

  test('cancelling a workflow that does not exist fails in the requesting workflow', async () => {
    await withSemanticsWorker(async (taskQueue) => {
      const canceller = await env.client.workflow.start(cancelExternal, {
        taskQueue,
        workflowId: uniqueWorkflowId('canceller'),
        args: [uniqueWorkflowId('missing')],
      });
      const err = await rejectionOf(canceller.result());
      expect(err).toBeInstanceOf(WorkflowFailedError);
      expect(err.cause).toBeInstanceOf(ApplicationFailure);
      expect(err.cause.message).toMatch(/not found/);
      expect(ofType(await historyEvents(canceller), EventType.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED)).toHaveLength(1);
    });
  });
});
