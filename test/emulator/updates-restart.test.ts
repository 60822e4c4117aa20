// Conformance: workflow updates survive a restart of the dev server with --db-filename (the
// journal): an accepted update is completed after it, and a completed one stays deduplicated.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WorkflowUpdateStage } from '@temporalio/client';
import { createLocalEnv, uniqueTaskQueue, uniqueWorkflowId, withWorker } from '../support/temporal.ts';
import { eventTypes } from './client-helpers.ts';
import { add, counter, finish, handlerRuns, held, release } from './fixtures/update-workflows.ts';

const workflowsPath = new URL('./fixtures/update-workflows.ts', import.meta.url).pathname;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'temporal-offline-updates-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('workflow updates across a dev server restart', () => {
  it('completes an update accepted before the restart, and answers a completed one again without running it', async () => {
    const dbFilename = path.join(dir, 'updates.db');
    const taskQueue = uniqueTaskQueue();
    const workflowId = uniqueWorkflowId();
    let heldId = '';

    const first = await createLocalEnv({ dbFilename });
    try {
      await withWorker(first, { taskQueue, workflowsPath }, async () => {
        const handle = await first.client.workflow.start(counter, { taskQueue, workflowId });
        expect(await handle.executeUpdate(add, { args: [7], updateId: 'before-restart' })).toBe(7);
        // A rejection before the restart: the journal must not keep events the history took back.
        await expect(handle.executeUpdate(add, { args: [-1] })).rejects.toThrow();
        const upd = await handle.startUpdate(held, { args: ['x'], waitForStage: WorkflowUpdateStage.ACCEPTED });
        heldId = upd.updateId;
      });
    } finally {
      await first.teardown(); // SIGKILL
    }

    const second = await createLocalEnv({ dbFilename });
    try {
      const handle = second.client.workflow.getHandle(workflowId);
      await withWorker(second, { taskQueue, workflowsPath }, async () => {
        const heldResult = handle.getUpdateHandle<string>(heldId).result();
        await handle.signal(release);
        expect(await heldResult).toBe('released x');
        expect(await handle.executeUpdate(add, { args: [7], updateId: 'before-restart' })).toBe(7);
        expect(await handle.query(handlerRuns)).toBe(1);
        await handle.signal(finish);
        expect(await handle.result()).toBe(7);
      });
      const types = await eventTypes(handle);
      expect(types.filter((t) => t === 'WORKFLOW_EXECUTION_UPDATE_ACCEPTED')).toHaveLength(2);
      expect(types.filter((t) => t === 'WORKFLOW_EXECUTION_UPDATE_COMPLETED')).toHaveLength(2);
    } finally {
      await second.teardown();
    }
  });
});
