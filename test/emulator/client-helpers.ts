// Small helpers shared by the client-facing API conformance suites.
import { expect } from 'vitest';
import proto from '@temporalio/proto';
import type { WorkflowHandle } from '@temporalio/client';

export const CLIENT_WORKFLOWS = new URL('./fixtures/client-workflows.ts', import.meta.url).pathname;

export const EventType = proto.temporal.api.enums.v1.EventType;
export const GrpcStatus = { INVALID_ARGUMENT: 3, NOT_FOUND: 5, ALREADY_EXISTS: 6, UNIMPLEMENTED: 12 } as const;

/** The gRPC status code carried by `err` or by any error in its `cause` chain. */
export function grpcCode(err: unknown): number | undefined {
  for (let e: any = err, depth = 0; e && depth < 10; e = e.cause, depth++) {
    if (typeof e.code === 'number') return e.code;
  }
  return undefined;
}

/** Awaits `p`, expects it to reject, and returns the error. */
export async function rejection(p: Promise<unknown>): Promise<any> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to reject, but it resolved');
}

/** Expects `p` to reject with the given gRPC status (on the error or one of its causes). */
export async function expectGrpcCode(p: Promise<unknown>, code: number): Promise<any> {
  const err = await rejection(p);
  expect(grpcCode(err), `gRPC code of ${String(err?.message ?? err)}`).toBe(code);
  return err;
}

/** Retries `fn` until it stops throwing (visibility is eventually consistent), or rethrows after `timeoutMs`. */
export async function eventually<T>(fn: () => Promise<T>, timeoutMs = 5000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }
}

/** Event type names of a run's history, in order (without the EVENT_TYPE_ prefix). */
export async function eventTypes(handle: WorkflowHandle): Promise<string[]> {
  const history = await handle.fetchHistory();
  return (history.events ?? []).map((e) => String(EventType[e.eventType ?? 0]).replace(/^EVENT_TYPE_/, ''));
}

/** Waits until the run's history holds an event of the given type (without the EVENT_TYPE_ prefix). */
export async function waitForEvent(handle: WorkflowHandle, type: string, timeoutMs = 5000): Promise<void> {
  await eventually(async () => {
    expect(await eventTypes(handle)).toContain(type);
  }, timeoutMs);
}
