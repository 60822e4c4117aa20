// Display names and formatting shared by server and browser. Dates render in the zone the
// loader names (the viewer's: their own or the account's) with a fixed format, so the server's
// HTML and the browser's hydration agree; without a zone they render in UTC.
import { QUICK_ACTIONS } from '../../../workflows/lead/quick-actions.ts';
import type { Role } from '../../../db/models/user.ts';
import { LEAD_STATUSES, type LeadStatus } from '../../../workflows/lead/state.ts';
import { BUILT_IN_LABELS, CADENCE_LABELS, labelFromKey, SEGMENT_LABELS } from '../../../db/lead-sources/defaults.ts';

export { LEAD_STATUSES };

/** The built-in sources' labels; an account's own labels come from its catalogue (loaders pass them as `labels`). */
export const SOURCE_LABELS: Record<string, string> = BUILT_IN_LABELS;

/** A source key in words: the account's catalogue label when the page has it, else the built-in one, else the key made readable. */
export function sourceLabel(source: string, labels?: Record<string, string>): string {
  return labels?.[source] ?? BUILT_IN_LABELS[source] ?? labelFromKey(source);
}

export function segmentLabel(segment: string): string {
  return (SEGMENT_LABELS as Record<string, string>)[segment] ?? segment.replace(/_/g, ' ');
}

export function cadenceLabel(cadence: string): string {
  return (CADENCE_LABELS as Record<string, string>)[cadence] ?? cadence.replace(/_/g, ' ');
}

export const STATUS_LABELS: Record<LeadStatus, string> = {
  new: 'New',
  active: 'Active',
  recycled: 'Recycle bin',
  archived: 'Archived',
  removed: 'Removed',
};

export function statusLabel(status: string): string {
  return (STATUS_LABELS as Record<string, string>)[status] ?? status;
}

export function milestoneLabel(milestone: string): string {
  if (milestone === 'new') return 'New';
  return QUICK_ACTIONS.find((q) => q.milestone === milestone)?.label ?? milestone.replace(/_/g, ' ');
}

export const ROLE_LABELS: Record<Role, string> = { owner: 'Owner', admin: 'Admin', lsp: 'LSP', support: 'Support' };

export function roleLabel(role: string): string {
  return (ROLE_LABELS as Record<string, string>)[role] ?? role;
}

const DATE_TIME_PARTS: Intl.DateTimeFormatOptions = { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'short' };
const dateTimeFormats = new Map<string, Intl.DateTimeFormat>();

function dateTimeFormat(timeZone: string): Intl.DateTimeFormat {
  let f = dateTimeFormats.get(timeZone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-US', { ...DATE_TIME_PARTS, timeZone });
    } catch {
      // A zone this runtime does not know: UTC, labelled as such, rather than a broken page.
      f = dateTimeFormat('UTC');
    }
    dateTimeFormats.set(timeZone, f);
  }
  return f;
}

/** "Nov 30, 2026, 08:15 CST": the instant in `timeZone` (IANA), UTC when none is given. */
export function formatDateTime(value: Date | string | null | undefined, timeZone = 'UTC'): string {
  if (!value) return '—';
  const d = value instanceof Date ? value : new Date(value);
  return Number.isNaN(d.getTime()) ? '—' : dateTimeFormat(timeZone).format(d);
}

export function formatUsd(amount: number): string {
  return `$${amount.toLocaleString('en-US', { minimumFractionDigits: 0, maximumFractionDigits: 2 })}`;
}
