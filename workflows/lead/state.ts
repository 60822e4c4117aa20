// The lead workflow's state: plain JSON, so it crosses continue-as-new and can be rebuilt
// from Postgres by reconcile.
import type { CadenceKey } from './cadences.ts';
import type { Milestone } from './quick-actions.ts';
import type { Segment } from './segment.ts';

/** A lead's status, as the leads table's check constraint lists them. */
export const LEAD_STATUSES = ['new', 'active', 'recycled', 'archived', 'removed'] as const;
export type LeadStatus = (typeof LEAD_STATUSES)[number];

/** Statuses in which nobody works the lead: no cadence step, no assignment, no follow-up due. */
export const INACTIVE_LEAD_STATUSES = ['recycled', 'removed', 'archived'] as const satisfies readonly LeadStatus[];

export interface LeadWorkflowState {
  leadId: string;
  accountId: string;
  status: LeadStatus;
  milestone: Milestone;
  segment: Segment | null;
  assignedUserId: string | null;
  /** Someone worked the lead (a Quick Action): it is no longer recyclable. */
  worked: boolean;
  closed: boolean;
  cadence: { key: CadenceKey; startedAt: string; doneSteps: number; stopped: boolean } | null;
  seenActionIds: string[];
  callBack: { dueAt: string; byUserId: string; reminded: boolean } | null;
  lastScrubAt: string | null;
  eagentTransferred: boolean;
  /** Touches merged into this lead, by id, so a redelivered signal is not counted twice. */
  touchIds: string[];
  /** When the workflow first started (workflow time): the 3-day recycle counts from here. */
  startedAt?: string;
  /** When the assignment the workflow holds was decided (the signal's `at`), to ignore older ones. */
  assignmentAt?: string;
  /** The 3-day recycle rule fires once; true when it has been decided either way. */
  recycleChecked?: boolean;
  /** When the last Quick Action arrived (workflow time): the holding period counts from it. */
  lastQuickActionAt?: string;
  /**
   * The account's holding period in days as last read (null: off). Absent: read it before
   * counting (a new assignment, the weekly re-scrub, or a run from before the holding period).
   */
  holdingDays?: number | null;
  /**
   * What the last check in Postgres said about the assignment the workflow holds: the period
   * ends no earlier than this (a Quick Action recorded there, a longer period); null: nothing
   * to wait for. Absent: the period ends as the workflow counts it.
   */
  holdingDueAt?: string | null;
  /** When the workflow's timer next wakes it (workflow time), and what for: for the inspector. */
  nextWakeAt?: string;
  nextWakeFor?: 'scrub' | 'recycle' | 'cadence' | 'call_back' | 'holding';
}
