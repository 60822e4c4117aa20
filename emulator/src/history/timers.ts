// User timers (the official server's timer state machine and its timer queue tasks).
import type { temporal } from '@temporalio/proto';
import type { Execution, TimerState } from '../model.ts';
import { isOpen } from '../model.ts';
import { durToMs, EventType as ET, toNum } from '../proto.ts';
import type { CommandContext } from './commands.ts';
import type { Shard } from './shard.ts';

export class Timers {
  constructor(private readonly s: Shard) {}

  start(x: Execution, a: temporal.api.command.v1.IStartTimerCommandAttributes, completedId: number): undefined {
    const ms = durToMs(a.startToFireTimeout);
    const ev = this.s.history.write(x, ET.EVENT_TYPE_TIMER_STARTED, {
      timerStartedEventAttributes: { timerId: a.timerId, startToFireTimeout: a.startToFireTimeout, workflowTaskCompletedEventId: completedId },
    });
    const t: TimerState = { timerId: a.timerId ?? '', startedEventId: toNum(ev.eventId), dueTime: this.s.clock.now() + ms };
    x.timers.set(t.timerId, t);
    this.arm(x, t);
    return undefined;
  }

  cancel(x: Execution, a: temporal.api.command.v1.ICancelTimerCommandAttributes, ctx: CommandContext): undefined {
    const t = x.timers.get(a.timerId ?? '');
    if (!t) return undefined;
    t.handle?.cancel();
    x.timers.delete(t.timerId);
    this.s.history.write(x, ET.EVENT_TYPE_TIMER_CANCELED, {
      timerCanceledEventAttributes: { timerId: t.timerId, startedEventId: t.startedEventId, workflowTaskCompletedEventId: ctx.completedId, identity: ctx.identity },
    });
    return undefined;
  }

  /** Sets the clock for a pending timer (when started, and again after a restart). */
  arm(x: Execution, t: TimerState) {
    t.handle = this.s.clock.at(t.dueTime, () => {
      if (x.timers.get(t.timerId) !== t || !isOpen(x)) return;
      x.timers.delete(t.timerId);
      this.s.history.record(x, ET.EVENT_TYPE_TIMER_FIRED, { timerFiredEventAttributes: { timerId: t.timerId, startedEventId: t.startedEventId } });
    });
  }

  /** Drops every pending timer of a closing run. */
  dropAll(x: Execution) {
    for (const t of x.timers.values()) t.handle?.cancel();
    x.timers.clear();
  }
}
