// Task tokens: what a worker hands back to name the workflow task, activity attempt or query
// it answers. Opaque to the worker; here, a small JSON array.
import { invalidArgument } from '../errors.ts';

export interface TaskToken {
  kind: 'wft' | 'act' | 'query';
  ns: string;
  workflowId: string;
  runId: string;
  /** Scheduled event id of the workflow task or activity, or the query id. */
  ref: number | string;
  attempt: number;
}

export function encodeToken(t: TaskToken): Buffer {
  return Buffer.from(JSON.stringify([t.kind, t.ns, t.workflowId, t.runId, t.ref, t.attempt]));
}

export function decodeToken(buf: Uint8Array | null | undefined, kind: TaskToken['kind']): TaskToken {
  try {
    const [k, ns, workflowId, runId, ref, attempt] = JSON.parse(Buffer.isBuffer(buf) ? buf.toString() : Buffer.from(buf ?? []).toString());
    if (k !== kind || typeof ns !== 'string' || typeof runId !== 'string') throw new Error('kind');
    return { kind: k, ns, workflowId, runId, ref, attempt };
  } catch {
    throw invalidArgument('invalid task token');
  }
}
