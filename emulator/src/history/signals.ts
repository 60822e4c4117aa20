// Signals and cancel requests, from clients and from other workflows (the official server's
// signal / request-cancel handlers and the external signal and cancel state machines).
// SignalExternalWorkflowExecution and RequestCancelExternalWorkflowExecution share one path:
// write the initiated event, deliver after the completion's events, record the outcome.
import { notFound } from '../errors.ts';
import type { Execution } from '../model.ts';
import { isOpen } from '../model.ts';
import { enums, EventType as ET, toNum, type IPayloads } from '../proto.ts';
import type { CommandContext } from './commands.ts';
import type { Shard } from './shard.ts';

export interface SignalInput {
  signalName: string;
  input?: IPayloads | null;
  header?: unknown;
  identity: string;
  /** A retried request with the same id is answered without a second signal. */
  requestId?: string;
}

/** A signal or cancel request one workflow sends another (a command of its workflow task). */
export type ExternalRequest = {
  namespace: string;
  workflowId: string;
  runId: string;
  control?: string | null;
  childWorkflowOnly?: boolean | null;
} & (
  | { kind: 'signal'; signalName?: string | null; input?: IPayloads | null; header?: unknown }
  | { kind: 'cancel'; reason?: string | null }
);

/** The event types and attribute names of each kind of external request. */
const EXTERNAL = {
  signal: {
    initiated: ET.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED,
    initiatedField: 'signalExternalWorkflowExecutionInitiatedEventAttributes',
    failed: ET.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED,
    failedField: 'signalExternalWorkflowExecutionFailedEventAttributes',
    notFound: enums.SignalExternalWorkflowExecutionFailedCause.SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND,
    done: ET.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_SIGNALED,
    doneField: 'externalWorkflowExecutionSignaledEventAttributes',
  },
  cancel: {
    initiated: ET.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED,
    initiatedField: 'requestCancelExternalWorkflowExecutionInitiatedEventAttributes',
    failed: ET.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED,
    failedField: 'requestCancelExternalWorkflowExecutionFailedEventAttributes',
    notFound: enums.CancelExternalWorkflowExecutionFailedCause.CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND,
    done: ET.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED,
    doneField: 'externalWorkflowExecutionCancelRequestedEventAttributes',
  },
} as const;

export class Signals {
  constructor(private readonly s: Shard) {}

  /** Writes (or buffers) a WorkflowExecutionSignaled event. */
  deliver(x: Execution, signalName: string, input: IPayloads | null | undefined, identity: string, header: unknown, external: { workflowId: string; runId: string } | undefined) {
    this.s.history.record(x, ET.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, {
      workflowExecutionSignaledEventAttributes: {
        signalName,
        input,
        identity,
        header,
        externalWorkflowExecution: external ?? null,
      },
    });
  }

  /** SignalWorkflowExecution from a client. */
  signal(x: Execution, sig: SignalInput) {
    if (sig.requestId) {
      if (x.signalRequestIds.has(sig.requestId)) return;
      x.signalRequestIds.add(sig.requestId);
    }
    this.deliver(x, sig.signalName, sig.input, sig.identity, sig.header, undefined);
  }

  /** Records a cancel request (once per run). */
  requestCancel(x: Execution, reason: string, identity: string, external: { initiatedEventId: number; workflowId: string; runId: string } | undefined) {
    if (x.cancelRequested) return;
    x.cancelRequested = true;
    this.s.history.record(x, ET.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED, {
      workflowExecutionCancelRequestedEventAttributes: {
        cause: reason,
        identity,
        externalInitiatedEventId: external?.initiatedEventId ?? 0,
        externalWorkflowExecution: external ? { workflowId: external.workflowId, runId: external.runId } : null,
      },
    });
  }

  /** RequestCancelWorkflowExecution from a client. */
  requestCancelFromClient(x: Execution, req: { reason: string; identity: string; firstExecutionRunId: string }) {
    // Cancelling a workflow that already finished succeeds and does nothing, as on the server.
    if (!isOpen(x)) return;
    if (req.firstExecutionRunId && x.firstRunId !== req.firstExecutionRunId) throw notFound('workflow execution not found for the given first run id');
    this.requestCancel(x, req.reason, req.identity, undefined);
  }

  /** The SignalExternal / RequestCancelExternal commands. */
  initiateExternal(x: Execution, r: ExternalRequest, ctx: CommandContext) {
    const k = EXTERNAL[r.kind];
    const target = { workflowId: r.workflowId, runId: r.runId };
    const initiated: Record<string, unknown> = {
      workflowTaskCompletedEventId: ctx.completedId,
      namespace: r.namespace,
      workflowExecution: target,
      control: r.control,
      childWorkflowOnly: r.childWorkflowOnly,
    };
    if (r.kind === 'signal') Object.assign(initiated, { signalName: r.signalName, input: r.input, header: r.header });
    else initiated.reason = r.reason;
    const ev = this.s.history.write(x, k.initiated, { [k.initiatedField]: initiated });
    const initiatedEventId = toNum(ev.eventId);
    ctx.after.push(() => {
      const ns = this.s.namespaces.get(r.namespace);
      let dest: Execution | undefined;
      try {
        dest = ns ? this.s.getOpenExecution(ns, target.workflowId, target.runId) : undefined;
      } catch {
        dest = undefined;
      }
      if (dest && r.kind === 'signal' && r.childWorkflowOnly && dest.parent?.runId !== x.runId) dest = undefined;
      if (!dest) {
        if (!isOpen(x)) return;
        this.s.history.record(x, k.failed, {
          [k.failedField]: {
            cause: k.notFound,
            workflowTaskCompletedEventId: ctx.completedId,
            namespace: r.namespace,
            workflowExecution: target,
            initiatedEventId,
            control: r.control,
          },
        });
        return;
      }
      if (r.kind === 'signal') this.deliver(dest, r.signalName ?? '', r.input, '', r.header, { workflowId: x.workflowId, runId: x.runId });
      else this.requestCancel(dest, r.reason ?? '', '', { initiatedEventId, workflowId: x.workflowId, runId: x.runId });
      if (!isOpen(x)) return;
      const done: Record<string, unknown> = {
        initiatedEventId,
        namespace: r.namespace,
        workflowExecution: { workflowId: dest.workflowId, runId: dest.runId },
      };
      if (r.kind === 'signal') done.control = r.control;
      this.s.history.record(x, k.done, { [k.doneField]: done });
    });
  }
}
