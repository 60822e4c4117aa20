import { test, expect } from 'vitest';
import { createTimeSkippingEnv, withWorker, uniqueTaskQueue, uniqueWorkflowId } from '../support/temporal.ts';
import { fileURLToPath } from 'node:url';
const wf = '/work/main/test/emulator/fixtures/workflows.ts';
test('smoke', async () => {
  const env = await createTimeSkippingEnv();
  try {
    const taskQueue = uniqueTaskQueue();
    const t0 = Date.now();
    await withWorker(env, { taskQueue, workflowsPath: wf, activities: { greet: async (n: string) => `hi ${n}` } }, async () => {
      const r = await env.client.workflow.execute('smoke', { taskQueue, workflowId: uniqueWorkflowId(), args: ['bob'] });
      expect(r).toBe('hi bob');
      console.log('smoke took', Date.now() - t0);
      const h = await env.client.workflow.start('counter', { taskQueue, workflowId: uniqueWorkflowId() });
      await h.signal('add', 3);
      expect(await h.query('total')).toBe(3);
      await h.signal('add', 7);
      expect(await h.result()).toBe(10);
    });
  } finally { await env.teardown(); }
}, 60000);
