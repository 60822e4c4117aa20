// What every part of the history service shares, as a shard context does on the official
// server (service/history/shard): the clock, the namespaces, the runs by id, the task queues
// (the official matching service), what holds time in time-skipping mode, and the journal.
// The parts (history builder, workflow tasks, activities, ...) reach one another through it.
import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.ts';
import { invalidArgument, notFound } from '../errors.ts';
import type { ActivityState, Execution, Namespace, PendingQuery } from '../model.ts';
import { isOpen } from '../model.ts';
import type { Journal } from '../persistence.ts';
import { Status, type WithHistory } from '../proto.ts';
import { TaskQueue } from '../taskqueue.ts';
import type { SearchAttributeType } from '../visibility.ts';
import type { Activities } from './activities.ts';
import type { Children } from './children.ts';
import type { Commands } from './commands.ts';
import type { HistoryBuilder } from './events.ts';
import type { RunLifecycle } from './lifecycle.ts';
import type { Queries } from './queries.ts';
import type { Signals } from './signals.ts';
import type { Timers } from './timers.ts';
import type { WorkflowTasks } from './workflow-tasks.ts';

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
  // Set by a schedule on each run it starts (schedules/scheduler.ts): its nominal time and the schedule's id.
  TemporalScheduledStartTime: 'Datetime',
  TemporalScheduledById: 'Keyword',
  TemporalSchedulePaused: 'Bool',
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

/** What a poller tells the queue about itself: enough to hand it a task or release it. */
export interface Poll {
  identity: string;
  /** The worker process's key (sent by SDKs that know ShutdownWorker completes their polls). */
  workerInstanceKey: string;
}

/** How long polls from a worker that shut down are answered empty at once (the official server's figure). */
const SHUTDOWN_WORKER_TTL_MS = 30_000;

export type WfPollRes = Record<string, unknown> | WithHistory;
export type ActPollRes = Record<string, unknown>;

export class Shard {
  readonly namespaces = new Map<string, Namespace>();
  /** `${namespace}/${runId}` -> run. */
  readonly executionsByRun = new Map<string, Execution>();
  readonly wfQueues = new Map<string, TaskQueue<Poll, WfPollRes>>();
  readonly actQueues = new Map<string, TaskQueue<Poll, ActPollRes>>();
  /** What holds time in time-skipping mode. */
  readonly holdWT = new Set<Execution>();
  readonly holdAct = new Set<ActivityState>();
  readonly holdQuery = new Set<PendingQuery>();
  /** Durable storage in dev mode (--db-filename); none in memory. */
  journal?: Pick<Journal, 'markDirty' | 'flush'>;
  /**
   * Whether ShutdownWorker completes the worker's polls and the namespace says so
   * (workerPollCompleteOnShutdown). Off by default, as on the official server: a worker told
   * so stops cancelling its own polls, and one whose server goes away during its shutdown
   * (both stopped at once) keeps retrying them.
   */
  cancelWorkerPollsOnShutdown = false;
  /** workerInstanceKey -> until when its polls are answered empty (wall clock). */
  private readonly shutDownWorkers = new Map<string, number>();
  /** As the real server: 4K events; `--dynamic-config-value limit.historyCount.suggestContinueAsNew=N` lowers it. */
  suggestContinueAsNewEvents = 4096;

  // The parts, wired by the Engine's constructor.
  history!: HistoryBuilder;
  workflowTasks!: WorkflowTasks;
  commands!: Commands;
  activities!: Activities;
  timers!: Timers;
  children!: Children;
  signals!: Signals;
  queries!: Queries;
  lifecycle!: RunLifecycle;

  constructor(readonly clock: Clock) {
    clock.setHolds(() => this.holdWT.size + this.holdAct.size + this.holdQuery.size);
  }

  /** The run changed: the journal writes it out at the next flush. */
  touch(x: Execution) {
    this.journal?.markDirty(x);
  }

  /** Called by the RPC layer after each call and by the clock's timers after they fire. */
  flush() {
    this.journal?.flush();
  }

  // ------------------------------------------------------------ namespaces

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

  // ------------------------------------------------------------ runs

  run(ns: string, runId: string): Execution | undefined {
    return this.executionsByRun.get(`${ns}/${runId}`);
  }

  /** The run named, or the latest run of the workflow id; NOT_FOUND when there is none. */
  getExecution(ns: Namespace, workflowId: string | null | undefined, runId?: string | null): Execution {
    if (!workflowId) throw invalidArgument('WorkflowId is not set on request.');
    const runs = ns.chains.get(workflowId);
    if (runs && runs.length > 0) {
      if (!runId) return runs[runs.length - 1]!;
      const x = this.run(ns.name, runId);
      if (x && x.workflowId === workflowId) return x;
    }
    throw notFound(`workflow not found for ID: ${workflowId}`);
  }

  /** For signal, cancel, terminate: the run named (must be open), or the latest open run. */
  getOpenExecution(ns: Namespace, workflowId: string | null | undefined, runId?: string | null): Execution {
    const x = this.getExecution(ns, workflowId, runId);
    if (!isOpen(x)) throw notFound('workflow execution already completed');
    return x;
  }

  allExecutions(ns: Namespace): Execution[] {
    const out: Execution[] = [];
    for (const runs of ns.chains.values()) out.push(...runs);
    return out;
  }

  // ------------------------------------------------------------ task queues

  wfQueue(ns: string, name: string) {
    const key = `${ns}\u0000${name}`;
    let q = this.wfQueues.get(key);
    if (!q) this.wfQueues.set(key, (q = new TaskQueue(name)));
    return q;
  }

  actQueue(ns: string, name: string) {
    const key = `${ns}\u0000${name}`;
    let q = this.actQueues.get(key);
    if (!q) this.actQueues.set(key, (q = new TaskQueue(name)));
    return q;
  }

  /**
   * ShutdownWorker with a worker instance key (the official matching service's
   * CancelOutstandingWorkerPolls): that worker's waiting polls on its task queue are answered
   * empty, it leaves the queue's poller list, and its polls in the next 30 s are answered empty
   * at once (a poll may be on its way while the worker shuts down).
   */
  cancelWorkerPolls(ns: string, taskQueue: string, kinds: Array<'workflow' | 'activity'>, workerInstanceKey: string, identity: string) {
    const now = Date.now();
    for (const [key, until] of this.shutDownWorkers) if (until <= now) this.shutDownWorkers.delete(key);
    this.shutDownWorkers.set(workerInstanceKey, now + SHUTDOWN_WORKER_TTL_MS);
    const key = `${ns}\u0000${taskQueue}`;
    for (const kind of kinds) {
      const q = (kind === 'workflow' ? this.wfQueues : this.actQueues).get(key);
      if (!q) continue;
      q.releasePollers((p) => p.workerInstanceKey === workerInstanceKey);
      if (identity) q.lastPollers.delete(identity);
    }
  }

  /** Whether a poll comes from a worker that shut down moments ago (then it is answered empty). */
  fromShutDownWorker(poll: Poll): boolean {
    if (!poll.workerInstanceKey || this.shutDownWorkers.size === 0) return false;
    const until = this.shutDownWorkers.get(poll.workerInstanceKey);
    return until !== undefined && until > Date.now();
  }
}
