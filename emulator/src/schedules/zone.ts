// Civil time in an IANA time zone, from Node's own Intl data (no time zone database of our own).
// Everything here works in whole seconds since the epoch, the resolution schedules have.

export interface Civil {
  year: number;
  month: number; // 1-12
  day: number; // 1-31
  hour: number;
  minute: number;
  second: number;
  weekday: number; // 0 = Sunday
}

const WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

export class Zone {
  private readonly fmt: Intl.DateTimeFormat | undefined;
  /** UTC offset in seconds by minute since the epoch: offsets only change on minute boundaries. */
  private readonly offsets = new Map<number, number>();

  private constructor(readonly name: string) {
    if (name !== 'UTC') {
      this.fmt = new Intl.DateTimeFormat('en-US', {
        timeZone: name,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
        weekday: 'short',
      });
    }
  }

  private static cache = new Map<string, Zone>();

  /** The zone for an IANA name ('' and 'UTC' are UTC, as Go's time.LoadLocation has it); throws for an unknown name. */
  static get(name: string): Zone {
    const key = name === '' || name === 'UTC' ? 'UTC' : name;
    let z = Zone.cache.get(key);
    if (!z) {
      if (key !== 'UTC') {
        try {
          new Intl.DateTimeFormat('en-US', { timeZone: key });
        } catch {
          throw new Error(`unknown time zone ${name}`);
        }
        // Go accepts "Local" too; the emulator has no useful local zone, so it is UTC.
      }
      z = new Zone(key === 'Local' ? 'UTC' : key);
      Zone.cache.set(key, z);
    }
    return z;
  }

  /** The offset from UTC, in seconds, in effect at `sec`. */
  offsetAt(sec: number): number {
    if (!this.fmt) return 0;
    const minute = Math.floor(sec / 60);
    let off = this.offsets.get(minute);
    if (off === undefined) {
      const c = this.parts(minute * 60);
      off = Date.UTC(c.year, c.month - 1, c.day, c.hour, c.minute, c.second) / 1000 - minute * 60;
      if (this.offsets.size > 50_000) this.offsets.clear();
      this.offsets.set(minute, off);
    }
    return off;
  }

  private parts(sec: number): Civil {
    const out: Record<string, string> = {};
    for (const p of this.fmt!.formatToParts(new Date(sec * 1000))) out[p.type] = p.value;
    return {
      year: Number(out.year),
      month: Number(out.month),
      day: Number(out.day),
      hour: Number(out.hour) % 24,
      minute: Number(out.minute),
      second: Number(out.second),
      weekday: WEEKDAYS[out.weekday!] ?? 0,
    };
  }

  /** The civil time at `sec` in this zone. */
  civil(sec: number): Civil {
    const local = sec + this.offsetAt(sec);
    const d = new Date(local * 1000);
    return {
      year: d.getUTCFullYear(),
      month: d.getUTCMonth() + 1,
      day: d.getUTCDate(),
      hour: d.getUTCHours(),
      minute: d.getUTCMinutes(),
      second: d.getUTCSeconds(),
      weekday: d.getUTCDay(),
    };
  }

  /**
   * The instant of a civil time, with fields that may overflow (hour 24 is the next day), as
   * Go's time.Date picks it: in a repeated hour the first occurrence, and a time skipped by a
   * DST jump is read with the offset from before the jump (so it lands an hour off, which
   * callers detect by its hour).
   */
  instant(year: number, month: number, day: number, hour = 0, minute = 0, second = 0): number {
    const local = Date.UTC(year, month - 1, day, hour, minute, second) / 1000;
    if (!this.fmt) return local;
    let off = this.offsetAt(local);
    const utc = local - off;
    const off2 = this.offsetAt(utc);
    if (off2 !== off) off = off2;
    return local - off;
  }
}
