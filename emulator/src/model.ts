// The emulator's state: namespaces, workflow executions and their mutable state. History is
// the record; everything else here is what the server must remember between events (which
// workflow task is outstanding, which activities are pending and at which attempt, ...).
import type { TimerHandle } from './clock.ts';
import type {
  IFailure,
  IPayload,
  IPayloads,
  IRetryPolicy,
  StatusValue,
} from './proto.ts';
import type { SearchAttributeType } from './visibility.ts';

export interface Namespace {
  name: string;
  id: string;
  description: string;
  retentionMs: number;
  /** Custom search attributes registered for this namespace. */
  searchAttributes: Map<string, SearchAttributeType>;
  /** workflowId -> every run, oldest first. */
  chains: Map<string, Execution[]>;
}

export interface WorkflowTaskState {
  scheduledEventId: number;
  attempt: number;
  scheduledTime: number;
  started: boolean;
  startedEventId: number;
  startedTime: number;
  timeout?: TimerHandle;
  /** Queries handed to the worker with this task (answered in its completion). */
  queries: PendingQuery[];
}

export type ActivityPhase = 'scheduled' | 'backoff' | 'started';

export interface ActivityState {
  scheduledEventId: number;
  activityId: string;
  activityType: string;
  taskQueue: string;
  phase: ActivityPhase;
  attempt: number;
  /** First scheduling of the activity (all attempts). */
  scheduledTime: number;
  currentAttemptScheduledTime: number;
  startedTime: number;
  startedIdentity: string;
  scheduleToCloseMs: number;
  scheduleToStartMs: number;
  startToCloseMs: number;
  heartbeatMs: number;
  retryPolicy: IRetryPolicy;
  input?: IPayloads | null;
  header?: unknown;
  heartbeatDetails?: IPayloads | null;
  lastHeartbeatTime: number;
  lastFailure?: IFailure | null;
  lastWorkerIdentity: string;
  nextAttemptTime: number;
  cancelRequested: boolean;
  latestCancelRequestedEventId: number;
  timers: TimerHandle[];
}

export interface TimerState {
  timerId: string;
  startedEventId: number;
  dueTime: number;
  handle?: TimerHandle;
}

export interface ChildState {
  initiatedEventId: number;
  startedEventId: number;
  namespace: string;
  workflowId: string;
  runId: string;
  workflowType: string;
  parentClosePolicy: number;
}

export interface PendingQuery {
  id: string;
  queryType: string;
  queryArgs?: IPayloads | null;
  header?: unknown;
  resolve(result: { answer?: IPayloads | null; error?: string }): void;
  done: boolean;
}

export interface BufferedEvent {
  attrs: Record<string, unknown>;
  eventType: number;
  /** Whether this event calls for a new workflow task. */
  wakes: boolean;
}

export interface ParentRef {
  namespace: string;
  workflowId: string;
  runId: string;
  initiatedEventId: number;
}

export interface Execution {
  ns: Namespace;
  workflowId: string;
  runId: string;
  firstRunId: string;
  workflowType: string;
  taskQueue: string;
  /**
   * The history, each event protobuf-encoded once when written (event id = index + 1):
   * responses splice these bytes in, and nothing is kept twice.
   */
  events: Uint8Array[];
  /** Attributes of the run's WorkflowExecutionStarted event (input, header, ...). */
  started: { input?: IPayloads | null; header?: unknown };
  historyBytes: number;
  status: StatusValue;
  startTime: number;
  executionTime: number;
  closeTime: number;
  runTimeoutMs: number;
  executionTimeoutMs: number;
  /** Absolute deadline of the whole chain (continue-as-new included), 0 for none. */
  executionExpiration: number;
  workflowTaskTimeoutMs: number;
  retryPolicy?: IRetryPolicy | null;
  attempt: number;
  memo: Record<string, IPayload>;
  searchAttributes: Record<string, IPayload>;
  parent?: ParentRef;
  root: { workflowId: string; runId: string };
  requestIds: Set<string>;
  signalRequestIds: Set<string>;
  cancelRequested: boolean;

  wt?: WorkflowTaskState;
  /** The workflow task must not be scheduled before this time (start delay). */
  firstTaskBackoffUntil: number;
  lastCompletedStartedEventId: number;
  buffered: BufferedEvent[];
  activities: Map<number, ActivityState>;
  timers: Map<string, TimerState>;
  children: Map<number, ChildState>;
  queries: PendingQuery[];
  runTimer?: TimerHandle;
  backoffTimer?: TimerHandle;
  historyWaiters: Set<() => void>;
  /** Run id of the next run when this one continued as new (or was retried). */
  nextRunId?: string;
  /** What the last workflow task that failed or timed out reported, as TemporalReportedProblems spells it. */
  wtProblem?: string[];
}

export const isOpen = (x: Execution) => x.status === 1; /* WORKFLOW_EXECUTION_STATUS_RUNNING */
