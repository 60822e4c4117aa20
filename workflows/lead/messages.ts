// The lead workflow's messages: the one contract between the web app / intake and the
// workflow. The web app imports these constants too (style guide: messages.ts).
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { Milestone, QuickActionRequest } from './quick-actions.ts';
import type { Segment } from './segment.ts';
import type { WorkflowTemplateKey } from './templates.ts';
import type { LeadStatus, LeadWorkflowState } from './state.ts';

export const leadWorkflowId = (leadId: string) => `lead-${leadId}`;

/**
 * The history keys of what a user sends a lead's workflow: the activity records the entry under
 * its key once, however often the signal or the activity is retried, and the lead page waits
 * until the lead's history holds it.
 */
export const leadHistoryKey = {
  quickAction: (leadId: string, actionId: string) => `lead-${leadId}:action:${actionId}`,
  /** `at` is when the user asked (the signal's `at`). */
  statusChange: (leadId: string, verb: 'restore' | 'archive', at: string) => `lead-${leadId}:${verb}:${at}`,
  /**
   * The e-mail a Quick Action sends (E-mail Confirmed's confirmation, an Appointment's desk
   * notice): its outbox row and its outcome in the history, one per action.
   */
  actionEmail: (leadId: string, kind: 'confirmation' | 'appointment_desk', actionId: string) =>
    `lead-${leadId}:${kind === 'confirmation' ? 'email-confirmed' : 'appointment-desk'}:${actionId}`,
};

/** What the workflow needs to know about its lead: from intake's transaction, or loadLead. */
export interface LeadFacts {
  leadId: string;
  accountId: string;
  /** As stored: a source Leadflow does not know is kept too (it gets no cadence), so not a LeadSource. */
  source: string;
  status: LeadStatus;
  milestone: Milestone;
  segment: Segment | null;
  assignedUserId: string | null;
  timeZone: string | null;
  callable: boolean;
  emailable: boolean;
  /** The cadence template this lead's source calls for; null for a source Leadflow does not know. */
  cadenceTemplate: WorkflowTemplateKey | null;
  /** When the lead was last scrubbed (intake scrubs every lead it saves); null if never. */
  scrubbedAt: string | null;
}

export interface LeadWorkflowInput {
  leadId: string;
  accountId: string;
  /** Set when the workflow continues as new, or is restarted by reconcile from Postgres. */
  state?: LeadWorkflowState;
  /**
   * What intake just saved for a new lead, in the transaction that also scrubbed it: the
   * workflow starts from these instead of reading them back. Absent otherwise (the workflow
   * then loads them from Postgres).
   */
  facts?: LeadFacts;
  /** Continue as new once the history has more events than this (tests lower it). */
  historyLimit?: number;
}

/** A lead arrived again (duplicate merge): another source touch on the same person. */
export interface LeadArrival {
  touchId: string;
  source: string;
  importName?: string | null;
  receivedAt: string;
}

export interface AssignmentChange {
  userId: string | null;
  byUserId: string | null;
  reason: string;
  at: string;
}

export const leadArrivedSignal = defineSignal<[LeadArrival]>('leadArrived');
export const quickActionSignal = defineSignal<[QuickActionRequest]>('quickAction');
export const assignmentChangedSignal = defineSignal<[AssignmentChange]>('assignmentChanged');
/** Restore from the recycle bin. */
export const restoreSignal = defineSignal<[{ byUserId: string; at: string }]>('restore');
/**
 * Archive the lead: offered after a Personalized Proposal, because eAgent receives the lead
 * at that point and keeping it here would duplicate it.
 */
export const archiveSignal = defineSignal<[{ byUserId: string; at: string }]>('archive');
/**
 * An owner or admin reopened the closed lead (PostgreSQL already holds it, at `milestone`): the
 * workflow works it again from there (its holding period counts again; its cadence stays
 * stopped, since a person is working it).
 */
export const reopenSignal = defineSignal<[{ milestone: Milestone; byUserId: string; at: string }]>('reopen');
/** Test hook and operations aid: continue as new at the next opportunity. */
export const continueAsNewNowSignal = defineSignal('continueAsNewNow');

export const leadStateQuery = defineQuery<LeadWorkflowState>('leadState');
