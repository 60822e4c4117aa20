import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLocalEnv, uniqueTaskQueue, uniqueWorkflowId, withWorker } from '../support/temporal.ts';

const workflowsPath = new URL('./fixtures/restart-workflows.ts', import.meta.url).pathname;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'temporal-offline-db-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('dev server with --db-filename', () => {
  it('keeps a workflow, its signal and its pending timer across a server restart', async () => {
    const dbFilename = path.join(dir, 'restart.db');
    const taskQueue = uniqueTaskQueue();
    const workflowId = uniqueWorkflowId();
    let timerStartedAt = 0;

    const first = await createLocalEnv({ dbFilename });
    try {
      await withWorker(first, { taskQueue, workflowsPath }, async () => {
        const handle = await first.client.workflow.start('sleepyAfterSignal', { taskQueue, workflowId, args: [2500] });
        await handle.signal('proceed', 'hello');
        // Wait until the worker has started the 2.5 s timer.
        for (;;) {
          const history = await handle.fetchHistory();
          if (history.events?.some((e) => e.timerStartedEventAttributes)) break;
          await new Promise((r) => setTimeout(r, 50));
        }
        timerStartedAt = Date.now();
      });
    } finally {
      await first.teardown(); // SIGKILL: nothing gets a chance to shut down cleanly
    }
    // It holds every workflow's payloads: no other local user may read it.
    expect(fs.statSync(dbFilename).mode & 0o077).toBe(0);

    const second = await createLocalEnv({ dbFilename });
    try {
      const handle = second.client.workflow.getHandle(workflowId);
      const before = await handle.describe();
      expect(before.status.name).toBe('RUNNING');
      await withWorker(second, { taskQueue, workflowsPath }, async () => {
        expect(await handle.result()).toBe('hello after 2500');
      });
      // The timer fired at its original due time, not 2.5 s after the restart nor at once.
      expect(Date.now() - timerStartedAt).toBeGreaterThanOrEqual(2400);
      const history = await handle.fetchHistory();
      const types = history.events!.map((e) => Object.keys(e).find((k) => k.endsWith('EventAttributes')));
      expect(types[0]).toBe('workflowExecutionStartedEventAttributes');
      expect(types).toContain('workflowExecutionSignaledEventAttributes');
      expect(types).toContain('timerFiredEventAttributes');
      expect(types.at(-1)).toBe('workflowExecutionCompletedEventAttributes');
    } finally {
      await second.teardown();
    }
  });

  it('hands a workflow task queued before the restart to a worker that connects after it', async () => {
    const dbFilename = path.join(dir, 'queued.db');
    const taskQueue = uniqueTaskQueue();
    const workflowId = uniqueWorkflowId();
    const first = await createLocalEnv({ dbFilename });
    try {
      const handle = await first.client.workflow.start('sleepyAfterSignal', { taskQueue, workflowId, args: [10] });
      await handle.signal('proceed', 'queued');
    } finally {
      await first.teardown();
    }
    const second = await createLocalEnv({ dbFilename });
    try {
      await withWorker(second, { taskQueue, workflowsPath }, async () => {
        expect(await second.client.workflow.getHandle(workflowId).result()).toBe('queued after 10');
      });
      const listed = [];
      for await (const wf of second.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) listed.push(wf);
      expect(listed.map((w) => w.status.name)).toEqual(['COMPLETED']);
    } finally {
      await second.teardown();
    }
  });

  it('keeps nothing without --db-filename', async () => {
    const taskQueue = uniqueTaskQueue();
    const workflowId = uniqueWorkflowId();
    const first = await createLocalEnv();
    await first.client.workflow.start('sleepyAfterSignal', { taskQueue, workflowId, args: [10] });
    await first.teardown();
    const second = await createLocalEnv();
    try {
      await expect(second.client.workflow.getHandle(workflowId).describe()).rejects.toThrow(/not found/i);
    } finally {
      await second.teardown();
    }
  });
});
