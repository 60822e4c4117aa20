// Schedules on the dev server with --db-filename: they survive a restart (SIGKILL, as the SDK
// tears the server down), keep firing after it, and catch up on the time the server was down
// within their catch-up window; older times count as missed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ScheduleNotFoundError, ScheduleOverlapPolicy, type WorkflowExecutionInfo } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createLocalEnv, uniqueTaskQueue, uniqueWorkflowId } from '../support/temporal.ts';
import { eventually } from '../support/eventually.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'temporal-offline-schedules-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function runsOf(env: TestWorkflowEnvironment, scheduleId: string): Promise<WorkflowExecutionInfo[]> {
  const out = [];
  for await (const wf of env.client.workflow.list({ query: `TemporalScheduledById = '${scheduleId}'` })) out.push(wf);
  return out;
}

const nominalOf = (wf: WorkflowExecutionInfo) => new Date((wf.searchAttributes as Record<string, unknown[]>).TemporalScheduledStartTime![0] as Date).getTime();

describe('schedules with --db-filename', () => {
  it('survive a restart, catch up within the catch-up window and keep firing', async () => {
    const dbFilename = path.join(dir, 'schedules.db');
    const taskQueue = uniqueTaskQueue();
    const firing = uniqueWorkflowId('sched');
    const paused = uniqueWorkflowId('sched');
    const deleted = uniqueWorkflowId('sched');
    const action = (id: string) => ({ type: 'startWorkflow' as const, workflowType: 'quick', taskQueue, workflowId: `${id}-wf` });

    const first = await createLocalEnv({ dbFilename });
    let before: number;
    let downAt: number;
    try {
      await first.client.schedule.create({
        scheduleId: firing,
        spec: { intervals: [{ every: 2000 }] },
        policies: { overlap: ScheduleOverlapPolicy.ALLOW_ALL, catchupWindow: 10_000 },
        action: action(firing),
        memo: { kept: true },
      });
      await first.client.schedule.create({ scheduleId: paused, spec: { intervals: [{ every: 1000 }] }, state: { paused: true, note: 'on hold' }, action: action(paused) });
      const gone = await first.client.schedule.create({ scheduleId: deleted, spec: { intervals: [{ every: 1000 }] }, action: action(deleted) });
      await gone.delete();
      before = (await eventually(async () => {
        const r = await runsOf(first, firing);
        return r.length >= 2 ? r : undefined;
      }, 'two runs before the restart')).length;
    } finally {
      downAt = Date.now();
      await first.teardown(); // SIGKILL
    }

    // Down for 16 s: the last 10 s of its times are within the catch-up window, the earlier ones are not.
    await new Promise((r) => setTimeout(r, 16_000));
    const second = await createLocalEnv({ dbFilename });
    try {
      const upAt = Date.now();
      const h = second.client.schedule.getHandle(firing);
      const d = await h.describe();
      expect(d.spec.intervals!.map((i) => i.every)).toEqual([2000]);
      expect(d.memo).toEqual({ kept: true });
      expect(d.policies).toMatchObject({ overlap: ScheduleOverlapPolicy.ALLOW_ALL, catchupWindow: 10_000 });
      expect(d.info.numActionsTaken).toBeGreaterThanOrEqual(before);
      expect(d.info.numActionsMissedCatchupWindow).toBeGreaterThanOrEqual(2);
      const runs = await runsOf(second, firing);
      // Times from while it was down, started on the restart: only the last 10 s of them.
      const caughtUp = runs.filter((w) => nominalOf(w) > downAt && nominalOf(w) < upAt);
      expect(caughtUp.length).toBeGreaterThanOrEqual(3);
      for (const w of caughtUp) expect(nominalOf(w)).toBeGreaterThanOrEqual(upAt - 10_000 - 2000);
      // And it keeps firing.
      await eventually(async () => (await runsOf(second, firing)).some((w) => nominalOf(w) > upAt + 2000), 'a run after the restart');

      expect((await second.client.schedule.getHandle(paused).describe()).state).toMatchObject({ paused: true, note: 'on hold' });
      expect(await runsOf(second, paused)).toEqual([]);
      await expect(second.client.schedule.getHandle(deleted).describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
      const listed = [];
      for await (const s of second.client.schedule.list()) listed.push(s.scheduleId);
      expect(listed.sort()).toEqual([firing, paused].sort());
    } finally {
      await second.teardown();
    }
  }, 90_000);
});
