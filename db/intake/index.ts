// Intake: the one path every door (intake API, manual entry, CSV import) takes into Leadflow.
// A CSV batch goes through the same function as one lead does (intakeLeads), set-based.
//
//   validate.ts      validate and clean an arrival (db/hygiene/) into a CleanLead; the errors.
//   intake-leads.ts  in ONE transaction: claim the idempotency keys, upsert the leads by
//                    duplicate key (in rounds), record each arrival as a source touch and a
//                    history event, answer the keys, scrub against the compliance lists
//                    (db/compliance/scrub.ts) and build a new lead's facts; after the commit,
//                    signal-with-start each lead's workflow (worker/clients/lead.ts).
//
// Why this order: Postgres's unique (account_id, dup_key) decides who the person is, so two
// simultaneous arrivals of the same person serialise on that index and cannot both create a
// lead. Signal-with-start is atomic on Temporal's side: whichever arrival gets there first
// starts `lead-<id>`, the other only signals it, so there is one workflow however the two
// race.
//
// Temporal failing after the commit: the lead row, its touch and its event are saved and stay
// saved (a lead must never be lost because Temporal was down). intakeLead then throws
// LeadWorkflowStartError carrying the lead's id, records a `workflow_start_failed` event
// (best effort) so support sees it on the lead, and reconcile later starts
// every open lead that has no running workflow. A retry with the same Idempotency-Key starts
// the missing workflow at once.
export {
  intakeInputSchema,
  validateIntake,
  leadColumns,
  IntakeValidationError,
  IdempotencyConflictError,
  LeadWorkflowStartError,
  SourceSuppressedError,
  type CleanLead,
  type IntakeInput,
  type IntakeFieldErrors,
} from './validate.ts';
export { intakeLead, intakeLeads, type IntakeDeps, type IntakeItem, type IntakeOptions, type IntakeOutcome, type IntakeResult } from './intake-leads.ts';
