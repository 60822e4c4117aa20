// The history builder (the official server's historybuilder plus its buffered events): every
// event of a run is written here, once, protobuf-encoded.
//
// Invariants the SDK's Core relies on (docs/temporal-wire-notes.md explains each):
// - event ids are dense; nothing is written between WorkflowTaskStarted and the task's end:
//   events that arrive meanwhile are buffered and written after the completion's own events;
// - ActivityTaskStarted is written lazily, right before the activity's close event, with the
//   final attempt number (see activities.ts).
import type { Execution } from '../model.ts';
import { history as historyApi, msToTs, type HistoryEvent } from '../proto.ts';
import type { Shard } from './shard.ts';

export class HistoryBuilder {
  private taskIdSeq = 1;

  constructor(private readonly s: Shard) {}

  private makeEvent(x: Execution, eventType: number, attrs: Record<string, unknown>): HistoryEvent {
    // A plain object, not a protobufjs Message: it is encoded once (write) and read by the
    // engine; attribute values are built protobuf-ready, so no conversion pass is needed.
    return {
      eventId: x.events.length + 1,
      eventTime: msToTs(this.s.clock.now()),
      eventType,
      taskId: this.taskIdSeq++,
      ...attrs,
    } as unknown as HistoryEvent;
  }

  /** Writes an event now (never while a workflow task is in flight; see `record`). */
  write(x: Execution, eventType: number, attrs: Record<string, unknown>): HistoryEvent {
    const ev = this.makeEvent(x, eventType, attrs);
    // Copied out of the encoder's buffer: small Node buffers are slices of shared 8 KiB
    // slabs, and a long-lived event would keep a whole slab of short-lived garbage alive.
    const bytes = new Uint8Array(historyApi.HistoryEvent.encode(ev).finish());
    x.events.push(bytes);
    x.historyBytes += bytes.length;
    this.s.touch(x);
    if (x.historyWaiters.size > 0) {
      const waiters = [...x.historyWaiters];
      x.historyWaiters.clear();
      for (const w of waiters) w();
    }
    return ev;
  }

  /**
   * Records an event that arrives from outside the workflow's own task (a signal, an activity
   * result, a timer): buffered while a workflow task is in flight, otherwise written, and a
   * workflow task is scheduled when `wakes` and none is outstanding.
   */
  record(x: Execution, eventType: number, attrs: Record<string, unknown>, wakes = true) {
    if (x.wt?.started) {
      x.buffered.push({ eventType, attrs, wakes });
      this.s.touch(x);
      return;
    }
    this.write(x, eventType, attrs);
    if (wakes) this.s.workflowTasks.schedule(x);
  }

  /** The id the next recorded event of x will take, buffered or not. */
  nextRecordedId(x: Execution): number {
    return x.wt?.started ? x.events.length + x.buffered.length + 1 : x.events.length + 1;
  }

  /** Writes the buffered events; true when one of them calls for a workflow task. */
  flushBuffered(x: Execution): boolean {
    let wakes = false;
    const buffered = x.buffered;
    x.buffered = [];
    for (const b of buffered) {
      this.write(x, b.eventType, b.attrs);
      wakes ||= b.wakes;
    }
    return wakes;
  }
}
