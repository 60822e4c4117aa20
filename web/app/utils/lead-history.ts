// A lead's history in words: each lead_events row, whatever wrote it, said as a person would
// say it, with its times on the viewer's clock (and the lead's beside it where the lead's clock
// matters: a call-back, a call task). Pure, so the server renders it and a test can check the
// wording of every kind of entry (db/lead-event-types.ts) without a page.
import { LEAD_EVENT_TYPES, type LeadEventType } from '../../../db/lead-event-types.ts';
import { CADENCES } from '../../../workflows/lead/cadences.ts';
import { quickActionDef } from '../../../workflows/lead/quick-actions.ts';
import { WORKFLOW_TEMPLATES } from '../../../workflows/lead/templates.ts';
import { milestoneLabel, sourceLabel, statusLabel } from './labels.ts';

export { LEAD_EVENT_TYPES };

/** One history row as the page loads it. */
export interface HistoryEvent {
  id: string;
  type: string;
  note: string | null;
  data: Record<string, unknown>;
  /** The user who acted, by name; null when a part of Leadflow did. */
  actorName: string | null;
  /** The part of Leadflow that acted when no user did (`lead-workflow`, `intake`, `auto-assign`, …). */
  actorSystem: string | null;
  createdAt: Date | string;
}

export interface HistoryContext {
  /** The viewer's zone (their own, else the account's): every time is read on this clock. */
  viewerZone: string;
  /** The lead's zone, for the lead's own clock beside a time that is about calling them. */
  leadZone: string | null;
  /** Names of the account's users by id, for entries that name a user by id only. */
  userNames?: Record<string, string>;
  /** The account's lead source labels by key (its catalogue); without them the built-in labels. */
  sourceLabels?: Record<string, string>;
}

/** An entry in words: what happened (one sentence), and a note a person wrote, if any. */
export interface HistoryLine {
  text: string;
  note: string | null;
}

// ---- Times ----

const formats = new Map<string, Intl.DateTimeFormat>();
function format(zone: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${zone}|${JSON.stringify(options)}`;
  let f = formats.get(key);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-US', { ...options, timeZone: zone });
    } catch {
      // A zone this runtime does not know: UTC, labelled as such, rather than a broken page.
      f = new Intl.DateTimeFormat('en-US', { ...options, timeZone: 'UTC', timeZoneName: 'short' });
    }
    formats.set(key, f);
  }
  return f;
}

const toDate = (value: unknown): Date | null => {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value;
  if (typeof value !== 'string' && typeof value !== 'number') return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
};

/** "Tue, Dec 1, 10:00 AM": a day and time on `zone`'s clock. */
export function dayAndTime(at: Date, zone: string): string {
  return format(zone, { weekday: 'short', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' }).format(at);
}

/** "9:00 AM CST": a time of day on `zone`'s clock, with the zone's abbreviation. */
export function clockTime(at: Date, zone: string, withZone = true): string {
  return format(zone, { hour: 'numeric', minute: '2-digit', ...(withZone ? { timeZoneName: 'short' } : {}) }).format(at);
}

/** The UTC offset of `zone` at `at`, in minutes: two zones read the same clock when these agree. */
function offsetMinutes(at: Date, zone: string): number {
  const parts = format(zone, { year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', hourCycle: 'h23' }).formatToParts(at);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return (Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute')) - Math.floor(at.getTime() / 60_000) * 60_000) / 60_000;
}

/**
 * "Tue, Dec 1, 10:00 AM (lead's time 9:00 AM CST)": a moment about the lead on the viewer's
 * clock, with the lead's clock beside it when the two differ.
 */
export function whenForLead(at: Date, ctx: Pick<HistoryContext, 'viewerZone' | 'leadZone'>): string {
  const theirs = dayAndTime(at, ctx.viewerZone);
  if (!ctx.leadZone || offsetMinutes(at, ctx.leadZone) === offsetMinutes(at, ctx.viewerZone)) return theirs;
  const leadsDay = format(ctx.leadZone, { weekday: 'short' }).format(at);
  const viewersDay = format(ctx.viewerZone, { weekday: 'short' }).format(at);
  // Across midnight the lead's day differs too: said, or "9:00 PM" would read as the same evening.
  return `${theirs} (lead's time ${leadsDay === viewersDay ? '' : `${leadsDay} `}${clockTime(at, ctx.leadZone)})`;
}

// ---- Names ----

const SYSTEM_ACTORS: Record<string, string> = {
  'lead-workflow': 'Leadflow',
  system: 'Leadflow',
  intake: 'intake',
  seed: 'the demo data',
  'auto-assign': 'auto-assign',
  'holding-period': 'the holding period',
  api: 'the API',
  'list upload': 'a list upload',
};

/** Who did it, in words: the user's name, else the part of Leadflow. */
export function actorWords(e: Pick<HistoryEvent, 'actorName' | 'actorSystem'>): string {
  if (e.actorName) return e.actorName;
  return (e.actorSystem && SYSTEM_ACTORS[e.actorSystem]) || 'Leadflow';
}

const str = (v: unknown): string | null => (typeof v === 'string' && v.trim() ? v.trim() : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : null);

function userName(ctx: HistoryContext, id: unknown): string | null {
  return typeof id === 'string' ? (ctx.userNames?.[id] ?? null) : null;
}

const FLAG_NAMES: Record<string, string> = { dnc: 'Do Not Call', dne: 'Do Not E-mail', dnm: 'Do Not Mail' };

/** "+1 504-555-0101" for a US number in E.164; any other value as it is. */
export function phoneWords(value: string): string {
  const us = /^\+1(\d{3})(\d{3})(\d{4})$/.exec(value);
  return us ? `+1 ${us[1]}-${us[2]}-${us[3]}` : value;
}

/**
 * A scrub's reason ("federal DNC list: +15045550101 (uploaded ...)", written by
 * db/compliance/scrub.ts) as "phone +1 504-555-0101 on the federal DNC list (uploaded ...)".
 */
function listReason(reason: string): string {
  const m = /^(account|federal) (DNC|DNE|DNM) list: (\S+)(?: \((.*)\))?$/.exec(reason);
  if (!m) return reason;
  const [, whose, list, value, why] = m as unknown as [string, string, string, string, string | undefined];
  const what = value.startsWith('+') ? `phone ${phoneWords(value)}` : value.includes('@') ? `e-mail ${value}` : 'the name and address';
  const listName = whose === 'federal' ? `the federal ${list} list` : `the agency's ${list} list`;
  return `${what} on ${listName}${why ? ` (${why})` : ''}`;
}

function templateName(key: unknown): string {
  return WORKFLOW_TEMPLATES.find((t) => t.key === key)?.name ?? 'a workflow template';
}

function quickActionLabel(key: unknown): string {
  return (typeof key === 'string' && quickActionDef(key)?.label) || 'A Quick Action';
}

/** "Cold prospects, step 2": which cadence step an entry is about (steps counted from 1). */
function stepName(data: Record<string, unknown>): string {
  const index = num(data.stepIndex);
  return `${templateName(data.cadence)}${index === null ? '' : `, step ${index + 1}`}`;
}

function stepTitle(data: Record<string, unknown>): string | null {
  const index = num(data.stepIndex);
  const steps = typeof data.cadence === 'string' ? (CADENCES as Record<string, ReadonlyArray<{ kind: string; title?: string; subject?: string }>>)[data.cadence] : undefined;
  const step = index === null ? undefined : steps?.[index];
  return step ? (step.title ?? step.subject ?? null) : null;
}

/** Why a cadence step was skipped (activities/lead/cadence-step.ts's reasons), in words. */
function skipReason(reason: string | null): string {
  switch (reason) {
    case 'dnc':
      return 'the lead is on Do Not Call';
    case 'dnc_list':
      return "every phone of the lead's is on a Do Not Call list";
    case 'no_valid_phone':
      return 'the lead has no valid phone';
    case 'dne':
      return 'the lead is on Do Not E-mail';
    case 'dne_list':
      return "every e-mail address of the lead's is on a Do Not E-mail list";
    case 'no_valid_email':
      return 'the lead has no valid e-mail address';
    default: {
      const status = reason ? /^lead_(\w+)$/.exec(reason)?.[1] : undefined;
      return status ? `the lead is ${statusLabel(status).toLowerCase()}` : 'the step could not be taken';
    }
  }
}

/**
 * "p…@example.com": whom an e-mail went to, enough to tell the lead's addresses apart without
 * spelling one out on every screen the history is shown on.
 */
export function maskedAddress(address: unknown): string | null {
  const a = str(address);
  if (!a) return null;
  const at = a.lastIndexOf('@');
  if (at < 1) return null;
  return `${a.charAt(0)}…${a.slice(at)}`;
}

/** Why an action e-mail did not go out (activities/lead/action-email.ts's reasons), in words. */
function actionMailReason(reason: string | null): string {
  switch (reason) {
    case 'dne':
      return 'the lead does not accept e-mail';
    case 'dne_list':
      return "the lead's e-mail address is on a Do Not E-mail list";
    case 'no_valid_email':
      return 'the lead has no valid e-mail address';
    case 'send_failed':
      return 'the mail server did not accept it';
    default:
      return 'it could not be sent';
  }
}

function sourceWords(data: Record<string, unknown>, ctx: HistoryContext): string {
  const source = str(data.source);
  const importName = str(data.importName);
  return `${source ? sourceLabel(source, ctx.sourceLabels) : 'a lead source'}${importName ? ` (${importName})` : ''}`;
}

// ---- The wording of each kind of entry ----

type Wording = (e: HistoryEvent, ctx: HistoryContext, by: string) => string;

/**
 * One wording per kind of entry: a kind added to LEAD_EVENT_TYPES without one here fails the
 * typecheck, and test/web/lead-history.test.ts words every kind.
 */
const WORDINGS: Record<LeadEventType, Wording> = {
  created: (e, ctx) => (str(e.data.source) ? `Lead received from ${sourceWords(e.data, ctx)}` : 'Lead received'),
  merged: (e, ctx) => `Merged: arrived again from ${sourceWords(e.data, ctx)}`,
  source_touch: (e, ctx) => `Arrived from ${sourceWords(e.data, ctx)}`,
  workflow_start_failed: () => "The lead is saved, but its workflow could not start yet; Leadflow's reconcile starts it within minutes",
  flagged: (e) => {
    const flag = FLAG_NAMES[String(e.data.flag)] ?? 'a suppression flag';
    const reason = str(e.data.reason) ?? e.note;
    return reason ? `Scrubbed: ${listReason(reason)} (${flag})` : `Scrubbed: marked ${flag}`;
  },
  removed: (e) => {
    const reason = str(e.data.reason) ?? e.note;
    return `Removed: ${reason ? reason.replace(/^current customer/, 'a current customer') : 'a current customer'}`;
  },
  scrubbed: (e) => {
    const on = (['dnc', 'dne', 'dnm'] as const).filter((f) => e.data[f] === true).map((f) => FLAG_NAMES[f]);
    return `Scrubbed against the Do Not Call, E-mail and Mail lists: ${on.length ? `on ${on.join(', ')}` : 'on none'}`;
  },
  assigned: (e, ctx, by) => e.note ?? `Assigned to ${userName(ctx, e.data.userId) ?? 'an LSP'} by ${by}${str(e.data.reason) ? `: ${str(e.data.reason)}` : ''}`,
  unassigned: (e, _ctx, by) => e.note ?? `Returned to the pool by ${by}${str(e.data.reason) ? `: ${str(e.data.reason)}` : ''}`,
  callback_handed_over: (e, ctx) => {
    const due = toDate(e.data.dueAt);
    const when = due ? `Call back on ${whenForLead(due, ctx)}` : 'A call back';
    const to = userName(ctx, e.data.toUserId);
    const reminder = userName(ctx, e.data.reminderTo);
    if (e.data.toUserId) return `${when} handed to ${to ?? 'the new holder'}`;
    return `${when} returned to the pool with the lead; ${reminder ? `its reminder goes to ${reminder}` : 'nobody is left to remind'} unless the lead is assigned before then`;
  },
  quick_action: (e, ctx, by) => {
    const due = toDate(e.data.dueAt);
    if (e.data.action === 'appointment' && due) return `Call back booked for ${whenForLead(due, ctx)} by ${by}`;
    return `${quickActionLabel(e.data.action)} by ${by}`;
  },
  note: (e, _ctx, by) => (e.data.action ? `Note by ${by}, with ${quickActionLabel(e.data.action)}` : `Note by ${by}`),
  callback_due: (e, ctx) => {
    const due = toDate(e.data.dueAt);
    const when = due ? `Call back due ${whenForLead(due, ctx)}` : 'Call back due';
    const to = userName(ctx, e.data.userId);
    if (e.data.outboxId && to) return `${when}: reminder e-mailed to ${to}`;
    if (e.data.outboxId) return `${when}: reminder e-mailed`;
    return `${when}: nobody to remind`;
  },
  confirmation_sent: (e) => {
    const to = maskedAddress(e.data.to);
    return `Confirmation e-mail sent${to ? ` to ${to}` : ''}`;
  },
  confirmation_not_sent: (e) => `Confirmation not sent: ${actionMailReason(str(e.data.reason))}`,
  appointment_desk_told: (e, ctx) => {
    const due = toDate(e.data.dueAt);
    const to = maskedAddress(e.data.to);
    return `Appointment desk told${due ? ` of the call back on ${whenForLead(due, ctx)}` : ''}${to ? ` (e-mailed ${to})` : ''}`;
  },
  appointment_desk_not_told: (e) => `Appointment desk not told: ${actionMailReason(str(e.data.reason))}`,
  call_task: (e, ctx) => {
    const at = toDate(e.data.scheduledFor);
    const title = str(e.note) ?? stepTitle(e.data) ?? 'call';
    const moved = e.data.movedToCallingWindow === true ? ", moved into the lead's calling hours" : '';
    return `${stepName(e.data)}: call '${title}' due ${at ? whenForLead(at, ctx) : 'now'}${moved}`;
  },
  email_queued: (e) => `${stepName(e.data)}: e-mail '${str(e.note) ?? stepTitle(e.data) ?? 'nurture e-mail'}' sent`,
  step_skipped: (e) => {
    const reason = str(e.data.reason) ?? e.note;
    if (reason === 'template_disabled') return `Step skipped: the ${templateName(e.data.cadence)} template is off`;
    return `${stepName(e.data)} skipped: ${skipReason(reason)}`;
  },
  recycled: (e) => `Moved to the Recycle bin: ${e.note ? e.note.charAt(0).toLowerCase() + e.note.slice(1) : 'new, unassigned and neither callable nor e-mailable for 3 days'}`,
  restored: (_e, _ctx, by) => `Restored from the Recycle bin by ${by}`,
  archived: (e, _ctx, by) => `Lead archived by ${by}${str(e.data.after) ? ` after ${milestoneLabel(String(e.data.after))}` : ''}`,
  workflow_restarted: (e, _ctx, by) => str(e.note) ?? `Workflow started again from the database by ${by}`,
  workflow_continued_as_new: (e, _ctx, by) => str(e.note) ?? `Workflow asked to continue as new by ${by}`,
  reopened: (e, _ctx, by) => {
    const lifted = Array.isArray(e.data.lifted) ? (e.data.lifted as unknown[]).filter((f): f is string => typeof f === 'string') : [];
    const flags = lifted.map((f) => ({ dnc: 'Do Not Call', dne: 'Do Not E-mail', dnm: 'Do Not Mail' })[f] ?? f.toUpperCase());
    const from = str(e.data.from) ? ` (was ${milestoneLabel(String(e.data.from))})` : '';
    const to = str(e.data.to) ? `, back to ${milestoneLabel(String(e.data.to))}` : '';
    return `Reopened by ${by}${from}${to}${flags.length ? `; lifted ${flags.join(', ')}` : ''}`;
  },
  eagent_transferred: (e) => `Sent to eAgent${(num(e.data.attempt) ?? 1) > 1 ? ` (attempt ${num(e.data.attempt)})` : ''}`,
  eagent_transfer_failed: (e) => {
    const status = num(e.data.status);
    const why = status ? `eAgent answered with error ${status}` : 'eAgent could not be reached';
    return `eAgent transfer failed${num(e.data.attempt) ? ` (attempt ${num(e.data.attempt)})` : ''}: ${why}; it is tried again`;
  },
  eagent_refused: (e) => `eAgent transfer stopped: ${str(e.data.reason) ?? 'its address is not allowed'}. Fix the eAgent address on My Company`,
  eagent_rejected: (e) => {
    const status = num(e.data.status);
    if (status && status >= 300 && status < 400) return 'eAgent transfer stopped: eAgent answered with a redirect. Enter its final address on My Company';
    return `eAgent refused the lead${status ? ` (error ${status})` : ''}`;
  },
};

/** Whether this kind of entry has its own wording (every kind of LEAD_EVENT_TYPES must). */
export function hasWording(type: string): boolean {
  return Object.prototype.hasOwnProperty.call(WORDINGS, type);
}

/** Kinds whose `note` column is words a person wrote (shown quoted beside the entry). */
const PERSON_NOTES = new Set<string>(['quick_action', 'note']);

/** One history entry in words, its times on the viewer's clock. */
export function describeLeadEvent(e: HistoryEvent, ctx: HistoryContext): HistoryLine {
  const by = actorWords(e);
  const note = PERSON_NOTES.has(e.type) ? str(e.note) : null;
  const wording = (WORDINGS as Record<string, Wording | undefined>)[e.type];
  // A kind this page does not know yet (a newer worker wrote it): its own words if it has any.
  const text = wording ? wording(e, ctx, by) : (str(e.note) ?? `Recorded by ${by}`);
  return { text, note };
}
