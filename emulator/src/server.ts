// The gRPC surface: WorkflowService, OperatorService and (time-skipping mode) TestService,
// mapped onto the engine. Request validation that is about the wire (missing fields, bad
// enums) lives here and in frontend/ (which decodes requests into the engine's typed inputs
// and answers the read calls); workflow semantics live in the engine (engine.ts, history/).
import { Clock } from './clock.ts';
import { Engine, STATUS_NAMES, SYSTEM_SEARCH_ATTRIBUTES } from './engine.ts';
import { Code, invalidArgument, notFound, RpcError } from './errors.ts';
import { Reads } from './frontend/reads.ts';
import { WorkflowHandler } from './frontend/workflow-handler.ts';
import type { Execution, Namespace } from './model.ts';
import { isOpen } from './model.ts';
import { durToMs, enums, IndexedValueType, msToDur, msToTs, toNum, tsToMs } from './proto.ts';
import { GrpcServer } from './rpc.ts';
import { scheduleHandlers } from './schedules/bridge.ts';
import { updateMethods } from './updates/service.ts';
import { compileQuery, decodeSearchAttribute, VisibilityQueryError, type SearchAttributeType, type VisibilityRecord } from './visibility.ts';
import type { Journal } from './persistence.ts';

export interface ServerOptions {
  port: number;
  host: string;
  timeSkipping: boolean;
  namespaces: string[];
  searchAttributes: Array<{ name: string; type: SearchAttributeType }>;
  dbFile?: string;
  /** History length at which workflow tasks suggest continue-as-new. */
  suggestContinueAsNewEvents?: number;
  /** ShutdownWorker completes the worker's waiting polls (`frontend.enableCancelWorkerPollsOnShutdown`). */
  cancelWorkerPollsOnShutdown?: boolean;
}

export const SERVER_VERSION = '1.24.0-offline';

const TYPE_TO_INDEXED: Record<SearchAttributeType, number> = {
  Text: IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  Keyword: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  Int: IndexedValueType.INDEXED_VALUE_TYPE_INT,
  Double: IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  Bool: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  Datetime: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  KeywordList: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};
const INDEXED_TO_TYPE = Object.fromEntries(Object.entries(TYPE_TO_INDEXED).map(([k, v]) => [v, k])) as Record<number, SearchAttributeType>;

/** Parses a search attribute type as the CLI's `--search-attribute Name=Type` spells it. */
export function parseSearchAttributeType(s: string): SearchAttributeType | undefined {
  const norm = s.toLowerCase().replace(/[^a-z]/g, '');
  const map: Record<string, SearchAttributeType> = {
    text: 'Text',
    keyword: 'Keyword',
    int: 'Int',
    double: 'Double',
    bool: 'Bool',
    datetime: 'Datetime',
    keywordlist: 'KeywordList',
  };
  return map[norm];
}

export class OfflineServer {
  readonly clock: Clock;
  readonly engine: Engine;
  /** Decodes the engine's calls into typed inputs (the official frontend's workflow handler). */
  readonly workflowHandler: WorkflowHandler;
  readonly reads: Reads;
  private server: GrpcServer;
  journal?: Journal;
  boundPort = 0;

  constructor(readonly opts: ServerOptions) {
    this.clock = new Clock(opts.timeSkipping);
    this.engine = new Engine(this.clock);
    this.workflowHandler = new WorkflowHandler(this.engine);
    this.reads = new Reads(this.engine);
    if (opts.suggestContinueAsNewEvents) this.engine.suggestContinueAsNewEvents = opts.suggestContinueAsNewEvents;
    this.engine.shard.cancelWorkerPollsOnShutdown = !!opts.cancelWorkerPollsOnShutdown;
    this.server = new GrpcServer(() => {
      this.engine.flush();
      this.clock.kick();
    });
    for (const ns of opts.namespaces) this.engine.registerNamespace(ns);
    for (const sa of opts.searchAttributes) {
      for (const ns of this.engine.namespaces.values()) ns.searchAttributes.set(sa.name, sa.type);
    }
  }

  async start(): Promise<number> {
    const e = this.engine;
    const w = this.workflowHandler;
    const r = this.reads;
    this.server.addService('temporal.api.workflowservice.v1.WorkflowService', {
      GetSystemInfo: () => ({
        serverVersion: SERVER_VERSION,
        capabilities: {
          signalAndQueryHeader: true,
          internalErrorDifferentiation: true,
          activityFailureIncludeHeartbeat: true,
          supportsSchedules: true,
          encodedFailureAttributes: true,
          upsertMemo: true,
          eagerWorkflowStart: false,
          sdkMetadata: true,
          countGroupByExecutionStatus: true,
        },
      }),
      GetClusterInfo: () => ({
        supportedClients: {},
        serverVersion: SERVER_VERSION,
        clusterId: 'offline',
        clusterName: 'offline',
        historyShardCount: 1,
        persistenceStore: this.opts.dbFile ? 'file' : 'memory',
        visibilityStore: 'memory',
      }),
      DescribeNamespace: (req) => {
        const ns = req.namespace ? this.engine.namespace(req.namespace) : [...e.namespaces.values()].find((n) => n.id === req.id);
        if (!ns) throw notFound(`Namespace ${req.id} is not found.`);
        return this.namespaceDescription(ns);
      },
      ListNamespaces: () => ({ namespaces: [...e.namespaces.values()].map((ns) => this.namespaceDescription(ns)) }),
      RegisterNamespace: (req) => {
        if (!req.namespace) throw invalidArgument('Namespace is not set on request.');
        if (e.namespaces.has(req.namespace)) throw new RpcError(Code.ALREADY_EXISTS, 'Namespace already exists.');
        const ns = e.registerNamespace(req.namespace, { description: req.description, retentionMs: durToMs(req.workflowExecutionRetentionPeriod) || undefined });
        this.journal?.recordNamespace(ns);
        return {};
      },
      GetSearchAttributes: () => ({ keys: this.searchAttributeMap([...e.namespaces.values()][0]!) }),
      // CreateSchedule, DescribeSchedule, UpdateSchedule, PatchSchedule, ListSchedules, DeleteSchedule, ListScheduleMatchingTimes.
      ...scheduleHandlers(this),
      StartWorkflowExecution: (req) => {
        const ns = e.namespace(req.namespace);
        const { x, started } = e.startWorkflow(ns, this.startParams(req), {
          reusePolicy: req.workflowIdReusePolicy,
          conflictPolicy: req.workflowIdConflictPolicy,
        });
        return { runId: x.runId, started, status: x.status };
      },
      SignalWithStartWorkflowExecution: (req) => {
        const ns = e.namespace(req.namespace);
        if (!req.signalName) throw invalidArgument('SignalName is not set on request.');
        const { x, started } = e.startWorkflow(ns, this.startParams(req), {
          reusePolicy: req.workflowIdReusePolicy,
          conflictPolicy: req.workflowIdConflictPolicy,
          signal: { name: req.signalName, input: req.signalInput, header: req.header, identity: req.identity },
        });
        return { runId: x.runId, started };
      },
      SignalWorkflowExecution: (req) => w.signal(req),
      QueryWorkflow: (req, ctx) => w.query(req, ctx),
      RequestCancelWorkflowExecution: (req) => w.requestCancel(req),
      TerminateWorkflowExecution: (req) => w.terminate(req),
      DescribeWorkflowExecution: (req) => r.describe(req),
      GetWorkflowExecutionHistory: (req, ctx) => r.getHistory(req, ctx),
      GetWorkflowExecutionHistoryReverse: (req) => r.getHistoryReverse(req),
      ListWorkflowExecutions: (req) => this.list(req),
      ScanWorkflowExecutions: (req) => this.list(req),
      ListOpenWorkflowExecutions: (req) => this.listByStatus(req, true),
      ListClosedWorkflowExecutions: (req) => this.listByStatus(req, false),
      CountWorkflowExecutions: (req) => this.count(req),
      PollWorkflowTaskQueue: (req, ctx) => w.pollWorkflowTaskQueue(req, ctx),
      RespondWorkflowTaskCompleted: (req) => w.respondWorkflowTaskCompleted(req),
      RespondWorkflowTaskFailed: (req) => w.respondWorkflowTaskFailed(req),
      RespondQueryTaskCompleted: (req) => w.respondQueryTaskCompleted(req),
      PollActivityTaskQueue: (req, ctx) => w.pollActivityTaskQueue(req, ctx),
      RecordActivityTaskHeartbeat: (req) => w.heartbeat(req),
      RecordActivityTaskHeartbeatById: (req) => w.heartbeatById(req),
      RespondActivityTaskCompleted: (req) => w.respondActivityCompleted(req),
      RespondActivityTaskCompletedById: (req) => w.respondActivityCompletedById(req),
      RespondActivityTaskFailed: (req) => w.respondActivityFailed(req),
      RespondActivityTaskFailedById: (req) => w.respondActivityFailedById(req),
      RespondActivityTaskCanceled: (req) => w.respondActivityCanceled(req),
      RespondActivityTaskCanceledById: (req) => w.respondActivityCanceledById(req),
      ResetStickyTaskQueue: () => ({}),
      ShutdownWorker: (req) => w.shutdownWorker(req),
      DescribeTaskQueue: (req) => r.describeTaskQueue(req),
      ...updateMethods(e.updates, (ns, req) => e.startWorkflow(ns, this.startParams(req), { reusePolicy: req.workflowIdReusePolicy, conflictPolicy: req.workflowIdConflictPolicy })),
    });

    this.server.addService('temporal.api.operatorservice.v1.OperatorService', {
      AddSearchAttributes: (req) => {
        const ns = e.namespace(req.namespace || 'default');
        const attrs: Record<string, number> = req.searchAttributes ?? {};
        for (const [name, t] of Object.entries(attrs)) {
          const type = INDEXED_TO_TYPE[t];
          if (!type) throw invalidArgument(`Unable to add search attribute ${name}: unknown type ${t}.`);
          if (SYSTEM_SEARCH_ATTRIBUTES[name]) throw invalidArgument(`Search attribute ${name} is reserved by system.`);
          const existing = ns.searchAttributes.get(name);
          if (existing && existing !== type) throw new RpcError(Code.ALREADY_EXISTS, `Search attribute ${name} already exists with type ${existing}.`);
        }
        for (const [name, t] of Object.entries(attrs)) {
          ns.searchAttributes.set(name, INDEXED_TO_TYPE[t]!);
          this.journal?.recordSearchAttribute(ns, name, INDEXED_TO_TYPE[t]!);
        }
        return {};
      },
      RemoveSearchAttributes: (req) => {
        const ns = e.namespace(req.namespace || 'default');
        for (const name of req.searchAttributes ?? []) {
          if (!ns.searchAttributes.has(name)) throw notFound(`Search attribute ${name} doesn't exist.`);
        }
        for (const name of req.searchAttributes ?? []) {
          ns.searchAttributes.delete(name);
          this.journal?.recordSearchAttribute(ns, name, null);
        }
        return {};
      },
      ListSearchAttributes: (req) => {
        const ns = e.namespace(req.namespace || 'default');
        const custom: Record<string, number> = {};
        for (const [k, v] of ns.searchAttributes) custom[k] = TYPE_TO_INDEXED[v];
        const system: Record<string, number> = {};
        for (const [k, v] of Object.entries(SYSTEM_SEARCH_ATTRIBUTES)) system[k] = TYPE_TO_INDEXED[v];
        return { customAttributes: custom, systemAttributes: system, storageSchema: {} };
      },
    });

    if (this.opts.timeSkipping) {
      const c = this.clock;
      this.server.addService('temporal.api.testservice.v1.TestService', {
        LockTimeSkipping: () => {
          c.lock();
          return {};
        },
        UnlockTimeSkipping: () => {
          try {
            c.unlock();
          } catch (err) {
            throw new RpcError(Code.FAILED_PRECONDITION, (err as Error).message);
          }
          return {};
        },
        UnlockTimeSkippingWithSleep: async (req) => {
          await c.sleep(durToMs(req.duration));
          return {};
        },
        Sleep: async (req) => {
          await c.sleep(durToMs(req.duration));
          return {};
        },
        SleepUntil: async (req) => {
          await c.sleep(Math.max(0, (tsToMs(req.timestamp) ?? 0) - c.now()));
          return {};
        },
        GetCurrentTime: () => ({ time: msToTs(c.now()) }),
      });
    }

    this.boundPort = await this.server.listen(this.opts.host, this.opts.port);
    return this.boundPort;
  }

  stop(): Promise<void> {
    return this.server.close();
  }

  private namespaceDescription(ns: Namespace) {
    return {
      namespaceInfo: {
        name: ns.name,
        state: enums.NamespaceState.NAMESPACE_STATE_REGISTERED,
        description: ns.description,
        id: ns.id,
        supportsSchedules: true,
        // workerPollCompleteOnShutdown: ShutdownWorker answers the worker's waiting polls (frontend/workflow-handler.ts).
        capabilities: { eagerWorkflowStart: false, syncUpdate: true, asyncUpdate: true, workerPollCompleteOnShutdown: this.engine.shard.cancelWorkerPollsOnShutdown },
      },
      config: { workflowExecutionRetentionTtl: msToDur(ns.retentionMs) },
      isGlobalNamespace: false,
    };
  }

  private searchAttributeMap(ns: Namespace) {
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(SYSTEM_SEARCH_ATTRIBUTES)) out[k] = TYPE_TO_INDEXED[v];
    for (const [k, v] of ns.searchAttributes) out[k] = TYPE_TO_INDEXED[v];
    return out;
  }

  private startParams(req: any) {
    return {
      workflowId: req.workflowId ?? '',
      workflowType: req.workflowType?.name ?? '',
      taskQueue: req.taskQueue?.name ?? '',
      input: req.input,
      header: req.header,
      memo: req.memo?.fields ?? undefined,
      searchAttributes: req.searchAttributes?.indexedFields ?? undefined,
      runTimeoutMs: durToMs(req.workflowRunTimeout),
      executionTimeoutMs: durToMs(req.workflowExecutionTimeout),
      workflowTaskTimeoutMs: durToMs(req.workflowTaskTimeout),
      retryPolicy: req.retryPolicy,
      identity: req.identity,
      requestId: req.requestId,
      startDelayMs: durToMs(req.workflowStartDelay),
      cronSchedule: req.cronSchedule,
    };
  }

  // ------------------------------------------------------------ visibility

  /**
   * Each run's visibility record, built again only when the run has changed: every change that
   * shows in visibility (a start, an upsert, a status, a workflow task's attempt) writes an
   * event, so the history's length (with the status and the namespace's attributes) dates it.
   * Decoding every run's attributes for every query made a count over 100,000 runs cost seconds.
   */
  private readonly records = new WeakMap<Execution, { stamp: string; rec: VisibilityRecord }>();

  private record(x: Execution): VisibilityRecord {
    const stamp = `${x.events.length}|${x.status}|${x.wt?.attempt ?? 0}|${x.ns.searchAttributes.size}`;
    const cached = this.records.get(x);
    if (cached && cached.stamp === stamp) return cached.rec;
    const rec = this.buildRecord(x);
    this.records.set(x, { stamp, rec });
    return rec;
  }

  private buildRecord(x: Execution): VisibilityRecord {
    const rec: VisibilityRecord = {
      WorkflowId: x.workflowId,
      RunId: x.runId,
      WorkflowType: x.workflowType,
      ExecutionStatus: STATUS_NAMES[x.status],
      StartTime: x.startTime,
      ExecutionTime: x.executionTime,
      CloseTime: isOpen(x) ? undefined : x.closeTime,
      TaskQueue: x.taskQueue,
      HistoryLength: x.events.length,
      ExecutionDuration: isOpen(x) ? undefined : (x.closeTime - x.executionTime) * 1e6,
      ParentWorkflowId: x.parent?.workflowId,
      ParentRunId: x.parent?.runId,
      RootWorkflowId: x.root.workflowId,
      RootRunId: x.root.runId,
    };
    for (const [name, p] of Object.entries(x.searchAttributes)) {
      const type = this.engine.searchAttributeType(x.ns, name);
      if (type && !(name in SYSTEM_SEARCH_ATTRIBUTES)) rec[name] = decodeSearchAttribute(p, type);
      else if (name === 'TemporalChangeVersion' || name === 'BuildIds' || name === 'BinaryChecksums') rec[name] = decodeSearchAttribute(p, 'KeywordList');
      // What a schedule stamps on the runs it starts.
      else if (name === 'TemporalScheduledStartTime' || name === 'TemporalScheduledById') rec[name] = decodeSearchAttribute(p, SYSTEM_SEARCH_ATTRIBUTES[name]!);
    }
    const problems = this.engine.reportedProblems(x);
    if (problems) rec.TemporalReportedProblems = problems;
    return rec;
  }

  private compile(ns: Namespace, query: string) {
    try {
      return compileQuery(query ?? '', (name) => this.engine.searchAttributeType(ns, name));
    } catch (err) {
      if (err instanceof VisibilityQueryError) throw invalidArgument(err.message);
      throw err;
    }
  }

  private matching(req: any, { sorted = true } = {}) {
    const ns = this.engine.namespace(req.namespace);
    const q = this.compile(ns, req.query ?? '');
    const rows = this.engine
      .allExecutions(ns)
      .map((x) => ({ x, rec: this.record(x) }))
      .filter((r) => q.matches(r.rec));
    // A count needs no order.
    if (!sorted) return rows.map((r) => r.x);
    if (q.orderBy.length > 0) rows.sort((a, b) => q.compare(a.rec, b.rec));
    else rows.sort((a, b) => (b.x.startTime - a.x.startTime) || (a.x.runId < b.x.runId ? -1 : 1));
    return rows.map((r) => r.x);
  }

  private list(req: any) {
    const all = this.matching(req);
    const pageSize = toNum(req.pageSize) || 1000;
    const from = req.nextPageToken?.length ? Number(Buffer.from(req.nextPageToken).toString()) : 0;
    if (!Number.isInteger(from) || from < 0) throw invalidArgument('invalid next page token');
    const page = all.slice(from, from + pageSize);
    const next = from + page.length < all.length ? Buffer.from(String(from + page.length)) : null;
    return { executions: page.map((x) => this.reads.executionInfo(x)), nextPageToken: next };
  }

  private listByStatus(req: any, open: boolean) {
    const ns = this.engine.namespace(req.namespace);
    let runs = this.engine.allExecutions(ns).filter((x) => isOpen(x) === open);
    const wf = req.executionFilter?.workflowId;
    if (wf) runs = runs.filter((x) => x.workflowId === wf);
    const type = req.typeFilter?.name;
    if (type) runs = runs.filter((x) => x.workflowType === type);
    runs.sort((a, b) => b.startTime - a.startTime);
    const pageSize = toNum(req.maximumPageSize) || 1000;
    const from = req.nextPageToken?.length ? Number(Buffer.from(req.nextPageToken).toString()) : 0;
    const page = runs.slice(from, from + pageSize);
    return {
      executions: page.map((x) => this.reads.executionInfo(x)),
      nextPageToken: from + page.length < runs.length ? Buffer.from(String(from + page.length)) : null,
    };
  }

  private count(req: any) {
    const query: string = req.query ?? '';
    const groupBy = /\s+GROUP\s+BY\s+([A-Za-z_][A-Za-z0-9_]*)\s*$/i.exec(query);
    const base = groupBy ? query.slice(0, groupBy.index) : query;
    const rows = this.matching({ ...req, query: base }, { sorted: false });
    if (!groupBy) return { count: rows.length };
    if (groupBy[1] !== 'ExecutionStatus') throw invalidArgument(`invalid query: 'GROUP BY' clause is only supported for ExecutionStatus.`);
    const groups = new Map<number, number>();
    for (const x of rows) groups.set(x.status, (groups.get(x.status) ?? 0) + 1);
    return {
      count: rows.length,
      groups: [...groups.entries()].map(([status, count]) => ({
        groupValues: [{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from(JSON.stringify(STATUS_NAMES[status])) }],
        count,
      })),
    };
  }
}
