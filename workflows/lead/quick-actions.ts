// Quick Actions (docs/product.md, "Working the lead"): what an LSP records after each contact
// attempt. Each moves the lead's milestone; some end the lead's pursuit. Pure and
// workflow-safe: the lead workflow applies these, the web app lists them.

export const QUICK_ACTIONS = [
  { key: 'attempted_contact', label: 'Attempted Contact', milestone: 'attempted_contact', stopsCadence: false, closes: false },
  { key: 'contacted', label: 'Contacted', milestone: 'contacted', stopsCadence: false, closes: false },
  { key: 'not_interested', label: 'Not Interested', milestone: 'not_interested', stopsCadence: true, closes: true },
  { key: 'quoted', label: 'Quoted', milestone: 'quoted', stopsCadence: false, closes: false },
  { key: 'appointment', label: 'Appointment / Call Back', milestone: 'appointment', stopsCadence: false, closes: false, needsDueAt: true },
  { key: 'personalized_proposal', label: 'Personalized Proposal', milestone: 'personalized_proposal', stopsCadence: true, closes: false, offersArchive: true },
  { key: 'sold', label: 'Sold', milestone: 'sold', stopsCadence: true, closes: true },
  { key: 'bad_contact_info', label: 'Bad Contact Info', milestone: 'bad_contact_info', stopsCadence: true, closes: false },
  { key: 'do_not_contact', label: 'Do Not Contact', milestone: 'do_not_contact', stopsCadence: true, closes: true },
] as const;

/**
 * Quick Actions that record what the LSP did without a milestone of their own: the lists, reports
 * and My Company's eAgent setting read milestones from QUICK_ACTIONS, one action per milestone.
 *
 * E-mail Confirmed (seed 003's action button): the lead's e-mail address is confirmed with them,
 * so the lead workflow sends the account's confirmation e-mail. Confirming an address means the
 * LSP reached the lead, so a lead at New or Attempted Contact moves on to Contacted; a lead
 * further on (Quoted, an Appointment, a closed lead) keeps its milestone: the action never moves
 * a lead backwards and never closes or reopens it.
 */
export const RECORDING_ACTIONS = [
  { key: 'email_confirmed', label: 'E-mail Confirmed', raisesTo: 'contacted', raisesFrom: ['new', 'attempted_contact'], stopsCadence: false, closes: false },
] as const;

/** A Quick Action that moves the milestone to its own. */
export type QuickActionKey = (typeof QUICK_ACTIONS)[number]['key'];
/** Any Quick Action a lead's workflow takes. */
export type AnyQuickActionKey = QuickActionKey | (typeof RECORDING_ACTIONS)[number]['key'];
export type Milestone = 'new' | (typeof QUICK_ACTIONS)[number]['milestone'];
type QuickActionDef = (typeof QUICK_ACTIONS)[number] | (typeof RECORDING_ACTIONS)[number];

/** Every Quick Action the lead page offers, in its order. */
export const ALL_QUICK_ACTIONS: readonly QuickActionDef[] = [...QUICK_ACTIONS.slice(0, 2), ...RECORDING_ACTIONS, ...QUICK_ACTIONS.slice(2)];

/** The action with this key, if there is one. */
export function quickActionDef(key: string): QuickActionDef | undefined {
  return ALL_QUICK_ACTIONS.find((q) => q.key === key);
}

export interface QuickActionRequest {
  /** Client-generated id: a double click sends the same id twice and is recorded once. */
  actionId: string;
  action: AnyQuickActionKey;
  byUserId: string;
  at: string; // ISO time the user clicked
  note?: string;
  /** Appointment / call-back time (ISO), required for `appointment`. */
  dueAt?: string;
}

export class QuickActionError extends Error {}

export function quickAction(key: string): QuickActionDef {
  const a = quickActionDef(key);
  if (!a) throw new QuickActionError(`unknown quick action "${key}"; valid: ${ALL_QUICK_ACTIONS.map((q) => q.key).join(', ')}`);
  return a;
}

/** The milestone a lead at `current` is at after this action. */
export function milestoneAfter(def: QuickActionDef, current: string): Milestone | undefined {
  if ('milestone' in def) return def.milestone;
  return (def.raisesFrom as readonly string[]).includes(current) ? def.raisesTo : undefined;
}

/** Checks a request before it reaches a workflow; returns a clear message or undefined. */
export function validateQuickAction(req: Partial<QuickActionRequest>, now: Date): string | undefined {
  if (!req.actionId) return 'actionId is required';
  if (!req.action) return 'action is required';
  let def;
  try {
    def = quickAction(req.action);
  } catch (err) {
    return (err as Error).message;
  }
  if ('needsDueAt' in def && def.needsDueAt) {
    if (!req.dueAt) return `${def.label} needs a date and time`;
    const due = Date.parse(req.dueAt);
    if (Number.isNaN(due)) return `${def.label}: "${req.dueAt}" is not a date and time`;
    if (due < now.getTime() - 60_000) return `${def.label} must be in the future`;
  }
  if (req.note && req.note.length > 2000) return 'note is longer than 2,000 characters';
  return undefined;
}

/** The lead's next state after an action: pure, so it is the same in replay. A repeated action leaves the milestone as it was. */
export function applyQuickAction<M extends string>(
  state: { milestone: M; closed: boolean; cadenceStopped: boolean; seenActionIds: string[] },
  req: QuickActionRequest,
): { milestone: M | Milestone; closed: boolean; cadenceStopped: boolean; seenActionIds: string[]; duplicate: boolean } {
  if (state.seenActionIds.includes(req.actionId)) return { ...state, duplicate: true };
  const def = quickAction(req.action);
  // Remember a bounded number of ids: enough to absorb double clicks and retries.
  const seen = [...state.seenActionIds, req.actionId].slice(-200);
  return {
    milestone: milestoneAfter(def, state.milestone) ?? state.milestone,
    closed: state.closed || def.closes,
    cadenceStopped: state.cadenceStopped || def.stopsCadence,
    seenActionIds: seen,
    duplicate: false,
  };
}
