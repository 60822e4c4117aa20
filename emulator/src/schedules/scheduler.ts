// One schedule's state machine, with the official scheduler's rules: each time the spec
// matches (within the catch-up window) becomes a buffered start; the overlap policy decides
// what happens to a start while an earlier run is still open (skip, buffer one, buffer all,
// cancel or terminate the other, or allow all); manual starts (trigger, backfill) ignore pause,
// remaining actions and the catch-up window. Started workflows get the id
// `<workflow id>-<nominal time>` and the search attributes TemporalScheduledStartTime and
// TemporalScheduledById. It reaches the server only through ScheduleHost, so it knows nothing
// of how runs are stored.
import type { TimerHandle } from '../clock.ts';
import type { IFailure, IPayload, IPayloads } from '../proto.ts';
import { CompiledSpec, type CanonicalSpec, rfc3339Seconds } from './spec.ts';

export const Overlap = {
  UNSPECIFIED: 0,
  SKIP: 1,
  BUFFER_ONE: 2,
  BUFFER_ALL: 3,
  CANCEL_OTHER: 4,
  TERMINATE_OTHER: 5,
  ALLOW_ALL: 6,
} as const;

/** WorkflowExecutionStatus values the scheduler looks at. */
export const RunStatus = { RUNNING: 1, COMPLETED: 2, FAILED: 3, CANCELED: 4, TERMINATED: 5, CONTINUED_AS_NEW: 6, TIMED_OUT: 7 } as const;

const DEFAULT_CATCHUP_MS = 365 * 24 * 3600_000;
const MIN_CATCHUP_MS = 10_000;
const RECENT_ACTIONS = 10;
const FUTURE_ACTIONS = 10;
const MAX_BUFFER = 1000;
const BACKFILLS_PER_ITERATION = 10;

export interface SchedulePolicies {
  overlapPolicy: number;
  /** 0 for the default (one year). */
  catchupWindowMs: number;
  pauseOnFailure: boolean;
  keepOriginalWorkflowId: boolean;
}

export interface ScheduleState {
  paused: boolean;
  notes: string;
  limitedActions: boolean;
  remainingActions: number;
}

/** What a schedule starts: the fields of NewWorkflowExecutionInfo the server uses. */
export interface StartWorkflowAction {
  workflowId: string;
  workflowType: string;
  taskQueue: string;
  input?: IPayloads | null;
  runTimeoutMs: number;
  executionTimeoutMs: number;
  workflowTaskTimeoutMs: number;
  retryPolicy?: unknown;
  memo?: Record<string, IPayload>;
  searchAttributes?: Record<string, IPayload>;
  header?: unknown;
  userMetadata?: unknown;
  /** The action exactly as the client sent it, for describe. */
  raw: unknown;
}

export interface ScheduleDefinition {
  spec: CanonicalSpec;
  action?: StartWorkflowAction;
  policies: SchedulePolicies;
  state: ScheduleState;
}

export interface StartRequest {
  workflowId: string;
  action: StartWorkflowAction;
  searchAttributes: Record<string, IPayload>;
  identity: string;
  reusePolicy: number;
  lastCompletionResult?: IPayloads | null;
  continuedFailure?: IFailure | null;
}

export interface RunOutcome {
  status: number;
  result?: IPayloads | null;
  failure?: IFailure | null;
  closeTime: number;
}

export interface RunRef {
  workflowId: string;
  runId: string;
}

/** How a schedule reaches the server. */
export interface ScheduleHost {
  now(): number;
  /** Calls fn at `due` on the server's clock (so time skipping reaches it). */
  at(due: number, fn: () => void): TimerHandle;
  /** Starts a run; throws (e.g. already started) when it cannot. Returns the run id and its start time. */
  startWorkflow(req: StartRequest): { runId: string; startTime: number };
  /** Calls `onClose` once when the chain started as `run` is no longer running (at once if it already closed). */
  watch(run: RunRef, onClose: (o: RunOutcome) => void): void;
  cancel(run: RunRef, reason: string): void;
  terminate(run: RunRef, reason: string): void;
  /** The schedule's state changed (persist it). */
  changed(s: Scheduler): void;
}

interface BufferedStart {
  nominal: number; // ms
  actual: number; // ms
  overlapPolicy: number;
  manual: boolean;
}

interface Backfill {
  start: number;
  end: number;
  overlapPolicy: number;
}

export interface RecentAction {
  scheduleTime: number;
  actualTime: number;
  workflowId: string;
  runId: string;
  status: number;
}

export interface ScheduleInfo {
  actionCount: number;
  missedCatchupWindow: number;
  overlapSkipped: number;
  bufferDropped: number;
  runningWorkflows: RunRef[];
  recentActions: RecentAction[];
  createTime: number;
  /** 0 until the first update. */
  updateTime: number;
}

/** Everything a schedule must remember, as plain data (the journal stores it). */
export interface SchedulerSnapshot {
  namespace: string;
  namespaceId: string;
  scheduleId: string;
  def: ScheduleDefinition;
  info: ScheduleInfo;
  lastProcessed: number;
  conflictToken: number;
  buffer: BufferedStart[];
  backfills: Backfill[];
  lastCompletionResult?: IPayloads | null;
  continuedFailure?: IFailure | null;
  memo?: Record<string, IPayload>;
  searchAttributes?: Record<string, IPayload>;
}

export class Scheduler {
  private cspec: CompiledSpec;
  private timer?: TimerHandle;
  private timerDue = 0;
  private deleted = false;
  private readonly watched = new Set<string>();

  constructor(
    readonly s: SchedulerSnapshot,
    private readonly host: ScheduleHost,
  ) {
    this.cspec = new CompiledSpec(s.def.spec);
  }

  /** A new schedule: created now, with an optional first patch (trigger, backfills). */
  static create(
    host: ScheduleHost,
    init: Omit<SchedulerSnapshot, 'info' | 'lastProcessed' | 'conflictToken' | 'buffer' | 'backfills'>,
    patch?: SchedulePatch,
  ): Scheduler {
    const now = host.now();
    const sch = new Scheduler(
      {
        ...init,
        info: { actionCount: 0, missedCatchupWindow: 0, overlapSkipped: 0, bufferDropped: 0, runningWorkflows: [], recentActions: [], createTime: now, updateTime: 0 },
        lastProcessed: now,
        conflictToken: 1,
        buffer: [],
        backfills: [],
      },
      host,
    );
    if (patch) sch.applyPatch(patch, false);
    sch.tick();
    return sch;
  }

  /** After a restart: watch the runs again and catch up on the time that passed (within the catch-up window). */
  resume() {
    for (const r of this.s.info.runningWorkflows) this.watchRun(r, true);
    for (const a of this.s.info.recentActions) if (a.status === RunStatus.RUNNING) this.watchRun(a, false);
    this.tick();
  }

  get id() {
    return this.s.scheduleId;
  }

  get def() {
    return this.s.def;
  }

  private jitterSeed() {
    return `${this.s.namespaceId}-${this.s.scheduleId}`;
  }

  catchupWindowMs(): number {
    const cw = this.s.def.policies.catchupWindowMs;
    if (!cw) return DEFAULT_CATCHUP_MS;
    return Math.max(cw, MIN_CATCHUP_MS);
  }

  resolveOverlap(p: number): number {
    if (p === Overlap.UNSPECIFIED) p = this.s.def.policies.overlapPolicy;
    if (p === Overlap.UNSPECIFIED) p = Overlap.SKIP;
    return p;
  }

  private canTakeScheduledAction(manual: boolean, decrement: boolean): boolean {
    if (manual) return true;
    const st = this.s.def.state;
    if (st.paused) return false;
    if (!st.limitedActions) return true;
    if (st.remainingActions > 0) {
      if (decrement) {
        st.remainingActions--;
        this.s.conflictToken++;
      }
      return true;
    }
    return false;
  }

  // -------------------------------------------------------------------------------------------
  // The main step: process the time that passed, backfills and the buffer, then sleep.

  /** Takes the times that passed up to now under the current spec and state; returns the next one. */
  private advance(): number | undefined {
    const t1 = this.s.lastProcessed;
    const t2 = Math.max(this.host.now(), t1);
    const { next, last } = this.processTimeRange(t1, t2, Overlap.UNSPECIFIED, false);
    this.s.lastProcessed = last;
    return next;
  }

  /** Runs one step now. */
  tick() {
    if (this.deleted) return;
    const now = this.host.now();
    const next = this.advance();
    this.processBackfills();
    for (let i = 0; i < 10_000 && this.processBuffer(); i++);
    let wake: number | undefined = next;
    if (this.hasMoreAllowAllBackfills()) wake = now + 1000;
    else if (!this.canTakeScheduledAction(false, false)) wake = undefined;
    this.arm(wake);
    this.host.changed(this);
  }

  private arm(due: number | undefined) {
    if (due !== undefined && this.timer && this.timerDue === due) return;
    this.timer?.cancel();
    this.timer = undefined;
    if (due === undefined) return;
    this.timerDue = due;
    this.timer = this.host.at(due, () => {
      this.timer = undefined;
      this.tick();
    });
  }

  /**
   * Adds a start for every matching time in (start, end]; returns the next matching time
   * after the range and the last time handled (where the next step starts from).
   */
  private processTimeRange(start: number, end: number, overlapPolicy: number, manual: boolean, limit?: { n: number }): { next?: number; last: number } {
    if (!this.canTakeScheduledAction(manual, false)) {
      // Paused or out of actions: the time passes without actions, and without counting as missed.
      return { next: this.cspec.next(end, this.jitterSeed())?.nextMs, last: end };
    }
    const catchup = this.catchupWindowMs();
    let last = start;
    let n = this.cspec.next(start, this.jitterSeed());
    for (; n && n.nextMs <= end; n = this.cspec.next(n.nextMs, this.jitterSeed())) {
      if (!manual && this.s.info.updateTime > n.nextMs) continue;
      if (!manual && end - n.nextMs > catchup) {
        this.s.info.missedCatchupWindow++;
        last = n.nextMs;
        continue;
      }
      this.addStart(n.nominal * 1000, n.nextMs, overlapPolicy, manual);
      last = n.nextMs;
      if (limit && --limit.n <= 0) break;
    }
    return { next: n?.nextMs, last };
  }

  private addStart(nominal: number, actual: number, overlapPolicy: number, manual: boolean) {
    if (this.s.buffer.length >= MAX_BUFFER) {
      this.s.info.bufferDropped++;
      return;
    }
    this.s.buffer.push({ nominal, actual, overlapPolicy, manual });
  }

  private processBackfills() {
    const limit = { n: BACKFILLS_PER_ITERATION };
    while (this.s.backfills.length > 0 && limit.n > 0 && this.s.buffer.length < MAX_BUFFER / 2) {
      const bf = this.s.backfills[0]!;
      const { next } = this.processTimeRange(bf.start, bf.end, bf.overlapPolicy, true, limit);
      if (next === undefined || next > bf.end) this.s.backfills.shift();
      else bf.start = next;
    }
  }

  private hasMoreAllowAllBackfills() {
    return this.s.backfills.length > 0 && this.resolveOverlap(this.s.backfills[0]!.overlapPolicy) === Overlap.ALLOW_ALL;
  }

  /** Starts what the buffer and the overlap policies allow; true when it may have more to do now. */
  private processBuffer(): boolean {
    const action = this.s.def.action;
    if (!action || this.s.buffer.length === 0) {
      this.s.buffer = [];
      return false;
    }
    const isRunning = this.s.info.runningWorkflows.length > 0;
    const overlapping: BufferedStart[] = [];
    let nonOverlapping: BufferedStart | undefined;
    const newBuffer: BufferedStart[] = [];
    let needCancel = false;
    let needTerminate = false;
    for (const start of this.s.buffer) {
      const p = this.resolveOverlap(start.overlapPolicy);
      if (p === Overlap.ALLOW_ALL) {
        overlapping.push(start);
        continue;
      }
      if (!isRunning && !nonOverlapping) {
        nonOverlapping = start;
        continue;
      }
      switch (p) {
        case Overlap.SKIP:
          this.s.info.overlapSkipped++;
          break;
        case Overlap.BUFFER_ONE:
          if (newBuffer.length === 0) newBuffer.push(start);
          else this.s.info.overlapSkipped++;
          break;
        case Overlap.BUFFER_ALL:
          newBuffer.push(start);
          break;
        case Overlap.CANCEL_OTHER:
        case Overlap.TERMINATE_OTHER:
          if (isRunning) {
            if (p === Overlap.CANCEL_OTHER) needCancel = true;
            else needTerminate = true;
            newBuffer.push(start);
          } else {
            nonOverlapping = start;
          }
          break;
        default:
          this.s.info.overlapSkipped++;
      }
    }
    // Starting overlapping runs while the running one is being cancelled would only have them cancelled too.
    const all = needCancel || needTerminate ? [] : overlapping;
    this.s.buffer = newBuffer;
    let tryAgain = false;
    for (const start of nonOverlapping ? [...all, nonOverlapping] : all) {
      if (!this.canTakeScheduledAction(start.manual, true)) {
        tryAgain = true;
        continue;
      }
      try {
        this.startWorkflow(start, action, start === nonOverlapping);
      } catch (err) {
        if (process.env.TEMPORAL_OFFLINE_LOG) process.stderr.write(`[temporal-offline] schedule ${this.s.scheduleId}: start failed: ${(err as Error).message}\n`);
        tryAgain = true;
      }
    }
    if (needTerminate) {
      for (const r of this.s.info.runningWorkflows) this.host.terminate(r, 'terminated by schedule overlap policy');
    } else if (needCancel) {
      for (const r of this.s.info.runningWorkflows) this.host.cancel(r, 'cancelled by schedule overlap policy');
    }
    return tryAgain;
  }

  private startWorkflow(start: BufferedStart, action: StartWorkflowAction, nonOverlapping: boolean) {
    const nominalSec = Math.floor(start.nominal / 1000);
    const workflowId = this.s.def.policies.keepOriginalWorkflowId ? action.workflowId : `${action.workflowId}-${rfc3339Seconds(nominalSec)}`;
    const allowAll = this.resolveOverlap(start.overlapPolicy) === Overlap.ALLOW_ALL;
    const searchAttributes: Record<string, IPayload> = {
      ...(action.searchAttributes ?? {}),
      TemporalScheduledStartTime: jsonPayload(new Date(nominalSec * 1000).toISOString().replace('.000Z', 'Z'), 'Datetime'),
      TemporalScheduledById: jsonPayload(this.s.scheduleId, 'Keyword'),
    };
    const res = this.host.startWorkflow({
      workflowId,
      action,
      searchAttributes,
      identity: `temporal-scheduler-${this.s.namespace}-${this.s.scheduleId}`,
      // 1 = ALLOW_DUPLICATE, 3 = REJECT_DUPLICATE: a scheduled time starts once, a manual start may repeat one.
      reusePolicy: start.manual ? 1 : 3,
      lastCompletionResult: allowAll ? undefined : this.s.lastCompletionResult,
      continuedFailure: allowAll ? undefined : this.s.continuedFailure,
    });
    const run = { workflowId, runId: res.runId };
    this.s.info.actionCount++;
    this.s.info.recentActions.push({ scheduleTime: start.actual, actualTime: res.startTime, workflowId, runId: res.runId, status: RunStatus.RUNNING });
    if (this.s.info.recentActions.length > RECENT_ACTIONS) this.s.info.recentActions.splice(0, this.s.info.recentActions.length - RECENT_ACTIONS);
    // Runs allowed to overlap are not tracked: they neither block later starts nor carry results.
    if (nonOverlapping) this.s.info.runningWorkflows.push(run);
    this.watchRun(run, nonOverlapping);
  }

  private watchRun(run: RunRef, tracked: boolean) {
    const key = `${run.workflowId}\u0000${run.runId}`;
    if (this.watched.has(key)) return;
    this.watched.add(key);
    this.host.watch(run, (o) => {
      this.watched.delete(key);
      if (this.deleted) return;
      this.runClosed(run, o, tracked);
    });
  }

  private runClosed(run: RunRef, o: RunOutcome, tracked: boolean) {
    const info = this.s.info;
    const recent = info.recentActions.find((a) => a.workflowId === run.workflowId && a.runId === run.runId);
    if (recent) recent.status = o.status;
    const i = info.runningWorkflows.findIndex((r) => r.workflowId === run.workflowId && r.runId === run.runId);
    if (i < 0 || !tracked) {
      this.host.changed(this);
      return;
    }
    info.runningWorkflows.splice(i, 1);
    const st = this.s.def.state;
    if (this.s.def.policies.pauseOnFailure && !st.paused && (o.status === RunStatus.FAILED || o.status === RunStatus.TIMED_OUT)) {
      st.paused = true;
      st.notes = o.status === RunStatus.FAILED ? `paused due to workflow failure: ${run.workflowId}: ${o.failure?.message ?? ''}` : `paused due to workflow timeout: ${run.workflowId}`;
      this.s.conflictToken++;
    }
    if (o.result) {
      this.s.lastCompletionResult = o.result;
      this.s.continuedFailure = undefined;
    } else if (o.failure) {
      this.s.continuedFailure = o.failure;
    }
    this.tick();
  }

  // -------------------------------------------------------------------------------------------
  // Requests

  applyPatch(p: SchedulePatch, tick = true) {
    // The time before the patch passes under the state before it (time spent paused stays skipped).
    if (tick) this.advance();
    const now = this.host.now();
    if (p.triggerImmediately) {
      const at = p.triggerImmediately.scheduledTime || now;
      this.addStart(at, at, p.triggerImmediately.overlapPolicy, true);
    }
    for (const bf of p.backfills ?? []) {
      if (this.s.backfills.length >= MAX_BUFFER) {
        this.s.info.bufferDropped++;
        continue;
      }
      // The start time is inclusive.
      this.s.backfills.push({ start: bf.start - 1, end: bf.end, overlapPolicy: bf.overlapPolicy });
    }
    if (p.pause) {
      this.s.def.state.paused = true;
      this.s.def.state.notes = p.pause;
      this.s.conflictToken++;
    }
    if (p.unpause) {
      this.s.def.state.paused = false;
      this.s.def.state.notes = p.unpause;
      this.s.conflictToken++;
    }
    if (tick) this.tick();
  }

  /** Replaces spec, action, policies and state (not info); false when the conflict token does not match. */
  update(def: ScheduleDefinition, conflictToken: number, searchAttributes?: Record<string, IPayload>): boolean {
    if (conflictToken !== 0 && conflictToken !== this.s.conflictToken) return false;
    this.advance();
    this.s.def = def;
    this.cspec = new CompiledSpec(def.spec);
    if (searchAttributes) this.s.searchAttributes = searchAttributes;
    this.s.info.updateTime = this.host.now();
    this.s.conflictToken++;
    this.tick();
    return true;
  }

  delete() {
    this.deleted = true;
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** The next `n` action times (fewer when the remaining actions are fewer). */
  futureActionTimes(n = FUTURE_ACTIONS): number[] {
    if (this.s.def.state.limitedActions) n = Math.min(n, this.s.def.state.remainingActions);
    const out: number[] = [];
    let t = this.s.lastProcessed;
    for (let guard = 0; out.length < n && guard < 10_000; guard++) {
      const x = this.cspec.next(t, this.jitterSeed());
      if (!x) break;
      t = x.nextMs;
      if (this.s.info.updateTime > t) continue;
      out.push(t);
    }
    return out;
  }

  matchingTimes(startMs: number, endMs: number): number[] {
    return this.cspec.matchingTimes(startMs, endMs, this.jitterSeed());
  }

  bufferSize() {
    return this.s.buffer.length;
  }
}

export interface SchedulePatch {
  triggerImmediately?: { overlapPolicy: number; scheduledTime?: number };
  backfills?: { start: number; end: number; overlapPolicy: number }[];
  pause?: string;
  unpause?: string;
}

/** A search attribute value as the SDK encodes one: JSON with its type in the metadata. */
function jsonPayload(value: unknown, type: string): IPayload {
  return {
    metadata: { encoding: Buffer.from('json/plain'), type: Buffer.from(type) },
    data: Buffer.from(JSON.stringify(value)),
  };
}
