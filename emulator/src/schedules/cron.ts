// The `cronSchedule` of a workflow start, as the official server reads it (standard cron: five
// fields, the @yearly ... @hourly descriptors, `@every <duration>`, an optional `CRON_TZ=` or
// `TZ=` zone, UTC otherwise) and when the next run of a cron chain starts. It shares the
// schedule spec's parser and calendar matching; what differs is standard cron's day rule (a
// restricted day of month and a restricted day of week match either, not both) and `@every`,
// which counts from the previous run rather than from the epoch.
import { CompiledCalendar, parseCron, parseGoDuration, SpecError, type StructuredCalendar } from './spec.ts';
import { Zone } from './zone.ts';

export interface CronSchedule {
  /** The first time strictly after `afterMs` (epoch ms), or undefined when none. */
  next(afterMs: number): number | undefined;
}

const ANY_DAY = (field: string) => field === '*' || field === '?';

/** Parses a workflow's cron schedule; throws SpecError when the server would answer "invalid CronSchedule.". */
export function parseWorkflowCron(s: string): CronSchedule {
  let text = s.trim();
  let tz = '';
  if (text.startsWith('TZ=') || text.startsWith('CRON_TZ=')) {
    const sp = text.indexOf(' ');
    if (sp < 0) throw new SpecError('missing fields');
    tz = text.slice(text.indexOf('=') + 1, sp);
    text = text.slice(sp + 1).trim();
  }
  if (text.startsWith('@every ')) {
    const ms = parseGoDuration(text.slice(7).trim());
    if (ms <= 0) throw new SpecError('@every needs a positive duration');
    // A constant delay, at second resolution.
    const step = Math.max(1000, Math.floor(ms / 1000) * 1000);
    return { next: (after) => Math.floor(after / 1000) * 1000 + step };
  }
  if (!text.startsWith('@') && text.split(/\s+/).filter(Boolean).length !== 5) throw new SpecError('expected exactly 5 fields');
  // `?` stands for `*` in the day fields.
  const fields = text.startsWith('@') ? text : text.split(/\s+/).map((f, i) => (f === '?' && (i === 2 || i === 4) ? '*' : f)).join(' ');
  const parsed = parseCron(fields);
  if (!parsed.calendar || !parsed.fields) throw new SpecError('not a calendar');
  const zone = Zone.get(tz || 'UTC');
  const cal = parsed.calendar;
  const calendars: StructuredCalendar[] =
    ANY_DAY(parsed.fields.dayOfMonth) || ANY_DAY(parsed.fields.dayOfWeek)
      ? [cal]
      : [
          // Both restricted: either one matching is enough.
          { ...cal, dayOfWeek: [{ start: 0, end: 6, step: 0 }] },
          { ...cal, dayOfMonth: [{ start: 1, end: 31, step: 0 }] },
        ];
  const compiled = calendars.map((c) => new CompiledCalendar(c, zone));
  return {
    next(after) {
      let min: number | undefined;
      for (const c of compiled) {
        const n = c.next(Math.floor(after / 1000));
        if (n !== undefined && (min === undefined || n < min)) min = n;
      }
      return min === undefined ? undefined : min * 1000;
    },
  };
}

/**
 * How long the next run of a cron chain waits, as the server computes it when a run closes:
 * the first cron time after the current run's scheduled (execution) time that is not before
 * now, rounded up to whole seconds; undefined when no time is left.
 */
export function cronBackoffMs(cron: CronSchedule, scheduledMs: number, nowMs: number): number | undefined {
  let next: number | undefined;
  if (nowMs < scheduledMs) next = scheduledMs;
  else {
    next = cron.next(scheduledMs);
    while (next !== undefined && next < nowMs) next = cron.next(next);
  }
  if (next === undefined) return undefined;
  return Math.ceil((next - nowMs) / 1000) * 1000;
}
