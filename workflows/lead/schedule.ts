// When the lead workflow wakes up for its periodic and dated work. Pure and workflow-safe:
// Intl gives the local wall clock for an instant deterministically.
import { inCallingWindow, nextCallingTime } from './calling-window.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export const RESCRUB_EVERY_MS = 7 * DAY;
export const RESCRUB_JITTER_MAX_MS = 24 * HOUR;

/**
 * A per-lead offset of 0 to 24 hours added to the weekly re-scrub, so the leads of a big
 * import (all scrubbed at entry within minutes) do not all wake in the same instant a week
 * later. Derived from the lead id (FNV-1a), so it is the same on every replay and every run.
 */
export function rescrubJitterMs(leadId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < leadId.length; i++) {
    h ^= leadId.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  // Minute resolution is plenty and keeps the timers readable in Temporal Web.
  return (h % (RESCRUB_JITTER_MAX_MS / 60_000)) * 60_000;
}

export function nextRescrubAtMs(leadId: string, lastScrubAtMs: number): number {
  return lastScrubAtMs + RESCRUB_EVERY_MS + rescrubJitterMs(leadId);
}

function localYmd(at: Date, timeZone: string) {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false }).formatToParts(at);
  const get = (t: string) => Number(parts.find((p) => p.type === t)!.value);
  return { y: get('year'), m: get('month'), d: get('day'), h: get('hour') % 24, min: get('minute'), s: get('second') };
}

/** Local midnight of the day `at` falls on in `timeZone` (UTC when the zone is unknown). */
export function startOfLocalDay(at: Date, timeZone: string | null): Date {
  const tz = timeZone ?? 'UTC';
  const p = localYmd(at, tz);
  let candidate = at.getTime() - ((p.h * 60 + p.min) * 60 + p.s) * 1000 - (at.getTime() % 1000);
  // A daylight-saving change earlier that day shifts the local clock by an hour: steer back.
  for (let i = 0; i < 2; i++) {
    const q = localYmd(new Date(candidate), tz);
    const off = ((q.h * 60 + q.min) * 60 + q.s) * 1000;
    if (off === 0 && q.d === p.d) break;
    candidate += q.d === p.d ? -off : DAY - off;
  }
  return new Date(candidate);
}

// Without a known zone a call is only suggested when it is inside the window on both US
// coasts, so no continental lead is called before 8:00 or after 21:00 local time.
const UNKNOWN_ZONE_BOUNDS = ['America/New_York', 'America/Los_Angeles'];

/** The first instant at or after `at` inside the calling window of the lead's zone. */
export function callingTimeFor(at: Date, timeZone: string | null): Date {
  const zones = timeZone ? [timeZone] : UNKNOWN_ZONE_BOUNDS;
  let t = at;
  for (let i = 0; i < 4; i++) {
    if (zones.every((z) => inCallingWindow(t, z))) return t;
    for (const z of zones) t = nextCallingTime(t, z);
  }
  return t;
}
