// Calls are only suggested inside the lead's local calling window, 8:00 to 21:00 in the
// lead's time zone (docs/product.md, compliance). Pure: Intl gives the local wall clock for an
// instant, deterministically, so this is safe in workflow code.

export const WINDOW_START_HOUR = 8;
export const WINDOW_END_HOUR = 21;

// Building a formatter costs far more than using one; a lead's zone is one of a few dozen.
const formatters = new Map<string, Intl.DateTimeFormat>();

function localParts(at: Date, timeZone: string) {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone, hour12: false, hour: '2-digit', minute: '2-digit' });
    formatters.set(timeZone, format);
  }
  const parts = format.formatToParts(at);
  const get = (t: string) => Number(parts.find((p) => p.type === t)!.value);
  return { hour: get('hour') % 24, minute: get('minute') };
}

export function inCallingWindow(at: Date, timeZone: string): boolean {
  const { hour } = localParts(at, timeZone);
  return hour >= WINDOW_START_HOUR && hour < WINDOW_END_HOUR;
}

/** The first instant at or after `at` that is inside the lead's calling window. */
export function nextCallingTime(at: Date, timeZone: string): Date {
  if (inCallingWindow(at, timeZone)) return at;
  const { hour, minute } = localParts(at, timeZone);
  // Minutes until local 8:00, counting through midnight when past 21:00.
  const minutesNow = hour * 60 + minute;
  const target = WINDOW_START_HOUR * 60;
  const wait = minutesNow < target ? target - minutesNow : 24 * 60 - minutesNow + target;
  let candidate = new Date(Math.floor(at.getTime() / 60_000) * 60_000 + wait * 60_000);
  // A daylight-saving change in between shifts the local clock: steer back onto local 8:00.
  for (let i = 0; i < 2; i++) {
    const p = localParts(candidate, timeZone);
    const off = p.hour * 60 + p.minute - target;
    if (off === 0) break;
    candidate = new Date(candidate.getTime() - off * 60_000);
  }
  return candidate;
}
