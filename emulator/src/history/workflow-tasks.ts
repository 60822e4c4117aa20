// The workflow task state machine (the official server's workflow task state machine and
// its RespondWorkflowTaskCompleted handler): schedule, offer to pollers, start, complete with
// the worker's commands, fail, time out. Commands are checked and applied in commands.ts.
import { randomUUID } from 'node:crypto';
import type { temporal } from '@temporalio/proto';
import { invalidArgument, notFound } from '../errors.ts';
import type { ActivityState, Execution } from '../model.ts';
import { isOpen } from '../model.ts';
import { enums, EventType as ET, msToDur, msToTs, TimeoutType, toNum, WithHistory } from '../proto.ts';
import type { CallContext } from '../rpc.ts';
import type { Updates } from '../updates/updates.ts';
import type { CommandContext } from './commands.ts';
import type { Poll, Shard, WfPollRes } from './shard.ts';
import { encodeToken, type TaskToken } from './tokens.ts';

export const WFT_FAILED = enums.WorkflowTaskFailedCause;
export const QUEUE_NORMAL = enums.TaskQueueKind.TASK_QUEUE_KIND_NORMAL;
export const LONG_POLL_MS = 60_000;
/** Field number of `history` in PollWorkflowTaskQueueResponse. */
export const POLL_HISTORY_FIELD = 8;

type Command = temporal.api.command.v1.Command;
export type ProtocolMessage = temporal.api.protocol.v1.IMessage;
type QueryResult = temporal.api.query.v1.IWorkflowQueryResult;

/** A worker's RespondWorkflowTaskCompleted, decoded at the service edge. */
export interface WorkflowTaskCompletion {
  identity: string;
  binaryChecksum: string;
  commands: Command[];
  /** Protocol messages (workflow updates) that ride with the commands. */
  messages: ProtocolMessage[];
  queryResults: Record<string, QueryResult>;
  forceCreateNewWorkflowTask: boolean;
  /** Passed through into WorkflowTaskCompleted as the worker sent them. */
  sdkMetadata?: unknown;
  meteringMetadata?: unknown;
  workerVersionStamp?: unknown;
}

/** A worker's RespondWorkflowTaskFailed, decoded at the service edge. */
export interface WorkflowTaskFailure {
  identity: string;
  cause: number;
  failure?: temporal.api.failure.v1.IFailure | null;
  binaryChecksum: string;
}

/**
 * A protocol carried by workflow task messages (on the official server: workflow updates).
 * Its messages are handed over where a ProtocolMessage command places them among the other
 * commands, and those no command names after all commands.
 */
export interface ProtocolHandler {
  onMessage(x: Execution, message: ProtocolMessage, ctx: CommandContext): void;
}

export class WorkflowTasks {
  /** Protocols by the type name of their message bodies (e.g. 'temporal.api.update.v1.Acceptance'). */
  readonly protocols = new Map<string, ProtocolHandler>();
  /** Workflow updates: their requests go out with tasks, and a task that only rejected them leaves no trace. */
  updates?: Updates;

  constructor(private readonly s: Shard) {}

  schedule(x: Execution, attempt = 1) {
    if (!isOpen(x) || x.wt || x.backoffTimer) return;
    const ev = this.s.history.write(x, ET.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, {
      workflowTaskScheduledEventAttributes: {
        taskQueue: { name: x.taskQueue, kind: QUEUE_NORMAL },
        startToCloseTimeout: msToDur(x.workflowTaskTimeoutMs),
        attempt,
      },
    });
    x.wt = {
      scheduledEventId: toNum(ev.eventId),
      attempt,
      scheduledTime: this.s.clock.now(),
      started: false,
      startedEventId: 0,
      startedTime: 0,
      queries: [],
    };
    this.s.holdWT.add(x);
    this.offer(x);
  }

  /** Puts the outstanding (not yet started) workflow task of x on its queue. */
  offer(x: Execution) {
    const wt = x.wt;
    if (!wt || wt.started) return;
    const scheduledEventId = wt.scheduledEventId;
    this.s.wfQueue(x.ns.name, x.taskQueue).offer((poll) => this.start(x, scheduledEventId, poll));
  }

  private start(x: Execution, scheduledEventId: number, poll: Poll): WfPollRes | null {
    const wt = x.wt;
    if (!isOpen(x) || !wt || wt.started || wt.scheduledEventId !== scheduledEventId) return null;
    const suggest = x.events.length + 1 >= this.s.suggestContinueAsNewEvents;
    const ev = this.s.history.write(x, ET.EVENT_TYPE_WORKFLOW_TASK_STARTED, {
      workflowTaskStartedEventAttributes: {
        scheduledEventId,
        identity: poll.identity,
        requestId: randomUUID(),
        suggestContinueAsNew: suggest,
        historySizeBytes: x.historyBytes,
      },
    });
    wt.started = true;
    wt.startedEventId = toNum(ev.eventId);
    wt.startedTime = this.s.clock.now();
    wt.queries = x.queries.splice(0);
    const attempt = wt.attempt;
    wt.timeout = this.s.clock.after(x.workflowTaskTimeoutMs, () => {
      if (x.wt !== wt || !isOpen(x)) return;
      this.s.history.write(x, ET.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT, {
        workflowTaskTimedOutEventAttributes: {
          scheduledEventId,
          startedEventId: wt.startedEventId,
          timeoutType: TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE,
        },
      });
      x.wtProblem = ['category=WorkflowTaskTimedOut', 'cause=WorkflowTaskTimedOut'];
      this.end(x, true, attempt + 1);
      this.s.flush();
    });
    const queries: Record<string, unknown> = {};
    for (const q of wt.queries) queries[q.id] = { queryType: q.queryType, queryArgs: q.queryArgs, header: q.header };
    return new WithHistory({
      taskToken: encodeToken({ kind: 'wft', ns: x.ns.name, workflowId: x.workflowId, runId: x.runId, ref: scheduledEventId, attempt }),
      workflowExecution: { workflowId: x.workflowId, runId: x.runId },
      workflowType: { name: x.workflowType },
      previousStartedEventId: x.lastCompletedStartedEventId,
      startedEventId: wt.startedEventId,
      attempt,
      backlogCountHint: 0,
      workflowExecutionTaskQueue: { name: x.taskQueue, kind: QUEUE_NORMAL },
      scheduledTime: msToTs(wt.scheduledTime),
      startedTime: msToTs(wt.startedTime),
      queries,
      messages: this.updates?.outgoing(x, wt.startedEventId) ?? [],
    }, POLL_HISTORY_FIELD, x.events.slice());
  }

  /**
   * Ends the in-flight workflow task after a failure or timeout: buffered events are written,
   * queries handed to it go back to waiting, and a new task is scheduled.
   */
  end(x: Execution, reschedule: boolean, nextAttempt = 1) {
    const wt = x.wt;
    if (!wt) return;
    wt.timeout?.cancel();
    x.wt = undefined;
    this.s.holdWT.delete(x);
    x.queries.unshift(...wt.queries.filter((q) => !q.done));
    this.s.history.flushBuffered(x);
    this.updates?.taskEnded(x);
    if (reschedule && isOpen(x)) this.schedule(x, nextAttempt);
    this.s.queries.pump(x);
    this.s.touch(x);
  }

  /**
   * The in-flight task is abandoned because the run is being closed from outside (terminate):
   * record that, then what arrived meanwhile.
   */
  abandon(x: Execution) {
    if (x.wt?.started) {
      const wt = x.wt;
      wt.timeout?.cancel();
      this.s.history.write(x, ET.EVENT_TYPE_WORKFLOW_TASK_FAILED, {
        workflowTaskFailedEventAttributes: {
          scheduledEventId: wt.scheduledEventId,
          startedEventId: wt.startedEventId,
          cause: WFT_FAILED.WORKFLOW_TASK_FAILED_CAUSE_FORCE_CLOSE_COMMAND,
        },
      });
      x.queries.unshift(...wt.queries.filter((q) => !q.done));
      x.wt = undefined;
      this.s.holdWT.delete(x);
    }
    this.s.history.flushBuffered(x);
  }

  /** Drops the run's workflow task, started or not, when the run closes. */
  drop(x: Execution) {
    if (x.wt) {
      x.wt.timeout?.cancel();
      x.queries.unshift(...x.wt.queries.filter((q) => !q.done));
      x.wt = undefined;
    }
    this.s.holdWT.delete(x);
  }

  poll(ns: string, taskQueue: string, poll: Poll, ctx: CallContext): Promise<WfPollRes> | WfPollRes {
    if (this.s.fromShutDownWorker(poll)) return {};
    const out = this.s.wfQueue(ns, taskQueue).poll(poll, ctx, poll.identity, longPollWait(ctx));
    if (out instanceof Promise) return out.then((r) => r ?? {});
    return out ?? {};
  }

  /** The run whose started workflow task the token names; NOT_FOUND when it is gone. */
  private fromToken(token: TaskToken): Execution {
    const ns = this.s.namespace(token.ns);
    const x = this.s.run(ns.name, token.runId);
    if (!x) throw notFound('Workflow task not found.');
    if (!isOpen(x)) throw notFound('Workflow execution already completed.');
    const wt = x.wt;
    if (!wt || !wt.started || wt.scheduledEventId !== token.ref || wt.attempt !== token.attempt) {
      throw notFound('Workflow task not found.');
    }
    return x;
  }

  respondFailed(token: TaskToken, f: WorkflowTaskFailure) {
    const x = this.fromToken(token);
    const wt = x.wt!;
    this.s.history.write(x, ET.EVENT_TYPE_WORKFLOW_TASK_FAILED, {
      workflowTaskFailedEventAttributes: {
        scheduledEventId: wt.scheduledEventId,
        startedEventId: wt.startedEventId,
        cause: f.cause,
        failure: f.failure,
        identity: f.identity,
        binaryChecksum: f.binaryChecksum,
      },
    });
    x.wtProblem = failedProblem(f.cause);
    this.end(x, true, wt.attempt + 1);
  }

  respondCompleted(token: TaskToken, c: WorkflowTaskCompletion): { activityTasks: unknown[]; resetHistoryEventId?: number } {
    const x = this.fromToken(token);
    const wt = x.wt!;
    const commands = c.commands;

    // Answers to queries handed out with this task.
    for (const q of wt.queries) {
      const r = c.queryResults[q.id];
      if (r) this.s.queries.answer(q, r);
    }

    const problem = this.s.commands.validate(x, commands, c.messages);
    if (problem) {
      this.fail(x, problem.cause, problem.message, c.identity);
      throw invalidArgument(problem.message);
    }
    if (commands.some((cmd) => this.s.commands.isClosing(cmd)) && (x.buffered.some((b) => b.wakes) || this.updates?.hasUnsent(x))) {
      // New events (or updates) arrived while the worker decided to close: it must see them first.
      // The error (not a success) is what makes the worker evict its cached run and replay.
      this.fail(x, WFT_FAILED.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND, 'UnhandledCommand', c.identity);
      throw invalidArgument('UnhandledCommand');
    }

    wt.timeout?.cancel();
    if (this.updates?.discardable(x, wt, commands, c.messages, c.forceCreateNewWorkflowTask)) {
      // The task only carried updates the workflow rejected: its two events are taken back and
      // the worker is told to roll back to the last completed task (resetHistoryEventId).
      for (let i = 0; i < 2; i++) x.historyBytes -= x.events.pop()!.length;
      x.wt = undefined;
      this.s.holdWT.delete(x);
      for (const m of c.messages) this.updates.onMessage(x, m, c.identity);
      x.queries.unshift(...wt.queries.filter((q) => !q.done));
      this.updates.afterCompletion(x);
      this.s.queries.pump(x);
      this.s.touch(x);
      return { activityTasks: [], resetHistoryEventId: x.lastCompletedStartedEventId };
    }
    const completed = this.s.history.write(x, ET.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, {
      workflowTaskCompletedEventAttributes: {
        scheduledEventId: wt.scheduledEventId,
        startedEventId: wt.startedEventId,
        identity: c.identity,
        binaryChecksum: c.binaryChecksum,
        sdkMetadata: c.sdkMetadata,
        meteringMetadata: c.meteringMetadata,
        workerVersion: c.workerVersionStamp,
      },
    });
    x.lastCompletedStartedEventId = wt.startedEventId;
    x.wt = undefined;
    this.s.holdWT.delete(x);
    const leftoverQueries = wt.queries.filter((q) => !q.done);

    const eager: ActivityState[] = [];
    const ctx: CommandContext = {
      completedId: toNum(completed.eventId),
      identity: c.identity,
      after: [],
      eager,
      messages: c.messages,
      messagesHandled: new Set(),
    };
    let wakes = false;
    let close: (() => void) | undefined;
    for (const cmd of commands) {
      if (close) break;
      const r = this.s.commands.apply(x, cmd, ctx);
      if (r === 'wake') wakes = true;
      else if (typeof r === 'function') close = r;
    }
    if (!close) this.s.commands.applyRemainingMessages(x, ctx);
    if (close) {
      close();
      for (const fn of ctx.after) fn();
    } else {
      wakes = this.s.history.flushBuffered(x) || wakes;
      for (const fn of ctx.after) fn();
      if (c.forceCreateNewWorkflowTask || wakes) this.schedule(x);
      // Events written by `after` (child started, signal delivered, ...) schedule their own task.
      this.updates?.afterCompletion(x);
    }
    x.queries.unshift(...leftoverQueries);
    this.s.queries.pump(x);
    const activityTasks = [];
    for (const act of eager) {
      const task = this.s.activities.start(x, act, act.attempt, { identity: c.identity, workerInstanceKey: '' });
      if (task) activityTasks.push(task);
    }
    return { activityTasks };
  }

  /** Fails the in-flight task for a reason of the server's (bad commands, unhandled events). */
  private fail(x: Execution, cause: number, message: string, identity: string) {
    const wt = x.wt!;
    this.s.history.write(x, ET.EVENT_TYPE_WORKFLOW_TASK_FAILED, {
      workflowTaskFailedEventAttributes: {
        scheduledEventId: wt.scheduledEventId,
        startedEventId: wt.startedEventId,
        cause,
        failure: { message, source: 'offline-temporal-server' },
        identity,
      },
    });
    x.wtProblem = failedProblem(cause);
    this.end(x, true, cause === WFT_FAILED.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND ? 1 : wt.attempt + 1);
  }

  /**
   * TemporalReportedProblems as the real server sets it: after two workflow tasks in a row
   * failed or timed out, the category and cause of the last one, until a task succeeds.
   */
  reportedProblems(x: Execution): string[] | undefined {
    return isOpen(x) && x.wt && x.wt.attempt >= 3 ? x.wtProblem : undefined;
  }
}

/** How long a poll may wait: up to a minute, and less than the caller's deadline. */
export function longPollWait(ctx: CallContext) {
  const byDeadline = Number.isFinite(ctx.deadline) ? ctx.deadline - Date.now() - 1000 : LONG_POLL_MS;
  return Math.max(0, Math.min(LONG_POLL_MS, byDeadline));
}

/** ['category=WorkflowTaskFailed', 'cause=WorkflowTaskFailedCauseUnhandledCommand'] for WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND. */
function failedProblem(cause: unknown): string[] {
  const name = (typeof cause === 'number' ? WFT_FAILED[cause] : typeof cause === 'string' ? cause : undefined) ?? 'WORKFLOW_TASK_FAILED_CAUSE_UNSPECIFIED';
  const pascal = name.toLowerCase().split('_').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
  return ['category=WorkflowTaskFailed', `cause=${pascal}`];
}
