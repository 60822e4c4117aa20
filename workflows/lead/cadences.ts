// Cadences are data (docs/product.md, "Workflow templates"): each step is "after D from the
// cadence's start, do X unless a milestone stopped it", X being a follow-up task for the LSP
// or a nurture e-mail. These defaults are Leadflow's choice: highly engaged prospects are
// called at once and often, cold ones mostly nurtured by e-mail. Admins see these tables.
import type { WorkflowTemplateKey } from './templates.ts';

export type CadenceStep =
  | { after: string; afterMs: number; kind: 'call_task'; title: string }
  | { after: string; afterMs: number; kind: 'email'; emailTemplate: NurtureEmail; subject: string };

export type NurtureEmail = 'intro' | 'quote_follow_up' | 'check_in' | 'last_touch';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

const call = (afterMs: number, after: string, title: string): CadenceStep => ({ after, afterMs, kind: 'call_task', title });
const email = (afterMs: number, after: string, emailTemplate: NurtureEmail, subject: string): CadenceStep => ({ after, afterMs, kind: 'email', emailTemplate, subject });

export const CADENCES: Record<Exclude<WorkflowTemplateKey, 'recycle_uncontactable' | 'auto_assign'>, readonly CadenceStep[]> = {
  highly_engaged_lat_mwi: [
    call(0, 'at once', 'Call: the prospect asked for a quote'),
    email(2 * HOUR, '2 hours', 'quote_follow_up', 'Your insurance quote'),
    call(1 * DAY, '1 day', 'Second call attempt'),
    call(3 * DAY, '3 days', 'Third call attempt'),
    email(7 * DAY, '7 days', 'check_in', 'Still looking for coverage?'),
    call(14 * DAY, '14 days', 'Two-week follow-up call'),
    email(30 * DAY, '30 days', 'last_touch', 'We are here when you are ready'),
  ],
  highly_engaged_web_manual: [
    call(0, 'at once', 'Call: new web or manually added lead'),
    email(1 * HOUR, '1 hour', 'intro', 'Thanks for reaching out'),
    call(1 * DAY, '1 day', 'Second call attempt'),
    call(2 * DAY, '2 days', 'Third call attempt'),
    email(5 * DAY, '5 days', 'check_in', 'Any questions about your coverage?'),
    call(10 * DAY, '10 days', 'Ten-day follow-up call'),
    email(30 * DAY, '30 days', 'last_touch', 'We are here when you are ready'),
  ],
  engaged_prospects: [
    call(0, 'at once', 'Call: warmed prospect'),
    email(2 * DAY, '2 days', 'intro', 'An insurance review, on your schedule'),
    call(5 * DAY, '5 days', 'Follow-up call'),
    email(10 * DAY, '10 days', 'check_in', 'Checking in'),
    call(20 * DAY, '20 days', 'Three-week follow-up call'),
    email(45 * DAY, '45 days', 'last_touch', 'We are here when you are ready'),
  ],
  cold_prospects: [
    email(0, 'at once', 'intro', 'An insurance review, on your schedule'),
    call(7 * DAY, '7 days', 'Introductory call'),
    email(21 * DAY, '21 days', 'check_in', 'Checking in'),
    email(45 * DAY, '45 days', 'check_in', 'Is your coverage still right for you?'),
    call(90 * DAY, '90 days', 'Quarterly call'),
  ],
};

export type CadenceKey = keyof typeof CADENCES;

/** The step due next, counting from the cadence's start, and when; undefined when it is over. */
export function nextCadenceStep(cadence: CadenceKey, doneSteps: number, startedAtMs: number): { index: number; step: CadenceStep; dueAtMs: number } | undefined {
  const step = CADENCES[cadence][doneSteps];
  return step ? { index: doneSteps, step, dueAtMs: startedAtMs + step.afterMs } : undefined;
}

export const RECYCLE_AFTER_MS = 3 * DAY;

export interface ContactabilityInput {
  phones: Array<{ e164: string | null; valid: boolean }>;
  emails: Array<{ address: string | null; valid: boolean }>;
  dnc: boolean;
  dne: boolean;
}

export function canBeCalled(l: ContactabilityInput) {
  return !l.dnc && l.phones.some((p) => p.valid && p.e164);
}

export function canBeEmailed(l: ContactabilityInput) {
  return !l.dne && l.emails.some((e) => e.valid && e.address);
}

/**
 * The 3-day recycle rule: a new lead, still unassigned and never worked, that can be neither
 * called nor e-mailed goes to the recycle bin.
 */
export function shouldRecycle(l: ContactabilityInput & { status: string; assignedUserId: string | null; worked: boolean }): boolean {
  return l.status === 'new' && !l.assignedUserId && !l.worked && !canBeCalled(l) && !canBeEmailed(l);
}
