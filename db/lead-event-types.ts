// Every kind of entry a lead's history (lead_events.type) can hold, in one list. The lead page
// words each one (web/app/utils/lead-history.ts keeps a wording per entry of this list, so a
// kind added here without words fails the typecheck), and the code that writes an entry names
// its kind through `LeadEventType`, so a kind that is not on this list fails the typecheck there.
// Pure: the browser bundle and the worker both import it.

export const LEAD_EVENT_TYPES = [
  // Intake (db/intake/, the demo seed): a new lead, a duplicate merged as another source touch,
  // and a workflow that could not be started (reconcile starts it later).
  'created',
  'merged',
  'workflow_start_failed',
  // Runs started before intake recorded arrivals itself record each arrival here.
  'source_touch',
  // The scrub (db/compliance/scrub.ts).
  'flagged',
  'removed',
  'scrubbed',
  // Assignment (db/distribution/): by hand, API, auto-assign, claim, Next, holding period, a user leaving.
  'assigned',
  'unassigned',
  'callback_handed_over',
  // Working the lead.
  'quick_action',
  'note',
  'callback_due',
  // Action e-mails (activities/lead/action-email.ts): the E-mail Confirmed Quick Action's
  // confirmation to the lead, and an Appointment's notice to the account's appointment desk.
  'confirmation_sent',
  'confirmation_not_sent',
  'appointment_desk_told',
  'appointment_desk_not_told',
  // The lead workflow's own steps (activities/lead/).
  'call_task',
  'email_queued',
  'step_skipped',
  'recycled',
  'restored',
  'archived',
  // An owner or admin reopening a closed lead (db/leads/closing.ts).
  'reopened',
  // Support acting on a stuck lead's workflow (Support page, workflow inspector).
  'workflow_restarted',
  'workflow_continued_as_new',
  'eagent_transferred',
  'eagent_transfer_failed',
  'eagent_refused',
  'eagent_rejected',
] as const;

export type LeadEventType = (typeof LEAD_EVENT_TYPES)[number];

export function isLeadEventType(type: string): type is LeadEventType {
  return (LEAD_EVENT_TYPES as readonly string[]).includes(type);
}
