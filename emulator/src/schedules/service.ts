// The schedule RPCs of WorkflowService (CreateSchedule, DescribeSchedule, UpdateSchedule,
// PatchSchedule, ListSchedules, DeleteSchedule, ListScheduleMatchingTimes), answered as the
// official frontend answers them, over the schedules of each namespace. Schedules are kept in
// the dev server's journal (one line per change) so they survive a restart and catch up.
import { alreadyExists, Code, invalidArgument, notFound, RpcError } from '../errors.ts';
import { common, durToMs, failureApi, msToDur, msToTs, temporal, toNum, tsToMs, type IFailure, type IPayload, type IPayloads } from '../proto.ts';
import { compileQuery, decodeSearchAttribute, VisibilityQueryError, type SearchAttributeType, type VisibilityRecord } from '../visibility.ts';
import { Overlap, Scheduler, type ScheduleDefinition, type ScheduleHost, type SchedulePatch, type SchedulerSnapshot, type StartWorkflowAction } from './scheduler.ts';
import { canonicalize, cleanCalendar, SpecError, type CanonicalSpec } from './spec.ts';

/** What the schedules need from the rest of the server. */
export interface ScheduleEngine {
  /** The namespace's id; throws NOT_FOUND for an unknown namespace. */
  namespaceId(ns: string): string;
  searchAttributeType(ns: string, name: string): SearchAttributeType | undefined;
  /** Throws INVALID_ARGUMENT for unregistered or mistyped attributes. */
  validateSearchAttributes(ns: string, sas: Record<string, IPayload>): void;
  /** Everything a schedule in `ns` does to runs and time. */
  host(ns: string, changed: (s: Scheduler) => void): ScheduleHost;
  /** Appends a line to the journal (dev mode with --db-filename); absent in memory. */
  journal?: (line: string) => void;
  /** Writes what changed to the journal now. */
  flush(): void;
}

const scheduleApi = temporal.api.schedule.v1;
const workflowApi = temporal.api.workflow.v1;

const b64 = (u: Uint8Array) => Buffer.from(u).toString('base64');
const unb64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));
const encMap = (m: Record<string, IPayload> | undefined) => (m ? Object.fromEntries(Object.entries(m).map(([k, v]) => [k, b64(common.Payload.encode(common.Payload.fromObject(v)).finish())])) : undefined);
const decMap = (m: Record<string, string> | undefined) => (m ? Object.fromEntries(Object.entries(m).map(([k, v]) => [k, common.Payload.decode(unb64(v))])) : undefined);

function conflictTokenBytes(n: number): Uint8Array {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
}

function conflictTokenValue(b: Uint8Array | null | undefined): number {
  if (!b || b.length === 0) return 0;
  if (b.length !== 8) return -1;
  return Number(Buffer.from(b).readBigUInt64BE());
}

/** A schedule's StartWorkflow action from the request, checked as the frontend checks it. */
function actionFrom(raw: any): StartWorkflowAction | undefined {
  const sw = raw?.startWorkflow;
  if (!sw) return undefined;
  if (!sw.workflowType?.name) throw invalidArgument('WorkflowType is not set on request.');
  if (!sw.taskQueue?.name) throw invalidArgument('missing task queue name');
  if (sw.cronSchedule) throw invalidArgument('Scheduled workflow must not contain CronSchedule');
  const reuse = sw.workflowIdReusePolicy ?? 0;
  if (reuse !== 0 && reuse !== 1) throw invalidArgument('Scheduled workflow must not contain WorkflowIDReusePolicy');
  const runTimeoutMs = durToMs(sw.workflowRunTimeout);
  const executionTimeoutMs = durToMs(sw.workflowExecutionTimeout);
  const workflowTaskTimeoutMs = durToMs(sw.workflowTaskTimeout);
  if (runTimeoutMs < 0 || executionTimeoutMs < 0 || workflowTaskTimeoutMs < 0) throw invalidArgument('Invalid timeout: timeouts cannot be negative.');
  return {
    workflowId: sw.workflowId ?? '',
    workflowType: sw.workflowType.name,
    taskQueue: sw.taskQueue.name,
    input: sw.input,
    runTimeoutMs,
    executionTimeoutMs,
    workflowTaskTimeoutMs,
    retryPolicy: sw.retryPolicy,
    memo: sw.memo?.fields ?? undefined,
    searchAttributes: sw.searchAttributes?.indexedFields ?? undefined,
    header: sw.header,
    userMetadata: sw.userMetadata,
    raw: sw,
  };
}

function definitionFrom(schedule: any): ScheduleDefinition {
  let spec: CanonicalSpec;
  try {
    spec = canonicalize(schedule?.spec ?? {});
  } catch (e) {
    if (e instanceof SpecError) throw invalidArgument(`Invalid schedule spec: ${e.message}`);
    throw e;
  }
  const p = schedule?.policies ?? {};
  const st = schedule?.state ?? {};
  return {
    spec,
    action: actionFrom(schedule?.action),
    policies: {
      overlapPolicy: p.overlapPolicy ?? 0,
      catchupWindowMs: durToMs(p.catchupWindow),
      pauseOnFailure: !!p.pauseOnFailure,
      keepOriginalWorkflowId: !!p.keepOriginalWorkflowId,
    },
    state: {
      paused: !!st.paused,
      notes: st.notes ?? '',
      limitedActions: !!st.limitedActions,
      remainingActions: toNum(st.remainingActions),
    },
  };
}

function patchFrom(p: any): SchedulePatch {
  return {
    triggerImmediately: p?.triggerImmediately ? { overlapPolicy: p.triggerImmediately.overlapPolicy ?? 0, scheduledTime: tsToMs(p.triggerImmediately.scheduledTime) } : undefined,
    backfills: (p?.backfillRequest ?? []).map((b: any) => ({ start: tsToMs(b.startTime) ?? 0, end: tsToMs(b.endTime) ?? 0, overlapPolicy: b.overlapPolicy ?? 0 })),
    pause: p?.pause || undefined,
    unpause: p?.unpause || undefined,
  };
}

function specToProto(c: CanonicalSpec, cleaned = true) {
  const cal = (s: CanonicalSpec['structuredCalendar'][number]) => (cleaned ? cleanCalendar(s) : s);
  return {
    structuredCalendar: c.structuredCalendar.map(cal),
    excludeStructuredCalendar: c.excludeStructuredCalendar.map(cal),
    interval: c.interval.map((iv) => ({ interval: msToDur(iv.interval * 1000), phase: iv.phase ? msToDur(iv.phase * 1000) : undefined })),
    startTime: c.startTime !== undefined ? msToTs(c.startTime) : undefined,
    endTime: c.endTime !== undefined ? msToTs(c.endTime) : undefined,
    jitter: c.jitterMs ? msToDur(c.jitterMs) : undefined,
    timezoneName: c.timezoneName,
  };
}

export class ScheduleService {
  /** namespace -> schedule id -> scheduler */
  private readonly byNs = new Map<string, Map<string, Scheduler>>();
  /** Schedules changed since the last journal write. */
  private readonly dirty = new Set<Scheduler>();
  private readonly deletedIds: { ns: string; id: string }[] = [];
  private restored: SchedulerSnapshot[] = [];
  private resumed = false;

  constructor(private readonly engine: ScheduleEngine) {}

  private schedules(ns: string): Map<string, Scheduler> {
    let m = this.byNs.get(ns);
    if (!m) this.byNs.set(ns, (m = new Map()));
    return m;
  }

  private get(ns: string, id: string): Scheduler {
    this.engine.namespaceId(ns);
    const s = this.byNs.get(ns)?.get(id);
    if (!s) throw notFound('schedule not found');
    return s;
  }

  private changed = (s: Scheduler) => {
    this.dirty.add(s);
  };

  // -------------------------------------------------------------------------------------------
  // Journal

  /** A journal line read back on start (the last line of a schedule wins; `s: null` is a deletion). */
  restoreLine(rec: { ns: string; id: string; s: any }) {
    this.restored = this.restored.filter((r) => !(r.namespace === rec.ns && r.scheduleId === rec.id));
    if (rec.s) this.restored.push(this.fromJournal(rec.s));
  }

  /** Starts the restored schedules: they catch up on the time the server was down. */
  resumeAll() {
    if (this.resumed) return;
    this.resumed = true;
    const restored = this.restored;
    this.restored = [];
    for (const snap of restored) {
      const s = new Scheduler(snap, this.engine.host(snap.namespace, this.changed));
      this.schedules(snap.namespace).set(snap.scheduleId, s);
    }
    for (const m of this.byNs.values()) for (const s of m.values()) s.resume();
    this.engine.flush();
  }

  /** Lines for a compacted journal: one per schedule. */
  journalLines(): string[] {
    const out: string[] = [];
    for (const snap of this.restored) out.push(JSON.stringify({ t: 'sched', ns: snap.namespace, id: snap.scheduleId, s: this.toJournal(snap) }));
    for (const [ns, m] of this.byNs) for (const [id, s] of m) out.push(JSON.stringify({ t: 'sched', ns, id, s: this.toJournal(s.s) }));
    this.dirty.clear();
    this.deletedIds.length = 0;
    return out;
  }

  /** What changed since the last call, as journal lines. */
  drainJournal(): string {
    let out = '';
    for (const d of this.deletedIds) out += JSON.stringify({ t: 'sched', ns: d.ns, id: d.id, s: null }) + '\n';
    this.deletedIds.length = 0;
    for (const s of this.dirty) out += JSON.stringify({ t: 'sched', ns: s.s.namespace, id: s.id, s: this.toJournal(s.s) }) + '\n';
    this.dirty.clear();
    return out;
  }

  private toJournal(s: SchedulerSnapshot) {
    const { def } = s;
    return {
      ...s,
      def: { ...def, action: def.action ? b64(workflowApi.NewWorkflowExecutionInfo.encode(workflowApi.NewWorkflowExecutionInfo.fromObject(def.action.raw as any)).finish()) : null },
      lastCompletionResult: s.lastCompletionResult ? b64(common.Payloads.encode(common.Payloads.fromObject(s.lastCompletionResult)).finish()) : null,
      continuedFailure: s.continuedFailure ? b64(failureApi.Failure.encode(failureApi.Failure.fromObject(s.continuedFailure)).finish()) : null,
      memo: encMap(s.memo),
      searchAttributes: encMap(s.searchAttributes),
    };
  }

  private fromJournal(j: any): SchedulerSnapshot {
    const raw = j.def.action ? workflowApi.NewWorkflowExecutionInfo.decode(unb64(j.def.action)) : undefined;
    return {
      ...j,
      def: { ...j.def, action: raw ? actionFrom({ startWorkflow: raw }) : undefined },
      lastCompletionResult: j.lastCompletionResult ? (common.Payloads.decode(unb64(j.lastCompletionResult)) as IPayloads) : undefined,
      continuedFailure: j.continuedFailure ? (failureApi.Failure.decode(unb64(j.continuedFailure)) as IFailure) : undefined,
      memo: decMap(j.memo),
      searchAttributes: decMap(j.searchAttributes),
    };
  }

  // -------------------------------------------------------------------------------------------
  // RPCs

  handlers(): Record<string, (req: any) => unknown> {
    return {
      CreateSchedule: (req) => this.create(req),
      DescribeSchedule: (req) => this.describe(req),
      UpdateSchedule: (req) => this.update(req),
      PatchSchedule: (req) => this.patch(req),
      ListSchedules: (req) => this.list(req),
      DeleteSchedule: (req) => this.delete(req),
      ListScheduleMatchingTimes: (req) => this.matchingTimes(req),
      CountSchedules: (req) => ({ count: this.matching(req.namespace ?? '', req.query ?? '').length }),
    };
  }

  private create(req: any) {
    const ns = req.namespace ?? '';
    const nsId = this.engine.namespaceId(ns);
    const id: string = req.scheduleId ?? '';
    if (!id) throw invalidArgument('ScheduleId is not set on request.');
    if (!req.requestId) throw invalidArgument('RequestId is not set on request.');
    const def = definitionFrom(req.schedule);
    const searchAttributes = req.searchAttributes?.indexedFields ?? undefined;
    if (searchAttributes) this.engine.validateSearchAttributes(ns, searchAttributes);
    if (def.action?.searchAttributes) this.engine.validateSearchAttributes(ns, def.action.searchAttributes);
    const m = this.schedules(ns);
    if (m.has(id)) throw alreadyExists('schedule with this ID is already registered');
    const s = Scheduler.create(
      this.engine.host(ns, this.changed),
      { namespace: ns, namespaceId: nsId, scheduleId: id, def, memo: req.memo?.fields ?? undefined, searchAttributes },
      req.initialPatch ? patchFrom(req.initialPatch) : undefined,
    );
    m.set(id, s);
    this.dirty.add(s);
    return { conflictToken: conflictTokenBytes(s.s.conflictToken) };
  }

  private describe(req: any) {
    const s = this.get(req.namespace ?? '', req.scheduleId ?? '');
    const { def, info } = s.s;
    return {
      schedule: {
        spec: specToProto(def.spec),
        action: def.action ? { startWorkflow: def.action.raw } : {},
        policies: {
          overlapPolicy: s.resolveOverlap(def.policies.overlapPolicy),
          catchupWindow: msToDur(s.catchupWindowMs()),
          pauseOnFailure: def.policies.pauseOnFailure,
          keepOriginalWorkflowId: def.policies.keepOriginalWorkflowId,
        },
        state: { paused: def.state.paused, notes: def.state.notes, limitedActions: def.state.limitedActions, remainingActions: def.state.remainingActions },
      },
      info: {
        actionCount: info.actionCount,
        missedCatchupWindow: info.missedCatchupWindow,
        overlapSkipped: info.overlapSkipped,
        bufferDropped: info.bufferDropped,
        bufferSize: s.bufferSize(),
        runningWorkflows: info.runningWorkflows.map((r) => ({ workflowId: r.workflowId, runId: r.runId })),
        recentActions: info.recentActions.map(actionResult),
        futureActionTimes: s.futureActionTimes().map(msToTs),
        createTime: msToTs(info.createTime),
        updateTime: info.updateTime ? msToTs(info.updateTime) : undefined,
      },
      memo: s.s.memo && Object.keys(s.s.memo).length ? { fields: s.s.memo } : undefined,
      searchAttributes: s.s.searchAttributes && Object.keys(s.s.searchAttributes).length ? { indexedFields: s.s.searchAttributes } : undefined,
      conflictToken: conflictTokenBytes(s.s.conflictToken),
    };
  }

  private update(req: any) {
    const ns = req.namespace ?? '';
    const s = this.get(ns, req.scheduleId ?? '');
    const def = definitionFrom(req.schedule);
    const searchAttributes = req.searchAttributes ? (req.searchAttributes.indexedFields ?? {}) : undefined;
    if (searchAttributes) this.engine.validateSearchAttributes(ns, searchAttributes);
    if (def.action?.searchAttributes) this.engine.validateSearchAttributes(ns, def.action.searchAttributes);
    const token = conflictTokenValue(req.conflictToken);
    if (!s.update(def, token, searchAttributes)) throw new RpcError(Code.FAILED_PRECONDITION, 'mismatched conflict token');
    if (req.memo) s.s.memo = req.memo.fields ?? {};
    this.dirty.add(s);
    return {};
  }

  private patch(req: any) {
    if (!req.patch) throw invalidArgument('Patch is not set on request.');
    const s = this.get(req.namespace ?? '', req.scheduleId ?? '');
    s.applyPatch(patchFrom(req.patch));
    this.dirty.add(s);
    return {};
  }

  private delete(req: any) {
    const ns = req.namespace ?? '';
    const s = this.get(ns, req.scheduleId ?? '');
    s.delete();
    this.byNs.get(ns)!.delete(s.id);
    this.dirty.delete(s);
    this.deletedIds.push({ ns, id: s.id });
    return {};
  }

  private matchingTimes(req: any) {
    const s = this.get(req.namespace ?? '', req.scheduleId ?? '');
    const start = tsToMs(req.startTime);
    const end = tsToMs(req.endTime);
    if (start === undefined || end === undefined) throw invalidArgument('missing or invalid query');
    return { startTime: s.matchingTimes(start, end).map(msToTs) };
  }

  /** The namespace's schedules that match a visibility query (newest first). */
  private matching(ns: string, queryText: string): Scheduler[] {
    this.engine.namespaceId(ns);
    const typeOf = (name: string): SearchAttributeType | undefined => {
      if (name === 'ScheduleId') return 'Keyword';
      if (name === 'TemporalSchedulePaused') return 'Bool';
      return this.engine.searchAttributeType(ns, name);
    };
    let query;
    try {
      query = compileQuery(queryText, typeOf);
    } catch (e) {
      if (e instanceof VisibilityQueryError) throw invalidArgument(e.message);
      throw e;
    }
    const all = [...(this.byNs.get(ns)?.values() ?? [])].sort((a, b) => b.s.info.createTime - a.s.info.createTime || (a.id < b.id ? -1 : 1));
    return all.filter((s) => {
      const rec: VisibilityRecord = { ScheduleId: s.id, TemporalSchedulePaused: s.def.state.paused };
      for (const [k, p] of Object.entries(s.s.searchAttributes ?? {})) {
        const t = typeOf(k);
        if (t) rec[k] = decodeSearchAttribute(p, t);
      }
      return query.matches(rec);
    });
  }

  private list(req: any) {
    const matching = this.matching(req.namespace ?? '', req.query ?? '');
    const pageSize = req.maximumPageSize > 0 ? req.maximumPageSize : 1000;
    const offset = req.nextPageToken?.length ? Number(Buffer.from(req.nextPageToken).toString()) || 0 : 0;
    const page = matching.slice(offset, offset + pageSize);
    const next = offset + pageSize < matching.length ? Buffer.from(String(offset + pageSize)) : undefined;
    return {
      schedules: page.map((s) => ({
        scheduleId: s.id,
        memo: s.s.memo && Object.keys(s.s.memo).length ? { fields: s.s.memo } : undefined,
        searchAttributes: s.s.searchAttributes && Object.keys(s.s.searchAttributes).length ? { indexedFields: s.s.searchAttributes } : undefined,
        info: {
          spec: specToProto(s.def.spec),
          workflowType: s.def.action ? { name: s.def.action.workflowType } : undefined,
          notes: s.def.state.notes,
          paused: s.def.state.paused,
          recentActions: s.s.info.recentActions.slice(-5).map(actionResult),
          futureActionTimes: s.futureActionTimes(5).map(msToTs),
        },
      })),
      nextPageToken: next,
    };
  }
}

function actionResult(a: SchedulerSnapshot['info']['recentActions'][number]) {
  return {
    scheduleTime: msToTs(a.scheduleTime),
    actualTime: msToTs(a.actualTime),
    startWorkflowResult: { workflowId: a.workflowId, runId: a.runId },
    startWorkflowStatus: a.status,
  };
}

export { Overlap, scheduleApi };
