// The run lifecycle (the official server's StartWorkflowExecution / Terminate handlers, its
// workflow close logic and the timer tasks for run timeouts and retry backoff): create a run,
// start it after a delay, time it out, retry it, continue it as new, close it, apply the
// parent close policy to its children; and cron: a run with a cron schedule waits for the next
// cron time, and when it completes, fails or times out the chain goes on in a new run.
import { randomUUID } from 'node:crypto';
import type { temporal } from '@temporalio/proto';
import { alreadyExists, invalidArgument, notFound } from '../errors.ts';
import type { Execution, Namespace } from '../model.ts';
import { isOpen } from '../model.ts';
import { cronBackoffMs, parseWorkflowCron } from '../schedules/cron.ts';
import {
  durToMs,
  enums,
  EventType as ET,
  history as historyApi,
  msToDur,
  msToTs,
  RetryState,
  Status,
  toNum,
  type IFailure,
  type IPayload,
  type IPayloads,
  type IRetryPolicy,
  type StatusValue,
} from '../proto.ts';
import type { Shard } from './shard.ts';
import { QUEUE_NORMAL } from './workflow-tasks.ts';

const DEFAULT_WFT_TIMEOUT_MS = 10_000;

export interface StartParams {
  workflowId: string;
  workflowType: string;
  taskQueue: string;
  input?: IPayloads | null;
  header?: unknown;
  memo?: Record<string, IPayload>;
  searchAttributes?: Record<string, IPayload>;
  runTimeoutMs: number;
  executionTimeoutMs: number;
  executionExpiration?: number;
  workflowTaskTimeoutMs: number;
  retryPolicy?: IRetryPolicy | null;
  identity?: string;
  requestId?: string;
  startDelayMs?: number;
  parent?: Execution['parent'];
  root?: Execution['root'];
  firstRunId?: string;
  continuedFrom?: Execution;
  initiator?: number;
  continuedFailure?: IFailure | null;
  lastCompletionResult?: IPayloads | null;
  attempt?: number;
  cronSchedule?: string;
}

export interface StartOptions {
  reusePolicy?: number;
  conflictPolicy?: number;
  /** Signal-with-start: the signal goes with the start, or to the running workflow. */
  signal?: { name: string; input?: IPayloads | null; header?: unknown; identity?: string };
}

/**
 * Told when a run closes (after its close event, its parent's and children's updates): for
 * parts outside the workflow itself that follow runs, e.g. a schedule waiting on the run it
 * started. `next` is the run that continues it (continue-as-new or retry), if any.
 */
export type RunClosedListener = (x: Execution, next: Execution | undefined) => void;

export class RunLifecycle {
  readonly closeListeners: RunClosedListener[] = [];

  constructor(private readonly s: Shard) {}

  private validateSearchAttributes(ns: Namespace, sa: Record<string, IPayload> | undefined) {
    for (const name of Object.keys(sa ?? {})) {
      if (!this.s.searchAttributeType(ns, name)) {
        throw invalidArgument(`search attribute ${name} is not defined`);
      }
    }
  }

  /**
   * Starts a workflow run (clients, signal-with-start, child workflows, and any part of the
   * server that starts runs): the id reuse and conflict policies decide what happens when the
   * workflow id already has runs.
   */
  startWorkflow(ns: Namespace, p: StartParams, opts: StartOptions = {}): { x: Execution; started: boolean } {
    if (!p.workflowId) throw invalidArgument('WorkflowId is not set on request.');
    if (p.workflowId.length > 1000) throw invalidArgument('WorkflowId exceeds length limit.');
    if (!p.workflowType) throw invalidArgument('WorkflowType is not set on request.');
    if (!p.taskQueue) throw invalidArgument('TaskQueue is not set on request.');
    if (p.runTimeoutMs < 0 || p.executionTimeoutMs < 0 || p.workflowTaskTimeoutMs < 0) {
      throw invalidArgument('Invalid timeout: timeouts cannot be negative.');
    }
    if (p.cronSchedule) {
      let cron;
      try {
        cron = parseWorkflowCron(p.cronSchedule);
      } catch {
        throw invalidArgument('invalid CronSchedule.');
      }
      if ((p.startDelayMs ?? 0) > 0) throw invalidArgument('CronSchedule and WorkflowStartDelay may not be used together.');
      // The first run waits for the first cron time (its first workflow task backoff).
      const now = this.s.clock.now();
      const delay = cronBackoffMs(cron, now, now);
      if (delay === undefined) throw invalidArgument('invalid CronSchedule, no time can be found to satisfy the schedule');
      p = { ...p, startDelayMs: delay };
    }
    this.validateSearchAttributes(ns, p.searchAttributes);

    const runs = ns.chains.get(p.workflowId);
    const last = runs?.[runs.length - 1];
    const P = enums.WorkflowIdReusePolicy;
    const C = enums.WorkflowIdConflictPolicy;
    const signal = opts.signal;
    if (last && isOpen(last)) {
      if (p.requestId && last.requestIds.has(p.requestId)) {
        // A retried start request: same answer as the first time.
        if (signal) this.s.signals.deliver(last, signal.name, signal.input, signal.identity ?? '', signal.header, undefined);
        return { x: last, started: true };
      }
      const conflict = opts.conflictPolicy ?? C.WORKFLOW_ID_CONFLICT_POLICY_UNSPECIFIED;
      if (signal) {
        // Signal-with-start on a running workflow signals it; during a start delay it also
        // makes the first workflow task available at once (as the server documents).
        if (conflict !== C.WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING) {
          if (last.backoffTimer) {
            last.backoffTimer.cancel();
            last.backoffTimer = undefined;
          }
          this.s.signals.deliver(last, signal.name, signal.input, signal.identity ?? '', signal.header, undefined);
          this.s.workflowTasks.schedule(last);
          return { x: last, started: false };
        }
      }
      if (conflict === C.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING) {
        if (p.requestId) last.requestIds.add(p.requestId);
        return { x: last, started: false };
      }
      if (
        conflict === C.WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING ||
        opts.reusePolicy === P.WORKFLOW_ID_REUSE_POLICY_TERMINATE_IF_RUNNING
      ) {
        this.terminate(last, 'terminated by a new start of the same workflow id', null, p.identity ?? '');
      } else {
        throw alreadyExists(`Workflow execution is already running. WorkflowId: ${p.workflowId}, RunId: ${last.runId}.`);
      }
    } else if (last) {
      const reuse = opts.reusePolicy ?? P.WORKFLOW_ID_REUSE_POLICY_UNSPECIFIED;
      if (reuse === P.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE) {
        throw alreadyExists(`Workflow execution already finished and the workflow id reuse policy rejects a duplicate. WorkflowId: ${p.workflowId}, RunId: ${last.runId}.`);
      }
      if (reuse === P.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY && last.status === Status.WORKFLOW_EXECUTION_STATUS_COMPLETED) {
        throw alreadyExists(`Workflow execution already finished successfully and the workflow id reuse policy allows only failed runs. WorkflowId: ${p.workflowId}, RunId: ${last.runId}.`);
      }
    }
    const x = this.createRun(ns, p, signal);
    return { x, started: true };
  }

  /** Creates a run and writes its first events; the run joins its workflow id's chain. */
  private createRun(ns: Namespace, p: StartParams, signal?: StartOptions['signal']): Execution {
    const now = this.s.clock.now();
    const runId = randomUUID();
    const firstRunId = p.firstRunId ?? runId;
    const executionExpiration = p.executionExpiration ?? (p.executionTimeoutMs > 0 ? now + p.executionTimeoutMs : 0);
    const delay = Math.max(0, p.startDelayMs ?? 0);
    const x: Execution = {
      ns,
      workflowId: p.workflowId,
      runId,
      firstRunId,
      workflowType: p.workflowType,
      taskQueue: p.taskQueue,
      events: [],
      started: { input: p.input, header: p.header },
      historyBytes: 0,
      status: Status.WORKFLOW_EXECUTION_STATUS_RUNNING,
      startTime: now,
      executionTime: now + delay,
      closeTime: 0,
      runTimeoutMs: p.runTimeoutMs,
      executionTimeoutMs: p.executionTimeoutMs,
      executionExpiration,
      workflowTaskTimeoutMs: p.workflowTaskTimeoutMs || DEFAULT_WFT_TIMEOUT_MS,
      retryPolicy: p.retryPolicy,
      attempt: p.attempt ?? 1,
      memo: { ...(p.memo ?? {}) },
      searchAttributes: { ...(p.searchAttributes ?? {}) },
      parent: p.parent,
      root: p.root ?? { workflowId: p.workflowId, runId },
      requestIds: new Set(p.requestId ? [p.requestId] : []),
      signalRequestIds: new Set(),
      cancelRequested: false,
      firstTaskBackoffUntil: now + delay,
      lastCompletedStartedEventId: 0,
      buffered: [],
      activities: new Map(),
      timers: new Map(),
      children: new Map(),
      queries: [],
      historyWaiters: new Set(),
    };
    // Known here, so that closing a run need not decode its first event to learn it has none.
    this.cronSchedules.set(x, p.cronSchedule ?? '');
    let runs = ns.chains.get(p.workflowId);
    if (!runs) ns.chains.set(p.workflowId, (runs = []));
    runs.push(x);
    this.s.executionsByRun.set(`${ns.name}/${runId}`, x);

    const prev = p.continuedFrom;
    this.s.history.write(x, ET.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, {
      workflowExecutionStartedEventAttributes: {
        workflowId: p.workflowId,
        workflowType: { name: p.workflowType },
        taskQueue: { name: p.taskQueue, kind: QUEUE_NORMAL },
        input: p.input,
        header: p.header,
        workflowExecutionTimeout: msToDur(p.executionTimeoutMs),
        workflowRunTimeout: msToDur(p.runTimeoutMs),
        workflowTaskTimeout: msToDur(x.workflowTaskTimeoutMs),
        continuedExecutionRunId: prev?.runId ?? '',
        initiator: p.initiator ?? 0,
        continuedFailure: p.continuedFailure,
        lastCompletionResult: p.lastCompletionResult,
        originalExecutionRunId: runId,
        identity: p.identity ?? '',
        firstExecutionRunId: firstRunId,
        retryPolicy: p.retryPolicy,
        attempt: x.attempt,
        workflowExecutionExpirationTime: executionExpiration ? msToTs(executionExpiration) : null,
        firstWorkflowTaskBackoff: delay ? msToDur(delay) : null,
        cronSchedule: p.cronSchedule ?? '',
        memo: { fields: x.memo },
        searchAttributes: { indexedFields: x.searchAttributes },
        parentWorkflowNamespace: p.parent?.namespace ?? '',
        parentWorkflowNamespaceId: p.parent ? this.s.namespaces.get(p.parent.namespace)?.id ?? '' : '',
        parentWorkflowExecution: p.parent ? { workflowId: p.parent.workflowId, runId: p.parent.runId } : null,
        parentInitiatedEventId: p.parent?.initiatedEventId ?? 0,
        rootWorkflowExecution: x.root,
      },
    });
    if (signal) {
      this.s.history.write(x, ET.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, {
        workflowExecutionSignaledEventAttributes: {
          signalName: signal.name,
          input: signal.input,
          identity: signal.identity ?? '',
          header: signal.header,
        },
      });
    }
    this.armRunTimeout(x);
    if (delay > 0) this.armFirstTaskBackoff(x);
    else this.s.workflowTasks.schedule(x);
    return x;
  }

  /** The first workflow task waits out the start delay (or the retry / continue-as-new backoff). */
  armFirstTaskBackoff(x: Execution) {
    x.backoffTimer = this.s.clock.at(x.firstTaskBackoffUntil, () => {
      x.backoffTimer = undefined;
      this.s.workflowTasks.schedule(x);
      this.s.flush();
    });
  }

  /** The run times out at its run timeout or the chain's execution timeout, whichever comes first. */
  armRunTimeout(x: Execution) {
    const runDeadline = x.runTimeoutMs > 0 ? x.startTime + x.runTimeoutMs : 0;
    const deadline = [runDeadline, x.executionExpiration].filter((d) => d > 0).sort((a, b) => a - b)[0];
    if (!deadline) return;
    x.runTimer?.cancel();
    x.runTimer = this.s.clock.at(deadline, () => {
      x.runTimer = undefined;
      if (!isOpen(x)) return;
      this.s.history.flushBuffered(x);
      // A run timeout of a cron run goes on to the next cron time; the chain's execution timeout ends it.
      const expired = x.executionExpiration > 0 && this.s.clock.now() >= x.executionExpiration;
      const timeout: IFailure = { message: 'workflow timeout', timeoutFailureInfo: { timeoutType: enums.TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE } };
      const next = expired ? undefined : this.cronNext(x, { continuedFailure: timeout, lastCompletionResult: this.startedAttributes(x)?.lastCompletionResult });
      this.closeRun(x, ET.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT, {
        workflowExecutionTimedOutEventAttributes: { retryState: RetryState.RETRY_STATE_TIMEOUT, newExecutionRunId: '' },
      }, Status.WORKFLOW_EXECUTION_STATUS_TIMED_OUT, next);
      this.s.flush();
    });
  }

  /** FailWorkflowExecution: the run fails, and is retried when its retry policy says so. */
  failRun(x: Execution, failure: IFailure | null | undefined, completedId: number) {
    const retry = this.workflowRetryDelay(x, failure);
    if (retry !== undefined) {
      const next = this.nextRun(x, {
        input: x.started.input ?? null,
        initiator: enums.ContinueAsNewInitiator.CONTINUE_AS_NEW_INITIATOR_RETRY,
        continuedFailure: failure,
        attempt: x.attempt + 1,
        startDelayMs: retry,
      });
      this.closeRun(x, ET.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED, {
        workflowExecutionFailedEventAttributes: { failure, retryState: RetryState.RETRY_STATE_IN_PROGRESS, workflowTaskCompletedEventId: completedId, newExecutionRunId: '' },
      }, Status.WORKFLOW_EXECUTION_STATUS_FAILED, next);
      return;
    }
    // Not retried: a cron chain goes on at the next cron time, handing the failure (and the last result) on.
    const next = this.cronNext(x, { continuedFailure: failure, lastCompletionResult: this.startedAttributes(x)?.lastCompletionResult });
    this.closeRun(x, ET.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED, {
      workflowExecutionFailedEventAttributes: {
        failure,
        retryState: x.retryPolicy ? RetryState.RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED : RetryState.RETRY_STATE_RETRY_POLICY_NOT_SET,
        workflowTaskCompletedEventId: completedId,
        newExecutionRunId: '',
      },
    }, Status.WORKFLOW_EXECUTION_STATUS_FAILED, next);
  }

  /** The attributes of the run's WorkflowExecutionStarted event. */
  private startedAttributes(x: Execution): temporal.api.history.v1.IWorkflowExecutionStartedEventAttributes | undefined {
    let a = this.started.get(x);
    if (!a && x.events[0]) {
      a = historyApi.HistoryEvent.decode(x.events[0]).workflowExecutionStartedEventAttributes ?? undefined;
      if (a) this.started.set(x, a);
    }
    return a;
  }

  private readonly started = new WeakMap<Execution, temporal.api.history.v1.IWorkflowExecutionStartedEventAttributes>();
  /** Cron schedule ('' for none) of the runs started in this process; restored runs read their first event. */
  private readonly cronSchedules = new WeakMap<Execution, string>();

  /**
   * The next run of a cron chain whose run `x` closes (completed, or failed or timed out and not
   * retried): it starts at the first cron time after x's scheduled time that is not past, with
   * initiator CRON_SCHEDULE. Undefined when x has no cron schedule or no cron time is left.
   */
  cronNext(x: Execution, over: Partial<StartParams>): StartParams | undefined {
    const cronSchedule = this.cronSchedules.get(x) ?? this.startedAttributes(x)?.cronSchedule;
    if (!cronSchedule) return undefined;
    let delay: number | undefined;
    try {
      delay = cronBackoffMs(parseWorkflowCron(cronSchedule), x.executionTime, this.s.clock.now());
    } catch {
      return undefined;
    }
    if (delay === undefined) return undefined;
    return this.nextRun(x, {
      initiator: enums.ContinueAsNewInitiator.CONTINUE_AS_NEW_INITIATOR_CRON_SCHEDULE,
      startDelayMs: delay,
      attempt: 1,
      continuedFailure: null,
      lastCompletionResult: null,
      ...over,
    });
  }

  private workflowRetryDelay(x: Execution, failure: IFailure | null | undefined): number | undefined {
    const rp = x.retryPolicy;
    if (!rp) return undefined;
    const app = failure?.applicationFailureInfo;
    if (app?.nonRetryable) return undefined;
    if (app?.type && (rp.nonRetryableErrorTypes ?? []).includes(app.type)) return undefined;
    const max = toNum(rp.maximumAttempts);
    if (max > 0 && x.attempt >= max) return undefined;
    const initial = durToMs(rp.initialInterval) || 1000;
    const maxInterval = durToMs(rp.maximumInterval) || initial * 100;
    const delay = Math.min(initial * Math.pow(rp.backoffCoefficient || 2, x.attempt - 1), maxInterval);
    if (x.executionExpiration && this.s.clock.now() + delay >= x.executionExpiration) return undefined;
    return delay;
  }

  continueAsNew(x: Execution, a: temporal.api.command.v1.IContinueAsNewWorkflowExecutionCommandAttributes, completedId: number) {
    const next = this.nextRun(x, {
      workflowType: a.workflowType?.name || x.workflowType,
      taskQueue: a.taskQueue?.name || x.taskQueue,
      input: a.input,
      header: a.header,
      memo: a.memo?.fields ?? x.memo,
      searchAttributes: a.searchAttributes?.indexedFields ?? x.searchAttributes,
      runTimeoutMs: durToMs(a.workflowRunTimeout) || x.runTimeoutMs,
      workflowTaskTimeoutMs: durToMs(a.workflowTaskTimeout) || x.workflowTaskTimeoutMs,
      startDelayMs: durToMs(a.backoffStartInterval),
      initiator: enums.ContinueAsNewInitiator.CONTINUE_AS_NEW_INITIATOR_WORKFLOW,
      lastCompletionResult: a.lastCompletionResult,
      continuedFailure: a.failure,
      retryPolicy: a.retryPolicy ?? x.retryPolicy,
      attempt: 1,
    });
    this.closeRun(x, ET.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW, {
      workflowExecutionContinuedAsNewEventAttributes: {
        newExecutionRunId: '',
        workflowType: { name: next.workflowType },
        taskQueue: { name: next.taskQueue, kind: QUEUE_NORMAL },
        input: a.input,
        workflowRunTimeout: msToDur(next.runTimeoutMs),
        workflowTaskTimeout: msToDur(next.workflowTaskTimeoutMs),
        workflowTaskCompletedEventId: completedId,
        backoffStartInterval: a.backoffStartInterval,
        initiator: enums.ContinueAsNewInitiator.CONTINUE_AS_NEW_INITIATOR_WORKFLOW,
        header: a.header,
        memo: a.memo,
        searchAttributes: a.searchAttributes,
      },
    }, Status.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW, next);
  }

  /** Prepares the run that follows x (continue-as-new or retry); it is created by closeRun. */
  private nextRun(x: Execution, over: Partial<StartParams>): StartParams {
    const first = x.started;
    return {
      workflowId: x.workflowId,
      workflowType: x.workflowType,
      taskQueue: x.taskQueue,
      input: first.input,
      header: first.header,
      memo: x.memo,
      searchAttributes: x.searchAttributes,
      runTimeoutMs: x.runTimeoutMs,
      executionTimeoutMs: x.executionTimeoutMs,
      executionExpiration: x.executionExpiration,
      workflowTaskTimeoutMs: x.workflowTaskTimeoutMs,
      retryPolicy: x.retryPolicy,
      parent: x.parent,
      root: x.root.runId === x.runId ? undefined : x.root,
      firstRunId: x.firstRunId,
      continuedFrom: x,
      // A chain keeps its cron schedule through retries and continue-as-new.
      cronSchedule: this.startedAttributes(x)?.cronSchedule || undefined,
      ...over,
    };
  }

  /**
   * Closes a run: writes the close event, drops what was pending, tells the parent, applies
   * the parent close policy to children, wakes history long-polls, and starts the next run
   * for continue-as-new or retry.
   */
  closeRun(x: Execution, eventType: number, attrs: Record<string, any>, status: StatusValue, next?: StartParams) {
    let nextRun: Execution | undefined;
    if (next) {
      // The next run's id goes into the close event, so it is created first; its first events
      // go to its own history, and its first task waits for its start backoff or is offered.
      nextRun = this.createRun(x.ns, next);
      const field = Object.keys(attrs)[0]!;
      attrs[field].newExecutionRunId = nextRun.runId;
      x.nextRunId = nextRun.runId;
    }
    this.s.history.write(x, eventType, attrs);
    x.status = status;
    x.closeTime = this.s.clock.now();
    x.runTimer?.cancel();
    x.backoffTimer?.cancel();
    x.backoffTimer = undefined;
    this.s.workflowTasks.drop(x);
    this.s.timers.dropAll(x);
    this.s.activities.dropAll(x);
    x.buffered = [];
    this.s.touch(x);

    if (!nextRun && x.parent) this.s.children.notifyParent(x, eventType, attrs);
    this.applyParentClosePolicy(x);
    this.s.queries.pump(x);
    for (const listener of this.closeListeners) listener(x, nextRun);
  }

  private applyParentClosePolicy(x: Execution) {
    const P = enums.ParentClosePolicy;
    for (const cs of x.children.values()) {
      if (cs.parentClosePolicy === P.PARENT_CLOSE_POLICY_ABANDON || !cs.runId) continue;
      const ns = this.s.namespaces.get(cs.namespace);
      if (!ns) continue;
      const runs = ns.chains.get(cs.workflowId);
      const child = runs?.[runs.length - 1];
      if (!child || !isOpen(child) || child.firstRunId !== this.s.run(ns.name, cs.runId)?.firstRunId) continue;
      if (cs.parentClosePolicy === P.PARENT_CLOSE_POLICY_REQUEST_CANCEL) {
        this.s.signals.requestCancel(child, 'by parent close policy', '', undefined);
      } else {
        this.terminate(child, 'by parent close policy', null, '');
      }
    }
    x.children.clear();
  }

  terminate(x: Execution, reason: string, details: IPayloads | null | undefined, identity: string) {
    this.s.workflowTasks.abandon(x);
    this.closeRun(x, ET.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED, {
      workflowExecutionTerminatedEventAttributes: { reason, details, identity },
    }, Status.WORKFLOW_EXECUTION_STATUS_TERMINATED);
  }

  /** TerminateWorkflowExecution from a client. */
  terminateFromClient(x: Execution, req: { reason: string; details?: IPayloads | null; identity: string; firstExecutionRunId: string }) {
    if (req.firstExecutionRunId && x.firstRunId !== req.firstExecutionRunId) throw notFound('workflow execution not found for the given first run id');
    this.terminate(x, req.reason, req.details, req.identity);
  }
}
