// A schedule's spec (temporal.api.schedule.v1.ScheduleSpec) and the times it matches, with the
// official server's rules: calendar strings and cron strings become structured calendars,
// intervals count from the epoch plus a phase, excludes remove matching times, start and end
// times bound the whole, jitter delays each time by a deterministic amount below the gap to
// the next one, and calendars read civil time in the spec's time zone (DST included: a time
// skipped by a spring-forward jump does not happen, a time in a repeated hour happens twice).
// Times are whole seconds since the epoch.
import { durToMs, toNum, tsToMs } from '../proto.ts';
import { Zone } from './zone.ts';

export interface Range {
  start: number;
  end: number;
  step: number;
}

export interface StructuredCalendar {
  second: Range[];
  minute: Range[];
  hour: Range[];
  dayOfMonth: Range[];
  month: Range[];
  /** Empty means every year. */
  year: Range[];
  dayOfWeek: Range[];
  comment: string;
}

export interface Interval {
  /** Seconds. */
  interval: number;
  phase: number;
}

/** A ScheduleSpec as protobufjs decodes it (only the fields read here). */
export interface SpecInput {
  structuredCalendar?: unknown[] | null;
  cronString?: string[] | null;
  calendar?: unknown[] | null;
  interval?: { interval?: unknown; phase?: unknown }[] | null;
  excludeCalendar?: unknown[] | null;
  excludeStructuredCalendar?: unknown[] | null;
  startTime?: unknown;
  endTime?: unknown;
  jitter?: unknown;
  timezoneName?: string | null;
  timezoneData?: Uint8Array | null;
}

/** The canonical form of a spec: what the server stores and describes. */
export interface CanonicalSpec {
  structuredCalendar: StructuredCalendar[];
  excludeStructuredCalendar: StructuredCalendar[];
  interval: Interval[];
  /** Epoch ms, or undefined. */
  startTime?: number;
  endTime?: number;
  jitterMs: number;
  timezoneName: string;
}

export class SpecError extends Error {}

export const MIN_CALENDAR_YEAR = 2000;
export const MAX_CALENDAR_YEAR = 2100;
const MAX_COMMENT_LEN = 200;

const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
const DAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

type ParseMode = 'int' | 'year' | 'month' | 'dow';

// ---------------------------------------------------------------------------------------------
// Parsing calendar fields and cron strings

function parseValue(s: string, min: number, max: number, mode: ParseMode): number {
  if (mode === 'month' && s.length >= 3) {
    const i = MONTHS.findIndex((m) => m.startsWith(s.toLowerCase()));
    if (i >= 0) {
      if (i + 1 < min || i + 1 > max) throw new SpecError('out of range');
      return i + 1;
    }
  } else if (mode === 'dow' && s.length >= 2) {
    const i = DAYS.findIndex((d) => d.startsWith(s.toLowerCase()));
    if (i >= 0) {
      if (i < min || i > max) throw new SpecError('out of range');
      return i;
    }
  }
  if (!/^[+-]?\d+$/.test(s)) throw new SpecError(`strconv.Atoi: parsing "${s}": invalid syntax`);
  const i = Number(s);
  if (i < min || i > max) throw new SpecError('out of range');
  return i;
}

/** One calendar field (`*`, `x`, `x-z`, `x-z/y`, `x/y`, comma lists; names for months and days) as ranges. */
export function makeRange(s: string, field: string, def: string, min: number, max: number, mode: ParseMode): Range[] {
  s = s.trim();
  if (s === '') s = def;
  if (s === '*' && mode === 'year') return [];
  const ranges: Range[] = [];
  for (let part of s.split(',')) {
    let step = 1;
    let hasStep = false;
    const slashes = part.split('/').length - 1;
    if (slashes > 1) throw new SpecError(`${field} has too many slashes`);
    if (slashes === 1) {
      const [p, stepText] = part.split('/') as [string, string];
      if (stepText === '') throw new SpecError(`${field} missing step value`);
      if (!/^[+-]?\d+$/.test(stepText)) throw new SpecError(`strconv.Atoi: parsing "${stepText}": invalid syntax`);
      step = Number(stepText);
      if (step < 1) throw new SpecError(`${field} has invalid Step`);
      part = p;
      hasStep = true;
    }
    let start = min;
    let end = max;
    if (part !== '*') {
      if (part.includes('-')) {
        if (part.split('-').length - 1 > 1) throw new SpecError(`${field} has too many dashes`);
        const [a, b] = part.split('-') as [string, string];
        try {
          start = parseValue(a, min, max, mode);
        } catch {
          throw new SpecError(`${field} Start is not in range [${min}-${max}]`);
        }
        try {
          end = parseValue(b, start, max, mode);
        } catch {
          throw new SpecError(`${field} End is before Start or not in range [${min}-${max}]`);
        }
      } else {
        try {
          start = parseValue(part, min, max, mode);
        } catch {
          throw new SpecError(`${field} is not in range [${min}-${max}]`);
        }
        // `x/y` runs from x to the maximum; a bare `x` is just x.
        if (!hasStep) end = start;
      }
    }
    // Sunday is 0 and also 7: a range ending at 7 becomes one ending at 6, plus a 0 when 7 was in it.
    if (mode === 'dow' && end === 7) {
      if ((7 - start) % step === 0 && (step > 1 || (step === 1 && start > 1))) {
        ranges.push({ start: 0, end: 0, step: 0 });
        if (start === 7) continue;
      }
      end = 6;
    }
    ranges.push({ start, end: start === end ? 0 : end, step: step === 1 ? 0 : step });
  }
  return ranges;
}

interface CalendarInput {
  second?: string | null;
  minute?: string | null;
  hour?: string | null;
  dayOfMonth?: string | null;
  month?: string | null;
  year?: string | null;
  dayOfWeek?: string | null;
  comment?: string | null;
}

/** A CalendarSpec (strings per field; unset second/minute/hour mean 0, the others every value). */
export function parseCalendar(cal: CalendarInput): StructuredCalendar {
  const errs: string[] = [];
  const r = (s: string | null | undefined, field: string, def: string, min: number, max: number, mode: ParseMode) => {
    try {
      return makeRange(s ?? '', field, def, min, max, mode);
    } catch (e) {
      errs.push((e as Error).message);
      return [];
    }
  };
  const out: StructuredCalendar = {
    second: r(cal.second, 'Second', '0', 0, 59, 'int'),
    minute: r(cal.minute, 'Minute', '0', 0, 59, 'int'),
    hour: r(cal.hour, 'Hour', '0', 0, 23, 'int'),
    dayOfWeek: r(cal.dayOfWeek, 'DayOfWeek', '*', 0, 7, 'dow'),
    dayOfMonth: r(cal.dayOfMonth, 'DayOfMonth', '*', 1, 31, 'int'),
    month: r(cal.month, 'Month', '*', 1, 12, 'month'),
    year: r(cal.year, 'Year', '*', MIN_CALENDAR_YEAR, MAX_CALENDAR_YEAR, 'year'),
    comment: cal.comment ?? '',
  };
  if (errs.length) throw new SpecError(errs.join(', '));
  return out;
}

/** Go's time.ParseDuration, to whole milliseconds (`1h30m`, `90s`, `1.5h`, `300ms`). */
export function parseGoDuration(s: string): number {
  const orig = s;
  let neg = false;
  if (s.startsWith('-') || s.startsWith('+')) {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') throw new SpecError(`time: invalid duration "${orig}"`);
  const units: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  let total = 0;
  const re = /^(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h|d)/;
  while (s.length) {
    const m = re.exec(s);
    if (!m) throw new SpecError(`time: invalid duration "${orig}"`);
    total += Number(m[1]) * units[m[2]!]!;
    s = s.slice(m[0].length);
  }
  return Math.round(neg ? -total : total);
}

const DESCRIPTORS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

export interface ParsedCron {
  /** Set for calendar-style strings. */
  calendar?: StructuredCalendar;
  /** Set for `@every`. */
  interval?: Interval;
  /** The string's fields, for callers that need standard cron's day rule. */
  fields?: { dayOfMonth: string; dayOfWeek: string };
  /** The `CRON_TZ=` / `TZ=` zone, '' when none. */
  timezone: string;
}

/**
 * A cron string as schedules read it: an optional `CRON_TZ=Zone ` or `TZ=Zone ` prefix, a
 * `# comment`, `@every 1h[/15m]`, the descriptors (`@daily`, ...), or 5 fields (minute hour
 * day-of-month month day-of-week), 6 (plus year) or 7 (second first, then year).
 */
export function parseCron(c: string): ParsedCron {
  let tz = '';
  c = c.trim();
  if (c.startsWith('TZ=') || c.startsWith('CRON_TZ=')) {
    const sp = c.indexOf(' ');
    if (sp < 0) throw new SpecError('CronString has time zone but missing fields');
    tz = c.slice(c.indexOf('=') + 1, sp);
    c = c.slice(sp + 1);
  }
  let comment = '';
  const hash = c.indexOf('#');
  if (hash >= 0) {
    comment = c.slice(hash + 1).trim();
    c = c.slice(0, hash);
  }
  c = c.trim();
  if (c.startsWith('@every')) {
    const sp = c.indexOf(' ');
    if (sp < 0) throw new SpecError('CronString does not have interval after @every');
    const [iv, phase] = c.slice(sp + 1).split('/') as [string, string | undefined];
    const interval = Math.floor(parseGoDuration(iv) / 1000);
    const ph = phase ? Math.floor(parseGoDuration(phase) / 1000) : 0;
    // an @every string brings no time zone (it does not need one)
    return { interval: { interval, phase: ph }, timezone: '' };
  }
  c = DESCRIPTORS[c] ?? c;
  const toks = c.split(/\s+/).filter(Boolean);
  let cal: CalendarInput;
  if (toks.length === 5) cal = { minute: toks[0], hour: toks[1], dayOfMonth: toks[2], month: toks[3], dayOfWeek: toks[4] };
  else if (toks.length === 6) cal = { minute: toks[0], hour: toks[1], dayOfMonth: toks[2], month: toks[3], dayOfWeek: toks[4], year: toks[5] };
  else if (toks.length === 7) cal = { second: toks[0], minute: toks[1], hour: toks[2], dayOfMonth: toks[3], month: toks[4], dayOfWeek: toks[5], year: toks[6] };
  else throw new SpecError('CronString does not have 5-7 fields');
  cal.comment = comment;
  return { calendar: parseCalendar(cal), fields: { dayOfMonth: cal.dayOfMonth!, dayOfWeek: cal.dayOfWeek! }, timezone: tz };
}

// ---------------------------------------------------------------------------------------------
// Canonical form and validation

function num(v: unknown): number {
  return v == null ? 0 : toNum(v);
}

function structuredFrom(x: any): StructuredCalendar {
  const ranges = (rs: any[] | null | undefined): Range[] => (rs ?? []).map((r) => ({ start: num(r?.start), end: num(r?.end), step: num(r?.step) }));
  return {
    second: ranges(x?.second),
    minute: ranges(x?.minute),
    hour: ranges(x?.hour),
    dayOfMonth: ranges(x?.dayOfMonth),
    month: ranges(x?.month),
    year: ranges(x?.year),
    dayOfWeek: ranges(x?.dayOfWeek),
    comment: x?.comment ?? '',
  };
}

function validateStructured(s: StructuredCalendar) {
  const errs: string[] = [];
  const check = (ranges: Range[], field: string, min: number, max: number) => {
    for (const r of ranges) {
      if (r.start < min || r.start > max) errs.push(`${field} Start is not in range [${min}-${max}]`);
      if (r.end !== 0 && (r.end < r.start || r.end > max)) errs.push(`${field} End is before Start or not in range [${min}-${max}]`);
      if (r.step < 0) errs.push(`${field} has invalid Step`);
    }
  };
  check(s.second, 'Second', 0, 59);
  check(s.minute, 'Minute', 0, 59);
  check(s.hour, 'Hour', 0, 23);
  check(s.dayOfMonth, 'DayOfMonth', 1, 31);
  check(s.month, 'Month', 1, 12);
  check(s.year, 'Year', MIN_CALENDAR_YEAR, MAX_CALENDAR_YEAR);
  check(s.dayOfWeek, 'DayOfWeek', 0, 6);
  if (s.comment.length > MAX_COMMENT_LEN) errs.push('comment is too long');
  if (errs.length) throw new SpecError('invalid calendar spec: ' + errs.join(', '));
}

/**
 * The canonical form of a spec, as the official server stores it: calendars and cron strings
 * turned into structured calendars and intervals, the cron strings' time zone moved to the
 * spec. Throws SpecError for what the server answers "Invalid schedule spec: ..." to.
 */
export function canonicalize(input: SpecInput): CanonicalSpec {
  const structuredCalendar = (input.structuredCalendar ?? []).map(structuredFrom);
  const excludeStructuredCalendar = (input.excludeStructuredCalendar ?? []).map(structuredFrom);
  for (const cal of input.calendar ?? []) structuredCalendar.push(parseCalendar(cal as CalendarInput));
  for (const cal of input.excludeCalendar ?? []) excludeStructuredCalendar.push(parseCalendar(cal as CalendarInput));
  const interval: Interval[] = (input.interval ?? []).map((iv) => ({
    interval: Math.floor(durToMs(iv.interval as any) / 1000),
    phase: Math.floor(durToMs(iv.phase as any) / 1000),
    // kept in ms for validation below
    ms: durToMs(iv.interval as any),
    phaseMs: durToMs(iv.phase as any),
  })) as Interval[];
  let timezoneName = input.timezoneName ?? '';
  let cronTz: string | undefined;
  for (const cs of input.cronString ?? []) {
    const p = parseCron(cs);
    if (cronTz !== undefined && p.timezone !== cronTz) throw new SpecError('conflicting timezone names');
    cronTz = p.timezone;
    if (p.calendar) structuredCalendar.push(p.calendar);
    if (p.interval) interval.push({ ...p.interval, ms: p.interval.interval * 1000, phaseMs: p.interval.phase * 1000 } as Interval);
  }
  if (cronTz) {
    if ((timezoneName !== '' && timezoneName !== cronTz) || (input.timezoneData && input.timezoneData.length)) throw new SpecError('conflicting timezone names');
    if (timezoneName === '') timezoneName = cronTz;
  }
  for (const s of structuredCalendar) validateStructured(s);
  for (const iv of interval as (Interval & { ms: number; phaseMs: number })[]) {
    if (iv.ms < 1000) throw new SpecError('interval is too small');
    if (iv.phaseMs < 0) throw new SpecError('phase is negative');
    if (iv.phaseMs >= iv.ms) throw new SpecError('phase cannot be greater than Interval');
  }
  try {
    Zone.get(timezoneName);
  } catch {
    throw new SpecError(`unknown time zone ${timezoneName}`);
  }
  const startTime = tsToMs(input.startTime as any);
  const endTime = tsToMs(input.endTime as any);
  return {
    structuredCalendar,
    excludeStructuredCalendar,
    interval: interval.map((iv) => ({ interval: iv.interval, phase: iv.phase })),
    startTime: startTime || undefined,
    endTime: endTime || undefined,
    jitterMs: Math.max(0, durToMs(input.jitter as any)),
    timezoneName,
  };
}

/** Fills defaults into ranges (end at least start, step at least 1), as the server does before describing a spec. */
export function cleanCalendar(s: StructuredCalendar): StructuredCalendar {
  const clean = (rs: Range[]) => rs.map((r) => ({ start: r.start, end: r.end < r.start ? r.start : r.end, step: r.step === 0 ? 1 : r.step }));
  return {
    second: clean(s.second),
    minute: clean(s.minute),
    hour: clean(s.hour),
    dayOfMonth: clean(s.dayOfMonth),
    month: clean(s.month),
    year: clean(s.year),
    dayOfWeek: clean(s.dayOfWeek),
    comment: s.comment,
  };
}

// ---------------------------------------------------------------------------------------------
// Matching

type Matcher = (v: number) => boolean;

function eachInRanges(ranges: Range[], f: (i: number) => void) {
  for (const r of ranges) {
    const step = r.step || 1;
    const end = r.end < r.start ? r.start : r.end;
    for (let i = r.start; i <= end; i += step) f(i);
  }
}

function bitMatcher(ranges: Range[]): Matcher {
  const set = new Uint8Array(64);
  eachInRanges(ranges, (i) => {
    if (i >= 0 && i < 64) set[i] = 1;
  });
  return (v) => set[v] === 1;
}

function yearMatcher(ranges: Range[]): Matcher {
  if (ranges.length === 0) return () => true;
  const set = new Set<number>();
  eachInRanges(ranges, (i) => set.add(i));
  return (v) => set.has(v);
}

const isLeap = (y: number) => y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
const daysInMonth = (m: number, y: number) => (m === 2 ? (isLeap(y) ? 29 : 28) : 30 + ((0b1010110101010 >> m) & 1));

export class CompiledCalendar {
  private readonly year: Matcher;
  private readonly month: Matcher;
  private readonly dayOfMonth: Matcher;
  private readonly dayOfWeek: Matcher;
  private readonly hour: Matcher;
  private readonly minute: Matcher;
  private readonly second: Matcher;

  constructor(
    cal: StructuredCalendar,
    private readonly tz: Zone,
  ) {
    this.year = yearMatcher(cal.year);
    this.month = bitMatcher(cal.month);
    this.dayOfMonth = bitMatcher(cal.dayOfMonth);
    this.dayOfWeek = bitMatcher(cal.dayOfWeek);
    this.hour = bitMatcher(cal.hour);
    this.minute = bitMatcher(cal.minute);
    this.second = bitMatcher(cal.second);
  }

  matches(sec: number): boolean {
    const c = this.tz.civil(sec);
    return this.year(c.year) && this.month(c.month) && this.dayOfMonth(c.day) && this.dayOfWeek(c.weekday) && this.hour(c.hour) && this.minute(c.minute) && this.second(c.second);
  }

  /** The first matching second after `sec`, or undefined when none up to MAX_CALENDAR_YEAR. */
  next(sec: number): number | undefined {
    const tz = this.tz;
    const c = tz.civil(sec);
    let { year: y, month: mo, day: d, hour: h, minute: m, second: s } = c;
    // In the second copy of a repeated hour (fall back), times are an hour after their civil reading.
    let dst = tz.civil(sec - 3600).hour === h ? 3600 : 0;
    s++;
    for (;;) {
      if (s >= 60) {
        m++;
        s = 0;
      }
      if (m >= 60) {
        const prev = tz.instant(y, mo, d, h);
        h++;
        m = 0;
        const nxt = tz.instant(y, mo, d, h);
        // Moving to the next hour took two hours: that hour repeats, so try it again, an hour later.
        if (dst === 0 && nxt - prev > 3600) {
          h--;
          dst = 3600;
        } else {
          dst = 0;
        }
      }
      if (h >= 24) {
        d++;
        h = 0;
      }
      if (d > daysInMonth(mo, y)) {
        mo++;
        d = 1;
      }
      if (mo > 12) {
        y++;
        mo = 1;
      }
      if (y > MAX_CALENDAR_YEAR) return undefined;
      if (!this.year(y)) {
        y++;
        mo = 1;
        d = 1;
        h = m = s = 0;
        dst = 0;
        continue;
      }
      let carry = false;
      while (!this.month(mo)) {
        mo++;
        d = 1;
        h = m = s = 0;
        dst = 0;
        if (mo > 12) {
          carry = true;
          break;
        }
      }
      if (carry) continue;
      while (!this.dayOfMonth(d) || !this.dayOfWeek(weekday(y, mo, d))) {
        d++;
        h = m = s = 0;
        dst = 0;
        if (d > daysInMonth(mo, y)) {
          carry = true;
          break;
        }
      }
      if (carry) continue;
      while (!this.hour(h)) {
        h++;
        m = s = 0;
        dst = 0;
        if (h >= 24) {
          carry = true;
          break;
        }
      }
      if (carry) continue;
      while (!this.minute(m)) {
        m++;
        s = 0;
        if (m >= 60) {
          carry = true;
          break;
        }
      }
      if (carry) continue;
      while (!this.second(s)) {
        s++;
        if (s >= 60) {
          carry = true;
          break;
        }
      }
      if (carry) continue;
      const t = tz.instant(y, mo, d, h, m, s);
      // A civil time skipped by a DST jump reads back with another hour: it does not happen.
      if (tz.civil(t).hour !== h) {
        h++;
        m = s = 0;
        continue;
      }
      return t + dst;
    }
  }
}

/** Day of week of a civil date (the same in every zone). */
function weekday(y: number, mo: number, d: number): number {
  return new Date(Date.UTC(y, mo - 1, d)).getUTCDay();
}

export interface NextTime {
  /** The matching time before jitter (seconds). */
  nominal: number;
  /** With jitter (milliseconds: jitter has millisecond resolution). */
  nextMs: number;
}

export class CompiledSpec {
  readonly zone: Zone;
  private readonly calendars: CompiledCalendar[];
  private readonly excludes: CompiledCalendar[];

  constructor(readonly spec: CanonicalSpec) {
    this.zone = Zone.get(spec.timezoneName);
    this.calendars = spec.structuredCalendar.map((c) => new CompiledCalendar(c, this.zone));
    this.excludes = spec.excludeStructuredCalendar.map((c) => new CompiledCalendar(c, this.zone));
  }

  /** The next matching second after `after` (seconds), without start/end/excludes; undefined for none. */
  private raw(after: number): number | undefined {
    let min = Infinity;
    for (const c of this.calendars) {
      const n = c.next(after);
      if (n !== undefined && n < min) min = n;
    }
    for (const iv of this.spec.interval) {
      const interval = Math.max(iv.interval, 1);
      const phase = Math.max(iv.phase, 0);
      const n = (Math.trunc((after - phase) / interval) + 1) * interval + phase;
      if (n < min) min = n;
    }
    return min === Infinity ? undefined : min;
  }

  private excluded(sec: number): boolean {
    return this.excludes.some((e) => e.matches(sec));
  }

  /**
   * The first time after `afterMs` (epoch ms) the spec matches, with its jitter, or undefined
   * when there is none (past the end time). `seed` makes the jitter differ between schedules.
   */
  next(afterMs: number, seed: string): NextTime | undefined {
    let after = Math.floor(afterMs / 1000);
    if (this.spec.startTime !== undefined) after = Math.max(after, Math.floor(this.spec.startTime / 1000) - 1);
    const pastEnd = (t: number) => (this.spec.endTime !== undefined && t * 1000 > this.spec.endTime) || new Date(t * 1000).getUTCFullYear() > MAX_CALENDAR_YEAR;
    let nominal: number | undefined;
    for (let i = 0; nominal === undefined || this.excluded(nominal); i++) {
      if (i > 100_000) return undefined;
      nominal = this.raw(after);
      if (nominal === undefined || pastEnd(nominal)) return undefined;
      after = nominal;
    }
    let maxJitter = this.spec.jitterMs;
    const following = this.raw(nominal);
    if (following !== undefined) maxJitter = Math.min(maxJitter, (following - nominal) * 1000);
    return { nominal, nextMs: nominal * 1000 + jitterMs(seed, nominal, maxJitter) };
  }

  /** Jittered times in (startMs, endMs], at most `limit` of them (ListScheduleMatchingTimes). */
  matchingTimes(startMs: number, endMs: number, seed: string, limit = 1000): number[] {
    const out: number[] = [];
    let t = startMs;
    while (out.length < limit) {
      const n = this.next(t, seed);
      if (!n || n.nextMs > endMs) break;
      out.push(n.nextMs);
      t = n.nextMs;
    }
    return out;
  }
}

/**
 * A deterministic jitter in [0, maxMs): a hash of the nominal time and the seed, scaled to the
 * range, so the same schedule delays the same time by the same amount every time it is computed.
 */
export function jitterMs(seed: string, nominalSec: number, maxMs: number): number {
  if (maxMs <= 0) return 0;
  let h = 0x811c9dc5;
  const feed = (byte: number) => {
    h ^= byte & 0xff;
    h = Math.imul(h, 0x01000193) >>> 0;
  };
  let v = nominalSec;
  for (let i = 0; i < 8; i++) {
    feed(v % 256);
    v = Math.floor(v / 256);
  }
  for (const b of Buffer.from(seed)) feed(b);
  const ms = Math.min(Math.floor(maxMs), 0xffffffff);
  return Number((BigInt(h >>> 0) * BigInt(ms)) >> 32n);
}

/** RFC 3339 at second precision in UTC, as the server appends to a scheduled workflow's id. */
export function rfc3339Seconds(sec: number): string {
  return new Date(sec * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export { num as protoNum };
