// The workflow engine: turns client calls and worker responses into history events, the way
// the Temporal server's history service does, and hands workflow and activity tasks to
// pollers. This file only wires the parts together; each lives in history/ and maps onto a
// part of the official server (its history service, and the Java
// time-skipping test server for time):
//
//   history/shard.ts           shared state: namespaces, runs by id, task queues (the matching
//                              service), time-skipping holds, the journal    (shard context)
//   history/events.ts          history builder: write, record, buffered events flush
//                                                                     (historybuilder)
//   model.ts                   per-run mutable state                 (mutable state)
//   history/workflow-tasks.ts  workflow task state machine: schedule, offer, start, complete,
//                              fail, time out; protocol message hook (workflow task handler)
//   history/commands.ts        the one command check (validate) and the dispatch of commands
//                              by type (apply)                     (command checker/handler)
//   history/activities.ts      activity state machine, timeouts, retries, ...ById calls
//   history/timers.ts          user timers                          (timer state machine)
//   history/children.ts        child workflows, child close recorded in the parent
//   history/signals.ts         signals and cancel requests, from clients and (one path for
//                              both) from other workflows       (signal/cancel, external)
//   history/queries.ts         queries and query tasks
//   history/lifecycle.ts       run lifecycle: start, start delay, run timeout, retry,
//                              continue-as-new, close, parent close policy, terminate;
//                              run-closed listeners for parts that follow runs
//   history/tokens.ts          task tokens
//
// Outside the engine: frontend/ decodes gRPC requests into the typed inputs these parts take
// (workflow-handler.ts) and answers the read calls (reads.ts: describe, history, task queue);
// server.ts maps gRPC methods onto them (the official frontend service); journal.ts restores
// runs after a restart (rehydrate), persistence.ts declares the Journal the parts write through.
import type { Clock } from './clock.ts';
import type { Execution, Namespace } from './model.ts';
import type { Journal } from './persistence.ts';
import { Activities } from './history/activities.ts';
import { Children } from './history/children.ts';
import { Commands } from './history/commands.ts';
import { HistoryBuilder } from './history/events.ts';
import { RunLifecycle, type StartOptions, type StartParams } from './history/lifecycle.ts';
import { Queries } from './history/queries.ts';
import { Shard } from './history/shard.ts';
import { Signals } from './history/signals.ts';
import { Timers } from './history/timers.ts';
import { WorkflowTasks } from './history/workflow-tasks.ts';
import { installUpdates, type Updates } from './updates/updates.ts';
import type { SearchAttributeType } from './visibility.ts';

export { DEFAULT_CUSTOM_SEARCH_ATTRIBUTES, STATUS_NAMES, SYSTEM_SEARCH_ATTRIBUTES } from './history/shard.ts';
export type { StartOptions, StartParams } from './history/lifecycle.ts';

export class Engine {
  readonly shard: Shard;
  readonly history: HistoryBuilder;
  readonly workflowTasks: WorkflowTasks;
  readonly commands: Commands;
  readonly activities: Activities;
  readonly timers: Timers;
  readonly children: Children;
  readonly signals: Signals;
  readonly queries: Queries;
  readonly lifecycle: RunLifecycle;
  readonly updates: Updates;

  constructor(readonly clock: Clock) {
    const s = (this.shard = new Shard(clock));
    s.history = this.history = new HistoryBuilder(s);
    s.workflowTasks = this.workflowTasks = new WorkflowTasks(s);
    s.activities = this.activities = new Activities(s);
    s.timers = this.timers = new Timers(s);
    s.children = this.children = new Children(s);
    s.signals = this.signals = new Signals(s);
    s.queries = this.queries = new Queries(s);
    s.lifecycle = this.lifecycle = new RunLifecycle(s);
    s.commands = this.commands = new Commands(s);
    this.updates = installUpdates(this);
  }

  get namespaces(): Map<string, Namespace> {
    return this.shard.namespaces;
  }

  /** Durable storage (dev mode with --db-filename): told of every changed run, flushed after each call. */
  set journal(j: Pick<Journal, 'markDirty' | 'flush'> | undefined) {
    this.shard.journal = j;
  }

  set suggestContinueAsNewEvents(n: number) {
    this.shard.suggestContinueAsNewEvents = n;
  }

  /** Called by the RPC layer after each call. */
  flush() {
    this.shard.flush();
  }

  registerNamespace(name: string, opts: { id?: string; description?: string; retentionMs?: number } = {}): Namespace {
    return this.shard.registerNamespace(name, opts);
  }

  namespace(name: string | null | undefined): Namespace {
    return this.shard.namespace(name);
  }

  searchAttributeType(ns: Namespace, name: string): SearchAttributeType | undefined {
    return this.shard.searchAttributeType(ns, name);
  }

  getExecution(ns: Namespace, workflowId: string | null | undefined, runId?: string | null): Execution {
    return this.shard.getExecution(ns, workflowId, runId);
  }

  getOpenExecution(ns: Namespace, workflowId: string | null | undefined, runId?: string | null): Execution {
    return this.shard.getOpenExecution(ns, workflowId, runId);
  }

  allExecutions(ns: Namespace): Execution[] {
    return this.shard.allExecutions(ns);
  }

  startWorkflow(ns: Namespace, p: StartParams, opts: StartOptions = {}): { x: Execution; started: boolean } {
    return this.lifecycle.startWorkflow(ns, p, opts);
  }

  reportedProblems(x: Execution): string[] | undefined {
    return this.workflowTasks.reportedProblems(x);
  }
}
