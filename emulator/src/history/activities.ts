// The activity state machine with its timeouts and retries (the official server's activity
// state machine, its activity timeout tasks and the Respond/RecordActivityTask... handlers,
// by token and by id). An activity is scheduled by a command, waits on its task queue, is
// started by a poll, and ends completed, failed, canceled or timed out; a failed attempt
// waits out its retry backoff and goes back on the queue.
import { randomUUID } from 'node:crypto';
import type { temporal } from '@temporalio/proto';
import { notFound } from '../errors.ts';
import type { ActivityState, Execution, Namespace } from '../model.ts';
import { isOpen } from '../model.ts';
import {
  durToMs,
  EventType as ET,
  msToDur,
  msToTs,
  RetryState,
  TimeoutType,
  toNum,
  type IFailure,
  type IPayloads,
  type IRetryPolicy,
} from '../proto.ts';
import type { CallContext } from '../rpc.ts';
import type { CommandContext } from './commands.ts';
import type { ActPollRes, Poll, Shard } from './shard.ts';
import { encodeToken, type TaskToken } from './tokens.ts';
import { longPollWait, QUEUE_NORMAL } from './workflow-tasks.ts';

/** Activities handed out with one workflow task completion at most (the server's default). */
const MAX_EAGER_ACTIVITIES = 3;

/** A pending activity and its run, as a token or an id names it. */
export interface ActivityRef {
  x: Execution;
  act: ActivityState;
}

export class Activities {
  constructor(private readonly s: Shard) {}

  /**
   * Schedules an activity. With `eager` (the worker asked for it and polls the same queue),
   * the first attempt is not queued: the caller hands it to the worker in the completion's
   * response, which saves the worker a poll.
   */
  schedule(x: Execution, a: temporal.api.command.v1.IScheduleActivityTaskCommandAttributes, completedId: number, eager?: ActivityState[]) {
    const now = this.s.clock.now();
    const s2c = durToMs(a.scheduleToCloseTimeout);
    let st2c = durToMs(a.startToCloseTimeout);
    let s2s = durToMs(a.scheduleToStartTimeout);
    const hb = durToMs(a.heartbeatTimeout);
    // Defaults as the server fills them in: a missing timeout falls back on the ones given.
    if (!st2c) st2c = s2c;
    if (s2c && st2c > s2c) st2c = s2c;
    if (!s2s || (s2c && s2s > s2c)) s2s = s2c;
    const rp = a.retryPolicy ?? {};
    const initial = durToMs(rp.initialInterval) || 1000;
    const retryPolicy: IRetryPolicy = {
      initialInterval: msToDur(initial),
      backoffCoefficient: rp.backoffCoefficient || 2,
      maximumInterval: msToDur(durToMs(rp.maximumInterval) || initial * 100),
      maximumAttempts: rp.maximumAttempts ?? 0,
      nonRetryableErrorTypes: rp.nonRetryableErrorTypes ?? [],
    };
    const taskQueue = a.taskQueue?.name || x.taskQueue;
    const ev = this.s.history.write(x, ET.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, {
      activityTaskScheduledEventAttributes: {
        activityId: a.activityId,
        activityType: a.activityType,
        taskQueue: { name: taskQueue, kind: QUEUE_NORMAL },
        header: a.header,
        input: a.input,
        scheduleToCloseTimeout: msToDur(s2c),
        scheduleToStartTimeout: msToDur(s2s),
        startToCloseTimeout: msToDur(st2c),
        heartbeatTimeout: msToDur(hb),
        workflowTaskCompletedEventId: completedId,
        retryPolicy,
        useWorkflowBuildId: a.useWorkflowBuildId,
        priority: a.priority,
      },
    });
    const act: ActivityState = {
      scheduledEventId: toNum(ev.eventId),
      activityId: a.activityId ?? '',
      activityType: a.activityType?.name ?? '',
      taskQueue,
      phase: 'scheduled',
      attempt: 1,
      scheduledTime: now,
      currentAttemptScheduledTime: now,
      startedTime: 0,
      startedIdentity: '',
      scheduleToCloseMs: s2c,
      scheduleToStartMs: s2s,
      startToCloseMs: st2c,
      heartbeatMs: hb,
      retryPolicy,
      input: a.input,
      header: a.header,
      lastHeartbeatTime: 0,
      lastWorkerIdentity: '',
      nextAttemptTime: 0,
      cancelRequested: false,
      latestCancelRequestedEventId: 0,
      timers: [],
    };
    x.activities.set(act.scheduledEventId, act);
    this.armScheduleToClose(x, act);
    if (eager && a.requestEagerExecution && taskQueue === x.taskQueue && eager.length < MAX_EAGER_ACTIVITIES) eager.push(act);
    // The first attempt is scheduled when the activity is: its schedule-to-start and
    // schedule-to-close deadlines count from the same moment.
    else this.makeAvailable(x, act, now);
  }

  /** The RequestCancelActivityTask command. */
  requestCancel(x: Execution, a: temporal.api.command.v1.IRequestCancelActivityTaskCommandAttributes, ctx: CommandContext): 'wake' | undefined {
    const scheduledEventId = toNum(a.scheduledEventId);
    const act = x.activities.get(scheduledEventId);
    if (!act) return undefined;
    const ev = this.s.history.write(x, ET.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED, {
      activityTaskCancelRequestedEventAttributes: { scheduledEventId, workflowTaskCompletedEventId: ctx.completedId },
    });
    act.cancelRequested = true;
    act.latestCancelRequestedEventId = toNum(ev.eventId);
    if (act.phase !== 'started') {
      // Never started: cancelled at once, no worker to ask.
      this.drop(x, act);
      this.s.history.write(x, ET.EVENT_TYPE_ACTIVITY_TASK_CANCELED, {
        activityTaskCanceledEventAttributes: {
          scheduledEventId,
          latestCancelRequestedEventId: act.latestCancelRequestedEventId,
          startedEventId: 0,
          identity: ctx.identity,
        },
      });
      return 'wake';
    }
    return undefined;
  }

  /** The schedule-to-close timer: it runs across attempts, so it is always the first of act.timers. */
  armScheduleToClose(x: Execution, act: ActivityState) {
    if (!act.scheduleToCloseMs) return;
    const sched = act.scheduledEventId;
    const deadline = act.scheduledTime + act.scheduleToCloseMs;
    act.timers.push(
      this.s.clock.at(deadline, () => {
        if (x.activities.get(sched) !== act) return;
        // The official server orders timeouts due at the same moment by type, schedule-to-start
        // first: an attempt still waiting for a worker when its schedule-to-start deadline is
        // this one (the default when only schedule-to-close is given) times out as SCHEDULE_TO_START.
        const waiting = act.phase === 'scheduled' && act.scheduleToStartMs > 0 && act.currentAttemptScheduledTime + act.scheduleToStartMs <= deadline;
        this.timedOut(x, act, waiting ? TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START : TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE, RetryState.RETRY_STATE_TIMEOUT);
      }),
    );
  }

  /** The activity's current attempt waits on its queue (scheduled `at`, now unless told). */
  makeAvailable(x: Execution, act: ActivityState, at = this.s.clock.now()) {
    act.phase = 'scheduled';
    act.currentAttemptScheduledTime = at;
    const attempt = act.attempt;
    if (act.scheduleToStartMs && act.scheduleToStartMs !== act.scheduleToCloseMs) {
      act.timers.push(
        this.s.clock.after(act.scheduleToStartMs, () => {
          if (x.activities.get(act.scheduledEventId) !== act || act.phase !== 'scheduled' || act.attempt !== attempt) return;
          this.timedOut(x, act, TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START, RetryState.RETRY_STATE_TIMEOUT);
        }),
      );
    }
    this.s.actQueue(x.ns.name, act.taskQueue).offer((poll) => this.start(x, act, attempt, poll));
  }

  /** Waits out the retry backoff of the current attempt, then offers it again. */
  armBackoff(x: Execution, act: ActivityState) {
    const attempt = act.attempt;
    act.timers.push(
      this.s.clock.at(act.nextAttemptTime, () => {
        if (x.activities.get(act.scheduledEventId) !== act || act.phase !== 'backoff' || act.attempt !== attempt || !isOpen(x)) return;
        this.makeAvailable(x, act);
      }),
    );
  }

  start(x: Execution, act: ActivityState, attempt: number, poll: Poll): ActPollRes | null {
    if (!isOpen(x) || x.activities.get(act.scheduledEventId) !== act || act.phase !== 'scheduled' || act.attempt !== attempt) return null;
    const now = this.s.clock.now();
    act.phase = 'started';
    // A running activity holds time-skipping until it ends (the Java test server's rule).
    this.s.holdAct.add(act);
    act.startedTime = now;
    act.startedIdentity = poll.identity;
    act.lastWorkerIdentity = act.startedIdentity;
    this.s.touch(x);
    this.armStartToClose(x, act, act.startToCloseMs);
    this.armHeartbeatTimeout(x, act);
    return {
      taskToken: encodeToken({ kind: 'act', ns: x.ns.name, workflowId: x.workflowId, runId: x.runId, ref: act.scheduledEventId, attempt }),
      workflowNamespace: x.ns.name,
      workflowType: { name: x.workflowType },
      workflowExecution: { workflowId: x.workflowId, runId: x.runId },
      activityType: { name: act.activityType },
      activityId: act.activityId,
      header: act.header,
      input: act.input,
      heartbeatDetails: act.heartbeatDetails,
      scheduledTime: msToTs(act.scheduledTime),
      currentAttemptScheduledTime: msToTs(act.currentAttemptScheduledTime),
      startedTime: msToTs(now),
      attempt,
      scheduleToCloseTimeout: msToDur(act.scheduleToCloseMs),
      startToCloseTimeout: msToDur(act.startToCloseMs),
      heartbeatTimeout: msToDur(act.heartbeatMs),
      retryPolicy: act.retryPolicy,
    };
  }

  private armStartToClose(x: Execution, act: ActivityState, inMs: number) {
    if (!act.startToCloseMs) return;
    const attempt = act.attempt;
    act.timers.push(
      this.s.clock.after(inMs, () => {
        if (x.activities.get(act.scheduledEventId) !== act || act.phase !== 'started' || act.attempt !== attempt) return;
        this.attemptFailed(x, act, timeoutFailure(TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE, act.heartbeatDetails), true);
      }),
    );
  }

  private armHeartbeatTimeout(x: Execution, act: ActivityState) {
    if (!act.heartbeatMs) return;
    const attempt = act.attempt;
    const beat = act.lastHeartbeatTime;
    act.timers.push(
      this.s.clock.after(act.heartbeatMs, () => {
        if (x.activities.get(act.scheduledEventId) !== act || act.phase !== 'started' || act.attempt !== attempt || act.lastHeartbeatTime !== beat) return;
        this.attemptFailed(x, act, timeoutFailure(TimeoutType.TIMEOUT_TYPE_HEARTBEAT, act.heartbeatDetails), true);
      }),
    );
  }

  private cancelTimers(act: ActivityState, keepScheduleToClose: boolean) {
    const keep = keepScheduleToClose && act.scheduleToCloseMs ? act.timers.slice(0, 1) : [];
    for (const t of act.timers.slice(keep.length)) t.cancel();
    act.timers = keep;
  }

  /** Forgets a pending activity (it ended, or its run closed). */
  drop(x: Execution, act: ActivityState) {
    this.cancelTimers(act, false);
    x.activities.delete(act.scheduledEventId);
    this.s.holdAct.delete(act);
    this.s.touch(x);
  }

  poll(ns: string, taskQueue: string, poll: Poll, ctx: CallContext): Promise<ActPollRes> | ActPollRes {
    if (this.s.fromShutDownWorker(poll)) return {};
    const out = this.s.actQueue(ns, taskQueue).poll(poll, ctx, poll.identity, longPollWait(ctx));
    if (out instanceof Promise) return out.then((r) => r ?? {});
    return out ?? {};
  }

  /** The started attempt a task token names. */
  byToken(token: TaskToken): ActivityRef {
    const x = this.s.run(token.ns, token.runId);
    if (!x || !isOpen(x)) throw notFound('workflow execution already completed');
    const act = x.activities.get(token.ref as number);
    if (!act || act.phase !== 'started' || act.attempt !== token.attempt) throw notFound('activity task not found');
    return { x, act };
  }

  /** The pending activity of a run by its activity id (the ...ById calls). */
  byId(ns: Namespace, workflowId: string, runId: string, activityId: string): ActivityRef {
    const x = this.s.getExecution(ns, workflowId, runId);
    if (!isOpen(x)) throw notFound('workflow execution already completed');
    for (const act of x.activities.values()) if (act.activityId === activityId) return { x, act };
    throw notFound(`activity ${activityId} not found`);
  }

  heartbeat({ x, act }: ActivityRef, details: IPayloads | null | undefined) {
    if (details) act.heartbeatDetails = details;
    act.lastHeartbeatTime = this.s.clock.now();
    this.s.touch(x);
    if (act.phase === 'started') {
      this.cancelTimers(act, true);
      // Re-arm start-to-close relative to the original start, and the heartbeat from now.
      this.armStartToClose(x, act, act.startToCloseMs ? act.startedTime + act.startToCloseMs - this.s.clock.now() : 0);
      this.armHeartbeatTimeout(x, act);
    }
    return { cancelRequested: act.cancelRequested };
  }

  private startedAttrs(act: ActivityState) {
    return {
      activityTaskStartedEventAttributes: {
        scheduledEventId: act.scheduledEventId,
        identity: act.startedIdentity,
        requestId: randomUUID(),
        attempt: act.attempt,
        lastFailure: act.attempt > 1 ? act.lastFailure : null,
      },
    };
  }

  /**
   * Writes the pair Started + close event for an activity (ActivityTaskStarted lazily, as the
   * server does), buffered or not.
   */
  private writeClose(x: Execution, act: ActivityState, eventType: number, field: string, attrs: Record<string, unknown>, withStarted: boolean) {
    this.drop(x, act);
    if (x.wt?.started) {
      // Both go to the buffer; the started id is the position the first one will take.
      const base = x.events.length + x.buffered.length + 1;
      if (withStarted) x.buffered.push({ eventType: ET.EVENT_TYPE_ACTIVITY_TASK_STARTED, attrs: this.startedAttrs(act), wakes: false });
      x.buffered.push({ eventType, attrs: { [field]: { ...attrs, scheduledEventId: act.scheduledEventId, startedEventId: withStarted ? base : 0 } }, wakes: true });
      this.s.touch(x);
      return;
    }
    const startedEventId = withStarted ? toNum(this.s.history.write(x, ET.EVENT_TYPE_ACTIVITY_TASK_STARTED, this.startedAttrs(act)).eventId) : 0;
    this.s.history.record(x, eventType, { [field]: { ...attrs, scheduledEventId: act.scheduledEventId, startedEventId } });
  }

  complete({ x, act }: ActivityRef, result: IPayloads | null | undefined, identity: string) {
    this.writeClose(x, act, ET.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, 'activityTaskCompletedEventAttributes', { result, identity }, true);
  }

  canceled({ x, act }: ActivityRef, details: IPayloads | null | undefined, identity: string) {
    this.writeClose(x, act, ET.EVENT_TYPE_ACTIVITY_TASK_CANCELED, 'activityTaskCanceledEventAttributes', {
      details,
      latestCancelRequestedEventId: act.latestCancelRequestedEventId,
      identity,
    }, true);
  }

  /** The worker reports a failed attempt; `identity` is set by the token call only, as on the server. */
  failed({ x, act }: ActivityRef, failure: IFailure | null | undefined, lastHeartbeatDetails: IPayloads | null | undefined, identity?: string) {
    if (lastHeartbeatDetails) act.heartbeatDetails = lastHeartbeatDetails;
    if (identity !== undefined) act.lastWorkerIdentity = identity;
    this.attemptFailed(x, act, failure ?? { message: 'activity failed' }, false);
  }

  /** One attempt failed (or timed out): retry by the policy, or fail the activity for good. */
  private attemptFailed(x: Execution, act: ActivityState, failure: IFailure, isTimeout: boolean) {
    const now = this.s.clock.now();
    const rp = act.retryPolicy;
    const app = failure.applicationFailureInfo;
    let retryState: number = RetryState.RETRY_STATE_IN_PROGRESS;
    const maxAttempts = toNum(rp.maximumAttempts);
    let delay = 0;
    if (act.cancelRequested) retryState = RetryState.RETRY_STATE_CANCEL_REQUESTED;
    else if (app?.nonRetryable) retryState = RetryState.RETRY_STATE_NON_RETRYABLE_FAILURE;
    else if (app?.type && (rp.nonRetryableErrorTypes ?? []).includes(app.type)) retryState = RetryState.RETRY_STATE_NON_RETRYABLE_FAILURE;
    else if (maxAttempts > 0 && act.attempt >= maxAttempts) retryState = RetryState.RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED;
    else {
      const explicit = durToMs(app?.nextRetryDelay);
      delay = explicit || Math.min(durToMs(rp.initialInterval) * Math.pow(rp.backoffCoefficient || 2, act.attempt - 1), durToMs(rp.maximumInterval));
      if (act.scheduleToCloseMs && now + delay >= act.scheduledTime + act.scheduleToCloseMs) retryState = RetryState.RETRY_STATE_TIMEOUT;
    }
    if (retryState === RetryState.RETRY_STATE_IN_PROGRESS) {
      act.lastFailure = failure;
      act.attempt++;
      act.phase = 'backoff';
      act.nextAttemptTime = now + delay;
      this.s.holdAct.delete(act);
      this.cancelTimers(act, true);
      this.s.touch(x);
      this.armBackoff(x, act);
      return;
    }
    if (isTimeout) {
      this.writeClose(x, act, ET.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT, 'activityTaskTimedOutEventAttributes', {
        failure: { ...failure, cause: act.lastFailure ?? null },
        retryState,
      }, true);
    } else {
      this.writeClose(x, act, ET.EVENT_TYPE_ACTIVITY_TASK_FAILED, 'activityTaskFailedEventAttributes', {
        failure,
        retryState,
        identity: act.lastWorkerIdentity,
      }, true);
    }
  }

  /** A timeout that ends the activity whatever its retry policy (schedule-to-start/close). */
  private timedOut(x: Execution, act: ActivityState, timeoutType: number, retryState: number) {
    const started = act.phase === 'started';
    this.writeClose(x, act, ET.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT, 'activityTaskTimedOutEventAttributes', {
      failure: { ...timeoutFailure(timeoutType, act.heartbeatDetails), cause: act.lastFailure ?? null },
      retryState,
    }, started || act.attempt > 1);
    this.s.flush();
  }

  /** Drops every pending activity of a closing run. */
  dropAll(x: Execution) {
    for (const act of [...x.activities.values()]) this.drop(x, act);
  }
}

function timeoutFailure(timeoutType: number, lastHeartbeatDetails: IPayloads | null | undefined): IFailure {
  const names: Record<number, string> = {
    [TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE]: 'StartToClose',
    [TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START]: 'ScheduleToStart',
    [TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE]: 'ScheduleToClose',
    [TimeoutType.TIMEOUT_TYPE_HEARTBEAT]: 'Heartbeat',
  };
  return {
    message: `activity ${names[timeoutType] ?? 'unknown'} timeout`,
    source: 'Server',
    timeoutFailureInfo: { timeoutType, lastHeartbeatDetails: lastHeartbeatDetails ?? null },
  };
}
