// The service edge for the engine's calls (the official frontend service's workflow handler):
// each gRPC request is checked for what is about the wire (missing fields), its task token and
// names are decoded, and the engine's parts get typed inputs.
import type { temporal } from '@temporalio/proto';
import type { Engine } from '../engine.ts';
import { invalidArgument } from '../errors.ts';
import { enums } from '../proto.ts';
import type { Poll } from '../history/shard.ts';
import { decodeToken } from '../history/tokens.ts';
import type { CallContext } from '../rpc.ts';

export class WorkflowHandler {
  constructor(private readonly e: Engine) {}

  private poll(req: { identity?: string | null; workerInstanceKey?: string | null }): Poll {
    return { identity: req.identity ?? '', workerInstanceKey: req.workerInstanceKey ?? '' };
  }

  signal(req: temporal.api.workflowservice.v1.ISignalWorkflowExecutionRequest) {
    const ns = this.e.namespace(req.namespace);
    if (!req.signalName) throw invalidArgument('SignalName is not set on request.');
    const x = this.e.getOpenExecution(ns, req.workflowExecution?.workflowId, req.workflowExecution?.runId);
    this.e.signals.signal(x, { signalName: req.signalName, input: req.input, header: req.header, identity: req.identity ?? '', requestId: req.requestId ?? '' });
    return {};
  }

  requestCancel(req: temporal.api.workflowservice.v1.IRequestCancelWorkflowExecutionRequest) {
    const ns = this.e.namespace(req.namespace);
    const x = this.e.getExecution(ns, req.workflowExecution?.workflowId, req.workflowExecution?.runId);
    this.e.signals.requestCancelFromClient(x, { reason: req.reason ?? '', identity: req.identity ?? '', firstExecutionRunId: req.firstExecutionRunId ?? '' });
    return {};
  }

  terminate(req: temporal.api.workflowservice.v1.ITerminateWorkflowExecutionRequest) {
    const ns = this.e.namespace(req.namespace);
    const x = this.e.getOpenExecution(ns, req.workflowExecution?.workflowId, req.workflowExecution?.runId);
    this.e.lifecycle.terminateFromClient(x, { reason: req.reason ?? '', details: req.details, identity: req.identity ?? '', firstExecutionRunId: req.firstExecutionRunId ?? '' });
    return {};
  }

  query(req: temporal.api.workflowservice.v1.IQueryWorkflowRequest, ctx: CallContext): Promise<unknown> {
    const ns = this.e.namespace(req.namespace);
    const x = this.e.getExecution(ns, req.execution?.workflowId, req.execution?.runId);
    const queryType = req.query?.queryType;
    if (!queryType) throw invalidArgument('QueryType is not set on request.');
    return this.e.queries.query(x, { queryType, queryArgs: req.query?.queryArgs, header: req.query?.header, rejectCondition: req.queryRejectCondition ?? 0 }, ctx);
  }

  pollWorkflowTaskQueue(req: temporal.api.workflowservice.v1.IPollWorkflowTaskQueueRequest, ctx: CallContext) {
    const ns = this.e.namespace(req.namespace);
    const tq = req.taskQueue?.name;
    if (!tq) throw invalidArgument('TaskQueue is not set on request.');
    return this.e.workflowTasks.poll(ns.name, tq, this.poll(req), ctx);
  }

  respondWorkflowTaskCompleted(req: temporal.api.workflowservice.v1.IRespondWorkflowTaskCompletedRequest) {
    const token = decodeToken(req.taskToken, 'wft');
    return this.e.workflowTasks.respondCompleted(token, {
      identity: req.identity ?? '',
      binaryChecksum: req.binaryChecksum ?? '',
      commands: (req.commands ?? []) as temporal.api.command.v1.Command[],
      messages: req.messages ?? [],
      queryResults: req.queryResults ?? {},
      forceCreateNewWorkflowTask: !!req.forceCreateNewWorkflowTask,
      sdkMetadata: req.sdkMetadata,
      meteringMetadata: req.meteringMetadata,
      workerVersionStamp: req.workerVersionStamp,
    });
  }

  respondWorkflowTaskFailed(req: temporal.api.workflowservice.v1.IRespondWorkflowTaskFailedRequest) {
    const token = decodeToken(req.taskToken, 'wft');
    this.e.workflowTasks.respondFailed(token, { identity: req.identity ?? '', cause: req.cause ?? 0, failure: req.failure, binaryChecksum: req.binaryChecksum ?? '' });
    return {};
  }

  respondQueryTaskCompleted(req: temporal.api.workflowservice.v1.IRespondQueryTaskCompletedRequest) {
    const token = decodeToken(req.taskToken, 'query');
    this.e.queries.respond(token, { completedType: req.completedType ?? 0, queryResult: req.queryResult, errorMessage: req.errorMessage ?? '', failure: req.failure });
    return {};
  }

  pollActivityTaskQueue(req: temporal.api.workflowservice.v1.IPollActivityTaskQueueRequest, ctx: CallContext) {
    const ns = this.e.namespace(req.namespace);
    const tq = req.taskQueue?.name;
    if (!tq) throw invalidArgument('TaskQueue is not set on request.');
    return this.e.activities.poll(ns.name, tq, this.poll(req), ctx);
  }

  private activityByToken(taskToken: Uint8Array | null | undefined) {
    return this.e.activities.byToken(decodeToken(taskToken, 'act'));
  }

  private activityById(req: { namespace?: string | null; workflowId?: string | null; runId?: string | null; activityId?: string | null }) {
    return this.e.activities.byId(this.e.namespace(req.namespace), req.workflowId ?? '', req.runId ?? '', req.activityId ?? '');
  }

  heartbeat(req: temporal.api.workflowservice.v1.IRecordActivityTaskHeartbeatRequest) {
    return this.e.activities.heartbeat(this.activityByToken(req.taskToken), req.details);
  }

  heartbeatById(req: temporal.api.workflowservice.v1.IRecordActivityTaskHeartbeatByIdRequest) {
    return this.e.activities.heartbeat(this.activityById(req), req.details);
  }

  respondActivityCompleted(req: temporal.api.workflowservice.v1.IRespondActivityTaskCompletedRequest) {
    this.e.activities.complete(this.activityByToken(req.taskToken), req.result, req.identity ?? '');
    return {};
  }

  respondActivityCompletedById(req: temporal.api.workflowservice.v1.IRespondActivityTaskCompletedByIdRequest) {
    this.e.activities.complete(this.activityById(req), req.result, req.identity ?? '');
    return {};
  }

  respondActivityCanceled(req: temporal.api.workflowservice.v1.IRespondActivityTaskCanceledRequest) {
    this.e.activities.canceled(this.activityByToken(req.taskToken), req.details, req.identity ?? '');
    return {};
  }

  respondActivityCanceledById(req: temporal.api.workflowservice.v1.IRespondActivityTaskCanceledByIdRequest) {
    this.e.activities.canceled(this.activityById(req), req.details, req.identity ?? '');
    return {};
  }

  respondActivityFailed(req: temporal.api.workflowservice.v1.IRespondActivityTaskFailedRequest) {
    this.e.activities.failed(this.activityByToken(req.taskToken), req.failure, req.lastHeartbeatDetails, req.identity ?? '');
    return {};
  }

  respondActivityFailedById(req: temporal.api.workflowservice.v1.IRespondActivityTaskFailedByIdRequest) {
    this.e.activities.failed(this.activityById(req), req.failure, req.lastHeartbeatDetails);
    return {};
  }

  shutdownWorker(req: temporal.api.workflowservice.v1.IShutdownWorkerRequest) {
    const ns = this.e.namespace(req.namespace);
    if (req.stickyTaskQueue) {
      this.e.shard.wfQueues.get(`${ns.name}\u0000${req.stickyTaskQueue}`)?.releasePollers(() => true);
    }
    if (this.e.shard.cancelWorkerPollsOnShutdown && req.workerInstanceKey && req.taskQueue) {
      const T = enums.TaskQueueType;
      const types = req.taskQueueTypes?.length ? req.taskQueueTypes : [T.TASK_QUEUE_TYPE_WORKFLOW, T.TASK_QUEUE_TYPE_ACTIVITY];
      const kinds = types.flatMap((t) => (t === T.TASK_QUEUE_TYPE_WORKFLOW ? ['workflow' as const] : t === T.TASK_QUEUE_TYPE_ACTIVITY ? ['activity' as const] : []));
      this.e.shard.cancelWorkerPolls(ns.name, req.taskQueue, kinds, req.workerInstanceKey, req.identity ?? '');
    }
    return {};
  }
}
