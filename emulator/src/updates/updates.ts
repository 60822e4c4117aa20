// Workflow updates across runs: one registry per run, built on first use (after a restart, from
// the run's UpdateAccepted / UpdateCompleted events, so accepted updates stay completable and
// completed ones stay deduplicated), and the hooks the workflow task machinery calls: messages
// out with a task, messages in with a completion, and the run's end.
import type { Engine } from '../engine.ts';
import type { CommandContext } from '../history/commands.ts';
import type { Execution, Namespace, WorkflowTaskState } from '../model.ts';
import { isOpen } from '../model.ts';
import { EventType as ET, history as historyApi, toNum } from '../proto.ts';
import type { IMessage, IRequest, UpdateEvents } from './registry.ts';
import { ProtocolError, UpdateRegistry } from './registry.ts';

/** What updates need from the rest of the server. */
export interface UpdateHost {
  namespace(name: string | null | undefined): Namespace;
  /** The run named, or the latest run of the workflow id; NOT_FOUND when there is none. */
  getExecution(ns: Namespace, workflowId: string | null | undefined, runId?: string | null): Execution;
  /** A workflow task to carry admitted updates, unless one is outstanding. */
  scheduleWorkflowTask(x: Execution): void;
  /** Writes an event of the run's own workflow task completion; returns its id. */
  writeEvent(x: Execution, eventType: number, attrs: Record<string, unknown>): number;
}

/** The protocol's message body types, as workflow task completions name them. */
const UPDATE_MESSAGE_TYPES = ['temporal.api.update.v1.Acceptance', 'temporal.api.update.v1.Rejection', 'temporal.api.update.v1.Response'];
const REJECTION_TYPE_URL = 'type.googleapis.com/temporal.api.update.v1.Rejection';

export class Updates {
  private readonly registries = new WeakMap<Execution, UpdateRegistry>();

  /** Workflow tasks scheduled only to carry updates (their events may be taken back). */
  private readonly speculative = new WeakSet<WorkflowTaskState>();

  constructor(readonly host: UpdateHost) {}

  /** The run's registry; built from its history the first time it is asked for. */
  registry(x: Execution): UpdateRegistry {
    let reg = this.registries.get(x);
    if (reg) return reg;
    reg = new UpdateRegistry();
    for (const bytes of x.events) {
      // Decoded once per run, on the first update call after a restart or for a run that
      // never had one: the events are the only record of accepted and completed updates.
      const ev = historyApi.HistoryEvent.decode(bytes);
      if (ev.eventType === ET.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED) {
        reg.restoreAccepted(ev.workflowExecutionUpdateAcceptedEventAttributes?.protocolInstanceId ?? '', toNum(ev.eventId));
      } else if (ev.eventType === ET.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED) {
        const a = ev.workflowExecutionUpdateCompletedEventAttributes;
        if (a?.meta?.updateId) reg.restoreCompleted(a.meta.updateId, a.outcome ?? {});
      }
    }
    if (!isOpen(x)) reg.abort('closed');
    this.registries.set(x, reg);
    return reg;
  }

  /** The registry when the run has one already (no history scan). */
  existing(x: Execution): UpdateRegistry | undefined {
    return this.registries.get(x);
  }

  /** Admits an update to an open run and makes sure a workflow task will carry it. */
  admit(x: Execution, id: string, request: IRequest) {
    const res = this.registry(x).admit(id, request);
    if (!res.existed) this.wake(x);
    return res;
  }

  private wake(x: Execution) {
    if (x.wt) return;
    this.host.scheduleWorkflowTask(x);
    if (x.wt) this.speculative.add(x.wt);
  }

  // ------------------------------------------------------------ workflow task hooks

  /** The update requests for a workflow task starting now (event `startedEventId`). */
  outgoing(x: Execution, startedEventId: number): IMessage[] {
    return this.existing(x)?.send(startedEventId) ?? [];
  }

  /** Updates wait for a workflow task: the run must not close before the worker sees them. */
  hasUnsent(x: Execution): boolean {
    return this.existing(x)?.hasUnsent() ?? false;
  }

  /** Checks a completion's update messages before anything is applied; the problem, if any. */
  validate(x: Execution, messages: IMessage[]): string | undefined {
    if (messages.length === 0) return undefined;
    try {
      this.registry(x).check(messages);
    } catch (err) {
      if (err instanceof ProtocolError) return err.message;
      throw err;
    }
    return undefined;
  }

  /** One message of a completion, at its place among the commands. */
  onMessage(x: Execution, msg: IMessage, identity: string) {
    const host = this.host;
    const events: UpdateEvents = {
      accepted: (attrs) => host.writeEvent(x, ET.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED, { workflowExecutionUpdateAcceptedEventAttributes: attrs }),
      completed: (attrs) => void host.writeEvent(x, ET.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED, { workflowExecutionUpdateCompletedEventAttributes: attrs }),
    };
    this.registry(x).handleMessage(msg, events, identity);
  }

  /**
   * After a completion's commands and messages: updates the worker was sent but ignored are
   * rejected for it (an SDK without updates would otherwise get them forever), and updates
   * admitted meanwhile get the next workflow task.
   */
  afterCompletion(x: Execution) {
    const reg = this.existing(x);
    if (!reg || !isOpen(x)) return;
    reg.rejectUnprocessed();
    if (reg.hasUnsent()) this.wake(x);
  }

  /** The workflow task failed or timed out: what it carried goes out again with the next one. */
  taskEnded(x: Execution) {
    this.existing(x)?.resend();
  }

  /** The run closed; `continued` when a new run of the same workflow follows it. */
  runClosed(x: Execution, continued: boolean) {
    this.existing(x)?.abort(continued ? 'continued' : 'closed');
  }

  /**
   * Whether a completion may leave no trace, as the official server's speculative workflow
   * task: the task was scheduled only to carry updates, nothing else reached the run meanwhile
   * (its two events are the last of the history), and the worker only rejected updates.
   */
  discardable(x: Execution, wt: WorkflowTaskState, commands: unknown[], messages: IMessage[], forceNewTask: boolean): boolean {
    return (
      this.speculative.has(wt) && wt.attempt === 1 && commands.length === 0 && !forceNewTask && x.buffered.length === 0 &&
      wt.scheduledEventId === wt.startedEventId - 1 && x.events.length === wt.startedEventId &&
      messages.length > 0 && messages.every((m) => m.body?.type_url === REJECTION_TYPE_URL)
    );
  }
}

/** Builds the engine's updates and hooks them into its workflow tasks and run lifecycle. */
export function installUpdates(e: Engine): Updates {
  const updates = new Updates({
    namespace: (name) => e.namespace(name),
    getExecution: (ns, workflowId, runId) => e.getExecution(ns, workflowId, runId),
    scheduleWorkflowTask: (x) => e.workflowTasks.schedule(x),
    writeEvent: (x, eventType, attrs) => toNum(e.history.write(x, eventType, attrs).eventId),
  });
  const handler = { onMessage: (x: Execution, msg: IMessage, ctx: CommandContext) => updates.onMessage(x, msg, ctx.identity) };
  for (const type of UPDATE_MESSAGE_TYPES) e.workflowTasks.protocols.set(type, handler);
  e.workflowTasks.updates = updates;
  e.lifecycle.closeListeners.push((x, next) => updates.runClosed(x, next !== undefined));
  return updates;
}
