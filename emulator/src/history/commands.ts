// The commands of a workflow task completion (the official server's workflow task completed
// handler and its command checker): `validate` is the one place that checks a completion's
// commands before any is applied; `apply` dispatches each command by its type to the part
// that owns it. Other parts may add command types to `handlers`.
import type { temporal } from '@temporalio/proto';
import { log } from '../log.ts';
import type { ActivityState, Execution } from '../model.ts';
import { durToMs, EventType as ET, Status, type IPayload } from '../proto.ts';
import type { Shard } from './shard.ts';
import { WFT_FAILED, type ProtocolMessage } from './workflow-tasks.ts';

export type Command = temporal.api.command.v1.Command;
export type CommandKind = NonNullable<Command['attributes']>;

/** What one completion's commands share while they are applied. */
export interface CommandContext {
  /** Id of the WorkflowTaskCompleted event the commands' events refer to. */
  completedId: number;
  identity: string;
  /** Work done after all the completion's events are written (starting children, signalling other runs). */
  after: Array<() => void>;
  /** Activities to hand to the worker in the completion's response (eager execution). */
  eager: ActivityState[];
  messages: ProtocolMessage[];
  /** Ids of the messages already handed to their protocol. */
  messagesHandled: Set<string>;
}

/**
 * Applies one command. Returns 'wake' when a workflow task must follow, a function that closes
 * the run for a closing command (run after the other commands' events), or undefined.
 */
export type CommandHandler = (x: Execution, cmd: Command, ctx: CommandContext) => 'wake' | (() => void) | undefined;

const CLOSING = new Set<string>([
  'completeWorkflowExecutionCommandAttributes',
  'failWorkflowExecutionCommandAttributes',
  'cancelWorkflowExecutionCommandAttributes',
  'continueAsNewWorkflowExecutionCommandAttributes',
]);

export class Commands {
  readonly handlers = new Map<string, CommandHandler>();

  constructor(private readonly s: Shard) {
    const h = this.handlers;
    h.set('scheduleActivityTaskCommandAttributes', (x, c, ctx) => {
      s.activities.schedule(x, c.scheduleActivityTaskCommandAttributes!, ctx.completedId, ctx.eager);
      return undefined;
    });
    h.set('requestCancelActivityTaskCommandAttributes', (x, c, ctx) => s.activities.requestCancel(x, c.requestCancelActivityTaskCommandAttributes!, ctx));
    h.set('startTimerCommandAttributes', (x, c, ctx) => s.timers.start(x, c.startTimerCommandAttributes!, ctx.completedId));
    h.set('cancelTimerCommandAttributes', (x, c, ctx) => s.timers.cancel(x, c.cancelTimerCommandAttributes!, ctx));
    h.set('recordMarkerCommandAttributes', (x, c, ctx) => {
      const a = c.recordMarkerCommandAttributes!;
      s.history.write(x, ET.EVENT_TYPE_MARKER_RECORDED, {
        markerRecordedEventAttributes: { markerName: a.markerName, details: a.details, header: a.header, failure: a.failure, workflowTaskCompletedEventId: ctx.completedId },
      });
      return undefined;
    });
    h.set('upsertWorkflowSearchAttributesCommandAttributes', (x, c, ctx) => {
      const a = c.upsertWorkflowSearchAttributesCommandAttributes!;
      s.history.write(x, ET.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES, {
        upsertWorkflowSearchAttributesEventAttributes: { searchAttributes: a.searchAttributes, workflowTaskCompletedEventId: ctx.completedId },
      });
      upsertFields(x.searchAttributes, a.searchAttributes?.indexedFields);
      return undefined;
    });
    h.set('modifyWorkflowPropertiesCommandAttributes', (x, c, ctx) => {
      const a = c.modifyWorkflowPropertiesCommandAttributes!;
      s.history.write(x, ET.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED, {
        workflowPropertiesModifiedEventAttributes: { upsertedMemo: a.upsertedMemo, workflowTaskCompletedEventId: ctx.completedId },
      });
      upsertFields(x.memo, a.upsertedMemo?.fields);
      return undefined;
    });
    h.set('startChildWorkflowExecutionCommandAttributes', (x, c, ctx) => {
      s.children.initiate(x, c.startChildWorkflowExecutionCommandAttributes!, ctx);
      return undefined;
    });
    h.set('signalExternalWorkflowExecutionCommandAttributes', (x, c, ctx) => {
      const a = c.signalExternalWorkflowExecutionCommandAttributes!;
      s.signals.initiateExternal(x, {
        kind: 'signal',
        namespace: a.namespace || x.ns.name,
        workflowId: a.execution?.workflowId ?? '',
        runId: a.execution?.runId ?? '',
        control: a.control,
        childWorkflowOnly: a.childWorkflowOnly,
        signalName: a.signalName,
        input: a.input,
        header: a.header,
      }, ctx);
      return undefined;
    });
    h.set('requestCancelExternalWorkflowExecutionCommandAttributes', (x, c, ctx) => {
      const a = c.requestCancelExternalWorkflowExecutionCommandAttributes!;
      s.signals.initiateExternal(x, {
        kind: 'cancel',
        namespace: a.namespace || x.ns.name,
        workflowId: a.workflowId ?? '',
        runId: a.runId ?? '',
        control: a.control,
        childWorkflowOnly: a.childWorkflowOnly,
        reason: a.reason,
      }, ctx);
      return undefined;
    });
    h.set('completeWorkflowExecutionCommandAttributes', (x, c, ctx) => {
      const a = c.completeWorkflowExecutionCommandAttributes!;
      return () =>
        s.lifecycle.closeRun(x, ET.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, {
          workflowExecutionCompletedEventAttributes: { result: a.result, workflowTaskCompletedEventId: ctx.completedId, newExecutionRunId: '' },
        }, Status.WORKFLOW_EXECUTION_STATUS_COMPLETED, s.lifecycle.cronNext(x, { lastCompletionResult: a.result }));
    });
    h.set('failWorkflowExecutionCommandAttributes', (x, c, ctx) => {
      const a = c.failWorkflowExecutionCommandAttributes!;
      return () => s.lifecycle.failRun(x, a.failure, ctx.completedId);
    });
    h.set('cancelWorkflowExecutionCommandAttributes', (x, c, ctx) => {
      const a = c.cancelWorkflowExecutionCommandAttributes!;
      return () =>
        s.lifecycle.closeRun(x, ET.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED, {
          workflowExecutionCanceledEventAttributes: { details: a.details, workflowTaskCompletedEventId: ctx.completedId },
        }, Status.WORKFLOW_EXECUTION_STATUS_CANCELED);
    });
    h.set('continueAsNewWorkflowExecutionCommandAttributes', (x, c, ctx) => {
      const a = c.continueAsNewWorkflowExecutionCommandAttributes!;
      return () => s.lifecycle.continueAsNew(x, a, ctx.completedId);
    });
    h.set('protocolMessageCommandAttributes', (x, c, ctx) => {
      const id = c.protocolMessageCommandAttributes?.messageId ?? '';
      const msg = ctx.messages.find((m) => m.id === id);
      if (msg) this.handOver(x, msg, ctx);
      return undefined;
    });
  }

  isClosing(cmd: Command): boolean {
    return cmd.attributes !== undefined && CLOSING.has(cmd.attributes);
  }

  /** Checks a completion's commands and messages before any is applied; the first problem fails the workflow task. */
  validate(x: Execution, commands: Command[], messages: ProtocolMessage[] = []): { cause: number; message: string } | undefined {
    const badMessage = this.s.workflowTasks.updates?.validate(x, messages);
    if (badMessage) return { cause: WFT_FAILED.WORKFLOW_TASK_FAILED_CAUSE_BAD_UPDATE_WORKFLOW_EXECUTION_MESSAGE, message: badMessage };
    const activityIds = new Set([...x.activities.values()].map((a) => a.activityId));
    const timerIds = new Set(x.timers.keys());
    for (const cmd of commands) {
      switch (cmd.attributes) {
        case 'scheduleActivityTaskCommandAttributes': {
          const a = cmd.scheduleActivityTaskCommandAttributes!;
          if (!a.activityId) return { cause: WFT_FAILED.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES, message: 'ActivityId is not set.' };
          if (!a.activityType?.name) return { cause: WFT_FAILED.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES, message: 'ActivityType is not set.' };
          if (activityIds.has(a.activityId)) return { cause: WFT_FAILED.WORKFLOW_TASK_FAILED_CAUSE_SCHEDULE_ACTIVITY_DUPLICATE_ID, message: `Activity id ${a.activityId} is already in use.` };
          if (!durToMs(a.scheduleToCloseTimeout) && !durToMs(a.startToCloseTimeout)) {
            return { cause: WFT_FAILED.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES, message: 'A valid StartToClose or ScheduleToCloseTimeout is not set on ScheduleActivityTaskCommand.' };
          }
          activityIds.add(a.activityId);
          break;
        }
        case 'startTimerCommandAttributes': {
          const a = cmd.startTimerCommandAttributes!;
          if (!a.timerId) return { cause: WFT_FAILED.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_TIMER_ATTRIBUTES, message: 'TimerId is not set.' };
          if (timerIds.has(a.timerId)) return { cause: WFT_FAILED.WORKFLOW_TASK_FAILED_CAUSE_START_TIMER_DUPLICATE_ID, message: `Timer id ${a.timerId} is already in use.` };
          timerIds.add(a.timerId);
          break;
        }
        case 'upsertWorkflowSearchAttributesCommandAttributes':
        case 'startChildWorkflowExecutionCommandAttributes':
        case 'continueAsNewWorkflowExecutionCommandAttributes': {
          const a = cmd[cmd.attributes]!;
          for (const name of Object.keys(a.searchAttributes?.indexedFields ?? {})) {
            if (!this.s.searchAttributeType(x.ns, name)) {
              return { cause: WFT_FAILED.WORKFLOW_TASK_FAILED_CAUSE_BAD_SEARCH_ATTRIBUTES, message: `search attribute ${name} is not defined` };
            }
          }
          if (cmd.attributes === 'startChildWorkflowExecutionCommandAttributes' && !cmd.startChildWorkflowExecutionCommandAttributes!.workflowId) {
            return { cause: WFT_FAILED.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_CHILD_EXECUTION_ATTRIBUTES, message: 'WorkflowId is not set.' };
          }
          break;
        }
        case 'protocolMessageCommandAttributes': {
          const id = cmd.protocolMessageCommandAttributes!.messageId;
          if (!messages.some((m) => m.id === id)) {
            return { cause: WFT_FAILED.WORKFLOW_TASK_FAILED_CAUSE_BAD_UPDATE_WORKFLOW_EXECUTION_MESSAGE, message: `ProtocolMessageCommand referenced absent message ID ${id}` };
          }
          break;
        }
        default:
          break;
      }
    }
    return undefined;
  }

  /** Applies one command through the handler for its type. */
  apply(x: Execution, cmd: Command, ctx: CommandContext): 'wake' | (() => void) | undefined {
    const kind = cmd.attributes;
    if (kind === undefined) return undefined;
    const handler = this.handlers.get(kind);
    if (!handler) {
      log.warn(`ignoring unsupported command ${kind}`);
      return undefined;
    }
    return handler(x, cmd, ctx);
  }

  /** Messages that no ProtocolMessage command placed are handed over after all commands. */
  applyRemainingMessages(x: Execution, ctx: CommandContext) {
    for (const msg of ctx.messages) if (!ctx.messagesHandled.has(msg.id ?? '')) this.handOver(x, msg, ctx);
  }

  private handOver(x: Execution, msg: ProtocolMessage, ctx: CommandContext) {
    ctx.messagesHandled.add(msg.id ?? '');
    const type = (msg.body?.type_url ?? '').replace(/^.*\//, '');
    const protocol = this.s.workflowTasks.protocols.get(type);
    if (protocol) protocol.onMessage(x, msg, ctx);
    else log.warn(`ignoring a workflow task message of unsupported type ${type || '(none)'}`);
  }
}

/** Upserts memo or search attribute fields; an empty or null payload removes the field. */
function upsertFields(target: Record<string, IPayload>, fields: Record<string, IPayload> | null | undefined) {
  for (const [k, v] of Object.entries(fields ?? {})) {
    if (isEmptyPayload(v)) delete target[k];
    else target[k] = v;
  }
}

function isEmptyPayload(p: IPayload | null | undefined) {
  return !p || !p.data || p.data.length === 0 || Buffer.from(p.data).toString() === 'null';
}
