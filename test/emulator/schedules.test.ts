// Schedules through the real SDK (client.schedule.*) on the time-skipping server: every
// schedule operation, each overlap policy, time zones across a DST change, jitter, start and
// end times, and what the started workflows carry.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy, type ScheduleHandle, type ScheduleOptions, type WorkflowExecutionInfo } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import Long from 'long';
import { createTimeSkippingEnv, uniqueTaskQueue, uniqueWorkflowId, workflowBundle } from '../support/temporal.ts';
import { eventually } from '../support/eventually.ts';

const workflowsPath = new URL('./fixtures/schedule-workflows.ts', import.meta.url).pathname;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
const taskQueue = uniqueTaskQueue('schedules');

beforeAll(async () => {
  env = await createTimeSkippingEnv();
  worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: await workflowBundle(workflowsPath) });
  running = worker.run();
}, 60_000);

afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
});

const handles: ScheduleHandle[] = [];

/** Creates a schedule that starts `workflowType` on the suite's task queue; deleted after the test. */
async function create(opts: Partial<ScheduleOptions> & { spec: ScheduleOptions['spec']; workflowType?: string; args?: unknown[] }) {
  const { workflowType = 'quick', args = [], ...rest } = opts;
  const scheduleId = uniqueWorkflowId('sched');
  const handle = await env.client.schedule.create({
    scheduleId,
    action: { type: 'startWorkflow', workflowType, taskQueue, args, workflowId: `${scheduleId}-wf` },
    ...rest,
  } as ScheduleOptions);
  handles.push(handle);
  return handle;
}

async function cleanup() {
  for (const h of handles.splice(0)) await h.delete().catch(() => {});
}

/** The runs a schedule started, oldest first, as visibility lists them. */
async function runsOf(scheduleId: string) {
  const out = [];
  for await (const wf of env.client.workflow.list({ query: `TemporalScheduledById = '${scheduleId}'` })) out.push(wf);
  return out.sort((a, b) => a.startTime.getTime() - b.startTime.getTime());
}

/** The nominal time the server stamped on a run it started. */
function nominalOf(wf: WorkflowExecutionInfo): number {
  return new Date((wf.searchAttributes as Record<string, unknown[]>).TemporalScheduledStartTime![0] as string | Date).getTime();
}

/** Time of the server's clock. */
const now = () => env.currentTimeMs();

describe('schedule operations', () => {
  it('creates a schedule and describes its spec, policies, state, memo, search attributes and next times', async () => {
    try {
      const h = await create({
        spec: { calendars: [{ hour: 9, minute: 30, dayOfWeek: ['MONDAY', 'WEDNESDAY'], comment: 'standup' }], timezone: 'Europe/Paris' },
        policies: { overlap: ScheduleOverlapPolicy.BUFFER_ONE, catchupWindow: 5 * MINUTE, pauseOnFailure: true },
        state: { note: 'created by the test' },
        memo: { owner: 'ops' },
        searchAttributes: { CustomKeywordField: ['nightly'] },
      });
      const d = await h.describe();
      expect(d.spec.calendars).toHaveLength(1);
      expect(d.spec.calendars![0]).toMatchObject({ hour: [{ start: 9, end: 9, step: 1 }], minute: [{ start: 30, end: 30, step: 1 }], comment: 'standup' });
      expect(d.spec.timezone).toBe('Europe/Paris');
      expect(d.policies).toEqual({ overlap: ScheduleOverlapPolicy.BUFFER_ONE, catchupWindow: 5 * MINUTE, pauseOnFailure: true });
      expect(d.state).toMatchObject({ paused: false, note: 'created by the test' });
      expect(d.memo).toEqual({ owner: 'ops' });
      expect(d.searchAttributes.CustomKeywordField).toEqual(['nightly']);
      expect(d.action).toMatchObject({ type: 'startWorkflow', workflowType: 'quick', taskQueue });
      expect(Math.abs(d.info.createdAt.getTime() - (await now()))).toBeLessThan(5000);
      // Ten next times, each 9:30 in Paris on a Monday or a Wednesday.
      expect(d.info.nextActionTimes).toHaveLength(10);
      const fmt = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Paris', weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
      for (const t of d.info.nextActionTimes) expect(['Mon 09:30', 'Wed 09:30']).toContain(fmt.format(t).replace(',', ''));
      expect(d.info.numActionsTaken).toBe(0);
    } finally {
      await cleanup();
    }
  });

  it('answers ScheduleAlreadyRunning for an id in use, ScheduleNotFoundError for an unknown one, and TypeError for a bad spec', async () => {
    try {
      const h = await create({ spec: { intervals: [{ every: HOUR }] } });
      await expect(
        env.client.schedule.create({ scheduleId: h.scheduleId, spec: { intervals: [{ every: HOUR }] }, action: { type: 'startWorkflow', workflowType: 'quick', taskQueue } }),
      ).rejects.toBeInstanceOf(ScheduleAlreadyRunning);
      await expect(env.client.schedule.getHandle('no-such-schedule').describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
      await expect(env.client.schedule.getHandle('no-such-schedule').pause()).rejects.toBeInstanceOf(ScheduleNotFoundError);
      const bad = env.client.schedule.create({ scheduleId: uniqueWorkflowId('bad'), spec: { cronExpressions: ['61 * * * *'] }, action: { type: 'startWorkflow', workflowType: 'quick', taskQueue } });
      await expect(bad).rejects.toThrow(TypeError);
      await expect(
        env.client.schedule.create({ scheduleId: uniqueWorkflowId('bad'), spec: { intervals: [{ every: HOUR }], timezone: 'Nowhere/Special' }, action: { type: 'startWorkflow', workflowType: 'quick', taskQueue } }),
      ).rejects.toThrow(/time zone/);
    } finally {
      await cleanup();
    }
  });

  it('starts each run at its time with the id <workflowId>-<nominal time> and the schedule search attributes', async () => {
    try {
      const h = await create({ spec: { intervals: [{ every: HOUR }] } });
      const t0 = await now();
      await env.sleep(3 * HOUR + MINUTE);
      await eventually(async () => {
        const r = await runsOf(h.scheduleId);
        return r.length === 3 && r.every((w) => w.status.name === 'COMPLETED') ? r : undefined;
      }, 'three completed runs');
      // result() below lets time move on: no more runs from here.
      await h.pause();
      const runs = await runsOf(h.scheduleId);
      const firstHour = Math.ceil(t0 / HOUR) * HOUR;
      expect(runs.map(nominalOf)).toEqual([firstHour, firstHour + HOUR, firstHour + 2 * HOUR]);
      for (const wf of runs) {
        const nominal = new Date(nominalOf(wf)).toISOString().replace('.000Z', 'Z');
        expect(wf.workflowId).toBe(`${h.scheduleId}-wf-${nominal}`);
        expect(wf.searchAttributes.TemporalScheduledById).toEqual([h.scheduleId]);
        expect(await env.client.workflow.getHandle(wf.workflowId).result()).toBe(wf.workflowId);
      }
      const d = await h.describe();
      expect(d.info.numActionsTaken).toBe(3);
      expect(d.info.recentActions.map((a) => a.action.workflow.workflowId)).toEqual(runs.map((w) => w.workflowId));
      expect(d.info.recentActions.map((a) => a.scheduledAt.getTime())).toEqual(runs.map(nominalOf));
      expect(d.info.runningActions).toEqual([]);
      expect(d.state.paused).toBe(true);
    } finally {
      await cleanup();
    }
  });

  it('updates a schedule: the new spec and action apply from then on, and the update time shows', async () => {
    try {
      const h = await create({ spec: { intervals: [{ every: HOUR }] } });
      await h.update((prev) => ({
        ...prev,
        spec: { intervals: [{ every: 10 * MINUTE }] },
        action: { ...prev.action, workflowType: 'failing' } as typeof prev.action,
        state: { ...prev.state, note: 'every ten minutes' },
      }));
      const d = await h.describe();
      expect(d.spec.intervals!.map((i) => i.every)).toEqual([10 * MINUTE]);
      expect(d.action).toMatchObject({ workflowType: 'failing' });
      expect(d.state.note).toBe('every ten minutes');
      expect(d.info.lastUpdatedAt).toBeInstanceOf(Date);
      const next = d.info.nextActionTimes[0]!.getTime();
      expect(next % (10 * MINUTE)).toBe(0);
      expect(next - (await now())).toBeLessThanOrEqual(10 * MINUTE);
      await env.sleep(10 * MINUTE + 1000);
      const runs = await eventually(async () => {
        const r = await runsOf(h.scheduleId);
        return r.length >= 1 && r[0]!.status.name === 'FAILED' ? r : undefined;
      }, 'the updated action run');
      expect(runs[0]!.type).toBe('failing');
    } finally {
      await cleanup();
    }
  });

  it('pauses (nothing starts, with the note) and unpauses (starts again)', async () => {
    try {
      const h = await create({ spec: { intervals: [{ every: MINUTE }] } });
      await h.pause('maintenance');
      expect((await h.describe()).state).toMatchObject({ paused: true, note: 'maintenance' });
      await env.sleep(5 * MINUTE);
      expect(await runsOf(h.scheduleId)).toHaveLength(0);
      const paused = await h.describe();
      expect(paused.info.numActionsTaken).toBe(0);
      expect(paused.info.numActionsMissedCatchupWindow).toBe(0);
      await h.unpause('back');
      expect((await h.describe()).state).toMatchObject({ paused: false, note: 'back' });
      await env.sleep(2 * MINUTE + 1000);
      // Two minute marks at least (a third when unpaused in the last second of a minute).
      await eventually(async () => (await runsOf(h.scheduleId)).length >= 2, 'two runs after unpausing');
    } finally {
      await cleanup();
    }
  });

  it('triggers a run now, even while paused', async () => {
    try {
      const h = await create({ spec: { intervals: [{ every: 24 * HOUR }] }, state: { paused: true } });
      const t = await now();
      await h.trigger();
      const runs = await eventually(async () => {
        const r = await runsOf(h.scheduleId);
        return r.length === 1 ? r : undefined;
      }, 'the triggered run');
      expect(Math.abs(nominalOf(runs[0]!) - t)).toBeLessThan(5000);
      expect((await h.describe()).info.numActionsTaken).toBe(1);
    } finally {
      await cleanup();
    }
  });

  it('backfills every matching time of a past range, start included', async () => {
    try {
      const h = await create({ spec: { intervals: [{ every: HOUR }] }, state: { paused: true } });
      const base = Math.floor((await now()) / HOUR) * HOUR - 10 * HOUR;
      await h.backfill({ start: new Date(base), end: new Date(base + 3 * HOUR), overlap: ScheduleOverlapPolicy.ALLOW_ALL });
      const runs = await eventually(async () => {
        const r = await runsOf(h.scheduleId);
        return r.length === 4 ? r : undefined;
      }, 'four backfilled runs');
      expect(runs.map(nominalOf).sort()).toEqual([base, base + HOUR, base + 2 * HOUR, base + 3 * HOUR]);
    } finally {
      await cleanup();
    }
  });

  it('lists and counts schedules, filtered by a search attribute, by ScheduleId and by TemporalSchedulePaused', async () => {
    try {
      const tag = uniqueWorkflowId('tag');
      const a = await create({ spec: { intervals: [{ every: HOUR }] }, searchAttributes: { CustomKeywordField: [tag] }, memo: { n: 1 } });
      const b = await create({ spec: { cronExpressions: ['0 12 * * *'] }, searchAttributes: { CustomKeywordField: [tag] }, state: { paused: true, note: 'off' } });
      await create({ spec: { intervals: [{ every: HOUR }] } });
      const list = async (query: string) => {
        const out = [];
        for await (const s of env.client.schedule.list({ query })) out.push(s);
        return out;
      };
      const tagged = await list(`CustomKeywordField = '${tag}'`);
      expect(tagged.map((s) => s.scheduleId).sort()).toEqual([a.scheduleId, b.scheduleId].sort());
      const listedA = tagged.find((s) => s.scheduleId === a.scheduleId)!;
      expect(listedA.memo).toEqual({ n: 1 });
      expect(listedA.action).toEqual({ type: 'startWorkflow', workflowType: 'quick' });
      expect(listedA.info.nextActionTimes.length).toBeGreaterThan(0);
      const listedB = tagged.find((s) => s.scheduleId === b.scheduleId)!;
      expect(listedB.state).toEqual({ paused: true, note: 'off' });
      expect(listedB.spec!.calendars![0]).toMatchObject({ hour: [{ start: 12, end: 12, step: 1 }] });
      expect((await list(`ScheduleId = '${a.scheduleId}'`)).map((s) => s.scheduleId)).toEqual([a.scheduleId]);
      expect((await list(`CustomKeywordField = '${tag}' AND TemporalSchedulePaused = true`)).map((s) => s.scheduleId)).toEqual([b.scheduleId]);
      const all = await list('');
      expect(all.length).toBeGreaterThanOrEqual(3);
      const counted = (await env.client.workflowService.countSchedules({ namespace: 'default', query: `CustomKeywordField = '${tag}'` })) as { count?: unknown };
      expect(Number(counted.count)).toBe(2);
    } finally {
      await cleanup();
    }
  });

  it('deletes a schedule: it no longer describes, lists or starts anything', async () => {
    const h = await create({ spec: { intervals: [{ every: MINUTE }] } });
    await h.delete();
    await expect(h.describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
    await expect(h.delete()).rejects.toBeInstanceOf(ScheduleNotFoundError);
    await env.sleep(3 * MINUTE);
    expect(await runsOf(h.scheduleId)).toHaveLength(0);
    const ids = [];
    for await (const s of env.client.schedule.list()) ids.push(s.scheduleId);
    expect(ids).not.toContain(h.scheduleId);
  });

  it('lists the matching times of a range (ListScheduleMatchingTimes)', async () => {
    try {
      const h = await create({ spec: { cronExpressions: ['CRON_TZ=America/New_York 0 7 * * MON-FRI'] } });
      const res = (await env.client.workflowService.listScheduleMatchingTimes({
        namespace: 'default',
        scheduleId: h.scheduleId,
        startTime: { seconds: Long.fromNumber(Date.parse('2027-01-01T00:00:00Z') / 1000) },
        endTime: { seconds: Long.fromNumber(Date.parse('2027-01-10T00:00:00Z') / 1000) },
      })) as { startTime?: { seconds?: unknown }[] | null };
      const times = (res.startTime ?? []).map((t) => new Date(Number(t.seconds) * 1000).toISOString());
      // Friday 1st, Monday 4th ... Friday 8th of January 2027, 7:00 in New York (EST, UTC-5).
      expect(times).toEqual(['2027-01-01T12:00:00.000Z', '2027-01-04T12:00:00.000Z', '2027-01-05T12:00:00.000Z', '2027-01-06T12:00:00.000Z', '2027-01-07T12:00:00.000Z', '2027-01-08T12:00:00.000Z']);
    } finally {
      await cleanup();
    }
  });
});

describe('overlap policies', () => {
  /** A schedule that fires `fires` times, a minute apart, runs that wait for `finish`; returns it after the last. */
  async function overlapping(overlap: ScheduleOverlapPolicy, fires: number) {
    const first = Math.ceil(((await now()) + 1000) / MINUTE) * MINUTE;
    const endAt = new Date(first + (fires - 1) * MINUTE);
    const h = await create({ spec: { intervals: [{ every: MINUTE }], endAt }, workflowType: 'untilFinished', policies: { overlap } });
    await env.sleep(endAt.getTime() + 1000 - (await now()));
    return h;
  }

  const statuses = async (id: string) => (await runsOf(id)).map((w) => w.status.name);

  it('SKIP (the default) skips a start while a run is open', async () => {
    try {
      const h = await overlapping(ScheduleOverlapPolicy.SKIP, 3);
      expect(await statuses(h.scheduleId)).toEqual(['RUNNING']);
      const d = await h.describe();
      expect(d.info.numActionsSkippedOverlap).toBe(2);
      expect(d.info.runningActions).toHaveLength(1);
    } finally {
      await cleanup();
    }
  });

  it('BUFFER_ONE keeps one start and runs it when the open run ends', async () => {
    try {
      const h = await overlapping(ScheduleOverlapPolicy.BUFFER_ONE, 3);
      expect(await statuses(h.scheduleId)).toEqual(['RUNNING']);
      expect((await h.describe()).info.numActionsSkippedOverlap).toBe(1);
      const [first] = await runsOf(h.scheduleId);
      await env.client.workflow.getHandle(first!.workflowId).signal('finish');
      await eventually(async () => (await statuses(h.scheduleId)).join() === 'COMPLETED,RUNNING', 'the buffered run started');
    } finally {
      await cleanup();
    }
  });

  it('BUFFER_ALL runs every start, one after the other', async () => {
    try {
      const h = await overlapping(ScheduleOverlapPolicy.BUFFER_ALL, 3);
      expect((await h.describe()).info.numActionsSkippedOverlap).toBe(0);
      for (let i = 1; i <= 3; i++) {
        const runs = await eventually(async () => {
          const r = await runsOf(h.scheduleId);
          return r.length === i && r[i - 1]!.status.name === 'RUNNING' ? r : undefined;
        }, `run ${i} started`);
        expect(runs.filter((w) => w.status.name === 'RUNNING')).toHaveLength(1);
        await env.client.workflow.getHandle(runs[i - 1]!.workflowId).signal('finish');
      }
      await eventually(async () => (await statuses(h.scheduleId)).join() === 'COMPLETED,COMPLETED,COMPLETED', 'all three completed');
    } finally {
      await cleanup();
    }
  });

  it('CANCEL_OTHER cancels the open run and starts the new one', async () => {
    try {
      const h = await overlapping(ScheduleOverlapPolicy.CANCEL_OTHER, 2);
      expect(await eventually(async () => ((await statuses(h.scheduleId)).join() === 'CANCELLED,RUNNING' ? true : undefined), 'cancelled and new run')).toBe(true);
    } finally {
      await cleanup();
    }
  });

  it('TERMINATE_OTHER terminates the open run and starts the new one', async () => {
    try {
      const h = await overlapping(ScheduleOverlapPolicy.TERMINATE_OTHER, 3);
      await eventually(async () => (await statuses(h.scheduleId)).join() === 'TERMINATED,TERMINATED,RUNNING', 'two terminated and a new run');
    } finally {
      await cleanup();
    }
  });

  it('ALLOW_ALL starts every run alongside the open ones', async () => {
    try {
      const h = await overlapping(ScheduleOverlapPolicy.ALLOW_ALL, 3);
      expect(await statuses(h.scheduleId)).toEqual(['RUNNING', 'RUNNING', 'RUNNING']);
      expect((await h.describe()).info.numActionsTaken).toBe(3);
    } finally {
      await cleanup();
    }
  });
});

describe('spec evaluation on the server', () => {
  it('fires at 7:00 New York time on both sides of the March DST change', async () => {
    try {
      const h = await create({
        spec: { calendars: [{ hour: 7 }], timezone: 'America/New_York', startAt: new Date('2027-03-12T00:00:00Z'), endAt: new Date('2027-03-16T00:00:00Z') },
      });
      expect((await h.describe()).info.nextActionTimes.map((t) => t.toISOString())).toEqual([
        '2027-03-12T12:00:00.000Z',
        '2027-03-13T12:00:00.000Z',
        '2027-03-14T11:00:00.000Z',
        '2027-03-15T11:00:00.000Z',
      ]);
      await env.sleep(Date.parse('2027-03-16T00:00:00Z') - (await now()));
      const runs = await eventually(async () => {
        const r = await runsOf(h.scheduleId);
        return r.length === 4 ? r : undefined;
      }, 'four runs');
      const local = new Intl.DateTimeFormat('en-US', { timeZone: 'America/New_York', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
      expect(runs.map((w) => local.format(w.startTime))).toEqual(['07:00', '07:00', '07:00', '07:00']);
      expect(runs.map((w) => new Date(nominalOf(w)).toISOString())).toEqual(['2027-03-12T12:00:00.000Z', '2027-03-13T12:00:00.000Z', '2027-03-14T11:00:00.000Z', '2027-03-15T11:00:00.000Z']);
      expect((await h.describe()).info.nextActionTimes).toEqual([]);
    } finally {
      await cleanup();
    }
  });

  it('delays each run by a jitter below the bound, the same for the same time', async () => {
    try {
      const h = await create({ spec: { intervals: [{ every: MINUTE }], jitter: 20_000 } });
      const first = (await h.describe()).info.nextActionTimes.map((t) => t.getTime());
      expect((await h.describe()).info.nextActionTimes.map((t) => t.getTime())).toEqual(first);
      const offsets = first.map((t) => t % MINUTE);
      for (const o of offsets) expect(o).toBeLessThan(20_000);
      expect(new Set(offsets).size).toBeGreaterThan(1);
      // Just past the third jittered time (3 minutes from now can fall short of it by up to the jitter).
      await env.sleep(first[2]! - (await now()) + 1000);
      const runs = await eventually(async () => {
        const r = await runsOf(h.scheduleId);
        return r.length >= 3 ? r.slice(0, 3) : undefined;
      }, 'three runs');
      for (const [i, wf] of runs.entries()) {
        expect(wf.startTime.getTime()).toBeGreaterThanOrEqual(first[i]!);
        expect(nominalOf(wf)).toBe(first[i]! - offsets[i]!);
      }
    } finally {
      await cleanup();
    }
  });

  it('starts nothing before the start time or after the end time', async () => {
    try {
      const t = Math.ceil((await now()) / HOUR) * HOUR;
      const h = await create({ spec: { intervals: [{ every: 10 * MINUTE }], startAt: new Date(t + HOUR), endAt: new Date(t + HOUR + 20 * MINUTE) } });
      expect((await h.describe()).info.nextActionTimes.map((d) => d.getTime())).toEqual([t + HOUR, t + HOUR + 10 * MINUTE, t + HOUR + 20 * MINUTE]);
      await env.sleep(3 * HOUR);
      const runs = await eventually(async () => {
        const r = await runsOf(h.scheduleId);
        return r.length === 3 ? r : undefined;
      }, 'three runs');
      expect(runs.map(nominalOf)).toEqual([t + HOUR, t + HOUR + 10 * MINUTE, t + HOUR + 20 * MINUTE]);
    } finally {
      await cleanup();
    }
  });

  it('takes only the remaining actions, then stops', async () => {
    try {
      const h = await create({ spec: { intervals: [{ every: MINUTE }] }, state: { remainingActions: 2 } });
      expect((await h.describe()).info.nextActionTimes).toHaveLength(2);
      await env.sleep(5 * MINUTE);
      await eventually(async () => (await runsOf(h.scheduleId)).length === 2, 'two runs');
      const d = await h.describe();
      expect(d.state.remainingActions).toBe(0);
      expect(d.info.nextActionTimes).toEqual([]);
    } finally {
      await cleanup();
    }
  });

  it('pauses itself when a run fails and pauseOnFailure is set', async () => {
    try {
      const h = await create({ spec: { intervals: [{ every: MINUTE }] }, workflowType: 'failing', policies: { pauseOnFailure: true } });
      await env.sleep(MINUTE + 1000);
      const d = await eventually(async () => {
        const x = await h.describe();
        return x.state.paused ? x : undefined;
      }, 'the schedule paused');
      expect(d.state.note).toMatch(/^paused due to workflow failure: .*: scheduled run failed$/);
      await env.sleep(3 * MINUTE);
      expect(await runsOf(h.scheduleId)).toHaveLength(1);
    } finally {
      await cleanup();
    }
  });
});
