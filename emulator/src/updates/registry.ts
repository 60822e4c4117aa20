// Workflow updates of one run: what the server remembers between the caller's request, the
// workflow task that carries it to the worker, and the worker's answer. The history holds an
// update only once it is accepted (WorkflowExecutionUpdateAccepted, with the request) and
// completed (WorkflowExecutionUpdateCompleted, with the outcome); before that it lives here
// alone, and a rejection leaves no trace in the history. This module knows nothing of the
// engine: it asks its run to write the two events through `UpdateEvents`.
//
// States, as the official server names them without its provisional steps:
//   admitted  the caller's request is here, waiting for a workflow task to carry it;
//   sent      handed to the worker in a workflow task, its answer not yet in;
//   accepted  the validator passed: UpdateAccepted is in the history, the handler runs;
//   completed the outcome is known (a success, a failure, or a rejection);
//   aborted   the run closed first: callers get an error (before acceptance) or a failure.
import { Code, RpcError } from '../errors.ts';
import type { IFailure } from '../proto.ts';
import { temporal } from '../proto.ts';
import type { temporal as T } from '@temporalio/proto';
import type Long from 'long';

export type IRequest = T.api.update.v1.IRequest;
export type IOutcome = T.api.update.v1.IOutcome;
export type IMessage = T.api.protocol.v1.IMessage;

const updateApi = temporal.api.update.v1;

/** UpdateWorkflowExecutionLifecycleStage. */
export const Stage = {
  UNSPECIFIED: 0,
  ADMITTED: 1,
  ACCEPTED: 2,
  COMPLETED: 3,
} as const;

export type UpdateState = 'admitted' | 'sent' | 'accepted' | 'completed' | 'aborted';

export interface UpdateStatus {
  stage: number;
  outcome?: IOutcome;
}

/** How a run's history records an update; implemented by the engine side. */
export interface UpdateEvents {
  /** Writes WorkflowExecutionUpdateAccepted; returns its event id. */
  accepted(attrs: { protocolInstanceId: string; acceptedRequestMessageId: string; acceptedRequestSequencingEventId: number; acceptedRequest?: IRequest | null }): number;
  /** Writes WorkflowExecutionUpdateCompleted. */
  completed(attrs: { meta: { updateId: string; identity?: string | null }; acceptedEventId: number; outcome: IOutcome }): void;
}

/** A message the worker sent that the server cannot take: the workflow task fails with it. */
export class ProtocolError extends Error {}

const REQUEST_TYPE_URL = 'type.googleapis.com/temporal.api.update.v1.Request';
const BODY_TYPES: Record<string, 'acceptance' | 'rejection' | 'response'> = {
  'type.googleapis.com/temporal.api.update.v1.Acceptance': 'acceptance',
  'type.googleapis.com/temporal.api.update.v1.Rejection': 'rejection',
  'type.googleapis.com/temporal.api.update.v1.Response': 'response',
};

/** What the official server answers for a worker that ignored an update it was sent. */
export const UNPROCESSED_UPDATE_FAILURE: IFailure = {
  message: "Workflow Update is rejected because it wasn't processed by worker. Probably, Workflow Update is not supported by the worker.",
  source: 'Server',
  applicationFailureInfo: { type: 'UnprocessedUpdate', nonRetryable: true },
};

/** The outcome of an accepted update whose run closed before the handler finished. */
export const ACCEPTED_UPDATE_COMPLETED_WORKFLOW_FAILURE: IFailure = {
  message: 'Workflow Update failed because the Workflow completed before the Update completed.',
  source: 'Server',
  applicationFailureInfo: { type: 'AcceptedUpdateCompletedWorkflow', nonRetryable: true },
};

/** Why updates still in flight end without an answer from the worker. */
export type AbortReason = 'closed' | 'continued';

/** An update the run closed on before accepting it; with 'continued' the caller may go on to the next run. */
export class UpdateAbortedError extends RpcError {
  constructor(readonly reason: AbortReason) {
    super(Code.NOT_FOUND, 'workflow update was aborted by closing workflow');
  }
}

export class Update {
  state: UpdateState = 'admitted';
  /** The caller's request, kept until UpdateAccepted holds it. */
  request?: IRequest;
  acceptedEventId = 0;
  outcome?: IOutcome;
  abortError?: UpdateAbortedError;
  private waiters = new Set<() => void>();

  constructor(
    readonly id: string,
    readonly seq: number,
  ) {}

  /** The furthest stage reached, with the outcome once there is one. */
  status(): UpdateStatus {
    if (this.state === 'completed') return { stage: Stage.COMPLETED, outcome: this.outcome };
    if (this.state === 'accepted') return { stage: Stage.ACCEPTED };
    if (this.state === 'aborted' && this.outcome) return { stage: Stage.COMPLETED, outcome: this.outcome };
    return { stage: Stage.ADMITTED };
  }

  /** Whether a caller waiting for `stage` has its answer (or its error). */
  reached(stage: number): boolean {
    if (this.state === 'completed' || this.state === 'aborted') return true;
    if (stage <= Stage.ADMITTED) return true;
    if (stage === Stage.ACCEPTED) return this.state === 'accepted';
    return false;
  }

  /** Whether the update is still to be answered by the worker (admitted or sent). */
  get unanswered() {
    return this.state === 'admitted' || this.state === 'sent';
  }

  /** Calls `fn` at the next change of state. */
  onChange(fn: () => void): () => void {
    this.waiters.add(fn);
    return () => this.waiters.delete(fn);
  }

  setState(state: UpdateState) {
    this.state = state;
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const w of waiters) w();
  }
}

/**
 * Waits until `u` reaches `stage`, the run closes it, or `softTimeoutMs` passes; then answers
 * as the official server does: the furthest stage reached (with the outcome once completed,
 * also when only ACCEPTED was asked for), or the abort error.
 */
export function waitForStage(u: Update, stage: number, softTimeoutMs: number): Promise<UpdateStatus> {
  const answer = (): UpdateStatus => {
    if (u.abortError) throw u.abortError;
    return u.status();
  };
  if (u.reached(stage) || softTimeoutMs <= 0) return Promise.resolve().then(answer);
  return new Promise<UpdateStatus>((resolve, reject) => {
    let off = () => {};
    const timer = setTimeout(() => {
      off();
      settle();
    }, softTimeoutMs);
    timer.unref?.();
    const settle = () => {
      try {
        resolve(answer());
      } catch (err) {
        reject(err);
      }
    };
    const check = () => {
      if (u.reached(stage)) {
        clearTimeout(timer);
        settle();
      } else {
        off = u.onChange(check);
      }
    };
    off = u.onChange(check);
  });
}

/** The updates of one run. Completed updates stay, so a repeated update id gets the same answer. */
export class UpdateRegistry {
  private readonly updates = new Map<string, Update>();
  private seq = 0;

  find(id: string): Update | undefined {
    return this.updates.get(id);
  }

  /** Admits a new update, or returns the one with that id; `existed` says which. */
  admit(id: string, request: IRequest): { update: Update; existed: boolean } {
    const found = this.updates.get(id);
    if (found) return { update: found, existed: true };
    const u = new Update(id, this.seq++);
    u.request = request;
    this.updates.set(id, u);
    return { update: u, existed: false };
  }

  /** An update already in the history (rebuilt after a restart): accepted, maybe completed. */
  restoreAccepted(id: string, acceptedEventId: number) {
    const u = new Update(id, this.seq++);
    u.state = 'accepted';
    u.acceptedEventId = acceptedEventId;
    this.updates.set(id, u);
  }

  restoreCompleted(id: string, outcome: IOutcome) {
    const u = this.updates.get(id) ?? new Update(id, this.seq++);
    u.state = 'completed';
    u.outcome = outcome;
    this.updates.set(id, u);
  }

  /** Updates admitted but not yet handed to a worker. */
  hasUnsent(): boolean {
    for (const u of this.updates.values()) if (u.state === 'admitted') return true;
    return false;
  }

  /**
   * The request messages for a workflow task that starts with event `startedEventId`: every
   * update not yet answered, oldest first (one handed to a task that failed goes out again).
   * Each message sits after the event before WorkflowTaskStarted, as the official server puts it.
   */
  send(startedEventId: number): IMessage[] {
    const out: IMessage[] = [];
    const pending = [...this.updates.values()].filter((u) => u.unanswered && u.request).sort((a, b) => a.seq - b.seq);
    for (const u of pending) {
      if (u.state === 'admitted') u.setState('sent');
      out.push({
        id: `${u.id}/request`,
        protocolInstanceId: u.id,
        eventId: (startedEventId - 1) as unknown as Long,
        body: { type_url: REQUEST_TYPE_URL, value: updateApi.Request.encode(updateApi.Request.fromObject(u.request!)).finish() } as any,
      });
    }
    return out;
  }

  /**
   * Checks a completion's messages against the updates' states without changing anything, in
   * the order the worker sent them (acceptance before response); throws ProtocolError.
   */
  check(messages: IMessage[]) {
    const sim = new Map<string, UpdateState | 'gone'>();
    for (const msg of messages) {
      const id = msg.protocolInstanceId ?? '';
      const kind = BODY_TYPES[msg.body?.type_url ?? ''];
      if (!kind) throw new ProtocolError(`unsupported protocol message body ${msg.body?.type_url || '(none)'}`);
      if (!id) throw new ProtocolError('ProtocolInstanceId is not set on the message.');
      const u = this.updates.get(id);
      let state: UpdateState | 'gone' | undefined = sim.get(id) ?? u?.state;
      if (state === undefined && kind !== 'response') {
        // An update the server lost (a restart) comes back with its request.
        const value = msg.body?.value ?? new Uint8Array();
        const carried = kind === 'acceptance' ? updateApi.Acceptance.decode(value).acceptedRequest : updateApi.Rejection.decode(value).rejectedRequest;
        if (carried) state = 'admitted';
      }
      const bad = () => new ProtocolError(`invalid state transition attempted for Update ${id}: received ${kind} message while in state ${state ?? 'unknown'}`);
      if (kind === 'acceptance' || kind === 'rejection') {
        if (state !== 'admitted' && state !== 'sent') throw bad();
        sim.set(id, kind === 'acceptance' ? 'accepted' : 'gone');
      } else {
        if (state !== 'accepted') throw bad();
        const res = updateApi.Response.decode(msg.body?.value ?? new Uint8Array());
        if (!res.outcome || (!res.outcome.success && !res.outcome.failure)) throw new ProtocolError(`Outcome is not set on Response of Update ${id}.`);
        sim.set(id, 'completed');
      }
    }
  }

  /**
   * Applies one message of a workflow task completion. Acceptance and Response write their
   * events through `events`; a Rejection writes nothing. Throws ProtocolError for a message
   * that does not fit the update's state (the workflow task then fails).
   */
  handleMessage(msg: IMessage, events: UpdateEvents, identity: string) {
    const id = msg.protocolInstanceId ?? '';
    const kind = BODY_TYPES[msg.body?.type_url ?? ''];
    if (!kind) throw new ProtocolError(`unsupported protocol message body ${msg.body?.type_url || '(none)'}`);
    const value = msg.body?.value ?? new Uint8Array();
    let u = this.updates.get(id);
    if (kind === 'acceptance') {
      const a = updateApi.Acceptance.decode(value);
      // A worker may accept an update it was sent before a restart: its request comes back with it.
      if (!u && a.acceptedRequest) u = this.admit(id, a.acceptedRequest).update;
      if (!u || !u.unanswered) throw new ProtocolError(`invalid state transition attempted for Update ${id}: received Acceptance message while in state ${u?.state ?? 'unknown'}`);
      u.acceptedEventId = events.accepted({
        protocolInstanceId: id,
        acceptedRequestMessageId: a.acceptedRequestMessageId || `${id}/request`,
        acceptedRequestSequencingEventId: Number(a.acceptedRequestSequencingEventId ?? 0),
        acceptedRequest: u.request ?? a.acceptedRequest,
      });
      u.request = undefined;
      u.setState('accepted');
      return;
    }
    if (kind === 'rejection') {
      const r = updateApi.Rejection.decode(value);
      if (!u && r.rejectedRequest) u = this.admit(id, r.rejectedRequest).update;
      if (!u || !u.unanswered) throw new ProtocolError(`invalid state transition attempted for Update ${id}: received Rejection message while in state ${u?.state ?? 'unknown'}`);
      this.reject(u, r.failure ?? { message: 'rejected' });
      return;
    }
    const res = updateApi.Response.decode(value);
    if (!u || u.state !== 'accepted') throw new ProtocolError(`invalid state transition attempted for Update ${id}: received Response message while in state ${u?.state ?? 'unknown'}`);
    if (!res.outcome || (!res.outcome.success && !res.outcome.failure)) throw new ProtocolError(`Outcome is not set on Response of Update ${id}.`);
    const outcome = res.outcome.failure ? { failure: res.outcome.failure } : { success: res.outcome.success };
    events.completed({ meta: { updateId: id, identity: res.meta?.identity || identity }, acceptedEventId: u.acceptedEventId, outcome });
    u.outcome = outcome;
    u.setState('completed');
  }

  /**
   * A rejected update leaves nothing behind (as upstream: no event, no record), so the same
   * id sent again is a new update; its waiters get the rejection as a failed outcome.
   */
  private reject(u: Update, failure: IFailure) {
    u.outcome = { failure };
    u.request = undefined;
    this.updates.delete(u.id);
    u.setState('completed');
  }

  /** After a completed workflow task: updates sent to it that the worker ignored are rejected for it. */
  rejectUnprocessed() {
    for (const u of [...this.updates.values()]) {
      if (u.state === 'sent') this.reject(u, UNPROCESSED_UPDATE_FAILURE);
    }
  }

  /** After a workflow task failed or timed out: what was sent goes out again with the next one. */
  resend() {
    for (const u of this.updates.values()) if (u.state === 'sent') u.state = 'admitted';
  }

  /**
   * The run closed (or continued as new): updates not yet accepted end with an error, accepted
   * ones with a failure outcome, so a caller who saw ACCEPTED always gets an outcome.
   */
  abort(reason: AbortReason) {
    for (const u of [...this.updates.values()]) {
      if (u.unanswered) {
        u.abortError = new UpdateAbortedError(reason);
        u.request = undefined;
        this.updates.delete(u.id);
        u.setState('aborted');
      } else if (u.state === 'accepted') {
        u.outcome = { failure: ACCEPTED_UPDATE_COMPLETED_WORKFLOW_FAILURE };
        u.setState('aborted');
      }
    }
  }
}
