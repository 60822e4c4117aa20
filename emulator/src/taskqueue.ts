// Task queues: tasks wait for pollers, pollers wait for tasks. A task is a closure that is
// asked to materialise itself at the moment a poller takes it; it returns null when it went
// stale while queued (its workflow closed, its activity was cancelled, ...), and the poller
// moves on to the next one. Workflow and activity queues of the same name are separate.
import type { CallContext } from './rpc.ts';

export type Task<Req, Res> = (pollRequest: Req) => Res | null;

interface Poller<Req, Res> {
  req: Req;
  ctx: CallContext;
  resolve(res: Res | null): void;
}

export class TaskQueue<Req, Res> {
  private tasks: Task<Req, Res>[] = [];
  private head = 0;
  private pollers: Poller<Req, Res>[] = [];
  /** identity -> last poll time (wall clock), for DescribeTaskQueue. */
  readonly lastPollers = new Map<string, number>();

  constructor(readonly name: string) {}

  get backlog() {
    return this.tasks.length - this.head;
  }

  offer(task: Task<Req, Res>) {
    while (this.pollers.length > 0) {
      const p = this.pollers.shift()!;
      if (p.ctx.cancelled()) continue;
      const res = task(p.req);
      if (res === null) {
        // The task went stale before anyone took it: the poller keeps waiting.
        this.pollers.unshift(p);
        return;
      }
      p.resolve(res);
      return;
    }
    this.tasks.push(task);
  }

  /** Takes a ready task at once, or waits until one arrives or `waitMs` passes (then null). */
  poll(req: Req, ctx: CallContext, identity: string, waitMs: number): Promise<Res | null> | Res | null {
    this.lastPollers.set(identity || 'unknown', Date.now());
    while (this.head < this.tasks.length) {
      const task = this.tasks[this.head]!;
      this.tasks[this.head++] = undefined as never;
      this.compact();
      const res = task(req);
      if (res !== null) return res;
    }
    if (waitMs <= 0) return null;
    return new Promise<Res | null>((resolve) => {
      let settled = false;
      const poller: Poller<Req, Res> = {
        req,
        ctx,
        resolve: (res) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve(res);
        },
      };
      const remove = () => {
        const i = this.pollers.indexOf(poller);
        if (i >= 0) this.pollers.splice(i, 1);
      };
      const timer = setTimeout(() => {
        remove();
        poller.resolve(null);
      }, waitMs);
      ctx.onCancelled(() => {
        remove();
        poller.resolve(null);
      });
      this.pollers.push(poller);
    });
  }

  /** Answers every waiting poller with "no task" (used when a worker shuts down). */
  releasePollers(match: (req: Req) => boolean) {
    const keep: Poller<Req, Res>[] = [];
    for (const p of this.pollers) {
      if (match(p.req)) p.resolve(null);
      else keep.push(p);
    }
    this.pollers = keep;
  }

  private compact() {
    if (this.head > 1024 && this.head * 2 > this.tasks.length) {
      this.tasks = this.tasks.slice(this.head);
      this.head = 0;
    }
  }
}
