// The update methods of WorkflowService: UpdateWorkflowExecution, PollWorkflowExecutionUpdate
// and ExecuteMultiOperation (update-with-start), answering as the official frontend and
// history service do (service/history/api/updateworkflow, pollupdate, multioperation).
import { randomUUID } from 'node:crypto';
import { Code, invalidArgument, notFound, RpcError } from '../errors.ts';
import type { Execution, Namespace } from '../model.ts';
import { isOpen } from '../model.ts';
import { google, temporal } from '../proto.ts';
import type { CallContext } from '../rpc.ts';
import type { IRequest, UpdateStatus } from './registry.ts';
import { Stage, UpdateAbortedError, waitForStage } from './registry.ts';
import type { Updates } from './updates.ts';

/** How long a call waits for its stage before answering with the stage reached (the official server's long-poll interval). */
const SOFT_TIMEOUT_MS = 20_000;

/** What update-with-start needs to start a run: the server's own StartWorkflowExecution. */
export type StartRun = (ns: Namespace, req: any) => { x: Execution; started: boolean };

const errordetails = temporal.api.errordetails.v1;

function softTimeout(ctx: CallContext) {
  const byDeadline = Number.isFinite(ctx.deadline) ? ctx.deadline - Date.now() - 1000 : SOFT_TIMEOUT_MS;
  return Math.max(0, Math.min(SOFT_TIMEOUT_MS, byDeadline));
}

/** The stage a caller waits for: unset means COMPLETED; ADMITTED alone is refused, as upstream. */
function requestedStage(req: any): number {
  const stage = req.waitPolicy?.lifecycleStage ?? Stage.UNSPECIFIED;
  if (stage === Stage.ADMITTED) {
    throw new RpcError(Code.PERMISSION_DENIED, 'UpdateWorkflowExecution issued asynchronously and waiting on update admitted is not supported.');
  }
  return stage === Stage.UNSPECIFIED ? Stage.COMPLETED : stage;
}

function checkRequest(req: any): { id: string; request: IRequest } {
  const request = req.request;
  if (!req.workflowExecution?.workflowId) throw invalidArgument('WorkflowId is not set on request.');
  if (!request) throw invalidArgument('Update request is not set on request.');
  if (!request.meta) throw invalidArgument('Update meta is not set on request.');
  if (!request.input) throw invalidArgument('Update input is not set on request.');
  if (!request.input.name) throw invalidArgument('Update name is not set on request.');
  if (!request.meta.updateId) request.meta.updateId = randomUUID();
  return { id: request.meta.updateId, request };
}

function response(x: Execution, id: string, status: UpdateStatus) {
  return {
    updateRef: { workflowExecution: { workflowId: x.workflowId, runId: x.runId }, updateId: id },
    outcome: status.outcome,
    stage: status.stage,
  };
}

export function updateMethods(updates: Updates, startRun: StartRun) {
  const host = updates.host;

  /**
   * Admits the update to the run (or finds the one with its id) and waits for the stage.
   * An update admitted to a run that continues as new before taking it goes on to the new run.
   */
  async function update(ns: Namespace, req: any, ctx: CallContext, stage: number, x: Execution) {
    const { id, request } = checkRequest(req);
    for (let attempt = 0; ; attempt++) {
      if (req.firstExecutionRunId && x.firstRunId !== req.firstExecutionRunId) throw notFound('workflow execution not found');
      let u = updates.registry(x).find(id);
      if (!isOpen(x)) {
        // Repeating an update the run answered gets the same answer, after the run closed too.
        if (!u) throw notFound('workflow execution already completed');
      } else {
        u = updates.admit(x, id, request).update;
      }
      try {
        return response(x, id, await waitForStage(u, stage, softTimeout(ctx)));
      } catch (err) {
        if (!(err instanceof UpdateAbortedError && err.reason === 'continued' && !req.workflowExecution.runId && attempt < 3)) throw err;
        x = host.getExecution(ns, req.workflowExecution.workflowId);
      }
    }
  }

  return {
    UpdateWorkflowExecution: (req: any, ctx: CallContext) => {
      const ns = host.namespace(req.namespace);
      checkRequest(req);
      const stage = requestedStage(req);
      const x = host.getExecution(ns, req.workflowExecution.workflowId, req.workflowExecution.runId);
      return update(ns, req, ctx, stage, x);
    },

    PollWorkflowExecutionUpdate: async (req: any, ctx: CallContext) => {
      const ns = host.namespace(req.namespace);
      const ref = req.updateRef;
      if (!ref) throw invalidArgument('UpdateRef is not set on request.');
      const x = host.getExecution(ns, ref.workflowExecution?.workflowId, ref.workflowExecution?.runId);
      const id: string = ref.updateId ?? '';
      const u = updates.registry(x).find(id);
      if (!u) throw notFound(`update ${JSON.stringify(id)} not found`);
      const status = await waitForStage(u, req.waitPolicy?.lifecycleStage ?? Stage.UNSPECIFIED, softTimeout(ctx));
      return { outcome: status.outcome, stage: status.stage, updateRef: { workflowExecution: { workflowId: x.workflowId, runId: x.runId }, updateId: id } };
    },

    ExecuteMultiOperation: async (req: any, ctx: CallContext) => {
      const ns = host.namespace(req.namespace);
      const ops: any[] = req.operations ?? [];
      if (ops.length !== 2) throw invalidArgument('expected exactly 2 operations');
      const startReq = ops[0]?.startWorkflow;
      const updateReq = ops[1]?.updateWorkflow;
      if (!startReq) throw invalidArgument('expected first operation to be Start Workflow');
      if (!updateReq) throw invalidArgument('expected second operation to be Update Workflow');
      let stage: number;
      try {
        if (!startReq.workflowId) throw invalidArgument('WorkflowId is not set on request.');
        if (updateReq.workflowExecution?.workflowId !== startReq.workflowId) {
          throw invalidArgument('WorkflowId is not consistent with previous operation(s)');
        }
        if (updateReq.workflowExecution?.runId) throw invalidArgument('RunId is not allowed in Update-with-Start');
        if (updateReq.firstExecutionRunId) throw invalidArgument('FirstExecutionRunId is not allowed in Update-with-Start');
        checkRequest(updateReq);
        stage = requestedStage(updateReq);
      } catch (err) {
        throw multiOpError(undefined, err);
      }
      const id: string = updateReq.request.meta.updateId;

      const runs = ns.chains.get(startReq.workflowId);
      const current = runs?.[runs.length - 1];
      if (current) {
        const u = updates.registry(current).find(id);
        const startResp = { runId: current.runId, started: false, status: current.status };
        if (u && u.state === 'completed') {
          // The update ran already: its outcome, whatever became of the run.
          return { responses: [{ startWorkflow: startResp }, { updateWorkflow: response(current, id, u.status()) }] };
        }
        if (isOpen(current)) {
          const reuse =
            current.requestIds.has(startReq.requestId) ||
            u !== undefined ||
            startReq.workflowIdConflictPolicy === temporal.api.enums.v1.WorkflowIdConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING;
          if (reuse) {
            try {
              const upd = await update(ns, updateReq, ctx, stage, current);
              return { responses: [{ startWorkflow: { ...startResp, status: current.status } }, { updateWorkflow: upd }] };
            } catch (err) {
              throw multiOpError(undefined, err);
            }
          }
        }
      }

      let started: { x: Execution; started: boolean };
      try {
        started = startRun(ns, startReq);
      } catch (err) {
        throw multiOpError(err, undefined);
      }
      const x = started.x;
      if (!started.started) {
        // Another start won the race: the caller tries again from the top.
        throw multiOpError(new RpcError(Code.UNAVAILABLE, 'Workflow was not started'), undefined);
      }
      try {
        const upd = await update(ns, updateReq, ctx, stage, x);
        return { responses: [{ startWorkflow: { runId: x.runId, started: true, status: x.status } }, { updateWorkflow: upd }] };
      } catch (err) {
        throw multiOpError(null, err);
      }
    },
  };
}

/** Status details of one operation as google.rpc.Status carries them. */
const ABORTED_STATUS = {
  code: Code.ABORTED,
  message: 'Operation was aborted.',
  details: [{ type_url: 'type.googleapis.com/temporal.api.failure.v1.MultiOperationExecutionAborted', value: new Uint8Array() }],
};

function operationStatus(err: unknown) {
  if (err === null) return { code: Code.OK, message: '', details: [] };
  if (err === undefined) return ABORTED_STATUS;
  if (err instanceof RpcError) {
    const details = err.details ? google.rpc.Status.decode(err.details).details : [];
    return { code: err.code, message: err.message, details };
  }
  return { code: Code.INTERNAL, message: (err as Error)?.message ?? String(err), details: [] };
}

/**
 * The error of a multi-operation, as the official server shapes it: one status per operation
 * (undefined = aborted because of the other one, null = succeeded) in
 * MultiOperationExecutionFailure, and the first real failure's code for the call.
 */
function multiOpError(startErr: unknown, updateErr: unknown): RpcError {
  const statuses = [operationStatus(startErr), operationStatus(updateErr)];
  const first = startErr ? statuses[0]! : statuses[1]!;
  const code = first.code === Code.OK ? Code.ABORTED : first.code;
  const message = `MultiOperation could not be executed: ${startErr ? 'Start failed' : 'Update failed'}: ${first.message}`;
  const failure = errordetails.MultiOperationExecutionFailure.encode(errordetails.MultiOperationExecutionFailure.fromObject({ statuses })).finish();
  const details = google.rpc.Status.encode({
    code,
    message,
    details: [{ type_url: 'type.googleapis.com/temporal.api.errordetails.v1.MultiOperationExecutionFailure', value: failure }],
  }).finish();
  return new RpcError(code, message, details);
}
