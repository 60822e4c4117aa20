// Dev-mode persistence (--db-filename F): an append-only journal of JSON lines.
//
// After every RPC and every batch of fired timers, each execution that changed appends one
// line: the history events written since its last line (protobuf, base64) and a snapshot of
// its mutable state (pending workflow task, activities with their attempts and heartbeat
// details, timers with their due times, children, buffered events). appendFileSync hands the
// bytes to the kernel before the RPC answers, so a SIGKILL of the server (the SDK's teardown)
// loses nothing that a client was told had happened. On start the journal is replayed, then
// rewritten compactly (one line per execution) through a temporary file and a rename.
import fs from 'node:fs';
import path from 'node:path';
import { log } from './log.ts';
import type { ActivityState, BufferedEvent, Execution, Namespace, TimerState, ChildState } from './model.ts';
import type { Journal } from './persistence.ts';
import { isOpen } from './model.ts';
import { common, EventType as ET, history as historyApi, failureApi, TimeoutType, type IPayload } from './proto.ts';
import type { Engine } from './engine.ts';
import type { OfflineServer } from './server.ts';
import { schedulesOf } from './schedules/bridge.ts';
import type { SearchAttributeType } from './visibility.ts';

/** The journal is readable and writable by its owner alone. */
const PRIVATE = 0o600;

const b64 = (u: Uint8Array) => Buffer.from(u).toString('base64');
const unb64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));

const encPayload = (p: IPayload) => b64(common.Payload.encode(common.Payload.fromObject(p)).finish());
const decPayload = (s: string) => common.Payload.decode(unb64(s));
const encMap = (m: Record<string, IPayload>) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, encPayload(v)]));
const decMap = (m: Record<string, string> | undefined) => Object.fromEntries(Object.entries(m ?? {}).map(([k, v]) => [k, decPayload(v)]));
const encOpt = <T>(v: T | null | undefined, type: { encode(v: any): { finish(): Uint8Array }; fromObject(o: any): any }) =>
  v ? b64(type.encode(type.fromObject(v)).finish()) : null;
const decOpt = <T>(s: string | null | undefined, type: { decode(u: Uint8Array): T }): T | null => (s ? type.decode(unb64(s)) : null);

interface ExecRecord {
  t: 'x';
  ns: string;
  /** How many of the run's events came before this line's (absent: all of them). */
  n?: number;
  ev: string[];
  s: Record<string, any>;
}

function serializeState(x: Execution): Record<string, any> {
  return {
    workflowId: x.workflowId,
    runId: x.runId,
    firstRunId: x.firstRunId,
    workflowType: x.workflowType,
    taskQueue: x.taskQueue,
    historyBytes: x.historyBytes,
    status: x.status,
    startTime: x.startTime,
    executionTime: x.executionTime,
    closeTime: x.closeTime,
    runTimeoutMs: x.runTimeoutMs,
    executionTimeoutMs: x.executionTimeoutMs,
    executionExpiration: x.executionExpiration,
    workflowTaskTimeoutMs: x.workflowTaskTimeoutMs,
    retryPolicy: encOpt(x.retryPolicy, common.RetryPolicy),
    attempt: x.attempt,
    memo: encMap(x.memo),
    searchAttributes: encMap(x.searchAttributes),
    parent: x.parent ?? null,
    root: x.root,
    requestIds: [...x.requestIds],
    signalRequestIds: [...x.signalRequestIds],
    cancelRequested: x.cancelRequested,
    wt: x.wt
      ? {
          scheduledEventId: x.wt.scheduledEventId,
          attempt: x.wt.attempt,
          scheduledTime: x.wt.scheduledTime,
          started: x.wt.started,
          startedEventId: x.wt.startedEventId,
          startedTime: x.wt.startedTime,
        }
      : null,
    firstTaskBackoffUntil: x.firstTaskBackoffUntil,
    lastCompletedStartedEventId: x.lastCompletedStartedEventId,
    buffered: x.buffered.map((b) => ({
      wakes: b.wakes,
      ev: b64(historyApi.HistoryEvent.encode(historyApi.HistoryEvent.fromObject({ eventType: b.eventType, ...b.attrs })).finish()),
    })),
    activities: [...x.activities.values()].map((a) => ({
      ...a,
      timers: undefined,
      retryPolicy: encOpt(a.retryPolicy, common.RetryPolicy),
      input: encOpt(a.input, common.Payloads),
      header: encOpt(a.header, common.Header),
      heartbeatDetails: encOpt(a.heartbeatDetails, common.Payloads),
      lastFailure: encOpt(a.lastFailure, failureApi.Failure),
    })),
    timers: [...x.timers.values()].map((t) => ({ timerId: t.timerId, startedEventId: t.startedEventId, dueTime: t.dueTime })),
    children: [...x.children.values()],
    nextRunId: x.nextRunId ?? null,
  };
}

function restoreExecution(ns: Namespace, s: Record<string, any>, events: string[]): Execution {
  const encoded = events.map(unb64);
  const first = encoded.length ? historyApi.HistoryEvent.decode(encoded[0]!).workflowExecutionStartedEventAttributes : null;
  const x: Execution = {
    ns,
    workflowId: s.workflowId,
    runId: s.runId,
    firstRunId: s.firstRunId,
    workflowType: s.workflowType,
    taskQueue: s.taskQueue,
    events: encoded,
    started: { input: first?.input ?? null, header: first?.header ?? null },
    historyBytes: s.historyBytes,
    status: s.status,
    startTime: s.startTime,
    executionTime: s.executionTime,
    closeTime: s.closeTime,
    runTimeoutMs: s.runTimeoutMs,
    executionTimeoutMs: s.executionTimeoutMs,
    executionExpiration: s.executionExpiration,
    workflowTaskTimeoutMs: s.workflowTaskTimeoutMs,
    retryPolicy: decOpt(s.retryPolicy, common.RetryPolicy),
    attempt: s.attempt,
    memo: decMap(s.memo),
    searchAttributes: decMap(s.searchAttributes),
    parent: s.parent ?? undefined,
    root: s.root,
    requestIds: new Set(s.requestIds),
    signalRequestIds: new Set(s.signalRequestIds),
    cancelRequested: s.cancelRequested,
    wt: s.wt ? { ...s.wt, queries: [] } : undefined,
    firstTaskBackoffUntil: s.firstTaskBackoffUntil,
    lastCompletedStartedEventId: s.lastCompletedStartedEventId,
    buffered: (s.buffered as Array<{ wakes: boolean; ev: string }>).map((b): BufferedEvent => {
      const m = historyApi.HistoryEvent.decode(unb64(b.ev));
      const field = m.attributes as string;
      return { eventType: m.eventType, wakes: b.wakes, attrs: { [field]: (m as any)[field] } };
    }),
    activities: new Map(
      (s.activities as any[]).map((a): [number, ActivityState] => [
        a.scheduledEventId,
        {
          ...a,
          timers: [],
          retryPolicy: decOpt(a.retryPolicy, common.RetryPolicy) ?? {},
          input: decOpt(a.input, common.Payloads),
          header: decOpt(a.header, common.Header),
          heartbeatDetails: decOpt(a.heartbeatDetails, common.Payloads),
          lastFailure: decOpt(a.lastFailure, failureApi.Failure),
        },
      ]),
    ),
    timers: new Map((s.timers as TimerState[]).map((t) => [t.timerId, { ...t }])),
    children: new Map((s.children as ChildState[]).map((c) => [c.initiatedEventId, c])),
    queries: [],
    historyWaiters: new Set(),
    nextRunId: s.nextRunId ?? undefined,
  };
  return x;
}

class FileJournal implements Journal {
  private dirty = new Set<Execution>();
  private written = new WeakMap<Execution, number>();
  private fd: number;
  private bytes = 0;
  private compactAt: number;

  constructor(
    private file: string,
    private server: OfflineServer,
  ) {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    this.load();
    this.compact();
    // Histories hold the payloads of every workflow (for Leadflow: leads' personal data).
    this.fd = fs.openSync(file, 'a', PRIVATE);
    this.compactAt = Math.max(64 * 1024 * 1024, this.bytes * 4);
  }

  private load() {
    if (!fs.existsSync(this.file)) return;
    const engine = this.server.engine;
    const text = fs.readFileSync(this.file, 'utf8');
    const execs = new Map<string, { ns: string; ev: string[]; s: Record<string, any>; order: number }>();
    let order = 0;
    let lineNo = 0;
    for (const line of text.split('\n')) {
      lineNo++;
      if (!line.trim()) continue;
      let rec: any;
      try {
        rec = JSON.parse(line);
      } catch {
        // A torn last line (power loss mid-write) is the only way to get here; skip it.
        log.warn(`${this.file}:${lineNo}: skipping an unreadable journal line`);
        continue;
      }
      if (rec.t === 'ns') {
        const ns = engine.namespaces.get(rec.name);
        if (ns) ns.id = rec.id;
        else engine.registerNamespace(rec.name, { id: rec.id, description: rec.description, retentionMs: rec.retentionMs });
      } else if (rec.t === 'sa') {
        const ns = engine.namespaces.get(rec.ns) ?? engine.registerNamespace(rec.ns);
        if (rec.type) ns.searchAttributes.set(rec.name, rec.type);
        else ns.searchAttributes.delete(rec.name);
      } else if (rec.t === 'x') {
        const r = rec as ExecRecord;
        const key = `${r.ns}/${r.s.runId}`;
        const prev = execs.get(key);
        if (prev) {
          if (typeof r.n === 'number' && r.n < prev.ev.length) prev.ev.length = r.n;
          prev.ev.push(...r.ev);
          prev.s = r.s;
        } else {
          execs.set(key, { ns: r.ns, ev: [...r.ev], s: r.s, order: order++ });
        }
      } else if (rec.t === 'sched') {
        // A schedule's state (the last line wins; null when it was deleted); it resumes when the server starts.
        schedulesOf(this.server).restoreLine(rec);
      }
    }
    const restored: Execution[] = [];
    for (const e of [...execs.values()].sort((a, b) => a.s.startTime - b.s.startTime || a.order - b.order)) {
      const ns = engine.namespaces.get(e.ns) ?? engine.registerNamespace(e.ns);
      const x = restoreExecution(ns, e.s, e.ev);
      let runs = ns.chains.get(x.workflowId);
      if (!runs) ns.chains.set(x.workflowId, (runs = []));
      runs.push(x);
      restored.push(x);
    }
    for (const x of restored) {
      this.written.set(x, x.events.length);
      rehydrate(engine, x);
    }
    log.info(`restored ${restored.length} workflow runs from ${this.file}`);
  }

  /** Rewrites the journal as one line per namespace, attribute and execution. */
  private compact() {
    const engine = this.server.engine;
    const tmp = `${this.file}.tmp-${process.pid}`;
    const lines: string[] = [];
    for (const ns of engine.namespaces.values()) {
      lines.push(JSON.stringify({ t: 'ns', name: ns.name, id: ns.id, description: ns.description, retentionMs: ns.retentionMs }));
      for (const [name, type] of ns.searchAttributes) lines.push(JSON.stringify({ t: 'sa', ns: ns.name, name, type }));
      for (const runs of ns.chains.values()) {
        for (const x of runs) {
          lines.push(JSON.stringify({ t: 'x', ns: ns.name, ev: x.events.map(b64), s: serializeState(x) }));
          this.written.set(x, x.events.length);
        }
      }
    }
    lines.push(...schedulesOf(this.server).journalLines());
    const body = lines.length ? lines.join('\n') + '\n' : '';
    fs.writeFileSync(tmp, body, { mode: PRIVATE });
    // A journal written by an earlier version may be readable by others: not once compacted.
    fs.chmodSync(tmp, PRIVATE);
    fs.renameSync(tmp, this.file);
    this.bytes = Buffer.byteLength(body);
    this.dirty.clear();
  }

  recordNamespace(ns: Namespace) {
    this.append(JSON.stringify({ t: 'ns', name: ns.name, id: ns.id, description: ns.description, retentionMs: ns.retentionMs }) + '\n');
  }

  recordSearchAttribute(ns: Namespace, name: string, type: SearchAttributeType | null) {
    this.append(JSON.stringify({ t: 'sa', ns: ns.name, name, type }) + '\n');
  }

  markDirty(x: Execution) {
    this.dirty.add(x);
  }

  flush() {
    const schedules = schedulesOf(this.server).drainJournal();
    if (this.dirty.size === 0 && !schedules) return;
    let out = '';
    for (const x of this.dirty) {
      // A workflow task that only rejected updates takes its two events back: the history may
      // be shorter than what was written, so each line says where its events start.
      const from = Math.min(this.written.get(x) ?? 0, x.events.length);
      const ev = x.events.slice(from).map(b64);
      this.written.set(x, x.events.length);
      out += JSON.stringify({ t: 'x', ns: x.ns.name, n: from, ev, s: serializeState(x) }) + '\n';
    }
    this.dirty.clear();
    this.append(out + schedules);
    if (this.bytes > this.compactAt) {
      fs.closeSync(this.fd);
      this.compact();
      this.fd = fs.openSync(this.file, 'a', PRIVATE);
      this.compactAt = Math.max(64 * 1024 * 1024, this.bytes * 4);
    }
  }

  private append(s: string) {
    fs.writeSync(this.fd, s);
    this.bytes += Buffer.byteLength(s);
  }
}

export function openJournal(file: string, server: OfflineServer): Journal {
  const j = new FileJournal(file, server);
  server.engine.journal = j;
  server.clock.afterFire = () => j.flush();
  return j;
}

/**
 * Re-creates what a run loaded from the journal had only in memory: its timers on the clock,
 * its tasks on their queues, its time-skipping holds. Work handed to a worker of the old
 * server is handed out again: a started workflow task times out, a started activity attempt
 * goes back on its queue.
 */
function rehydrate(engine: Engine, x: Execution) {
  const s = engine.shard;
  s.executionsByRun.set(`${x.ns.name}/${x.runId}`, x);
  if (!isOpen(x)) return;
  engine.lifecycle.armRunTimeout(x);
  for (const t of x.timers.values()) engine.timers.arm(x, t);
  if (x.firstTaskBackoffUntil > engine.clock.now() && !x.wt && x.events.length <= 2) engine.lifecycle.armFirstTaskBackoff(x);
  if (x.wt) {
    if (x.wt.started) {
      // The worker that held it talked to a server that is gone: time the task out now.
      const wt = x.wt;
      engine.history.write(x, ET.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT, {
        workflowTaskTimedOutEventAttributes: { scheduledEventId: wt.scheduledEventId, startedEventId: wt.startedEventId, timeoutType: TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE },
      });
      x.wt = undefined;
      engine.history.flushBuffered(x);
      engine.workflowTasks.schedule(x, wt.attempt + 1);
    } else {
      s.holdWT.add(x);
      engine.workflowTasks.offer(x);
    }
  }
  for (const act of x.activities.values()) {
    act.timers = [];
    engine.activities.armScheduleToClose(x, act);
    if (act.phase === 'backoff') engine.activities.armBackoff(x, act);
    // A started attempt's worker is gone with the old server: offer the attempt again.
    else engine.activities.makeAvailable(x, act);
  }
}
