// Child workflows (the official server's child workflow state machine and its transfer tasks):
// a StartChildWorkflowExecution command starts the child after the completion's events are
// written, and the child's close is recorded in its parent.
import type { temporal } from '@temporalio/proto';
import { Code, RpcError } from '../errors.ts';
import type { ChildState, Execution } from '../model.ts';
import { isOpen } from '../model.ts';
import { durToMs, enums, EventType as ET, toNum } from '../proto.ts';
import type { CommandContext } from './commands.ts';
import type { Shard } from './shard.ts';
import { QUEUE_NORMAL } from './workflow-tasks.ts';

export class Children {
  constructor(private readonly s: Shard) {}

  initiate(x: Execution, a: temporal.api.command.v1.IStartChildWorkflowExecutionCommandAttributes, ctx: CommandContext) {
    const { completedId } = ctx;
    const nsName = a.namespace || x.ns.name;
    const workflowId = a.workflowId ?? '';
    const ev = this.s.history.write(x, ET.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED, {
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
      workflowId,
      runId: '',
      workflowType: a.workflowType?.name ?? '',
      parentClosePolicy: a.parentClosePolicy || enums.ParentClosePolicy.PARENT_CLOSE_POLICY_TERMINATE,
    };
    x.children.set(initiatedEventId, cs);
    ctx.after.push(() => {
      if (!isOpen(x)) return;
      const failed = (cause: number) => {
        x.children.delete(initiatedEventId);
        this.s.history.record(x, ET.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED, {
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
      const ns = this.s.namespaces.get(nsName);
      if (!ns) return failed(enums.StartChildWorkflowExecutionFailedCause.START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_NAMESPACE_NOT_FOUND);
      let child: Execution;
      try {
        ({ x: child } = this.s.lifecycle.startWorkflow(ns, {
          workflowId,
          workflowType: a.workflowType?.name ?? '',
          taskQueue: a.taskQueue?.name || x.taskQueue,
          input: a.input,
          header: a.header,
          memo: a.memo?.fields ?? undefined,
          searchAttributes: a.searchAttributes?.indexedFields ?? undefined,
          runTimeoutMs: durToMs(a.workflowRunTimeout),
          executionTimeoutMs: durToMs(a.workflowExecutionTimeout),
          workflowTaskTimeoutMs: durToMs(a.workflowTaskTimeout),
          retryPolicy: a.retryPolicy,
          cronSchedule: a.cronSchedule || undefined,
          parent: { namespace: x.ns.name, workflowId: x.workflowId, runId: x.runId, initiatedEventId },
          root: x.root,
        }, { reusePolicy: a.workflowIdReusePolicy ?? undefined, conflictPolicy: enums.WorkflowIdConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_FAIL }));
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
      cs.startedEventId = this.s.history.nextRecordedId(x);
      this.s.history.record(x, ET.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED, startedAttrs);
    });
  }

  /** Records a child's close in its parent (unless the child continues in a next run). */
  notifyParent(child: Execution, eventType: number, attrs: Record<string, any>) {
    const ref = child.parent!;
    const ns = this.s.namespaces.get(ref.namespace);
    const parent = ns ? this.s.run(ns.name, ref.runId) : undefined;
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
    const record = this.s.history.record.bind(this.s.history, parent);
    switch (eventType) {
      case ET.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
        record(ET.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED, { childWorkflowExecutionCompletedEventAttributes: { ...base, result: a.result } });
        break;
      case ET.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
        record(ET.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED, { childWorkflowExecutionFailedEventAttributes: { ...base, failure: a.failure, retryState: a.retryState } });
        break;
      case ET.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED:
        record(ET.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED, { childWorkflowExecutionCanceledEventAttributes: { ...base, details: a.details } });
        break;
      case ET.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED:
        record(ET.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED, { childWorkflowExecutionTerminatedEventAttributes: base });
        break;
      case ET.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT:
        record(ET.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT, { childWorkflowExecutionTimedOutEventAttributes: { ...base, retryState: a.retryState } });
        break;
      default:
        break;
    }
  }
}
