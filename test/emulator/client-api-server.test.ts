// Conformance: system info, namespaces, describe of a retrying activity, and robustness against bad
// calls, driven only through the real SDK against a dev-server (real time) environment started with
// an extra namespace.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Client, WorkflowNotFoundError } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { createLocalEnv, uniqueTaskQueue, uniqueWorkflowId, usingOfficialServer, withWorker, workflowBundle } from '../support/temporal.ts';
import { CLIENT_WORKFLOWS, eventually, expectGrpcCode, GrpcStatus, rejection } from './client-helpers.ts';

const OTHER = 'other';
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await createLocalEnv({ extraArgs: ['--namespace', OTHER] });
});

afterAll(async () => {
  await env?.teardown();
});

const activities = {
  async alwaysFails(): Promise<void> {
    throw new Error('boom');
  },
};

function withClientWorker<T>(fn: (taskQueue: string) => Promise<T>): Promise<T> {
  const taskQueue = uniqueTaskQueue('client-server');
  return withWorker(env, { taskQueue, workflowsPath: CLIENT_WORKFLOWS, activities }, () => fn(taskQueue));
}

/** The server still runs a workflow end to end. */
async function expectServerStillWorks() {
  await withClientWorker(async (taskQueue) => {
    expect(await env.client.workflow.execute('echo', { taskQueue, workflowId: uniqueWorkflowId('alive'), args: ['still here'] })).toBe('still here');
  });
}

const tsMs = (ts: { seconds?: unknown; nanos?: number | null } | null | undefined) =>
  ts ? Number(ts.seconds ?? 0) * 1000 + Math.floor((ts.nanos ?? 0) / 1e6) : undefined;

describe('system info and namespaces', () => {
  it('GetSystemInfo reports a server version and the capabilities the SDK relies on', async () => {
    const info = await env.connection.workflowService.getSystemInfo({});
    expect(typeof info.serverVersion).toBe('string');
    expect(info.serverVersion!.length).toBeGreaterThan(0);
    expect(info.capabilities?.signalAndQueryHeader).toBe(true);
    expect(info.capabilities?.internalErrorDifferentiation).toBe(true);
    expect(info.capabilities?.encodedFailureAttributes).toBe(true);
    expect(info.capabilities?.sdkMetadata).toBe(true);
  });

  it('describes the default namespace as registered, with an id', async () => {
    const res = await env.connection.workflowService.describeNamespace({ namespace: 'default' });
    expect(res.namespaceInfo?.name).toBe('default');
    expect(res.namespaceInfo?.state).toBe(1 /* NAMESPACE_STATE_REGISTERED */);
    expect(res.namespaceInfo?.id).toBeTruthy();
  });

  it('describes a namespace created with --namespace, distinct from default', async () => {
    const other = await env.connection.workflowService.describeNamespace({ namespace: OTHER });
    const def = await env.connection.workflowService.describeNamespace({ namespace: 'default' });
    expect(other.namespaceInfo?.name).toBe(OTHER);
    expect(other.namespaceInfo?.state).toBe(1 /* NAMESPACE_STATE_REGISTERED */);
    expect(other.namespaceInfo?.id).toBeTruthy();
    expect(other.namespaceInfo?.id).not.toBe(def.namespaceInfo?.id);
    // Describe by id finds the same namespace.
    const byId = await env.connection.workflowService.describeNamespace({ id: other.namespaceInfo!.id! });
    expect(byId.namespaceInfo?.name).toBe(OTHER);
  });

  it('lists both the default namespace and the one created with --namespace', async () => {
    const res = await env.connection.workflowService.listNamespaces({ pageSize: 100 });
    const names = (res.namespaces ?? []).map((n) => n.namespaceInfo?.name);
    expect(names).toContain('default');
    expect(names).toContain(OTHER);
  });

  it('rejects describing an unknown namespace with NOT_FOUND', async () => {
    await expectGrpcCode(env.connection.workflowService.describeNamespace({ namespace: 'no-such-namespace' }), GrpcStatus.NOT_FOUND);
  });

  it('runs workflows in the extra namespace, invisible from default', async () => {
    const taskQueue = uniqueTaskQueue('other-ns');
    const workflowId = uniqueWorkflowId('other-ns');
    const client = new Client({ connection: env.connection, namespace: OTHER });
    const worker = await Worker.create({
      connection: env.nativeConnection,
      namespace: OTHER,
      taskQueue,
      workflowBundle: await workflowBundle(CLIENT_WORKFLOWS),
    });
    await worker.runUntil(async () => {
      expect(await client.workflow.execute('echo', { taskQueue, workflowId, args: ['in other'] })).toBe('in other');
    });
    expect((await client.workflow.getHandle(workflowId).describe()).status.name).toBe('COMPLETED');
    const err = await rejection(env.client.workflow.getHandle(workflowId).describe());
    expect(err).toBeInstanceOf(WorkflowNotFoundError);
  });
});

describe('describe: pending activity of a retrying activity', () => {
  it('shows attempt, lastFailure and nextAttemptScheduleTime while an activity waits between retries', async () => {
    await withClientWorker(async (taskQueue) => {
      const handle = await env.client.workflow.start('retryingActivity', { taskQueue, workflowId: uniqueWorkflowId() });
      try {
        // After the first failure the activity waits 2 s for attempt 2.
        const pending = await eventually(async () => {
          const desc = await handle.describe();
          const act = desc.raw.pendingActivities?.[0];
          expect(act?.lastFailure?.message).toBe('boom');
          return act!;
        }, 5000);
        const observedAt = Date.now();
        expect(pending.activityType?.name).toBe('alwaysFails');
        expect(pending.state).toBe(1 /* PENDING_ACTIVITY_STATE_SCHEDULED */);
        expect(pending.attempt).toBe(2);
        const next = tsMs(pending.nextAttemptScheduleTime);
        expect(next).toBeDefined();
        expect(next!).toBeGreaterThan(observedAt - 500);
        expect(next!).toBeLessThanOrEqual(observedAt + 2500);

        // The retries go on: a later failure bumps the attempt.
        const later = await eventually(async () => {
          const act = (await handle.describe()).raw.pendingActivities?.[0];
          expect(act?.attempt).toBeGreaterThanOrEqual(3);
          return act!;
        }, 6000, 200);
        expect(later.lastFailure?.message).toBe('boom');
        expect((await handle.describe()).status.name).toBe('RUNNING');
      } finally {
        await handle.terminate();
      }
      expect((await handle.describe()).raw.pendingActivities ?? []).toHaveLength(0);
    });
  });
});

describe('robustness against bad calls', () => {
  it('rejects RespondActivityTaskCompleted with a garbage task token as INVALID_ARGUMENT and keeps serving', async () => {
    await expectGrpcCode(
      env.connection.workflowService.respondActivityTaskCompleted({ taskToken: Buffer.from('junk'), namespace: 'default' }),
      GrpcStatus.INVALID_ARGUMENT,
    );
    await expectServerStillWorks();
  });

  it('rejects RespondWorkflowTaskCompleted with a garbage task token as INVALID_ARGUMENT and keeps serving', async () => {
    await expectGrpcCode(
      env.connection.workflowService.respondWorkflowTaskCompleted({ taskToken: Buffer.from([0xff, 0x00, 0x13, 0x37]), namespace: 'default', commands: [] }),
      GrpcStatus.INVALID_ARGUMENT,
    );
    await expectServerStillWorks();
  });

  it('rejects signalling an unknown workflow id with WorkflowNotFoundError and keeps serving', async () => {
    const err = await rejection(env.client.workflow.getHandle(uniqueWorkflowId('missing')).signal('push', 'x'));
    expect(err).toBeInstanceOf(WorkflowNotFoundError);
    await expectServerStillWorks();
  });

  it('answers an RPC outside the supported surface (ListBatchOperations) with UNIMPLEMENTED and keeps serving', async () => {
    const call = env.connection.workflowService.listBatchOperations({ namespace: 'default', pageSize: 10 });
    if (usingOfficialServer) {
      // The official server implements batch operations; it must simply answer.
      await call;
    } else {
      await expectGrpcCode(call, GrpcStatus.UNIMPLEMENTED);
    }
    await expectServerStillWorks();
  });

  it('answers UpdateWorkflowExecution for an unknown workflow with NOT_FOUND and keeps serving', async () => {
    const call = env.connection.workflowService.updateWorkflowExecution({
      namespace: 'default',
      workflowExecution: { workflowId: uniqueWorkflowId('missing') },
      request: { meta: { updateId: 'u1' }, input: { name: 'nothing' } },
    });
    await expectGrpcCode(call, GrpcStatus.NOT_FOUND);
    await expectServerStillWorks();
  });
});
