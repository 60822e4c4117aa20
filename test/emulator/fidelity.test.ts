// Conformance: behaviours where the offline server follows what the official server reports,
// driven only through the real SDK against a time-skipping environment.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, TimeoutFailure } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { createTimeSkippingEnv, uniqueTaskQueue, uniqueWorkflowId, withWorker, workflowBundle } from '../support/temporal.ts';
import { eventually } from './client-helpers.ts';
import { ActivityProbe, createSemanticsActivities } from './fixtures/semantics-activities.ts';
import { runActivity } from './fixtures/semantics-workflows.ts';
import { SEMANTICS_WORKFLOWS, rejectionOf } from './fixtures/semantics-helpers.ts';

const TaskQueueType = temporal.api.enums.v1.TaskQueueType;

let env: TestWorkflowEnvironment;
let namespace: string;

beforeAll(async () => {
  // As on the official server, ShutdownWorker completes polls only with this setting.
  env = await createTimeSkippingEnv({ extraArgs: ['--dynamic-config-value', 'frontend.enableCancelWorkerPollsOnShutdown=true'] });
  namespace = env.namespace ?? 'default';
});

afterAll(async () => {
  await env?.teardown();
});

describe('activity timeouts', () => {
  test('an activity no worker picks up, given only a schedule-to-close timeout, times out as SCHEDULE_TO_START', async () => {
    // The official server fills a missing schedule-to-start timeout in from schedule-to-close;
    // of two timeouts due at the same moment it reports schedule-to-start.
    const taskQueue = uniqueTaskQueue('fidelity');
    const probe = new ActivityProbe();
    await withWorker(env, { taskQueue, workflowsPath: SEMANTICS_WORKFLOWS, activities: createSemanticsActivities(probe) }, async () => {
      const err = await rejectionOf(
        env.client.workflow.execute(runActivity, {
          taskQueue,
          workflowId: uniqueWorkflowId('fidelity'),
          args: [{ activity: 'hang', args: [10], options: { taskQueue: uniqueTaskQueue('nobody-polls'), scheduleToCloseTimeout: '1s' } }],
        }),
      );
      expect(err).toBeInstanceOf(WorkflowFailedError);
      const failure = err.cause as ActivityFailure;
      expect(failure).toBeInstanceOf(ActivityFailure);
      expect(failure.retryState).toBe('TIMEOUT');
      expect(failure.cause).toBeInstanceOf(TimeoutFailure);
      expect((failure.cause as TimeoutFailure).timeoutType).toBe('SCHEDULE_TO_START');
      expect(probe.calls('hang')).toBe(0);
    });
  });
});

describe('worker shutdown', () => {
  /** The identities polling a task queue, as DescribeTaskQueue lists them. */
  async function pollers(taskQueue: string, type: number): Promise<string[]> {
    const res = await env.client.workflowService.describeTaskQueue({ namespace, taskQueue: { name: taskQueue }, taskQueueType: type });
    return (res.pollers ?? []).map((p) => p.identity ?? '');
  }

  test('DescribeNamespace reports the workerPollCompleteOnShutdown capability with frontend.enableCancelWorkerPollsOnShutdown, and not without', async () => {
    const res = await env.client.workflowService.describeNamespace({ namespace });
    expect(res.namespaceInfo?.capabilities?.workerPollCompleteOnShutdown).toBe(true);
    const plain = await createTimeSkippingEnv();
    try {
      const off = await plain.client.workflowService.describeNamespace({ namespace: plain.namespace ?? 'default' });
      expect(off.namespaceInfo?.capabilities?.workerPollCompleteOnShutdown ?? false).toBe(false);
    } finally {
      await plain.teardown();
    }
  });

  test("ShutdownWorker answers that worker's waiting polls on its task queue with empty responses, and only that worker's", async () => {
    const svc = env.client.workflowService;
    const taskQueue = uniqueTaskQueue('shutdown');
    const poll = (identity: string, workerInstanceKey: string) => ({ namespace, taskQueue: { name: taskQueue }, identity, workerInstanceKey });
    const leavingWf = svc.pollWorkflowTaskQueue(poll('leaving', 'key-leaving'));
    const leavingAct = svc.pollActivityTaskQueue(poll('leaving', 'key-leaving'));
    const staying = svc.pollWorkflowTaskQueue(poll('staying', 'key-staying'));
    await eventually(async () => {
      expect(await pollers(taskQueue, TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW)).toEqual(expect.arrayContaining(['leaving', 'staying']));
      expect(await pollers(taskQueue, TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY)).toContain('leaving');
    });

    const t0 = Date.now();
    await svc.shutdownWorker({ namespace, identity: 'leaving', workerInstanceKey: 'key-leaving', taskQueue, stickyTaskQueue: '' });
    const [wf, act] = await Promise.all([leavingWf, leavingAct]);
    // Long polls otherwise wait up to a minute.
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(wf.taskToken?.length ?? 0).toBe(0);
    expect(act.taskToken?.length ?? 0).toBe(0);
    expect(await pollers(taskQueue, TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW)).not.toContain('leaving');

    // The other worker's poll still waits, and gets the next task.
    await env.client.workflow.start('someWorkflow', { taskQueue, workflowId: uniqueWorkflowId('shutdown') });
    const task = await staying;
    expect(task.workflowType?.name).toBe('someWorkflow');
  });

  test('a poll from a worker that has just shut down is answered empty at once, even with a task waiting', async () => {
    const svc = env.client.workflowService;
    const taskQueue = uniqueTaskQueue('shutdown');
    await svc.shutdownWorker({ namespace, identity: 'gone', workerInstanceKey: 'key-gone', taskQueue, stickyTaskQueue: '' });
    await env.client.workflow.start('someWorkflow', { taskQueue, workflowId: uniqueWorkflowId('shutdown') });
    const late = await svc.pollWorkflowTaskQueue({ namespace, taskQueue: { name: taskQueue }, identity: 'gone', workerInstanceKey: 'key-gone' });
    expect(late.taskToken?.length ?? 0).toBe(0);
    const other = await svc.pollWorkflowTaskQueue({ namespace, taskQueue: { name: taskQueue }, identity: 'new', workerInstanceKey: 'key-new' });
    expect(other.workflowType?.name).toBe('someWorkflow');
  });

  test('an SDK worker, told the server completes its polls, shuts down promptly', async () => {
    const taskQueue = uniqueTaskQueue('shutdown');
    const worker = await Worker.create({
      connection: env.nativeConnection,
      namespace,
      taskQueue,
      workflowBundle: await workflowBundle(SEMANTICS_WORKFLOWS),
      activities: createSemanticsActivities(new ActivityProbe()),
    });
    const running = worker.run();
    await eventually(async () => {
      expect((await pollers(taskQueue, TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW)).length).toBeGreaterThan(0);
      expect((await pollers(taskQueue, TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY)).length).toBeGreaterThan(0);
    }, 10_000);
    const t0 = Date.now();
    worker.shutdown();
    await running;
    expect(Date.now() - t0).toBeLessThan(10_000);
  }, 90_000);
});
