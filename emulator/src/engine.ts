// The workflow engine: turns client calls and worker responses into history events, the way
// the Temporal server does, and hands workflow and activity tasks to pollers.
//
// Invariants the SDK's Core relies on (docs/temporal-wire-notes.md explains each):
// - event ids are dense; nothing is written between WorkflowTaskStarted and the task's end:
//   events that arrive meanwhile are buffered and written after the completion's own events;
// - ActivityTaskStarted is written lazily, right before the activity's close event, with the
//   final attempt number;
// - a completion that would close the workflow while events are buffered is refused with
//   WorkflowTaskFailed(UNHANDLED_COMMAND) and a new workflow task.
import { randomUUID } from 'node:crypto';
import type { Clock } from './clock.ts';
import {
  alreadyExists,
  failedPrecondition,
  invalidArgument,
  notFound,
  RpcError,
  Code,
} from './errors.ts';
import { log } from './log.ts';
import type {
  ActivityState,
  ChildState,
  Execution,
  Namespace,
  PendingQuery,
  TimerState,
} from './model.ts';
import { isOpen } from './model.ts';
import {
  durToMs,
  enums,
  EventType as ET,
  history as historyApi,
  msToDur,
  msToTs,
  RetryState,
  Status,
  TimeoutType,
  toNum,
  tsToMs,
  type HistoryEvent,
  type IFailure,
  type IPayload,
  type IPayloads,
  type IRetryPolicy,
  type StatusValue,
  WithHistory,
} from './proto.ts';
import type { CallContext } from './rpc.ts';
import { TaskQueue } from './taskqueue.ts';
import type { SearchAttributeType } from './visibility.ts';

const WFT_FAILED = enums.WorkflowTaskFailedCause;
const QUEUE_NORMAL = enums.TaskQueueKind.TASK_QUEUE_KIND_NORMAL;
const DEFAULT_WFT_TIMEOUT_MS = 10_000;
const LONG_POLL_MS = 60_000;
/** Activities handed out with one workflow task completion at most (the server's default). */
const MAX_EAGER_ACTIVITIES = 3;
/** Field numbers of `history` in PollWorkflowTaskQueueResponse and GetWorkflowExecutionHistoryResponse. */
const POLL_HISTORY_FIELD = 8;
const GET_HISTORY_FIELD = 1;

export const SYSTEM_SEARCH_ATTRIBUTES: Record<string, SearchAttributeType> = {
  WorkflowId: 'Keyword',
  RunId: 'Keyword',
  WorkflowType: 'Keyword',
  ExecutionStatus: 'Keyword',
  StartTime: 'Datetime',
  CloseTime: 'Datetime',
  ExecutionTime: 'Datetime',
  TaskQueue: 'Keyword',
  HistoryLength: 'Int',
  ExecutionDuration: 'Int',
  ParentWorkflowId: 'Keyword',
  ParentRunId: 'Keyword',
  RootWorkflowId: 'Keyword',
  RootRunId: 'Keyword',
  TemporalChangeVersion: 'KeywordList',
  BuildIds: 'KeywordList',
  BinaryChecksums: 'KeywordList',
  // Set by the server on a run whose workflow task keeps failing or timing out (see reportedProblems).
  TemporalReportedProblems: 'KeywordList',
};

/** Registered for every namespace, as the official dev and test servers do. */
export const DEFAULT_CUSTOM_SEARCH_ATTRIBUTES: Record<string, SearchAttributeType> = {
  CustomKeywordField: 'Keyword',
  CustomStringField: 'Text',
  CustomTextField: 'Text',
  CustomIntField: 'Int',
  CustomDoubleField: 'Double',
  CustomBoolField: 'Bool',
  CustomDatetimeField: 'Datetime',
};

export const STATUS_NAMES: Record<number, string> = {
  [Status.WORKFLOW_EXECUTION_STATUS_RUNNING]: 'Running',
  [Status.WORKFLOW_EXECUTION_STATUS_COMPLETED]: 'Completed',
  [Status.WORKFLOW_EXECUTION_STATUS_FAILED]: 'Failed',
  [Status.WORKFLOW_EXECUTION_STATUS_CANCELED]: 'Canceled',
  [Status.WORKFLOW_EXECUTION_STATUS_TERMINATED]: 'Terminated',
  [Status.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW]: 'ContinuedAsNew',
  [Status.WORKFLOW_EXECUTION_STATUS_TIMED_OUT]: 'TimedOut',
};

type WfPollRes = Record<string, unknown> | WithHistory;
type ActPollRes = Record<string, unknown>;

interface TaskToken {
  kind: 'wft' | 'act' | 'query';
  ns: string;
  workflowId: string;
  runId: string;
  /** Scheduled event id of the workflow task or activity, or the query id. */
  ref: number | string;
  attempt: number;
}

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

/** Hooks for durable storage (dev mode with --db-filename). */
export interface Persistence {
  markDirty(x: Execution): void;
}

export class Engine {
  readonly namespaces = new Map<string, Namespace>();
  private readonly wfQueues = new Map<string, TaskQueue<any, WfPollRes>>();
  private readonly actQueues = new Map<string, TaskQueue<any, ActPollRes>>();
  private readonly executionsByRun = new Map<string, Execution>();
  /** What holds time in time-skipping mode. */
  private readonly holdWT = new Set<Execution>();
  private readonly holdAct = new Set<ActivityState>();
  private readonly holdQuery = new Set<PendingQuery>();
  private taskIdSeq = 1;
  private readonly queryTokens = new Map<string, { x: Execution; q: PendingQuery }>();
  persistence?: Persistence;
  /** As the real server: 4K events; `--dynamic-config-value limit.historyCount.suggestContinueAsNew=N` lowers it. */
  suggestContinueAsNewEvents = 4096;

  constructor(readonly clock: Clock) {
    clock.setHolds(() => this.holdWT.size + this.holdAct.size + this.holdQuery.size);
  }

  // ---------------------------------------------------------------- namespaces

  registerNamespace(name: string, opts: { id?: string; description?: string; retentionMs?: number } = {}): Namespace {
    const existing = this.namespaces.get(name);
    if (existing) return existing;
    const ns: Namespace = {
      name,
      id: opts.id ?? randomUUID(),
      description: opts.description ?? '',
      retentionMs: opts.retentionMs ?? 24 * 3600_000,
      searchAttributes: new Map(Object.entries(DEFAULT_CUSTOM_SEARCH_ATTRIBUTES)),
      chains: new Map(),
    };
    this.namespaces.set(name, ns);
    return ns;
  }

  namespace(name: string | null | undefined): Namespace {
    const ns = this.namespaces.get(name || '');
    if (!ns) throw notFound(`Namespace ${name || '(empty)'} is not found.`);
    return ns;
  }

  searchAttributeType(ns: Namespace, name: string): SearchAttributeType | undefined {
    return SYSTEM_SEARCH_ATTRIBUTES[name] ?? ns.searchAttributes.get(name);
  }

  // ---------------------------------------------------------------- lookups

  private chain(ns: Namespace, workflowId: string): Execution[] | undefined {
    return ns.chains.get(workflowId);
  }

  /** The run named, or the latest run of the workflow id; NOT_FOUND when there is none. */
  getExecution(ns: Namespace, workflowId: string | null | undefined, runId?: string | null): Execution {
    if (!workflowId) throw invalidArgument('WorkflowId is not set on request.');
    const runs = this.chain(ns, workflowId);
    if (runs && runs.length > 0) {
      if (!runId) return runs[runs.length - 1]!;
      const x = this.executionsByRun.get(`${ns.name}/${runId}`);
      if (x && x.workflowId === workflowId) return x;
    }
    throw notFound(`workflow not found for ID: ${workflowId}`);
  }

  /** For signal, cancel, terminate: the run named (must be open), or the latest open run. */
  private getOpenExecution(ns: Namespace, workflowId: string | null | undefined, runId?: string | null): Execution {
    const x = this.getExecution(ns, workflowId, runId);
    if (!isOpen(x)) throw notFound('workflow execution already completed');
    return x;
  }

  allExecutions(ns: Namespace): Execution[] {
    const out: Execution[] = [];
    for (const runs of ns.chains.values()) out.push(...runs);
    return out;
  }

  // ---------------------------------------------------------------- history primitives

  private touch(x: Execution) {
    this.persistence?.markDirty(x);
  }

  private makeEvent(x: Execution, eventType: number, attrs: Record<string, unknown>): HistoryEvent {
    // A plain object, not a protobufjs Message: it is encoded once (write) and read by the
    // engine; attribute values are built protobuf-ready, so no conversion pass is needed.
    return {
      eventId: x.events.length + 1,
      eventTime: msToTs(this.clock.now()),
      eventType,
      taskId: this.taskIdSeq++,
      ...attrs,
    } as unknown as HistoryEvent;
  }

  /** Writes an event now (never while a workflow task is in flight; see `record`). */
  private write(x: Execution, eventType: number, attrs: Record<string, unknown>): HistoryEvent {
    const ev = this.makeEvent(x, eventType, attrs);
    // Copied out of the encoder's buffer: small Node buffers are slices of shared 8 KiB
    // slabs, and a long-lived event would keep a whole slab of short-lived garbage alive.
    const bytes = new Uint8Array(historyApi.HistoryEvent.encode(ev).finish());
    x.events.push(bytes);
    x.historyBytes += bytes.length;
    this.touch(x);
    if (x.historyWaiters.size > 0) {
      const waiters = [...x.historyWaiters];
      x.historyWaiters.clear();
      for (const w of waiters) w();
    }
    return ev;
  }

  /**
   * Records an event that arrives from outside the workflow's own task (a signal, an activity
   * result, a timer): buffered while a workflow task is in flight, otherwise written, and a
   * workflow task is scheduled when `wakes` and none is outstanding.
   */
  private record(x: Execution, eventType: number, attrs: Record<string, unknown>, wakes = true) {
    if (x.wt?.started) {
      x.buffered.push({ eventType, attrs, wakes });
      this.touch(x);
      return;
    }
    this.write(x, eventType, attrs);
    if (wakes) this.scheduleWorkflowTask(x);
  }

  private flushBuffered(x: Execution): boolean {
    let wakes = false;
    const buffered = x.buffered;
    x.buffered = [];
    for (const b of buffered) {
      this.write(x, b.eventType, b.attrs);
      wakes ||= b.wakes;
    }
    return wakes;
  }

  // ---------------------------------------------------------------- starting workflows

  private validateSearchAttributes(ns: Namespace, sa: Record<string, IPayload> | undefined) {
    for (const name of Object.keys(sa ?? {})) {
      if (!this.searchAttributeType(ns, name)) {
        throw invalidArgument(`search attribute ${name} is not defined`);
      }
    }
  }

  startWorkflow(
    ns: Namespace,
    p: StartParams,
    opts: { reusePolicy?: number; conflictPolicy?: number; signal?: { name: string; input?: IPayloads | null; header?: unknown; identity?: string } } = {},
  ): { x: Execution; started: boolean } {
    if (!p.workflowId) throw invalidArgument('WorkflowId is not set on request.');
    if (p.workflowId.length > 1000) throw invalidArgument('WorkflowId exceeds length limit.');
    if (!p.workflowType) throw invalidArgument('WorkflowType is not set on request.');
    if (!p.taskQueue) throw invalidArgument('TaskQueue is not set on request.');
    if (p.runTimeoutMs < 0 || p.executionTimeoutMs < 0 || p.workflowTaskTimeoutMs < 0) {
      throw invalidArgument('Invalid timeout: timeouts cannot be negative.');
    }
    if (p.cronSchedule) throw new RpcError(Code.UNIMPLEMENTED, 'cron schedules are not supported by the offline Temporal server');
    this.validateSearchAttributes(ns, p.searchAttributes);

    const runs = this.chain(ns, p.workflowId);
    const last = runs?.[runs.length - 1];
    const P = enums.WorkflowIdReusePolicy;
    const C = enums.WorkflowIdConflictPolicy;
    if (last && isOpen(last)) {
      if (p.requestId && last.requestIds.has(p.requestId)) {
        // A retried start request: same answer as the first time.
        if (opts.signal) this.signalExecution(last, opts.signal.name, opts.signal.input, opts.signal.identity ?? '', opts.signal.header, undefined);
        return { x: last, started: true };
      }
      const conflict = opts.conflictPolicy ?? C.WORKFLOW_ID_CONFLICT_POLICY_UNSPECIFIED;
      if (opts.signal) {
        // Signal-with-start on a running workflow signals it; during a start delay it also
        // makes the first workflow task available at once (as the server documents).
        if (conflict !== C.WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING) {
          if (last.backoffTimer) {
            last.backoffTimer.cancel();
            last.backoffTimer = undefined;
          }
          this.signalExecution(last, opts.signal.name, opts.signal.input, opts.signal.identity ?? '', opts.signal.header, undefined);
          this.scheduleWorkflowTask(last);
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
    const x = this.createRun(ns, p, opts.signal);
    return { x, started: true };
  }

  /** Creates a run and writes its first events; the run joins its workflow id's chain. */
  private createRun(ns: Namespace, p: StartParams, signal?: { name: string; input?: IPayloads | null; header?: unknown; identity?: string }): Execution {
    const now = this.clock.now();
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
    let runs = ns.chains.get(p.workflowId);
    if (!runs) ns.chains.set(p.workflowId, (runs = []));
    runs.push(x);
    this.executionsByRun.set(`${ns.name}/${runId}`, x);

    const prev = p.continuedFrom;
    this.write(x, ET.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, {
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
        memo: { fields: x.memo },
        searchAttributes: { indexedFields: x.searchAttributes },
        parentWorkflowNamespace: p.parent?.namespace ?? '',
        parentWorkflowNamespaceId: p.parent ? this.namespaces.get(p.parent.namespace)?.id ?? '' : '',
        parentWorkflowExecution: p.parent ? { workflowId: p.parent.workflowId, runId: p.parent.runId } : null,
        parentInitiatedEventId: p.parent?.initiatedEventId ?? 0,
        rootWorkflowExecution: x.root,
      },
    });
    if (signal) {
      this.write(x, ET.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, {
        workflowExecutionSignaledEventAttributes: {
          signalName: signal.name,
          input: signal.input,
          identity: signal.identity ?? '',
          header: signal.header,
        },
      });
    }
    this.armRunTimeout(x);
    if (delay > 0) {
      x.backoffTimer = this.clock.at(x.firstTaskBackoffUntil, () => {
        x.backoffTimer = undefined;
        this.scheduleWorkflowTask(x);
        this.flush();
      });
    } else {
      this.scheduleWorkflowTask(x);
    }
    return x;
  }

  private armRunTimeout(x: Execution) {
    const runDeadline = x.runTimeoutMs > 0 ? x.startTime + x.runTimeoutMs : 0;
    const deadline = [runDeadline, x.executionExpiration].filter((d) => d > 0).sort((a, b) => a - b)[0];
    if (!deadline) return;
    x.runTimer?.cancel();
    x.runTimer = this.clock.at(deadline, () => {
      x.runTimer = undefined;
      if (!isOpen(x)) return;
      this.flushBuffered(x);
      this.closeRun(x, ET.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT, {
        workflowExecutionTimedOutEventAttributes: { retryState: RetryState.RETRY_STATE_TIMEOUT },
      }, Status.WORKFLOW_EXECUTION_STATUS_TIMED_OUT);
      this.flush();
    });
  }

  // ---------------------------------------------------------------- workflow tasks

  private wfQueue(ns: string, name: string) {
    const key = `${ns}\u0000${name}`;
    let q = this.wfQueues.get(key);
    if (!q) this.wfQueues.set(key, (q = new TaskQueue(name)));
    return q;
  }

  private actQueue(ns: string, name: string) {
    const key = `${ns}\u0000${name}`;
    let q = this.actQueues.get(key);
    if (!q) this.actQueues.set(key, (q = new TaskQueue(name)));
    return q;
  }

  scheduleWorkflowTask(x: Execution, attempt = 1) {
    if (!isOpen(x) || x.wt || x.backoffTimer) return;
    const ev = this.write(x, ET.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, {
      workflowTaskScheduledEventAttributes: {
        taskQueue: { name: x.taskQueue, kind: QUEUE_NORMAL },
        startToCloseTimeout: msToDur(x.workflowTaskTimeoutMs),
        attempt,
      },
    });
    x.wt = {
      scheduledEventId: toNum(ev.eventId),
      attempt,
      scheduledTime: this.clock.now(),
      started: false,
      startedEventId: 0,
      startedTime: 0,
      queries: [],
    };
    this.holdWT.add(x);
    this.offerWorkflowTask(x);
  }

  /** Puts the outstanding (not yet started) workflow task of x on its queue. */
  offerWorkflowTask(x: Execution) {
    const wt = x.wt;
    if (!wt || wt.started) return;
    const scheduledEventId = wt.scheduledEventId;
    this.wfQueue(x.ns.name, x.taskQueue).offer((req) => this.startWorkflowTask(x, scheduledEventId, req));
  }

  private startWorkflowTask(x: Execution, scheduledEventId: number, req: any): WfPollRes | null {
    const wt = x.wt;
    if (!isOpen(x) || !wt || wt.started || wt.scheduledEventId !== scheduledEventId) return null;
    const suggest = x.events.length + 1 >= this.suggestContinueAsNewEvents;
    const ev = this.write(x, ET.EVENT_TYPE_WORKFLOW_TASK_STARTED, {
      workflowTaskStartedEventAttributes: {
        scheduledEventId,
        identity: req.identity ?? '',
        requestId: randomUUID(),
        suggestContinueAsNew: suggest,
        historySizeBytes: x.historyBytes,
      },
    });
    wt.started = true;
    wt.startedEventId = toNum(ev.eventId);
    wt.startedTime = this.clock.now();
    wt.queries = x.queries.splice(0);
    const attempt = wt.attempt;
    wt.timeout = this.clock.after(x.workflowTaskTimeoutMs, () => {
      if (x.wt !== wt || !isOpen(x)) return;
      this.write(x, ET.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT, {
        workflowTaskTimedOutEventAttributes: {
          scheduledEventId,
          startedEventId: wt.startedEventId,
          timeoutType: TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE,
        },
      });
      x.wtProblem = ['category=WorkflowTaskTimedOut', 'cause=WorkflowTaskTimedOut'];
      this.endWorkflowTask(x, true, attempt + 1);
      this.flush();
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
    }, POLL_HISTORY_FIELD, x.events.slice());
  }

  /**
   * Ends the in-flight workflow task after a failure or timeout: buffered events are written,
   * queries handed to it go back to waiting, and a new task is scheduled.
   */
  private endWorkflowTask(x: Execution, reschedule: boolean, nextAttempt = 1) {
    const wt = x.wt;
    if (!wt) return;
    wt.timeout?.cancel();
    x.wt = undefined;
    this.holdWT.delete(x);
    x.queries.unshift(...wt.queries.filter((q) => !q.done));
    this.flushBuffered(x);
    if (reschedule && isOpen(x)) this.scheduleWorkflowTask(x, nextAttempt);
    this.pumpQueries(x);
    this.touch(x);
  }

  pollWorkflowTaskQueue(req: any, ctx: CallContext): Promise<WfPollRes> | WfPollRes {
    const ns = this.namespace(req.namespace);
    const tq = req.taskQueue?.name;
    if (!tq) throw invalidArgument('TaskQueue is not set on request.');
    const q = this.wfQueue(ns.name, tq);
    const out = q.poll(req, ctx, req.identity ?? '', longPollWait(ctx));
    if (out instanceof Promise) return out.then((r) => r ?? {});
    return out ?? {};
  }

  private workflowTaskFromToken(token: TaskToken): { x: Execution } {
    const ns = this.namespace(token.ns);
    const x = this.executionsByRun.get(`${ns.name}/${token.runId}`);
    if (!x) throw notFound('Workflow task not found.');
    if (!isOpen(x)) throw notFound('Workflow execution already completed.');
    const wt = x.wt;
    if (!wt || !wt.started || wt.scheduledEventId !== token.ref || wt.attempt !== token.attempt) {
      throw notFound('Workflow task not found.');
    }
    return { x };
  }

  respondWorkflowTaskFailed(req: any) {
    const token = decodeToken(req.taskToken, 'wft');
    const { x } = this.workflowTaskFromToken(token);
    const wt = x.wt!;
    this.write(x, ET.EVENT_TYPE_WORKFLOW_TASK_FAILED, {
      workflowTaskFailedEventAttributes: {
        scheduledEventId: wt.scheduledEventId,
        startedEventId: wt.startedEventId,
        cause: req.cause,
        failure: req.failure,
        identity: req.identity ?? '',
        binaryChecksum: req.binaryChecksum ?? '',
      },
    });
    x.wtProblem = failedProblem(req.cause);
    this.endWorkflowTask(x, true, wt.attempt + 1);
    return {};
  }

  respondWorkflowTaskCompleted(req: any) {
    const token = decodeToken(req.taskToken, 'wft');
    const { x } = this.workflowTaskFromToken(token);
    const wt = x.wt!;
    const commands: any[] = req.commands ?? [];

    // Answers to queries handed out with this task.
    const results = req.queryResults ?? {};
    for (const q of wt.queries) {
      const r = results[q.id];
      if (r) this.answerQuery(q, r);
    }

    const closing = commands.findIndex((c) => isCloseCommand(c.attributes));
    const problem = this.validateCommands(x, commands);
    if (problem) {
      this.failWorkflowTask(x, problem.cause, problem.message, req.identity);
      throw invalidArgument(problem.message);
    }
    if (closing >= 0 && x.buffered.some((b) => b.wakes)) {
      // New events arrived while the worker decided to close: it must see them first.
      // The error (not a success) is what makes the worker evict its cached run and replay.
      this.failWorkflowTask(x, WFT_FAILED.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND, 'UnhandledCommand', req.identity);
      throw invalidArgument('UnhandledCommand');
    }

    wt.timeout?.cancel();
    const completed = this.write(x, ET.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, {
      workflowTaskCompletedEventAttributes: {
        scheduledEventId: wt.scheduledEventId,
        startedEventId: wt.startedEventId,
        identity: req.identity ?? '',
        binaryChecksum: req.binaryChecksum ?? '',
        sdkMetadata: req.sdkMetadata,
        meteringMetadata: req.meteringMetadata,
        workerVersion: req.workerVersionStamp,
      },
    });
    const completedId = toNum(completed.eventId);
    x.lastCompletedStartedEventId = wt.startedEventId;
    x.wt = undefined;
    this.holdWT.delete(x);
    const leftoverQueries = wt.queries.filter((q) => !q.done);

    const after: Array<() => void> = [];
    const eager: ActivityState[] = [];
    let wakes = false;
    let close: (() => void) | undefined;
    for (const cmd of commands) {
      if (close) break;
      const r = this.applyCommand(x, cmd, completedId, after, req.identity ?? '', eager);
      if (r === 'wake') wakes = true;
      else if (typeof r === 'function') close = r;
    }
    if (close) {
      close();
      for (const fn of after) fn();
    } else {
      wakes = this.flushBuffered(x) || wakes;
      for (const fn of after) fn();
      if (req.forceCreateNewWorkflowTask || wakes) this.scheduleWorkflowTask(x);
      // Events written by `after` (child started, signal delivered, ...) schedule their own task.
    }
    x.queries.unshift(...leftoverQueries);
    this.pumpQueries(x);
    const activityTasks = [];
    for (const act of eager) {
      const task = this.startActivity(x, act, act.attempt, { identity: req.identity });
      if (task) activityTasks.push(task);
    }
    return { activityTasks };
  }

  private failWorkflowTask(x: Execution, cause: number, message: string, identity?: string) {
    const wt = x.wt!;
    this.write(x, ET.EVENT_TYPE_WORKFLOW_TASK_FAILED, {
      workflowTaskFailedEventAttributes: {
        scheduledEventId: wt.scheduledEventId,
        startedEventId: wt.startedEventId,
        cause,
        failure: { message, source: 'offline-temporal-server' },
        identity: identity ?? '',
      },
    });
    x.wtProblem = failedProblem(cause);
    this.endWorkflowTask(x, true, cause === WFT_FAILED.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND ? 1 : wt.attempt + 1);
  }

  private validateCommands(x: Execution, commands: any[]): { cause: number; message: string } | undefined {
    const activityIds = new Set([...x.activities.values()].map((a) => a.activityId));
    const timerIds = new Set(x.timers.keys());
    for (const cmd of commands) {
      const kind: string | undefined = cmd.attributes;
      const a = kind ? cmd[kind] : undefined;
      switch (kind) {
        case 'scheduleActivityTaskCommandAttributes': {
          if (!a.activityId) return { cause: WFT_FAILED.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES, message: 'ActivityId is not set.' };
          if (!a.activityType?.name) return { cause: WFT_FAILED.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES, message: 'ActivityType is not set.' };
          if (activityIds.has(a.activityId)) return { cause: WFT_FAILED.WORKFLOW_TASK_FAILED_CAUSE_SCHEDULE_ACTIVITY_DUPLICATE_ID, message: `Activity id ${a.activityId} is already in use.` };
          if (!durToMs(a.scheduleToCloseTimeout) && !durToMs(a.startToCloseTimeout)) {
            return { cause: WFT_FAILED.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES, message: 'A valid StartToClose or ScheduleToCloseTimeout is not set on ScheduleActivityTaskCommand.' };
          }
          activityIds.add(a.activityId);
          break;
        }
        case 'startTimerCommandAttributes':
          if (!a.timerId) return { cause: WFT_FAILED.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_TIMER_ATTRIBUTES, message: 'TimerId is not set.' };
          if (timerIds.has(a.timerId)) return { cause: WFT_FAILED.WORKFLOW_TASK_FAILED_CAUSE_START_TIMER_DUPLICATE_ID, message: `Timer id ${a.timerId} is already in use.` };
          timerIds.add(a.timerId);
          break;
        case 'upsertWorkflowSearchAttributesCommandAttributes':
        case 'startChildWorkflowExecutionCommandAttributes':
        case 'continueAsNewWorkflowExecutionCommandAttributes':
          for (const name of Object.keys(a.searchAttributes?.indexedFields ?? {})) {
            if (!this.searchAttributeType(x.ns, name)) {
              return { cause: WFT_FAILED.WORKFLOW_TASK_FAILED_CAUSE_BAD_SEARCH_ATTRIBUTES, message: `search attribute ${name} is not defined` };
            }
          }
          if (kind === 'startChildWorkflowExecutionCommandAttributes' && !a.workflowId) {
            return { cause: WFT_FAILED.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_CHILD_EXECUTION_ATTRIBUTES, message: 'WorkflowId is not set.' };
          }
          break;
        default:
          break;
      }
    }
    return undefined;
  }

  /**
   * Applies one command. Returns 'wake' when a workflow task must follow, a function that
   * closes the run for a closing command, or undefined.
   */
  private applyCommand(x: Execution, cmd: any, completedId: number, after: Array<() => void>, identity: string, eager: ActivityState[]): 'wake' | (() => void) | undefined {
    const kind: string | undefined = cmd.attributes;
    const a = kind ? cmd[kind] : undefined;
    switch (kind) {
      case 'scheduleActivityTaskCommandAttributes':
        this.scheduleActivity(x, a, completedId, eager);
        return;
      case 'requestCancelActivityTaskCommandAttributes': {
        const scheduledEventId = toNum(a.scheduledEventId);
        const act = x.activities.get(scheduledEventId);
        if (!act) return;
        const ev = this.write(x, ET.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED, {
          activityTaskCancelRequestedEventAttributes: { scheduledEventId, workflowTaskCompletedEventId: completedId },
        });
        act.cancelRequested = true;
        act.latestCancelRequestedEventId = toNum(ev.eventId);
        if (act.phase !== 'started') {
          // Never started: cancelled at once, no worker to ask.
          this.dropActivity(x, act);
          this.write(x, ET.EVENT_TYPE_ACTIVITY_TASK_CANCELED, {
            activityTaskCanceledEventAttributes: {
              scheduledEventId,
              latestCancelRequestedEventId: act.latestCancelRequestedEventId,
              startedEventId: 0,
              identity,
            },
          });
          return 'wake';
        }
        return;
      }
      case 'startTimerCommandAttributes': {
        const ms = durToMs(a.startToFireTimeout);
        const ev = this.write(x, ET.EVENT_TYPE_TIMER_STARTED, {
          timerStartedEventAttributes: { timerId: a.timerId, startToFireTimeout: a.startToFireTimeout, workflowTaskCompletedEventId: completedId },
        });
        const t: TimerState = { timerId: a.timerId, startedEventId: toNum(ev.eventId), dueTime: this.clock.now() + ms };
        x.timers.set(t.timerId, t);
        this.armTimer(x, t);
        return;
      }
      case 'cancelTimerCommandAttributes': {
        const t = x.timers.get(a.timerId);
        if (!t) return;
        t.handle?.cancel();
        x.timers.delete(a.timerId);
        this.write(x, ET.EVENT_TYPE_TIMER_CANCELED, {
          timerCanceledEventAttributes: { timerId: t.timerId, startedEventId: t.startedEventId, workflowTaskCompletedEventId: completedId, identity },
        });
        return;
      }
      case 'recordMarkerCommandAttributes':
        this.write(x, ET.EVENT_TYPE_MARKER_RECORDED, {
          markerRecordedEventAttributes: { markerName: a.markerName, details: a.details, header: a.header, failure: a.failure, workflowTaskCompletedEventId: completedId },
        });
        return;
      case 'upsertWorkflowSearchAttributesCommandAttributes': {
        const fields: Record<string, IPayload> = a.searchAttributes?.indexedFields ?? {};
        this.write(x, ET.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES, {
          upsertWorkflowSearchAttributesEventAttributes: { searchAttributes: a.searchAttributes, workflowTaskCompletedEventId: completedId },
        });
        for (const [k, v] of Object.entries(fields)) {
          if (isEmptyPayload(v)) delete x.searchAttributes[k];
          else x.searchAttributes[k] = v;
        }
        return;
      }
      case 'modifyWorkflowPropertiesCommandAttributes': {
        const fields: Record<string, IPayload> = a.upsertedMemo?.fields ?? {};
        this.write(x, ET.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED, {
          workflowPropertiesModifiedEventAttributes: { upsertedMemo: a.upsertedMemo, workflowTaskCompletedEventId: completedId },
        });
        for (const [k, v] of Object.entries(fields)) {
          if (isEmptyPayload(v)) delete x.memo[k];
          else x.memo[k] = v;
        }
        return;
      }
      case 'startChildWorkflowExecutionCommandAttributes':
        this.initiateChild(x, a, completedId, after);
        return;
      case 'signalExternalWorkflowExecutionCommandAttributes':
        this.initiateExternalSignal(x, a, completedId, after);
        return;
      case 'requestCancelExternalWorkflowExecutionCommandAttributes':
        this.initiateExternalCancel(x, a, completedId, after);
        return;
      case 'completeWorkflowExecutionCommandAttributes':
        return () =>
          this.closeRun(x, ET.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, {
            workflowExecutionCompletedEventAttributes: { result: a.result, workflowTaskCompletedEventId: completedId },
          }, Status.WORKFLOW_EXECUTION_STATUS_COMPLETED);
      case 'failWorkflowExecutionCommandAttributes':
        return () => this.failRun(x, a.failure, completedId);
      case 'cancelWorkflowExecutionCommandAttributes':
        return () =>
          this.closeRun(x, ET.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED, {
            workflowExecutionCanceledEventAttributes: { details: a.details, workflowTaskCompletedEventId: completedId },
          }, Status.WORKFLOW_EXECUTION_STATUS_CANCELED);
      case 'continueAsNewWorkflowExecutionCommandAttributes':
        return () => this.continueAsNew(x, a, completedId);
      case undefined:
        return;
      default:
        log.warn(`ignoring unsupported command ${kind}`);
        return;
    }
  }

  // ---------------------------------------------------------------- timers

  private armTimer(x: Execution, t: TimerState) {
    t.handle = this.clock.at(t.dueTime, () => {
      if (x.timers.get(t.timerId) !== t || !isOpen(x)) return;
      x.timers.delete(t.timerId);
      this.record(x, ET.EVENT_TYPE_TIMER_FIRED, { timerFiredEventAttributes: { timerId: t.timerId, startedEventId: t.startedEventId } });
    });
  }

  // ---------------------------------------------------------------- activities

  /**
   * Schedules an activity. With `eager` (the worker asked for it and polls the same queue),
   * the first attempt is not queued: the caller hands it to the worker in the completion's
   * response, which saves the worker a poll.
   */
  private scheduleActivity(x: Execution, a: any, completedId: number, eager?: ActivityState[]) {
    const now = this.clock.now();
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
    const ev = this.write(x, ET.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, {
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
      activityId: a.activityId,
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
    if (s2c) {
      const sched = act.scheduledEventId;
      act.timers.push(
        this.clock.at(now + s2c, () => {
          if (x.activities.get(sched) !== act) return;
          this.activityTimedOut(x, act, TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE, RetryState.RETRY_STATE_TIMEOUT);
        }),
      );
    }
    if (eager && a.requestEagerExecution && taskQueue === x.taskQueue && eager.length < MAX_EAGER_ACTIVITIES) eager.push(act);
    else this.makeActivityAvailable(x, act);
  }

  /** The activity's current attempt waits on its queue. */
  makeActivityAvailable(x: Execution, act: ActivityState) {
    act.phase = 'scheduled';
    act.currentAttemptScheduledTime = this.clock.now();
    const attempt = act.attempt;
    if (act.scheduleToStartMs && act.scheduleToStartMs !== act.scheduleToCloseMs) {
      act.timers.push(
        this.clock.after(act.scheduleToStartMs, () => {
          if (x.activities.get(act.scheduledEventId) !== act || act.phase !== 'scheduled' || act.attempt !== attempt) return;
          this.activityTimedOut(x, act, TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START, RetryState.RETRY_STATE_TIMEOUT);
        }),
      );
    }
    this.actQueue(x.ns.name, act.taskQueue).offer((req) => this.startActivity(x, act, attempt, req));
  }

  private startActivity(x: Execution, act: ActivityState, attempt: number, req: any): ActPollRes | null {
    if (!isOpen(x) || x.activities.get(act.scheduledEventId) !== act || act.phase !== 'scheduled' || act.attempt !== attempt) return null;
    const now = this.clock.now();
    act.phase = 'started';
    // A running activity holds time-skipping until it ends (the Java test server's rule).
    this.holdAct.add(act);
    act.startedTime = now;
    act.startedIdentity = req.identity ?? '';
    act.lastWorkerIdentity = act.startedIdentity;
    this.touch(x);
    if (act.startToCloseMs) {
      act.timers.push(
        this.clock.after(act.startToCloseMs, () => {
          if (x.activities.get(act.scheduledEventId) !== act || act.phase !== 'started' || act.attempt !== attempt) return;
          this.activityAttemptFailed(x, act, timeoutFailure(TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE, act.heartbeatDetails), true);
        }),
      );
    }
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

  private armHeartbeatTimeout(x: Execution, act: ActivityState) {
    if (!act.heartbeatMs) return;
    const attempt = act.attempt;
    const beat = act.lastHeartbeatTime;
    act.timers.push(
      this.clock.after(act.heartbeatMs, () => {
        if (x.activities.get(act.scheduledEventId) !== act || act.phase !== 'started' || act.attempt !== attempt || act.lastHeartbeatTime !== beat) return;
        this.activityAttemptFailed(x, act, timeoutFailure(TimeoutType.TIMEOUT_TYPE_HEARTBEAT, act.heartbeatDetails), true);
      }),
    );
  }

  private cancelActivityTimers(act: ActivityState, keepScheduleToClose: boolean) {
    const keep = keepScheduleToClose && act.scheduleToCloseMs ? act.timers.slice(0, 1) : [];
    for (const t of act.timers.slice(keep.length)) t.cancel();
    act.timers = keep;
  }

  private dropActivity(x: Execution, act: ActivityState) {
    this.cancelActivityTimers(act, false);
    x.activities.delete(act.scheduledEventId);
    this.holdAct.delete(act);
    this.touch(x);
  }

  pollActivityTaskQueue(req: any, ctx: CallContext): Promise<ActPollRes> | ActPollRes {
    const ns = this.namespace(req.namespace);
    const tq = req.taskQueue?.name;
    if (!tq) throw invalidArgument('TaskQueue is not set on request.');
    const out = this.actQueue(ns.name, tq).poll(req, ctx, req.identity ?? '', longPollWait(ctx));
    if (out instanceof Promise) return out.then((r) => r ?? {});
    return out ?? {};
  }

  private activityFromToken(token: TaskToken): { x: Execution; act: ActivityState } {
    const x = this.executionsByRun.get(`${token.ns}/${token.runId}`);
    if (!x || !isOpen(x)) throw notFound('workflow execution already completed');
    const act = x.activities.get(token.ref as number);
    if (!act || act.phase !== 'started' || act.attempt !== token.attempt) throw notFound('activity task not found');
    return { x, act };
  }

  private activityById(req: any): { x: Execution; act: ActivityState } {
    const ns = this.namespace(req.namespace);
    const x = this.getExecution(ns, req.workflowId, req.runId);
    if (!isOpen(x)) throw notFound('workflow execution already completed');
    for (const act of x.activities.values()) if (act.activityId === req.activityId) return { x, act };
    throw notFound(`activity ${req.activityId} not found`);
  }

  recordHeartbeat(x: Execution, act: ActivityState, details: IPayloads | null | undefined) {
    if (details) act.heartbeatDetails = details;
    act.lastHeartbeatTime = this.clock.now();
    this.touch(x);
    if (act.phase === 'started') {
      this.cancelActivityTimers(act, true);
      // Re-arm start-to-close relative to the original start, and the heartbeat from now.
      const attempt = act.attempt;
      const remaining = act.startToCloseMs ? act.startedTime + act.startToCloseMs - this.clock.now() : 0;
      if (act.startToCloseMs) {
        act.timers.push(
          this.clock.after(remaining, () => {
            if (x.activities.get(act.scheduledEventId) !== act || act.phase !== 'started' || act.attempt !== attempt) return;
            this.activityAttemptFailed(x, act, timeoutFailure(TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE, act.heartbeatDetails), true);
          }),
        );
      }
      this.armHeartbeatTimeout(x, act);
    }
    return { cancelRequested: act.cancelRequested };
  }

  heartbeat(req: any) {
    const { x, act } = this.activityFromToken(decodeToken(req.taskToken, 'act'));
    return this.recordHeartbeat(x, act, req.details);
  }

  heartbeatById(req: any) {
    const { x, act } = this.activityById(req);
    return this.recordHeartbeat(x, act, req.details);
  }

  /** Writes ActivityTaskStarted (lazily, as the server does) and returns its id. */
  private writeActivityStarted(x: Execution, act: ActivityState): number {
    const ev = this.makeStartedAttrs(act);
    if (x.wt?.started) {
      // Buffered: its id is known only when written, so the close event refers to it by
      // position; see writeActivityClose.
      return -1;
    }
    return toNum(this.write(x, ET.EVENT_TYPE_ACTIVITY_TASK_STARTED, ev).eventId);
  }

  private makeStartedAttrs(act: ActivityState) {
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

  /** Writes the pair Started + close event for an activity, buffered or not. */
  private writeActivityClose(x: Execution, act: ActivityState, eventType: number, field: string, attrs: Record<string, unknown>, withStarted: boolean) {
    this.dropActivity(x, act);
    if (x.wt?.started) {
      // Both go to the buffer; the started id is the position the first one will take.
      const base = x.events.length + x.buffered.length + 1;
      if (withStarted) x.buffered.push({ eventType: ET.EVENT_TYPE_ACTIVITY_TASK_STARTED, attrs: this.makeStartedAttrs(act), wakes: false });
      x.buffered.push({ eventType, attrs: { [field]: { ...attrs, scheduledEventId: act.scheduledEventId, startedEventId: withStarted ? base : 0 } }, wakes: true });
      this.touch(x);
      return;
    }
    const startedEventId = withStarted ? this.writeActivityStarted(x, act) : 0;
    this.record(x, eventType, { [field]: { ...attrs, scheduledEventId: act.scheduledEventId, startedEventId } });
  }

  activityCompleted(x: Execution, act: ActivityState, result: IPayloads | null | undefined, identity: string) {
    this.writeActivityClose(x, act, ET.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, 'activityTaskCompletedEventAttributes', { result, identity }, true);
  }

  respondActivityCompleted(req: any) {
    const { x, act } = this.activityFromToken(decodeToken(req.taskToken, 'act'));
    this.activityCompleted(x, act, req.result, req.identity ?? '');
    return {};
  }

  respondActivityCompletedById(req: any) {
    const { x, act } = this.activityById(req);
    this.activityCompleted(x, act, req.result, req.identity ?? '');
    return {};
  }

  activityCanceled(x: Execution, act: ActivityState, details: IPayloads | null | undefined, identity: string) {
    this.writeActivityClose(x, act, ET.EVENT_TYPE_ACTIVITY_TASK_CANCELED, 'activityTaskCanceledEventAttributes', {
      details,
      latestCancelRequestedEventId: act.latestCancelRequestedEventId,
      identity,
    }, true);
  }

  respondActivityCanceled(req: any) {
    const { x, act } = this.activityFromToken(decodeToken(req.taskToken, 'act'));
    this.activityCanceled(x, act, req.details, req.identity ?? '');
    return {};
  }

  respondActivityCanceledById(req: any) {
    const { x, act } = this.activityById(req);
    this.activityCanceled(x, act, req.details, req.identity ?? '');
    return {};
  }

  respondActivityFailed(req: any) {
    const { x, act } = this.activityFromToken(decodeToken(req.taskToken, 'act'));
    if (req.lastHeartbeatDetails) act.heartbeatDetails = req.lastHeartbeatDetails;
    act.lastWorkerIdentity = req.identity ?? act.lastWorkerIdentity;
    this.activityAttemptFailed(x, act, req.failure ?? { message: 'activity failed' }, false);
    return {};
  }

  respondActivityFailedById(req: any) {
    const { x, act } = this.activityById(req);
    if (req.lastHeartbeatDetails) act.heartbeatDetails = req.lastHeartbeatDetails;
    this.activityAttemptFailed(x, act, req.failure ?? { message: 'activity failed' }, false);
    return {};
  }

  /** One attempt failed (or timed out): retry by the policy, or fail the activity for good. */
  private activityAttemptFailed(x: Execution, act: ActivityState, failure: IFailure, isTimeout: boolean) {
    const now = this.clock.now();
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
      this.holdAct.delete(act);
      this.cancelActivityTimers(act, true);
      this.touch(x);
      const attempt = act.attempt;
      act.timers.push(
        this.clock.at(act.nextAttemptTime, () => {
          if (x.activities.get(act.scheduledEventId) !== act || act.phase !== 'backoff' || act.attempt !== attempt || !isOpen(x)) return;
          this.makeActivityAvailable(x, act);
        }),
      );
      return;
    }
    if (isTimeout) {
      this.writeActivityClose(x, act, ET.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT, 'activityTaskTimedOutEventAttributes', {
        failure: { ...failure, cause: act.lastFailure ?? null },
        retryState,
      }, true);
    } else {
      this.writeActivityClose(x, act, ET.EVENT_TYPE_ACTIVITY_TASK_FAILED, 'activityTaskFailedEventAttributes', {
        failure,
        retryState,
        identity: act.lastWorkerIdentity,
      }, true);
    }
  }

  /** A timeout that ends the activity whatever its retry policy (schedule-to-start/close). */
  private activityTimedOut(x: Execution, act: ActivityState, timeoutType: number, retryState: number) {
    const started = act.phase === 'started';
    this.writeActivityClose(x, act, ET.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT, 'activityTaskTimedOutEventAttributes', {
      failure: { ...timeoutFailure(timeoutType, act.heartbeatDetails), cause: act.lastFailure ?? null },
      retryState,
    }, started || act.attempt > 1);
    this.flush();
  }

  // ---------------------------------------------------------------- closing runs

  private failRun(x: Execution, failure: IFailure, completedId: number) {
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
        workflowExecutionFailedEventAttributes: { failure, retryState: RetryState.RETRY_STATE_IN_PROGRESS, workflowTaskCompletedEventId: completedId, newExecutionRunId: next.runId },
      }, Status.WORKFLOW_EXECUTION_STATUS_FAILED, next);
      return;
    }
    this.closeRun(x, ET.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED, {
      workflowExecutionFailedEventAttributes: {
        failure,
        retryState: x.retryPolicy ? RetryState.RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED : RetryState.RETRY_STATE_RETRY_POLICY_NOT_SET,
        workflowTaskCompletedEventId: completedId,
      },
    }, Status.WORKFLOW_EXECUTION_STATUS_FAILED);
  }

  private workflowRetryDelay(x: Execution, failure: IFailure): number | undefined {
    const rp = x.retryPolicy;
    if (!rp) return undefined;
    const app = failure.applicationFailureInfo;
    if (app?.nonRetryable) return undefined;
    if (app?.type && (rp.nonRetryableErrorTypes ?? []).includes(app.type)) return undefined;
    const max = toNum(rp.maximumAttempts);
    if (max > 0 && x.attempt >= max) return undefined;
    const initial = durToMs(rp.initialInterval) || 1000;
    const maxInterval = durToMs(rp.maximumInterval) || initial * 100;
    const delay = Math.min(initial * Math.pow(rp.backoffCoefficient || 2, x.attempt - 1), maxInterval);
    if (x.executionExpiration && this.clock.now() + delay >= x.executionExpiration) return undefined;
    return delay;
  }

  private continueAsNew(x: Execution, a: any, completedId: number) {
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
        newExecutionRunId: next.runId,
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
  private nextRun(x: Execution, over: Partial<StartParams>): StartParams & { runId: string } {
    const first = x.started;
    return {
      runId: '',
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
      ...over,
    };
  }

  /**
   * Closes a run: writes the close event, drops what was pending, tells the parent, applies
   * the parent close policy to children, wakes history long-polls, and starts the next run
   * for continue-as-new or retry.
   */
  private closeRun(x: Execution, eventType: number, attrs: Record<string, any>, status: StatusValue, next?: StartParams & { runId: string }) {
    let nextRun: Execution | undefined;
    if (next) {
      // The next run's id goes into the close event, so create it first, but write the close
      // event before anything the next run may trigger.
      nextRun = this.createRunDeferred(x.ns, next);
      next.runId = nextRun.runId;
      const field = Object.keys(attrs)[0]!;
      attrs[field].newExecutionRunId = nextRun.runId;
      x.nextRunId = nextRun.runId;
    }
    this.write(x, eventType, attrs);
    x.status = status;
    x.closeTime = this.clock.now();
    x.runTimer?.cancel();
    x.backoffTimer?.cancel();
    x.backoffTimer = undefined;
    if (x.wt) {
      x.wt.timeout?.cancel();
      x.queries.unshift(...x.wt.queries.filter((q) => !q.done));
      x.wt = undefined;
    }
    this.holdWT.delete(x);
    for (const t of x.timers.values()) t.handle?.cancel();
    x.timers.clear();
    for (const act of [...x.activities.values()]) this.dropActivity(x, act);
    x.buffered = [];
    this.touch(x);

    if (nextRun) this.activateDeferredRun(nextRun);
    else if (x.parent) this.notifyParent(x, eventType, attrs);
    this.applyParentClosePolicy(x);
    this.pumpQueries(x);
  }

  private deferred = new Map<Execution, StartParams>();

  private createRunDeferred(ns: Namespace, p: StartParams): Execution {
    // createRun writes the first events and schedules its first task; for a run that follows a
    // closing one that must wait until the old run's close event is written, so the start is
    // split: reserve the run now, write its events in activateDeferredRun.
    const x = this.createRun(ns, { ...p, startDelayMs: Math.max(p.startDelayMs ?? 0, 0) }, undefined);
    return x;
  }

  private activateDeferredRun(_x: Execution) {
    // createRun already wrote the run's first events; nothing more to do. Kept as the single
    // place where a follow-on run becomes visible, should that ever need more.
  }

  private notifyParent(child: Execution, eventType: number, attrs: Record<string, any>) {
    const ref = child.parent!;
    const ns = this.namespaces.get(ref.namespace);
    const parent = ns ? this.executionsByRun.get(`${ns.name}/${ref.runId}`) : undefined;
    if (!parent || !isOpen(parent)) return;
    const cs = parent.children.get(ref.initiatedEventId);
    if (!cs) return;
    parent.children.delete(ref.initiatedEventId);
    const base = {
      namespace: child.ns.name,
      workflowExecution: { workflowId: child.workflowId, runId: child.runId },
      workflowType: { name: child.workflowType },
      initiatedEventId: cs.initiatedEventId,
      startedEventId: cs.startedEventId,
    };
    const a = attrs[Object.keys(attrs)[0]!];
    switch (eventType) {
      case ET.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
        this.record(parent, ET.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED, { childWorkflowExecutionCompletedEventAttributes: { ...base, result: a.result } });
        break;
      case ET.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
        this.record(parent, ET.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED, { childWorkflowExecutionFailedEventAttributes: { ...base, failure: a.failure, retryState: a.retryState } });
        break;
      case ET.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED:
        this.record(parent, ET.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED, { childWorkflowExecutionCanceledEventAttributes: { ...base, details: a.details } });
        break;
      case ET.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED:
        this.record(parent, ET.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED, { childWorkflowExecutionTerminatedEventAttributes: base });
        break;
      case ET.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT:
        this.record(parent, ET.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT, { childWorkflowExecutionTimedOutEventAttributes: { ...base, retryState: a.retryState } });
        break;
      default:
        break;
    }
  }

  private applyParentClosePolicy(x: Execution) {
    const P = enums.ParentClosePolicy;
    for (const cs of x.children.values()) {
      if (cs.parentClosePolicy === P.PARENT_CLOSE_POLICY_ABANDON || !cs.runId) continue;
      const ns = this.namespaces.get(cs.namespace);
      if (!ns) continue;
      const runs = ns.chains.get(cs.workflowId);
      const child = runs?.[runs.length - 1];
      if (!child || !isOpen(child) || child.firstRunId !== this.executionsByRun.get(`${ns.name}/${cs.runId}`)?.firstRunId) continue;
      if (cs.parentClosePolicy === P.PARENT_CLOSE_POLICY_REQUEST_CANCEL) {
        this.requestCancel(child, 'by parent close policy', '', undefined);
      } else {
        this.terminate(child, 'by parent close policy', null, '');
      }
    }
    x.children.clear();
  }

  // ---------------------------------------------------------------- children and externals

  private initiateChild(x: Execution, a: any, completedId: number, after: Array<() => void>) {
    const nsName = a.namespace || x.ns.name;
    const ev = this.write(x, ET.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED, {
      startChildWorkflowExecutionInitiatedEventAttributes: {
        namespace: nsName,
        workflowId: a.workflowId,
        workflowType: a.workflowType,
        taskQueue: a.taskQueue?.name ? a.taskQueue : { name: x.taskQueue, kind: QUEUE_NORMAL },
        input: a.input,
        workflowExecutionTimeout: a.workflowExecutionTimeout,
        workflowRunTimeout: a.workflowRunTimeout,
        workflowTaskTimeout: a.workflowTaskTimeout,
        parentClosePolicy: a.parentClosePolicy,
        control: a.control,
        workflowTaskCompletedEventId: completedId,
        workflowIdReusePolicy: a.workflowIdReusePolicy,
        retryPolicy: a.retryPolicy,
        cronSchedule: a.cronSchedule,
        header: a.header,
        memo: a.memo,
        searchAttributes: a.searchAttributes,
      },
    });
    const initiatedEventId = toNum(ev.eventId);
    const cs: ChildState = {
      initiatedEventId,
      startedEventId: 0,
      namespace: nsName,
      workflowId: a.workflowId,
      runId: '',
      workflowType: a.workflowType?.name ?? '',
      parentClosePolicy: a.parentClosePolicy || enums.ParentClosePolicy.PARENT_CLOSE_POLICY_TERMINATE,
    };
    x.children.set(initiatedEventId, cs);
    after.push(() => {
      if (!isOpen(x)) return;
      const failed = (cause: number) => {
        x.children.delete(initiatedEventId);
        this.record(x, ET.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED, {
          startChildWorkflowExecutionFailedEventAttributes: {
            namespace: nsName,
            workflowId: a.workflowId,
            workflowType: a.workflowType,
            cause,
            control: a.control,
            initiatedEventId,
            workflowTaskCompletedEventId: completedId,
          },
        });
      };
      const ns = this.namespaces.get(nsName);
      if (!ns) return failed(enums.StartChildWorkflowExecutionFailedCause.START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_NAMESPACE_NOT_FOUND);
      let child: Execution;
      try {
        ({ x: child } = this.startWorkflow(ns, {
          workflowId: a.workflowId,
          workflowType: a.workflowType?.name ?? '',
          taskQueue: a.taskQueue?.name || x.taskQueue,
          input: a.input,
          header: a.header,
          memo: a.memo?.fields,
          searchAttributes: a.searchAttributes?.indexedFields,
          runTimeoutMs: durToMs(a.workflowRunTimeout),
          executionTimeoutMs: durToMs(a.workflowExecutionTimeout),
          workflowTaskTimeoutMs: durToMs(a.workflowTaskTimeout),
          retryPolicy: a.retryPolicy,
          parent: { namespace: x.ns.name, workflowId: x.workflowId, runId: x.runId, initiatedEventId },
          root: x.root,
        }, { reusePolicy: a.workflowIdReusePolicy, conflictPolicy: enums.WorkflowIdConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_FAIL }));
      } catch (err) {
        if (err instanceof RpcError && err.code === Code.ALREADY_EXISTS) {
          return failed(enums.StartChildWorkflowExecutionFailedCause.START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_WORKFLOW_ALREADY_EXISTS);
        }
        throw err;
      }
      cs.runId = child.runId;
      // The started event goes in unbuffered position order; its id is what the close event refers to.
      const startedAttrs = {
        childWorkflowExecutionStartedEventAttributes: {
          namespace: nsName,
          initiatedEventId,
          workflowExecution: { workflowId: child.workflowId, runId: child.runId },
          workflowType: a.workflowType,
          header: a.header,
        },
      };
      cs.startedEventId = x.wt?.started ? x.events.length + x.buffered.length + 1 : x.events.length + 1;
      this.record(x, ET.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED, startedAttrs);
    });
  }

  private initiateExternalSignal(x: Execution, a: any, completedId: number, after: Array<() => void>) {
    const nsName = a.namespace || x.ns.name;
    const target = { workflowId: a.execution?.workflowId ?? '', runId: a.execution?.runId ?? '' };
    const ev = this.write(x, ET.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED, {
      signalExternalWorkflowExecutionInitiatedEventAttributes: {
        workflowTaskCompletedEventId: completedId,
        namespace: nsName,
        workflowExecution: target,
        signalName: a.signalName,
        input: a.input,
        control: a.control,
        childWorkflowOnly: a.childWorkflowOnly,
        header: a.header,
      },
    });
    const initiatedEventId = toNum(ev.eventId);
    after.push(() => {
      const ns = this.namespaces.get(nsName);
      let dest: Execution | undefined;
      try {
        dest = ns ? this.getOpenExecution(ns, target.workflowId, target.runId) : undefined;
      } catch {
        dest = undefined;
      }
      if (dest && a.childWorkflowOnly && dest.parent?.runId !== x.runId) dest = undefined;
      if (!dest) {
        if (!isOpen(x)) return;
        this.record(x, ET.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED, {
          signalExternalWorkflowExecutionFailedEventAttributes: {
            cause: enums.SignalExternalWorkflowExecutionFailedCause.SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND,
            workflowTaskCompletedEventId: completedId,
            namespace: nsName,
            workflowExecution: target,
            initiatedEventId,
            control: a.control,
          },
        });
        return;
      }
      this.signalExecution(dest, a.signalName, a.input, '', a.header, { workflowId: x.workflowId, runId: x.runId });
      if (!isOpen(x)) return;
      this.record(x, ET.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_SIGNALED, {
        externalWorkflowExecutionSignaledEventAttributes: {
          initiatedEventId,
          namespace: nsName,
          workflowExecution: { workflowId: dest.workflowId, runId: dest.runId },
          control: a.control,
        },
      });
    });
  }

  private initiateExternalCancel(x: Execution, a: any, completedId: number, after: Array<() => void>) {
    const nsName = a.namespace || x.ns.name;
    const target = { workflowId: a.workflowId ?? '', runId: a.runId ?? '' };
    const ev = this.write(x, ET.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED, {
      requestCancelExternalWorkflowExecutionInitiatedEventAttributes: {
        workflowTaskCompletedEventId: completedId,
        namespace: nsName,
        workflowExecution: target,
        control: a.control,
        childWorkflowOnly: a.childWorkflowOnly,
        reason: a.reason,
      },
    });
    const initiatedEventId = toNum(ev.eventId);
    after.push(() => {
      const ns = this.namespaces.get(nsName);
      let dest: Execution | undefined;
      try {
        dest = ns ? this.getOpenExecution(ns, target.workflowId, target.runId) : undefined;
      } catch {
        dest = undefined;
      }
      if (!dest) {
        if (!isOpen(x)) return;
        this.record(x, ET.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED, {
          requestCancelExternalWorkflowExecutionFailedEventAttributes: {
            cause: enums.CancelExternalWorkflowExecutionFailedCause.CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND,
            workflowTaskCompletedEventId: completedId,
            namespace: nsName,
            workflowExecution: target,
            initiatedEventId,
            control: a.control,
          },
        });
        return;
      }
      this.requestCancel(dest, a.reason ?? '', '', { initiatedEventId, workflowId: x.workflowId, runId: x.runId });
      if (!isOpen(x)) return;
      this.record(x, ET.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED, {
        externalWorkflowExecutionCancelRequestedEventAttributes: {
          initiatedEventId,
          namespace: nsName,
          workflowExecution: { workflowId: dest.workflowId, runId: dest.runId },
        },
      });
    });
  }

  // ---------------------------------------------------------------- signals, cancel, terminate

  signalExecution(x: Execution, signalName: string, input: IPayloads | null | undefined, identity: string, header: unknown, external: { workflowId: string; runId: string } | undefined) {
    this.record(x, ET.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, {
      workflowExecutionSignaledEventAttributes: {
        signalName,
        input,
        identity,
        header,
        externalWorkflowExecution: external ?? null,
      },
    });
  }

  signal(req: any) {
    const ns = this.namespace(req.namespace);
    if (!req.signalName) throw invalidArgument('SignalName is not set on request.');
    const x = this.getOpenExecution(ns, req.workflowExecution?.workflowId, req.workflowExecution?.runId);
    if (req.requestId) {
      if (x.signalRequestIds.has(req.requestId)) return {};
      x.signalRequestIds.add(req.requestId);
    }
    this.signalExecution(x, req.signalName, req.input, req.identity ?? '', req.header, undefined);
    return {};
  }

  requestCancel(x: Execution, reason: string, identity: string, external: { initiatedEventId: number; workflowId: string; runId: string } | undefined) {
    if (x.cancelRequested) return;
    x.cancelRequested = true;
    this.record(x, ET.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED, {
      workflowExecutionCancelRequestedEventAttributes: {
        cause: reason,
        identity,
        externalInitiatedEventId: external?.initiatedEventId ?? 0,
        externalWorkflowExecution: external ? { workflowId: external.workflowId, runId: external.runId } : null,
      },
    });
  }

  requestCancelWorkflow(req: any) {
    const ns = this.namespace(req.namespace);
    const x = this.getExecution(ns, req.workflowExecution?.workflowId, req.workflowExecution?.runId);
    // Cancelling a workflow that already finished succeeds and does nothing, as on the server.
    if (!isOpen(x)) return {};
    if (req.firstExecutionRunId && x.firstRunId !== req.firstExecutionRunId) throw notFound('workflow execution not found for the given first run id');
    this.requestCancel(x, req.reason ?? '', req.identity ?? '', undefined);
    return {};
  }

  terminate(x: Execution, reason: string, details: IPayloads | null | undefined, identity: string) {
    this.flushBufferedIfIdle(x);
    this.closeRun(x, ET.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED, {
      workflowExecutionTerminatedEventAttributes: { reason, details, identity },
    }, Status.WORKFLOW_EXECUTION_STATUS_TERMINATED);
  }

  private flushBufferedIfIdle(x: Execution) {
    if (x.wt?.started) {
      // The in-flight task is abandoned: record that, then what arrived meanwhile.
      const wt = x.wt;
      wt.timeout?.cancel();
      this.write(x, ET.EVENT_TYPE_WORKFLOW_TASK_FAILED, {
        workflowTaskFailedEventAttributes: {
          scheduledEventId: wt.scheduledEventId,
          startedEventId: wt.startedEventId,
          cause: WFT_FAILED.WORKFLOW_TASK_FAILED_CAUSE_FORCE_CLOSE_COMMAND,
        },
      });
      x.queries.unshift(...wt.queries.filter((q) => !q.done));
      x.wt = undefined;
      this.holdWT.delete(x);
    }
    this.flushBuffered(x);
  }

  terminateWorkflow(req: any) {
    const ns = this.namespace(req.namespace);
    const x = this.getOpenExecution(ns, req.workflowExecution?.workflowId, req.workflowExecution?.runId);
    if (req.firstExecutionRunId && x.firstRunId !== req.firstExecutionRunId) throw notFound('workflow execution not found for the given first run id');
    this.terminate(x, req.reason ?? '', req.details, req.identity ?? '');
    return {};
  }

  // ---------------------------------------------------------------- queries

  query(req: any, ctx: CallContext): Promise<unknown> {
    const ns = this.namespace(req.namespace);
    const x = this.getExecution(ns, req.execution?.workflowId, req.execution?.runId);
    const queryType = req.query?.queryType;
    if (!queryType) throw invalidArgument('QueryType is not set on request.');
    const RC = enums.QueryRejectCondition;
    const cond = req.queryRejectCondition ?? 0;
    if (
      (cond === RC.QUERY_REJECT_CONDITION_NOT_OPEN && !isOpen(x)) ||
      (cond === RC.QUERY_REJECT_CONDITION_NOT_COMPLETED_CLEANLY && !isOpen(x) && x.status !== Status.WORKFLOW_EXECUTION_STATUS_COMPLETED)
    ) {
      return Promise.resolve({ queryRejected: { status: x.status } });
    }
    return new Promise((resolve, reject) => {
      const q: PendingQuery = {
        id: randomUUID(),
        queryType,
        queryArgs: req.query?.queryArgs,
        header: req.query?.header,
        done: false,
        resolve: (r) => {
          if (q.done) return;
          q.done = true;
          this.holdQuery.delete(q);
          this.queryTokens.delete(q.id);
          clearTimeout(timer);
          if (r.error !== undefined) reject(invalidArgument(r.error));
          else resolve({ queryResult: r.answer });
        },
      };
      const wait = Number.isFinite(ctx.deadline) ? Math.max(0, ctx.deadline - Date.now()) : 60_000;
      const timer = setTimeout(() => {
        if (q.done) return;
        q.done = true;
        this.holdQuery.delete(q);
        this.queryTokens.delete(q.id);
        x.queries = x.queries.filter((o) => o !== q);
        reject(new RpcError(Code.DEADLINE_EXCEEDED, 'query timed out: no worker answered it'));
      }, wait);
      ctx.onCancelled(() => q.resolve({ error: 'query cancelled by the client' }));
      this.holdQuery.add(q);
      x.queries.push(q);
      this.pumpQueries(x);
      this.clock.kick();
    });
  }

  private answerQuery(q: PendingQuery, r: any) {
    if (r.resultType === enums.QueryResultType.QUERY_RESULT_TYPE_ANSWERED) q.resolve({ answer: r.answer });
    else q.resolve({ error: r.errorMessage || r.failure?.message || 'query failed' });
  }

  /** Hands waiting queries to the worker as query tasks when no workflow task is outstanding. */
  private pumpQueries(x: Execution) {
    if (x.wt || x.queries.length === 0) return;
    const pending = x.queries.splice(0);
    for (const q of pending) {
      if (q.done) continue;
      this.queryTokens.set(q.id, { x, q });
      this.wfQueue(x.ns.name, x.taskQueue).offer(() => {
        if (q.done) return null;
        if (x.wt) {
          // A workflow task came first: the query rides along with it or waits for its end.
          x.queries.push(q);
          this.offerWorkflowTask(x);
          return null;
        }
        return new WithHistory({
          taskToken: encodeToken({ kind: 'query', ns: x.ns.name, workflowId: x.workflowId, runId: x.runId, ref: q.id, attempt: 1 }),
          workflowExecution: { workflowId: x.workflowId, runId: x.runId },
          workflowType: { name: x.workflowType },
          previousStartedEventId: x.lastCompletedStartedEventId,
          startedEventId: x.lastCompletedStartedEventId,
          attempt: 1,
          query: { queryType: q.queryType, queryArgs: q.queryArgs, header: q.header },
          workflowExecutionTaskQueue: { name: x.taskQueue, kind: QUEUE_NORMAL },
          scheduledTime: msToTs(this.clock.now()),
          startedTime: msToTs(this.clock.now()),
        }, POLL_HISTORY_FIELD, x.events.slice());
      });
    }
  }

  respondQueryTaskCompleted(req: any) {
    const token = decodeToken(req.taskToken, 'query');
    const entry = this.queryTokens.get(String(token.ref));
    if (!entry) throw notFound('query not found (it may have timed out)');
    const T = enums.QueryResultType;
    if (req.completedType === T.QUERY_RESULT_TYPE_ANSWERED) entry.q.resolve({ answer: req.queryResult });
    else entry.q.resolve({ error: req.errorMessage || req.failure?.message || 'query failed' });
    return {};
  }

  // ---------------------------------------------------------------- history

  async getHistory(req: any, ctx: CallContext) {
    const ns = this.namespace(req.namespace);
    let x = this.getExecution(ns, req.execution?.workflowId, req.execution?.runId);
    const closeOnly = req.historyEventFilterType === enums.HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT;
    const token = req.nextPageToken?.length ? Buffer.from(req.nextPageToken).toString() : '';
    const pageSize = toNum(req.maximumPageSize) || 1000;
    const deadline = Math.min(Number.isFinite(ctx.deadline) ? ctx.deadline - 500 : Infinity, Date.now() + 20_000);
    for (;;) {
      if (closeOnly) {
        if (!isOpen(x)) return new WithHistory({}, GET_HISTORY_FIELD, x.events.slice(-1));
        if (!req.waitNewEvent) return { history: { events: [] } };
      } else {
        const from = token ? Number(token) : 1;
        if (!Number.isInteger(from) || from < 1) throw invalidArgument('invalid next page token');
        const events = x.events.slice(from - 1, from - 1 + pageSize);
        const nextId = from + events.length;
        const more = nextId <= x.events.length;
        if (events.length > 0 || !req.waitNewEvent || !isOpen(x)) {
          const keepPolling = more || (req.waitNewEvent && isOpen(x));
          return new WithHistory({ nextPageToken: keepPolling ? Buffer.from(String(nextId)) : null }, GET_HISTORY_FIELD, events);
        }
      }
      const wait = deadline - Date.now();
      if (wait <= 0) {
        return { history: { events: [] }, nextPageToken: Buffer.from(closeOnly ? 'close' : token || '1') };
      }
      await new Promise<void>((resolve) => {
        const w = () => {
          clearTimeout(t);
          resolve();
        };
        const t = setTimeout(() => {
          x.historyWaiters.delete(w);
          resolve();
        }, wait);
        x.historyWaiters.add(w);
        ctx.onCancelled(w);
      });
      if (ctx.cancelled()) return { history: { events: [] } };
      x = this.executionsByRun.get(`${ns.name}/${x.runId}`) ?? x;
    }
  }

  getHistoryReverse(req: any) {
    const ns = this.namespace(req.namespace);
    const x = this.getExecution(ns, req.execution?.workflowId, req.execution?.runId);
    const pageSize = toNum(req.maximumPageSize) || 1000;
    const token = req.nextPageToken?.length ? Number(Buffer.from(req.nextPageToken).toString()) : x.events.length;
    const end = Math.min(token, x.events.length);
    const start = Math.max(0, end - pageSize);
    const events = x.events.slice(start, end).reverse();
    return new WithHistory({ nextPageToken: start > 0 ? Buffer.from(String(start)) : null }, GET_HISTORY_FIELD, events);
  }

  // ---------------------------------------------------------------- describe

  executionInfo(x: Execution) {
    return {
      execution: { workflowId: x.workflowId, runId: x.runId },
      type: { name: x.workflowType },
      startTime: msToTs(x.startTime),
      closeTime: isOpen(x) ? null : msToTs(x.closeTime),
      status: x.status,
      historyLength: x.events.length,
      historySizeBytes: x.historyBytes,
      executionTime: msToTs(x.executionTime),
      memo: { fields: x.memo },
      searchAttributes: { indexedFields: x.searchAttributes },
      taskQueue: x.taskQueue,
      parentNamespaceId: x.parent ? this.namespaces.get(x.parent.namespace)?.id ?? '' : '',
      parentExecution: x.parent ? { workflowId: x.parent.workflowId, runId: x.parent.runId } : null,
      rootExecution: x.root,
      firstRunId: x.firstRunId,
      stateTransitionCount: x.events.length,
      executionDuration: isOpen(x) ? null : msToDur(x.closeTime - x.executionTime),
    };
  }

  describe(req: any) {
    const ns = this.namespace(req.namespace);
    const x = this.getExecution(ns, req.execution?.workflowId, req.execution?.runId);
    const PA = enums.PendingActivityState;
    return {
      executionConfig: {
        taskQueue: { name: x.taskQueue, kind: QUEUE_NORMAL },
        workflowExecutionTimeout: msToDur(x.executionTimeoutMs),
        workflowRunTimeout: msToDur(x.runTimeoutMs),
        defaultWorkflowTaskTimeout: msToDur(x.workflowTaskTimeoutMs),
      },
      workflowExecutionInfo: this.executionInfo(x),
      pendingActivities: [...x.activities.values()].map((a) => ({
        activityId: a.activityId,
        activityType: { name: a.activityType },
        state: a.cancelRequested ? PA.PENDING_ACTIVITY_STATE_CANCEL_REQUESTED : a.phase === 'started' ? PA.PENDING_ACTIVITY_STATE_STARTED : PA.PENDING_ACTIVITY_STATE_SCHEDULED,
        heartbeatDetails: a.heartbeatDetails,
        lastHeartbeatTime: a.lastHeartbeatTime ? msToTs(a.lastHeartbeatTime) : null,
        lastStartedTime: a.startedTime ? msToTs(a.startedTime) : null,
        attempt: a.attempt,
        maximumAttempts: toNum(a.retryPolicy.maximumAttempts),
        scheduledTime: msToTs(a.currentAttemptScheduledTime),
        expirationTime: a.scheduleToCloseMs ? msToTs(a.scheduledTime + a.scheduleToCloseMs) : null,
        lastFailure: a.lastFailure,
        lastWorkerIdentity: a.lastWorkerIdentity,
        nextAttemptScheduleTime: a.phase === 'backoff' ? msToTs(a.nextAttemptTime) : null,
        currentRetryInterval: a.phase === 'backoff' ? msToDur(Math.max(0, a.nextAttemptTime - this.clock.now())) : null,
      })),
      pendingChildren: [...x.children.values()].map((c) => ({
        workflowId: c.workflowId,
        runId: c.runId,
        workflowTypeName: c.workflowType,
        initiatedId: c.initiatedEventId,
        parentClosePolicy: c.parentClosePolicy,
      })),
      pendingWorkflowTask: x.wt
        ? {
            state: x.wt.started ? enums.PendingWorkflowTaskState.PENDING_WORKFLOW_TASK_STATE_STARTED : enums.PendingWorkflowTaskState.PENDING_WORKFLOW_TASK_STATE_SCHEDULED,
            scheduledTime: msToTs(x.wt.scheduledTime),
            originalScheduledTime: msToTs(x.wt.scheduledTime),
            startedTime: x.wt.started ? msToTs(x.wt.startedTime) : null,
            attempt: x.wt.attempt,
          }
        : null,
    };
  }

  /**
   * TemporalReportedProblems as the real server sets it: after two workflow tasks in a row
   * failed or timed out, the category and cause of the last one, until a task succeeds.
   */
  reportedProblems(x: Execution): string[] | undefined {
    return isOpen(x) && x.wt && x.wt.attempt >= 3 ? x.wtProblem : undefined;
  }

  /** Pending timers of a run, for the emulator's own inspection endpoint and tests. */
  pendingTimers(x: Execution) {
    return [...x.timers.values()].map((t) => ({ timerId: t.timerId, dueTime: t.dueTime }));
  }

  // ---------------------------------------------------------------- worker lifecycle

  shutdownWorker(req: any) {
    const ns = this.namespace(req.namespace);
    if (req.stickyTaskQueue) {
      this.wfQueues.get(`${ns.name}\u0000${req.stickyTaskQueue}`)?.releasePollers(() => true);
    }
    return {};
  }

  describeTaskQueue(req: any) {
    const ns = this.namespace(req.namespace);
    const name = req.taskQueue?.name;
    if (!name) throw invalidArgument('TaskQueue is not set on request.');
    const isActivity = req.taskQueueType === enums.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY;
    const q = (isActivity ? this.actQueues : this.wfQueues).get(`${ns.name}\u0000${name}`);
    const pollers = q ? [...q.lastPollers.entries()].map(([identity, t]) => ({ identity, lastAccessTime: msToTs(t) })) : [];
    return { pollers };
  }

  // ---------------------------------------------------------------- persistence support

  /** Called by the RPC layer after each call and by the clock after timers. */
  flush: () => void = () => {};

  /** Re-creates timers, queue entries and holds for a run loaded from storage. */
  rehydrate(x: Execution) {
    this.executionsByRun.set(`${x.ns.name}/${x.runId}`, x);
    if (!isOpen(x)) return;
    this.armRunTimeout(x);
    for (const t of x.timers.values()) this.armTimer(x, t);
    if (x.firstTaskBackoffUntil > this.clock.now() && !x.wt && x.events.length <= 2) {
      x.backoffTimer = this.clock.at(x.firstTaskBackoffUntil, () => {
        x.backoffTimer = undefined;
        this.scheduleWorkflowTask(x);
        this.flush();
      });
    }
    if (x.wt) {
      if (x.wt.started) {
        // The worker that held it talked to a server that is gone: time the task out now.
        const wt = x.wt;
        this.write(x, ET.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT, {
          workflowTaskTimedOutEventAttributes: { scheduledEventId: wt.scheduledEventId, startedEventId: wt.startedEventId, timeoutType: TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE },
        });
        x.wt = undefined;
        this.flushBuffered(x);
        this.scheduleWorkflowTask(x, wt.attempt + 1);
      } else {
        this.holdWT.add(x);
        this.offerWorkflowTask(x);
      }
    }
    for (const act of x.activities.values()) {
      act.timers = [];
      if (act.scheduleToCloseMs) {
        act.timers.push(
          this.clock.at(act.scheduledTime + act.scheduleToCloseMs, () => {
            if (x.activities.get(act.scheduledEventId) !== act) return;
            this.activityTimedOut(x, act, TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE, RetryState.RETRY_STATE_TIMEOUT);
          }),
        );
      }
      if (act.phase === 'backoff') {
        const attempt = act.attempt;
        act.timers.push(
          this.clock.at(act.nextAttemptTime, () => {
            if (x.activities.get(act.scheduledEventId) !== act || act.phase !== 'backoff' || act.attempt !== attempt || !isOpen(x)) return;
            this.makeActivityAvailable(x, act);
          }),
        );
      } else {
        // A started attempt's worker is gone with the old server: offer the attempt again.
        this.makeActivityAvailable(x, act);
      }
    }
  }
}

// -------------------------------------------------------------------- helpers

function isCloseCommand(kind: string | undefined) {
  return (
    kind === 'completeWorkflowExecutionCommandAttributes' ||
    kind === 'failWorkflowExecutionCommandAttributes' ||
    kind === 'cancelWorkflowExecutionCommandAttributes' ||
    kind === 'continueAsNewWorkflowExecutionCommandAttributes'
  );
}

function isEmptyPayload(p: IPayload | null | undefined) {
  return !p || !p.data || p.data.length === 0 || Buffer.from(p.data).toString() === 'null';
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

function longPollWait(ctx: CallContext) {
  const byDeadline = Number.isFinite(ctx.deadline) ? ctx.deadline - Date.now() - 1000 : LONG_POLL_MS;
  return Math.max(0, Math.min(LONG_POLL_MS, byDeadline));
}

export function encodeToken(t: TaskToken): Buffer {
  return Buffer.from(JSON.stringify([t.kind, t.ns, t.workflowId, t.runId, t.ref, t.attempt]));
}

export function decodeToken(buf: Uint8Array | null | undefined, kind: TaskToken['kind']): TaskToken {
  try {
    const [k, ns, workflowId, runId, ref, attempt] = JSON.parse(Buffer.from(buf ?? []).toString());
    if (k !== kind || typeof ns !== 'string' || typeof runId !== 'string') throw new Error('kind');
    return { kind: k, ns, workflowId, runId, ref, attempt };
  } catch {
    throw invalidArgument('invalid task token');
  }
}

export { failedPrecondition, tsToMs };

/** ['category=WorkflowTaskFailed', 'cause=WorkflowTaskFailedCauseUnhandledCommand'] for WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND. */
function failedProblem(cause: unknown): string[] {
  const name = (typeof cause === 'number' ? WFT_FAILED[cause] : typeof cause === 'string' ? cause : undefined) ?? 'WORKFLOW_TASK_FAILED_CAUSE_UNSPECIFIED';
  const pascal = name.toLowerCase().split('_').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
  return ['category=WorkflowTaskFailed', `cause=${pascal}`];
}
