// Time for the emulator. In dev-server mode it is wall-clock time. In time-skipping mode it is
// wall-clock time plus an offset that jumps forward to the next due timer whenever nothing is
// holding time: the rule of Temporal's Java test server, where locks held by clients,
// outstanding workflow tasks, running activities and pending queries hold time, and in-flight
// "unlock with sleep" calls release it.

export interface TimerHandle {
  cancel(): void;
}

interface Entry {
  due: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/** A binary min-heap keyed by (due, seq). */
class Heap {
  private items: Entry[] = [];
  get size() {
    return this.items.length;
  }
  peek(): Entry | undefined {
    return this.items[0];
  }
  push(e: Entry) {
    const a = this.items;
    a.push(e);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(a[i]!, a[p]!)) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }
  pop(): Entry | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && less(a[l]!, a[m]!)) m = l;
        if (r < a.length && less(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}

const less = (a: Entry, b: Entry) => a.due < b.due || (a.due === b.due && a.seq < b.seq);

export class Clock {
  private offset = 0;
  private heap = new Heap();
  private seq = 0;
  private wake: NodeJS.Timeout | undefined;
  private wakeAt = Infinity;
  private skipScheduled = false;
  /** Client locks; the SDK's time-skipping environment starts with one held. */
  private locks: number;
  private sleepers = 0;
  /** Called after every batch of fired timers, so callers can flush state (persistence). */
  afterFire: () => void = () => {};

  constructor(
    readonly timeSkipping: boolean,
    /** Counts what holds time besides client locks (workflow tasks, activities, queries). */
    private holds: () => number = () => 0,
  ) {
    this.locks = timeSkipping ? 1 : 0;
  }

  setHolds(fn: () => number) {
    this.holds = fn;
  }

  now(): number {
    return Date.now() + this.offset;
  }

  at(due: number, fn: () => void): TimerHandle {
    const e: Entry = { due, seq: this.seq++, fn, cancelled: false };
    this.heap.push(e);
    this.arm();
    this.kick();
    return {
      cancel: () => {
        e.cancelled = true;
      },
    };
  }

  after(ms: number, fn: () => void): TimerHandle {
    return this.at(this.now() + Math.max(0, ms), fn);
  }

  lock() {
    this.locks++;
  }

  unlock() {
    if (this.locks <= 0) throw new Error('time skipping is not locked');
    this.locks--;
    this.kick();
  }

  /** Releases time for `ms` of virtual time, then resolves. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.sleepers++;
      this.after(ms, () => {
        this.sleepers--;
        resolve();
      });
    });
  }

  /** Re-evaluates whether time may jump; cheap, and coalesced to once per turn. */
  kick() {
    if (!this.timeSkipping || this.skipScheduled) return;
    this.skipScheduled = true;
    setImmediate(() => {
      this.skipScheduled = false;
      this.maybeSkip();
    });
  }

  private maybeSkip() {
    if (this.locks + this.holds() - this.sleepers > 0) return;
    this.dropCancelled();
    const next = this.heap.peek();
    if (!next) return;
    const now = this.now();
    if (next.due > now) this.offset += next.due - now;
    this.fireDue();
  }

  private dropCancelled() {
    while (this.heap.peek()?.cancelled) this.heap.pop();
  }

  private arm() {
    this.dropCancelled();
    const next = this.heap.peek();
    if (!next) return;
    if (next.due >= this.wakeAt && this.wake) return;
    if (this.wake) clearTimeout(this.wake);
    this.wakeAt = next.due;
    // setTimeout's limit is 2^31-1 ms; longer waits re-arm on wake-up.
    const delay = Math.min(Math.max(0, next.due - this.now()), 2_000_000_000);
    this.wake = setTimeout(() => {
      this.wake = undefined;
      this.wakeAt = Infinity;
      this.fireDue();
    }, delay);
    this.wake.unref?.();
  }

  private fireDue() {
    let fired = 0;
    for (;;) {
      const e = this.heap.peek();
      if (!e) break;
      if (e.cancelled) {
        this.heap.pop();
        continue;
      }
      if (e.due > this.now()) break;
      this.heap.pop();
      fired++;
      try {
        e.fn();
      } catch (err) {
        process.stderr.write(`[temporal-offline] error: timer callback failed ${String((err as Error)?.stack ?? err)}\n`);
      }
    }
    if (fired > 0) this.afterFire();
    if (this.wake) {
      clearTimeout(this.wake);
      this.wake = undefined;
      this.wakeAt = Infinity;
    }
    this.arm();
    this.kick();
  }
}
