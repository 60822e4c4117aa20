// Workflow queries (the official server's query handling in the history and matching services):
// a query rides along with the outstanding workflow task, or goes to the worker as a query
// task of its own when none is outstanding, and waits for the worker's answer.
import { randomUUID } from 'node:crypto';
import type { temporal } from '@temporalio/proto';
import { Code, invalidArgument, notFound, RpcError } from '../errors.ts';
import type { Execution, PendingQuery } from '../model.ts';
import { isOpen } from '../model.ts';
import { enums, msToTs, Status, WithHistory, type IPayloads } from '../proto.ts';
import type { CallContext } from '../rpc.ts';
import type { Shard } from './shard.ts';
import { encodeToken, type TaskToken } from './tokens.ts';
import { POLL_HISTORY_FIELD, QUEUE_NORMAL } from './workflow-tasks.ts';

export interface QueryInput {
  queryType: string;
  queryArgs?: IPayloads | null;
  header?: unknown;
  rejectCondition: number;
}

/** A worker's RespondQueryTaskCompleted, decoded at the service edge. */
export interface QueryTaskAnswer {
  completedType: number;
  queryResult?: IPayloads | null;
  errorMessage: string;
  failure?: temporal.api.failure.v1.IFailure | null;
}

export class Queries {
  private readonly byId = new Map<string, { x: Execution; q: PendingQuery }>();

  constructor(private readonly s: Shard) {}

  query(x: Execution, input: QueryInput, ctx: CallContext): Promise<unknown> {
    const RC = enums.QueryRejectCondition;
    const cond = input.rejectCondition;
    if (
      (cond === RC.QUERY_REJECT_CONDITION_NOT_OPEN && !isOpen(x)) ||
      (cond === RC.QUERY_REJECT_CONDITION_NOT_COMPLETED_CLEANLY && !isOpen(x) && x.status !== Status.WORKFLOW_EXECUTION_STATUS_COMPLETED)
    ) {
      return Promise.resolve({ queryRejected: { status: x.status } });
    }
    return new Promise((resolve, reject) => {
      const q: PendingQuery = {
        id: randomUUID(),
        queryType: input.queryType,
        queryArgs: input.queryArgs,
        header: input.header,
        done: false,
        resolve: (r) => {
          if (q.done) return;
          q.done = true;
          this.s.holdQuery.delete(q);
          this.byId.delete(q.id);
          clearTimeout(timer);
          if (r.error !== undefined) reject(invalidArgument(r.error));
          else resolve({ queryResult: r.answer });
        },
      };
      const wait = Number.isFinite(ctx.deadline) ? Math.max(0, ctx.deadline - Date.now()) : 60_000;
      const timer = setTimeout(() => {
        if (q.done) return;
        q.done = true;
        this.s.holdQuery.delete(q);
        this.byId.delete(q.id);
        x.queries = x.queries.filter((o) => o !== q);
        reject(new RpcError(Code.DEADLINE_EXCEEDED, 'query timed out: no worker answered it'));
      }, wait);
      ctx.onCancelled(() => q.resolve({ error: 'query cancelled by the client' }));
      this.s.holdQuery.add(q);
      x.queries.push(q);
      this.pump(x);
      this.s.clock.kick();
    });
  }

  /** An answer that came with a workflow task completion. */
  answer(q: PendingQuery, r: temporal.api.query.v1.IWorkflowQueryResult) {
    if (r.resultType === enums.QueryResultType.QUERY_RESULT_TYPE_ANSWERED) q.resolve({ answer: r.answer });
    else q.resolve({ error: r.errorMessage || r.failure?.message || 'query failed' });
  }

  /** Hands waiting queries to the worker as query tasks when no workflow task is outstanding. */
  pump(x: Execution) {
    if (x.wt || x.queries.length === 0) return;
    const pending = x.queries.splice(0);
    for (const q of pending) {
      if (q.done) continue;
      this.byId.set(q.id, { x, q });
      this.s.wfQueue(x.ns.name, x.taskQueue).offer(() => {
        if (q.done) return null;
        if (x.wt) {
          // A workflow task came first: the query rides along with it or waits for its end.
          x.queries.push(q);
          this.s.workflowTasks.offer(x);
          return null;
        }
        return new WithHistory({
          taskToken: encodeToken({ kind: 'query', ns: x.ns.name, workflowId: x.workflowId, runId: x.runId, ref: q.id, attempt: 1 }),
          workflowExecution: { workflowId: x.workflowId, runId: x.runId },
          workflowType: { name: x.workflowType },
          previousStartedEventId: x.lastCompletedStartedEventId,
          startedEventId: x.lastCompletedStartedEventId,
          attempt: 1,
          query: { queryType: q.queryType, queryArgs: q.queryArgs, header: q.header },
          workflowExecutionTaskQueue: { name: x.taskQueue, kind: QUEUE_NORMAL },
          scheduledTime: msToTs(this.s.clock.now()),
          startedTime: msToTs(this.s.clock.now()),
        }, POLL_HISTORY_FIELD, x.events.slice());
      });
    }
  }

  /** RespondQueryTaskCompleted: the answer to a query task. */
  respond(token: TaskToken, a: QueryTaskAnswer) {
    const entry = this.byId.get(String(token.ref));
    if (!entry) throw notFound('query not found (it may have timed out)');
    const T = enums.QueryResultType;
    if (a.completedType === T.QUERY_RESULT_TYPE_ANSWERED) entry.q.resolve({ answer: a.queryResult });
    else entry.q.resolve({ error: a.errorMessage || a.failure?.message || 'query failed' });
  }
}
