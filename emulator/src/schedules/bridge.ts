// Where schedules meet the rest of the server: runs are started, cancelled and terminated
// through the engine as a client's would be, a run's close is learnt from the engine's
// run-closed listeners (following its chain through continue-as-new and retries), and time is
// the server's clock, so schedules fire in skipped time too.
import { invalidArgument } from '../errors.ts';
import type { Execution, Namespace } from '../model.ts';
import { isOpen } from '../model.ts';
import { history as historyApi, type IPayload } from '../proto.ts';
import type { OfflineServer } from '../server.ts';
import type { RunOutcome, RunRef, ScheduleHost } from './scheduler.ts';
import { ScheduleService, type ScheduleEngine } from './service.ts';

const services = new WeakMap<OfflineServer, ScheduleService>();

/** The server's schedules (one service per server, made on first use). */
export function schedulesOf(server: OfflineServer): ScheduleService {
  let s = services.get(server);
  if (!s) {
    s = new ScheduleService(new EngineBridge(server));
    services.set(server, s);
  }
  return s;
}

/** The schedule RPCs for the server's WorkflowService; schedules restored from the journal start here. */
export function scheduleHandlers(server: OfflineServer) {
  const svc = schedulesOf(server);
  svc.resumeAll();
  return svc.handlers();
}

class EngineBridge implements ScheduleEngine {
  /** `${namespace}/${runId}` of an open run -> what waits for its chain to end. */
  private readonly watchers = new Map<string, ((o: RunOutcome) => void)[]>();

  constructor(private readonly server: OfflineServer) {
    server.engine.lifecycle.closeListeners.push((x, next) => this.closed(x, next));
  }

  private get engine() {
    return this.server.engine;
  }

  namespaceId(ns: string): string {
    return this.engine.namespace(ns).id;
  }

  searchAttributeType(ns: string, name: string) {
    const n = this.engine.namespaces.get(ns);
    return n ? this.engine.searchAttributeType(n, name) : undefined;
  }

  validateSearchAttributes(ns: string, sas: Record<string, IPayload>) {
    const n = this.engine.namespace(ns);
    for (const name of Object.keys(sas)) {
      if (!this.engine.searchAttributeType(n, name)) throw invalidArgument(`search attribute ${name} is not defined`);
    }
  }

  flush() {
    this.engine.flush();
  }

  /** The run of `ref`'s chain that is current (the last one it continued into). */
  private current(ns: Namespace, ref: RunRef): Execution | undefined {
    let x: Execution | undefined;
    try {
      x = this.engine.getExecution(ns, ref.workflowId, ref.runId);
    } catch {
      return undefined;
    }
    while (x && x.nextRunId) {
      const nextId: string = x.nextRunId;
      const next: Execution | undefined = ns.chains.get(x.workflowId)?.find((r) => r.runId === nextId);
      if (!next) break;
      x = next;
    }
    return x;
  }

  private closed(x: Execution, next: Execution | undefined) {
    const key = `${x.ns.name}/${x.runId}`;
    const waiting = this.watchers.get(key);
    if (!waiting) return;
    this.watchers.delete(key);
    if (next) {
      this.watchers.set(`${next.ns.name}/${next.runId}`, [...(this.watchers.get(`${next.ns.name}/${next.runId}`) ?? []), ...waiting]);
      return;
    }
    const outcome = outcomeOf(x);
    // Not inside the close itself: what the schedule does next (start a buffered run) is a step of its own.
    setImmediate(() => {
      for (const w of waiting) w(outcome);
      this.engine.flush();
      this.server.clock.kick();
    });
  }

  host(nsName: string, changed: ScheduleHost['changed']): ScheduleHost {
    const engine = this.engine;
    const clock = this.server.clock;
    return {
      now: () => clock.now(),
      at: (due, fn) =>
        clock.at(due, () => {
          fn();
          engine.flush();
        }),
      startWorkflow: (req) => {
        const ns = engine.namespace(nsName);
        const a = req.action;
        const { x } = engine.startWorkflow(
          ns,
          {
            workflowId: req.workflowId,
            workflowType: a.workflowType,
            taskQueue: a.taskQueue,
            input: a.input,
            header: a.header,
            memo: a.memo,
            searchAttributes: req.searchAttributes,
            runTimeoutMs: a.runTimeoutMs,
            executionTimeoutMs: a.executionTimeoutMs,
            workflowTaskTimeoutMs: a.workflowTaskTimeoutMs,
            retryPolicy: a.retryPolicy as any,
            identity: req.identity,
            lastCompletionResult: req.lastCompletionResult,
            continuedFailure: req.continuedFailure,
          },
          { reusePolicy: req.reusePolicy },
        );
        return { runId: x.runId, startTime: x.startTime };
      },
      watch: (ref, onClose) => {
        const ns = engine.namespaces.get(nsName);
        const x = ns && this.current(ns, ref);
        if (!x) {
          // Gone (it cannot be after a restart with the journal, but be safe): treat as ended.
          setImmediate(() => onClose({ status: 5, closeTime: clock.now() }));
          return;
        }
        if (!isOpen(x)) {
          const o = outcomeOf(x);
          setImmediate(() => onClose(o));
          return;
        }
        const key = `${nsName}/${x.runId}`;
        const list = this.watchers.get(key) ?? [];
        list.push(onClose);
        this.watchers.set(key, list);
      },
      cancel: (ref, reason) => {
        const ns = engine.namespace(nsName);
        const x = this.current(ns, ref);
        if (x && isOpen(x) && !x.cancelRequested) engine.signals.requestCancel(x, reason, `temporal-scheduler-${nsName}`, undefined);
      },
      terminate: (ref, reason) => {
        const ns = engine.namespace(nsName);
        const x = this.current(ns, ref);
        if (x && isOpen(x)) engine.lifecycle.terminate(x, reason, null, `temporal-scheduler-${nsName}`);
      },
      changed,
    };
  }
}

/** How a closed run ended, with its result or failure from its close event. */
function outcomeOf(x: Execution): RunOutcome {
  const o: RunOutcome = { status: x.status, closeTime: x.closeTime };
  const last = x.events[x.events.length - 1];
  if (last) {
    const ev = historyApi.HistoryEvent.decode(last);
    if (ev.workflowExecutionCompletedEventAttributes) o.result = ev.workflowExecutionCompletedEventAttributes.result ?? { payloads: [] };
    else if (ev.workflowExecutionFailedEventAttributes) o.failure = ev.workflowExecutionFailedEventAttributes.failure;
    else if (ev.workflowExecutionTimedOutEventAttributes) o.failure = { message: 'workflow timed out', timeoutFailureInfo: { timeoutType: 1 } } as any;
  }
  return o;
}
