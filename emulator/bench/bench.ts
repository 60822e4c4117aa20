// npm run bench:emulator — throughput, signal latency, and the emulator's cost next to the
// SDK worker's. The emulator (dev-server mode, real time) and the worker run as separate
// processes; their CPU time and memory are read from /proc.
//   BENCH_SHORT  short workflows (start, activity, 20 ms timer, complete)   default 1000
//   BENCH_LONG   long-lived workflows waiting on a 30-day timer              default 10000
//   BENCH_PINGS  signal round trips measured                                 default 200
//   BENCH_UPDATES  update round trips measured (executeUpdate, to the result)   default 200
//   BENCH_SCHEDULED  workflows a schedule starts (a backfill of that many times)    default 1000
//   BENCH_CPU_PROF  a directory: the emulator runs with node --cpu-prof and writes its profile there
import { fork, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { Client, Connection, ScheduleOverlapPolicy } from '@temporalio/client';

const SHORT = Number(process.env.BENCH_SHORT ?? 1000);
const LONG = Number(process.env.BENCH_LONG ?? 10000);
const PINGS = Number(process.env.BENCH_PINGS ?? 200);
const UPDATES = Number(process.env.BENCH_UPDATES ?? 200);
const SCHEDULED = Number(process.env.BENCH_SCHEDULED ?? 1000);
const root = fileURLToPath(new URL('../..', import.meta.url));
const CLK_TCK = 100;

function cpuMs(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK; // utime + stime
}

function rssMiB(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function percentile(sorted: number[], p: number) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function inBatches<T>(count: number, size: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < count; i += size) {
    out.push(...(await Promise.all(Array.from({ length: Math.min(size, count - i) }, (_, j) => fn(i + j)))));
  }
  return out;
}

async function main() {
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const args = ['server', 'start-dev', '--port', String(port)];
  const profDir = process.env.BENCH_CPU_PROF;
  const emulator = profDir
    ? spawn(process.execPath, ['--cpu-prof', '--cpu-prof-interval', '200', '--cpu-prof-dir', profDir, `${root}/emulator/bin/launch.mjs`, ...args], { stdio: 'inherit' })
    : spawn(`${root}/emulator/bin/temporal-offline`, args, { stdio: 'inherit' });
  let worker: ChildProcess | undefined;
  try {
    const connection = await connectWithRetry(address);
    const client = new Client({ connection });
    const taskQueue = `bench-${Date.now()}`;
    worker = fork(`${root}/emulator/bench/worker.ts`, [address, taskQueue], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
    await new Promise<void>((resolve, reject) => {
      worker!.once('message', () => resolve());
      worker!.once('exit', (code) => reject(new Error(`worker exited with ${code}`)));
    });

    // Warm-up: the worker's first workflow tasks load the bundle.
    await inBatches(20, 20, (i) => client.workflow.execute('shortLived', { taskQueue, workflowId: `warm-${i}`, args: [i] }));

    // 1. Short workflows.
    const e0 = cpuMs(emulator.pid!);
    const w0 = cpuMs(worker.pid!);
    const t0 = performance.now();
    await inBatches(SHORT, 200, (i) => client.workflow.execute('shortLived', { taskQueue, workflowId: `short-${i}`, args: [i] }));
    const shortSecs = (performance.now() - t0) / 1000;
    const eShort = cpuMs(emulator.pid!) - e0;
    const wShort = cpuMs(worker.pid!) - w0;

    // 1b. A schedule firing SCHEDULED short workflows: a backfill of that many past times
    // (overlap ALLOW_ALL), which the server starts at the official scheduler's pace of 10
    // backfilled starts a second; timed until every run completed.
    const scheduleId = `bench-schedule-${Date.now()}`;
    const base = Math.floor(Date.now() / 1000) * 1000 - (SCHEDULED + 60) * 1000;
    const es0 = cpuMs(emulator.pid!);
    const ws0 = cpuMs(worker.pid!);
    const ts0 = performance.now();
    const schedule = await client.schedule.create({
      scheduleId,
      spec: { intervals: [{ every: 1000 }] },
      state: { paused: true },
      action: { type: 'startWorkflow', workflowType: 'shortLived', taskQueue, workflowId: scheduleId, args: [1] },
    });
    await schedule.backfill({ start: new Date(base), end: new Date(base + (SCHEDULED - 1) * 1000), overlap: ScheduleOverlapPolicy.ALLOW_ALL });
    for (;;) {
      const done = await client.workflow.count(`TemporalScheduledById = '${scheduleId}' AND ExecutionStatus = 'Completed'`);
      if (done.count >= SCHEDULED) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const schedSecs = (performance.now() - ts0) / 1000;
    const eSched = cpuMs(emulator.pid!) - es0;
    const wSched = cpuMs(worker.pid!) - ws0;
    await schedule.delete();

    // 2. Signal round trip: signal, then a query that sees it (the worker processed it).
    const pp = await client.workflow.start('pingPong', { taskQueue, workflowId: `ping-${Date.now()}` });
    const rtts: number[] = [];
    for (let i = 1; i <= PINGS; i++) {
      const s = performance.now();
      await pp.signal('ping', i);
      const seen = await pp.query<number>('seen');
      if (seen !== i) throw new Error(`query saw ${seen} after signal ${i}`);
      rtts.push(performance.now() - s);
    }
    rtts.sort((a, b) => a - b);

    // 3. Update round trip: executeUpdate until its result is back (accepted and completed in
    // one workflow task of the worker).
    const updateRtts: number[] = [];
    for (let i = 1; i <= UPDATES; i++) {
      const s = performance.now();
      const got = await pp.executeUpdate<number, [number]>('bump', { args: [PINGS + i] });
      if (got !== PINGS + i) throw new Error(`update ${i} answered ${got}`);
      updateRtts.push(performance.now() - s);
    }
    await pp.signal('stop');
    await pp.result();
    updateRtts.sort((a, b) => a - b);

    // 4. Long-lived workflows: memory per 10,000 open workflows waiting on a timer.
    const rssBefore = rssMiB(emulator.pid!);
    const e1 = cpuMs(emulator.pid!);
    const w1 = cpuMs(worker.pid!);
    const t1 = performance.now();
    await inBatches(LONG, 500, (i) => client.workflow.start('longLived', { taskQueue, workflowId: `long-${i}` }));
    // Wait until each has its timer (first workflow task done).
    for (;;) {
      const open = await client.workflow.count(`WorkflowType = 'longLived' AND HistoryLength >= 5`);
      if (open.count >= LONG) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const longSecs = (performance.now() - t1) / 1000;
    const eLong = cpuMs(emulator.pid!) - e1;
    const wLong = cpuMs(worker.pid!) - w1;
    const rssAfter = rssMiB(emulator.pid!);

    const fmt = (n: number, d = 2) => n.toFixed(d);
    console.log('\nOffline Temporal server benchmark (dev-server mode, real SDK worker in its own process)');
    console.log(`short workflows: ${SHORT} in ${fmt(shortSecs)} s = ${fmt(SHORT / shortSecs, 1)} workflows/s`);
    console.log(`  CPU: emulator ${fmt(eShort / 1000)} s, worker ${fmt(wShort / 1000)} s, ratio emulator/worker ${fmt(eShort / wShort, 3)} (target < 0.25)`);
    console.log(`schedule: ${SCHEDULED} workflows started by one schedule (backfill, 10 starts/s as upstream) and completed in ${fmt(schedSecs)} s`);
    console.log(`  CPU: emulator ${fmt(eSched / 1000)} s (${fmt(eSched / SCHEDULED, 2)} ms per scheduled workflow), worker ${fmt(wSched / 1000)} s`);
    console.log(`signal round trip (signal + query that sees it), ${PINGS} samples: p50 ${fmt(percentile(rtts, 50), 1)} ms, p95 ${fmt(percentile(rtts, 95), 1)} ms`);
    console.log(`update round trip (executeUpdate to its result), ${UPDATES} samples: p50 ${fmt(percentile(updateRtts, 50), 1)} ms, p95 ${fmt(percentile(updateRtts, 95), 1)} ms`);
    console.log(`long-lived workflows: ${LONG} started and waiting on their timers in ${fmt(longSecs)} s = ${fmt(LONG / longSecs, 1)} workflows/s`);
    console.log(`  CPU: emulator ${fmt(eLong / 1000)} s, worker ${fmt(wLong / 1000)} s, ratio ${fmt(eLong / wLong, 3)}`);
    console.log(`  emulator RSS ${fmt(rssBefore, 0)} MiB -> ${fmt(rssAfter, 0)} MiB: ${fmt(((rssAfter - rssBefore) * 10000) / LONG, 0)} MiB per 10,000 open workflows`);
    await connection.close();
  } finally {
    worker?.kill('SIGTERM');
    emulator.kill('SIGTERM');
  }
}

async function connectWithRetry(address: string): Promise<Connection> {
  for (let i = 0; ; i++) {
    try {
      const c = await Connection.connect({ address, connectTimeout: 1000 });
      await c.workflowService.getSystemInfo({});
      return c;
    } catch (err) {
      if (i > 50) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
