// Read calls (the official frontend's DescribeWorkflowExecution, GetWorkflowExecutionHistory
// (with its long poll), ...Reverse and DescribeTaskQueue): they look at runs and queues and
// change nothing, so they live beside the gRPC service, not in the engine.
import type { temporal } from '@temporalio/proto';
import type { Engine } from '../engine.ts';
import { invalidArgument } from '../errors.ts';
import type { Execution } from '../model.ts';
import { isOpen } from '../model.ts';
import { enums, msToDur, msToTs, toNum, WithHistory } from '../proto.ts';
import type { CallContext } from '../rpc.ts';

const QUEUE_NORMAL = enums.TaskQueueKind.TASK_QUEUE_KIND_NORMAL;
/** Field number of `history` in GetWorkflowExecutionHistoryResponse (and ...Reverse). */
const GET_HISTORY_FIELD = 1;

export class Reads {
  constructor(private readonly e: Engine) {}

  async getHistory(req: temporal.api.workflowservice.v1.IGetWorkflowExecutionHistoryRequest, ctx: CallContext) {
    const ns = this.e.namespace(req.namespace);
    let x = this.e.getExecution(ns, req.execution?.workflowId, req.execution?.runId);
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
        let waiting = true;
        const done = () => {
          waiting = false;
          clearTimeout(t);
          resolve();
        };
        // Only the close event answers a close-event poll, so the run's other events do not
        // wake it (each wake-up cost a new timer, promise and pass through this loop). Looked
        // at once the writer's step is over: a run's status is set after its close event.
        const check = () => {
          if (!waiting) return;
          if (isOpen(x) && !ctx.cancelled()) x.historyWaiters.add(w);
          else done();
        };
        const w = closeOnly ? () => queueMicrotask(check) : done;
        const t = setTimeout(() => {
          waiting = false;
          x.historyWaiters.delete(w);
          resolve();
        }, wait);
        x.historyWaiters.add(w);
        ctx.onCancelled(w);
      });
      if (ctx.cancelled()) return { history: { events: [] } };
      x = this.e.shard.run(ns.name, x.runId) ?? x;
    }
  }

  getHistoryReverse(req: temporal.api.workflowservice.v1.IGetWorkflowExecutionHistoryReverseRequest) {
    const ns = this.e.namespace(req.namespace);
    const x = this.e.getExecution(ns, req.execution?.workflowId, req.execution?.runId);
    const pageSize = toNum(req.maximumPageSize) || 1000;
    const token = req.nextPageToken?.length ? Number(Buffer.from(req.nextPageToken).toString()) : x.events.length;
    const end = Math.min(token, x.events.length);
    const start = Math.max(0, end - pageSize);
    const events = x.events.slice(start, end).reverse();
    return new WithHistory({ nextPageToken: start > 0 ? Buffer.from(String(start)) : null }, GET_HISTORY_FIELD, events);
  }

  /** A run as list calls and DescribeWorkflowExecution show it. */
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
      parentNamespaceId: x.parent ? this.e.namespaces.get(x.parent.namespace)?.id ?? '' : '',
      parentExecution: x.parent ? { workflowId: x.parent.workflowId, runId: x.parent.runId } : null,
      rootExecution: x.root,
      firstRunId: x.firstRunId,
      stateTransitionCount: x.events.length,
      executionDuration: isOpen(x) ? null : msToDur(x.closeTime - x.executionTime),
    };
  }

  describe(req: temporal.api.workflowservice.v1.IDescribeWorkflowExecutionRequest) {
    const ns = this.e.namespace(req.namespace);
    const x = this.e.getExecution(ns, req.execution?.workflowId, req.execution?.runId);
    const PA = enums.PendingActivityState;
    const now = this.e.clock.now();
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
        currentRetryInterval: a.phase === 'backoff' ? msToDur(Math.max(0, a.nextAttemptTime - now)) : null,
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

  describeTaskQueue(req: temporal.api.workflowservice.v1.IDescribeTaskQueueRequest) {
    const ns = this.e.namespace(req.namespace);
    const name = req.taskQueue?.name;
    if (!name) throw invalidArgument('TaskQueue is not set on request.');
    const isActivity = req.taskQueueType === enums.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY;
    const q = (isActivity ? this.e.shard.actQueues : this.e.shard.wfQueues).get(`${ns.name}\u0000${name}`);
    const pollers = q ? [...q.lastPollers.entries()].map(([identity, t]) => ({ identity, lastAccessTime: msToTs(t) })) : [];
    return { pollers };
  }
}
