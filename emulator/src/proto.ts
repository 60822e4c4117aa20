// The Temporal API as the installed SDK knows it: the protobufjs root that ships in
// @temporalio/proto, so the emulator's wire format always matches the SDK's version.
import protoRoot from '@temporalio/proto';
import type { temporal as T, google as G } from '@temporalio/proto';
import Long from 'long';

export const root = protoRoot;
export const { temporal, google } = protoRoot;

export const v1 = temporal.api.workflowservice.v1;
export const enums = temporal.api.enums.v1;
export const history = temporal.api.history.v1;
export const common = temporal.api.common.v1;
export const failureApi = temporal.api.failure.v1;

export type HistoryEvent = T.api.history.v1.HistoryEvent;
export type IHistoryEvent = T.api.history.v1.IHistoryEvent;
export type IPayload = T.api.common.v1.IPayload;
export type IPayloads = T.api.common.v1.IPayloads;
export type IFailure = T.api.failure.v1.IFailure;
export type IMemo = T.api.common.v1.IMemo;
export type ISearchAttributes = T.api.common.v1.ISearchAttributes;
export type IRetryPolicy = T.api.common.v1.IRetryPolicy;
export type IHeader = T.api.common.v1.IHeader;
export type ITimestamp = G.protobuf.ITimestamp;
export type IDuration = G.protobuf.IDuration;

export const EventType = enums.EventType;
export type EventTypeValue = T.api.enums.v1.EventType;
export const Status = enums.WorkflowExecutionStatus;
export type StatusValue = T.api.enums.v1.WorkflowExecutionStatus;
export const RetryState = enums.RetryState;
export const TimeoutType = enums.TimeoutType;
export const IndexedValueType = enums.IndexedValueType;

/** A protobuf int64 (Long, number or numeric string) as a JS number. */
export function toNum(v: unknown): number {
  if (v == null) return 0;
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return Number(v);
  if (Long.isLong(v)) return (v as Long).toNumber();
  return Number(v);
}

export function tsToMs(ts: ITimestamp | null | undefined): number | undefined {
  if (!ts) return undefined;
  return toNum(ts.seconds) * 1000 + Math.floor((ts.nanos ?? 0) / 1e6);
}

export function msToTs(ms: number): ITimestamp {
  const seconds = Math.floor(ms / 1000);
  return { seconds: seconds as unknown as Long, nanos: Math.round(ms - seconds * 1000) * 1e6 };
}

/** Duration in ms; 0 for unset. */
export function durToMs(d: IDuration | null | undefined): number {
  if (!d) return 0;
  return toNum(d.seconds) * 1000 + Math.floor((d.nanos ?? 0) / 1e6);
}

export function msToDur(ms: number): IDuration {
  const seconds = Math.floor(ms / 1000);
  return { seconds: seconds as unknown as Long, nanos: Math.round(ms - seconds * 1000) * 1e6 };
}

const eventTypeNames = Object.fromEntries(
  Object.entries(EventType).map(([k, v]) => [v as number, k]),
) as Record<number, string>;

export function eventTypeName(t: number): string {
  return eventTypeNames[t] ?? String(t);
}

/**
 * A response whose history is spliced in as already-encoded events: each event is encoded
 * once, when it is written, instead of once per workflow task that carries it.
 */
export class WithHistory {
  constructor(
    readonly message: Record<string, unknown>,
    readonly historyField: number,
    readonly events: Uint8Array[],
  ) {}

  /** Length of the encoded `History { repeated HistoryEvent events = 1; }` field. */
  fieldLength(): number {
    let inner = 0;
    for (const e of this.events) inner += 1 + varintSize(e.length) + e.length;
    this.innerLength = inner;
    return varintSize((this.historyField << 3) | 2) + varintSize(inner) + inner;
  }

  /** Writes the field at `out[pos]` (after fieldLength()); returns the end position. */
  writeField(out: Uint8Array, pos: number): number {
    pos = writeVarint(out, pos, (this.historyField << 3) | 2);
    pos = writeVarint(out, pos, this.innerLength);
    for (const e of this.events) {
      out[pos++] = (1 << 3) | 2;
      pos = writeVarint(out, pos, e.length);
      out.set(e, pos);
      pos += e.length;
    }
    return pos;
  }

  private innerLength = 0;
}

function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

function writeVarint(out: Uint8Array, pos: number, n: number): number {
  while (n >= 0x80) {
    out[pos++] = (n & 0x7f) | 0x80;
    n = Math.floor(n / 128);
  }
  out[pos++] = n;
  return pos;
}
