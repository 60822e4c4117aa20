// One workflow per lead (`lead-<leadId>`), alive as long as the lead: it scrubs the lead at
// entry and weekly, runs the cadence its source calls for, takes Quick Actions, reminds of
// call-backs, recycles the uncontactable and hands the lead to eAgent. Every decision that
// depends on what an admin or a list says is re-read by an activity at the moment it acts,
// so turning a template off or adding a number to a DNC list takes effect at once.
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { allHandlersFinished, condition, continueAsNew, log, patched, proxyActivities, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.ts';
import { FailureType, OUTBOX_SEND_OPTIONS } from '../failures.ts';
import { LeadAssignee, LeadflowAccountId, LeadMilestone, LeadNextWakeAt, LeadSegment, LeadStatus as LeadStatusAttribute } from '../search-attributes.ts';
import { CADENCES, nextCadenceStep, RECYCLE_AFTER_MS, type CadenceKey } from './cadences.ts';
import {
  assignmentChangedSignal,
  continueAsNewNowSignal,
  leadArrivedSignal,
  leadStateQuery,
  quickActionSignal,
  reopenSignal,
  restoreSignal,
  archiveSignal,
  type LeadWorkflowInput,
} from './messages.ts';
import { applyQuickAction, QUICK_ACTIONS, validateQuickAction } from './quick-actions.ts';
import { nextRescrubAtMs, startOfLocalDay } from './schedule.ts';
import { INACTIVE_LEAD_STATUSES, type LeadStatus, type LeadWorkflowState } from './state.ts';

/**
 * Patches (workflow versioning): code paths that changed under running leads. Each keeps the
 * old path for histories recorded before it (test/histories/ replays them in CI).
 */
export const PATCH_INTAKE_RECORDS_ARRIVALS = 'intake-records-arrivals';
/** An archive signal that started the workflow is newer than the lead row read at start. */
export const PATCH_ARCHIVE_BEFORE_LOAD = 'archive-before-load-wins';
/** Assignment signals can arrive out of order; the newest decision (Postgres's) wins. */
export const PATCH_NEWEST_ASSIGNMENT_WINS = 'newest-assignment-wins';
/**
 * An assigned open lead with no Quick Action for the account's holding period returns to the
 * pool: one more wake-up. A run from before it starts counting at its next wake-up.
 */
export const PATCH_HOLDING_PERIOD = 'holding-period';
/**
 * The lead's search attributes follow it: account, status, milestone, assignee, segment and the
 * next wake-up are upserted whenever they change, so Temporal Web and the stuck-lead finder
 * filter on what the lead is now, not on what it was when its workflow started.
 */
export const PATCH_SEARCH_ATTRIBUTES = 'search-attributes';
/**
 * Bad Contact Info closes the lead, as Not Interested, Sold and Do Not Contact do (the lists
 * already treat it as closed): no holding period, no more call-backs. Runs that recorded it
 * before kept the lead open.
 */
export const PATCH_BAD_CONTACT_INFO_CLOSES = 'bad-contact-info-closes';
/** A call-back booked on a lead that was closed afterwards sends no reminder. */
export const PATCH_CLOSED_LEAD_NO_CALL_BACK = 'closed-lead-no-call-back';
/**
 * An Appointment / Call Back e-mails the account's appointment desk (when it has an address)
 * and stamps the lead's "Appointment made": three more activities after the action is recorded.
 * Runs that recorded appointments before it told nobody.
 */
export const PATCH_APPOINTMENT_DESK_MAIL = 'appointment-desk-mail';

const DAY_MS = 86_400_000;

/** Events in one run's history before it continues as new; well below Temporal's 50k cap. */
export const DEFAULT_HISTORY_LIMIT = 5_000;

const db = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  // Postgres being away is transient: keep trying (support sees the retrying activity in the
  // stuck-leads list) rather than lose the lead's step.
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', nonRetryableErrorTypes: [FailureType.LeadNotFound, FailureType.CadenceStepNotFound] },
});

const mail = proxyActivities<Activities>(OUTBOX_SEND_OPTIONS);

const eagent = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes', maximumAttempts: 15, nonRetryableErrorTypes: [FailureType.EagentRejected, FailureType.LeadNotFound] },
});

const INACTIVE: readonly LeadStatus[] = INACTIVE_LEAD_STATUSES;

function freshState(input: LeadWorkflowInput): LeadWorkflowState {
  return {
    leadId: input.leadId,
    accountId: input.accountId,
    status: 'new',
    milestone: 'new',
    segment: null,
    assignedUserId: null,
    worked: false,
    closed: false,
    cadence: null,
    seenActionIds: [],
    callBack: null,
    lastScrubAt: null,
    eagentTransferred: false,
    touchIds: [],
  };
}

const milestoneStopsCadence = (milestone: string) => QUICK_ACTIONS.some((q) => q.milestone === milestone && q.stopsCadence);

export async function leadWorkflow(input: LeadWorkflowInput): Promise<void> {
  const { leadId } = input;
  const historyLimit = input.historyLimit ?? DEFAULT_HISTORY_LIMIT;
  const state: LeadWorkflowState = input.state ? (JSON.parse(JSON.stringify(input.state)) as LeadWorkflowState) : freshState(input);
  let continueAsNewRequested = false;
  /** A signal changed something the main loop schedules by: recompute the next wake-up. */
  let rescheduled = false;
  let eagentInFlight = false;

  // History writes from handlers go one at a time, in signal order, so two quick clicks on
  // different actions cannot land their milestone updates in Postgres out of order.
  let serial: Promise<unknown> = Promise.resolve();
  const serially = <T>(fn: () => Promise<T>): Promise<T> => {
    const p = serial.then(fn);
    serial = p.catch(() => undefined);
    return p;
  };

  setHandler(leadStateQuery, () => state);

  // The search attributes (PATCH_SEARCH_ATTRIBUTES). The next wake-up published is the timer
  // the main loop sleeps on, or, while an activity is in flight that the loop was not woken
  // for (a signal's work), when that work began: either way a time long past means the lead is
  // not moving.
  let sleepUntil: number | null = null;
  let busySince: number | null = null;
  let inFlight = 0;
  /** Until a run without state has read its lead, the state holds defaults, not the lead. */
  let stateKnown = !!input.state;
  const publish = () => {
    if (!patched(PATCH_SEARCH_ATTRIBUTES)) return;
    const wake = busySince ?? sleepUntil;
    const want: SearchAttributeUpdatePair[] = !stateKnown ? [{ key: LeadNextWakeAt, value: wake === null ? null : new Date(wake) }] : [
      { key: LeadflowAccountId, value: state.accountId },
      { key: LeadStatusAttribute, value: state.status },
      { key: LeadMilestone, value: state.milestone },
      // Unassigned is the attribute's absence, as a start without an assignee leaves it.
      { key: LeadAssignee, value: state.assignedUserId },
      { key: LeadSegment, value: state.segment },
      { key: LeadNextWakeAt, value: wake === null ? null : new Date(wake) },
    ];
    const now = workflowInfo().typedSearchAttributes;
    const same = (a: unknown, b: unknown) => (a instanceof Date && b instanceof Date ? a.getTime() === b.getTime() : (a ?? null) === (b ?? null));
    const changed = want.filter((p) => !same(now.get(p.key as never), p.value));
    if (changed.length) upsertSearchAttributes(changed);
  };
  /**
   * Runs one activity, publishing that the lead is at work when its sleep said otherwise. The
   * mark stays until the lead sleeps again: the main loop's next sleep, or the end of a signal's
   * work while the loop sleeps.
   */
  const asleep = () => sleepUntil !== null && sleepUntil > Date.now();
  const track = async <T>(work: () => Promise<T>): Promise<T> => {
    inFlight++;
    if (busySince === null && (sleepUntil === null || asleep())) busySince = Date.now();
    publish();
    try {
      return await work();
    } finally {
      if (--inFlight === 0 && busySince !== null && asleep()) {
        busySince = null;
        publish();
      }
    }
  };

  /** The holding period is read again, and counted afresh, before the next wake-up is set. */
  const forgetHolding = () => {
    state.holdingDays = undefined;
    state.holdingDueAt = undefined;
  };

  /**
   * The e-mail a Quick Action sends, after the action is recorded: E-mail Confirmed's
   * confirmation to the lead, an Appointment's notice to the desk. Queued (the activity decides
   * whether the lead may be e-mailed, or whether there is a desk), sent, then the outcome stamped
   * on the lead and written in its history. E-mail Confirmed needs no patch: no earlier run ever
   * took that action.
   */
  const actionMail = async (req: { action: string; actionId: string; byUserId: string; dueAt?: string }) => {
    let queued: { outboxId: string | null };
    let kind: 'confirmation' | 'appointment_desk';
    if (req.action === 'email_confirmed') {
      kind = 'confirmation';
      queued = await track(() => db.queueConfirmationEmail({ leadId, actionId: req.actionId, byUserId: req.byUserId }));
    } else if (req.action === 'appointment' && req.dueAt && patched(PATCH_APPOINTMENT_DESK_MAIL)) {
      kind = 'appointment_desk';
      const dueAt = req.dueAt;
      queued = await track(() => db.queueAppointmentDeskEmail({ leadId, actionId: req.actionId, dueAt, byUserId: req.byUserId }));
    } else {
      return;
    }
    const { outboxId } = queued;
    if (!outboxId) return;
    try {
      await track(() => mail.sendOutboxEmail(outboxId));
    } catch (err) {
      // The outbox row records why; the next step writes it in the lead's history.
      log.warn('Action e-mail not sent', { leadId, outboxId, error: String(err) });
    }
    await track(() => db.finishActionEmail({ leadId, actionId: req.actionId, kind, outboxId, dueAt: kind === 'appointment_desk' ? req.dueAt : undefined }));
  };

  setHandler(quickActionSignal, async (req) => {
    const problem = validateQuickAction(req, new Date());
    if (problem) {
      // A signal cannot answer; the web app validates with the same function before sending.
      log.warn('Quick Action ignored', { leadId, actionId: req.actionId, problem });
      return;
    }
    const next = applyQuickAction(
      { milestone: state.milestone, closed: state.closed, cadenceStopped: state.cadence?.stopped ?? false, seenActionIds: state.seenActionIds },
      req,
    );
    if (next.duplicate) return;
    state.milestone = next.milestone;
    state.closed = next.closed || (req.action === 'bad_contact_info' && patched(PATCH_BAD_CONTACT_INFO_CLOSES));
    state.seenActionIds = next.seenActionIds;
    state.worked = true;
    state.lastQuickActionAt = new Date().toISOString();
    if (state.status === 'new') state.status = 'active';
    if (state.cadence) state.cadence.stopped = next.cadenceStopped;
    // A new appointment replaces the old one; the main loop reads state.callBack afresh.
    if (req.action === 'appointment' && req.dueAt) state.callBack = { dueAt: new Date(req.dueAt).toISOString(), byUserId: req.byUserId, reminded: false };
    rescheduled = true;
    publish();
    const recorded = await serially(() => track(() => db.recordQuickAction({ leadId, request: req, milestone: next.milestone })));
    // Alongside the eAgent transfer, which may retry for a long while: the e-mail need not wait.
    const mailing = actionMail(req).catch((err) => log.warn('Action e-mail gave up', { leadId, actionId: req.actionId, error: String(err) }));
    if (recorded.eagentDue && !state.eagentTransferred && !eagentInFlight) {
      eagentInFlight = true;
      try {
        const result = await track(() => eagent.transferToEagent(leadId));
        if (result.transferred) state.eagentTransferred = true;
      } catch (err) {
        // Every failed attempt is in the lead's history; the lead itself carries on.
        log.warn('eAgent transfer gave up', { leadId, error: String(err) });
      } finally {
        eagentInFlight = false;
      }
    }
    await mailing;
  });

  setHandler(leadArrivedSignal, async (arrival) => {
    if (state.touchIds.includes(arrival.touchId)) return;
    state.touchIds = [...state.touchIds, arrival.touchId].slice(-200);
    // Intake records every arrival in the lead's history (`created` / `merged`) in the
    // transaction that saves it; runs started before that recorded a `source_touch` here too.
    if (patched(PATCH_INTAKE_RECORDS_ARRIVALS)) return;
    await serially(() =>
      track(() => db.recordLeadEvent({ leadId, type: 'source_touch', key: `lead-${leadId}:touch:${arrival.touchId}`, data: { ...arrival } })),
    );
  });

  setHandler(assignmentChangedSignal, (change) => {
    // Two assignments of a lead in quick succession may be delivered in either order; the
    // later decision is the one Postgres holds.
    if (state.assignmentAt && change.at < state.assignmentAt && patched(PATCH_NEWEST_ASSIGNMENT_WINS)) return;
    state.assignedUserId = change.userId;
    state.assignmentAt = change.at;
    // A new holder gets a whole period, by the account's days as they are now.
    forgetHolding();
    rescheduled = true;
    publish();
  });

  setHandler(restoreSignal, async ({ byUserId, at }) => {
    if (state.status !== 'recycled') return;
    state.status = 'active';
    publish();
    await serially(() => track(() => db.restoreLead({ leadId, byUserId, at })));
  });

  setHandler(archiveSignal, async ({ byUserId, at }) => {
    if (state.status === 'archived' || state.status === 'removed') return;
    state.status = 'archived';
    state.closed = true;
    if (state.cadence) state.cadence.stopped = true;
    rescheduled = true;
    publish();
    await serially(() => track(() => db.archiveLead({ leadId, byUserId, at })));
  });

  setHandler(reopenSignal, ({ milestone }) => {
    // The decision and its history entry are PostgreSQL's already; an archived or removed lead stays so.
    if (state.status === 'archived' || state.status === 'removed') return;
    state.closed = false;
    state.milestone = milestone;
    forgetHolding();
    rescheduled = true;
    publish();
  });

  setHandler(continueAsNewNowSignal, () => {
    continueAsNewRequested = true;
  });

  const facts = input.facts ?? (await track(() => db.loadLead(leadId)));
  const timeZone = facts.timeZone;
  if (!input.state) {
    // Postgres is the truth for a lead restarted by reconcile; a Quick Action that arrived
    // with the start (signal-with-start) is newer than the row, so it wins.
    if (!state.worked) {
      state.milestone = facts.milestone;
      // The row may have been read before the archive that came with the start was written.
      if (!(state.closed && patched(PATCH_ARCHIVE_BEFORE_LOAD))) state.status = facts.status;
      state.worked = facts.milestone !== 'new';
    }
    state.segment = facts.segment;
    state.assignedUserId ??= facts.assignedUserId;
  }
  stateKnown = true;
  state.startedAt ??= new Date().toISOString();

  const scrub = async () => {
    const at = new Date().toISOString();
    const result = await track(() => db.scrubLead(leadId, at));
    state.lastScrubAt = at;
    if (result.status === 'removed' && state.status !== 'removed') {
      state.status = 'removed';
      if (state.cadence) state.cadence.stopped = true;
    }
  };

  // Intake scrubs every lead it saves; a lead without that scrub (restarted by reconcile, or
  // saved before intake scrubbed) is scrubbed now.
  if (!state.lastScrubAt) {
    if (facts.scrubbedAt) state.lastScrubAt = facts.scrubbedAt;
    else await scrub();
  }

  if (!state.cadence && facts.cadenceTemplate && facts.cadenceTemplate in CADENCES) {
    state.cadence = {
      key: facts.cadenceTemplate as CadenceKey,
      startedAt: new Date().toISOString(),
      doneSteps: 0,
      stopped: state.closed || milestoneStopsCadence(state.milestone) || INACTIVE.includes(state.status),
    };
  }

  const dueCadenceStep = () => {
    const c = state.cadence;
    if (!c || c.stopped || state.closed || INACTIVE.includes(state.status)) return undefined;
    return nextCadenceStep(c.key, c.doneSteps, Date.parse(c.startedAt));
  };
  const recycleAt = () => (state.recycleChecked ? Infinity : Date.parse(state.startedAt!) + RECYCLE_AFTER_MS);
  const callBackAt = () => (state.callBack && !state.callBack.reminded ? startOfLocalDay(new Date(state.callBack.dueAt), timeZone).getTime() : Infinity);
  // The holding period: while an LSP holds the open lead, the lead wakes when the account's
  // days have passed since the later of the assignment and the last Quick Action. Postgres
  // decides whether it really goes back (returnHeldLead).
  const holding = () => !!state.assignedUserId && !state.closed && !INACTIVE.includes(state.status) && patched(PATCH_HOLDING_PERIOD);
  const holdingSince = () => Math.max(Date.parse(state.assignmentAt ?? state.startedAt!), state.lastQuickActionAt ? Date.parse(state.lastQuickActionAt) : -Infinity);
  const holdingAt = () => {
    if (!holding() || !state.holdingDays || state.holdingDueAt === null) return Infinity;
    const dueAt = holdingSince() + state.holdingDays * DAY_MS;
    return state.holdingDueAt ? Math.max(dueAt, Date.parse(state.holdingDueAt)) : dueAt;
  };
  const shouldContinueAsNew = () => continueAsNewRequested || workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > historyLimit;

  const send = async (outboxId: string) => {
    try {
      await track(() => mail.sendOutboxEmail(outboxId));
    } catch (err) {
      // The outbox row records why; a mail that cannot go out must not stop the lead.
      log.warn('E-mail not sent', { leadId, outboxId, error: String(err) });
    }
  };

  while (!shouldContinueAsNew()) {
    const now = Date.now();
    const nextScrubAt = nextRescrubAtMs(leadId, Date.parse(state.lastScrubAt!));
    if (now >= nextScrubAt) {
      await scrub();
      // Weekly, the holding period is read again: one turned on (or shortened) on My Company
      // reaches leads whose holder has not changed since.
      forgetHolding();
      continue;
    }

    if (now >= recycleAt()) {
      state.recycleChecked = true;
      // Assigned or worked leads are never recycled: no need to ask Postgres.
      if (state.status === 'new' && !state.assignedUserId && !state.worked) {
        const result = await track(() => db.recycleLead({ leadId, worked: state.worked, assignedUserId: state.assignedUserId }));
        if (result.recycled) {
          state.status = 'recycled';
          if (state.cadence) state.cadence.stopped = true;
        }
      }
      continue;
    }

    const step = dueCadenceStep();
    if (step && now >= step.dueAtMs) {
      const cadence = state.cadence!;
      const result = await track(() => db.performCadenceStep({ leadId, cadence: cadence.key, stepIndex: step.index, dueAt: new Date(now).toISOString() }));
      cadence.doneSteps = step.index + 1;
      if (result.outcome === 'email_queued') await send(result.outboxId);
      continue;
    }

    const callBack = state.callBack;
    if (callBack && !callBack.reminded && now >= callBackAt()) {
      // A lead closed since the call-back was booked is not worked: nobody is reminded.
      if (state.closed && patched(PATCH_CLOSED_LEAD_NO_CALL_BACK)) {
        callBack.reminded = true;
        continue;
      }
      const { outboxId } = await track(() => db.queueCallBackReminder({ leadId, dueAt: callBack.dueAt, byUserId: callBack.byUserId }));
      if (outboxId) await send(outboxId);
      // Marks this call-back only: one booked meanwhile replaced it and still needs its reminder.
      callBack.reminded = true;
      continue;
    }

    if (holding() && state.holdingDays === undefined) {
      state.holdingDays = (await track(() => db.holdingPeriod({ accountId: state.accountId }))).days;
      continue;
    }

    if (now >= holdingAt()) {
      const userId = state.assignedUserId!;
      const check = await track(() => db.returnHeldLead({ leadId, userId, since: new Date(holdingSince()).toISOString(), at: new Date(now).toISOString() }));
      state.holdingDays = check.days;
      if (state.assignedUserId !== userId) {
        // An assignment signal arrived meanwhile: it is newer than this check and starts its own period.
      } else if (check.assignee.userId === userId) {
        state.holdingDueAt = check.dueAt;
      } else if (!state.assignmentAt || (check.assignee.at !== null && check.assignee.at > state.assignmentAt)) {
        // Returned to the pool now (or given to someone else without this workflow being
        // told): Postgres is the truth. The signal the return also sends changes nothing more.
        state.assignedUserId = check.assignee.userId;
        state.assignmentAt = check.assignee.at ?? state.assignmentAt;
        forgetHolding();
      } else {
        // Postgres disagrees with an assignment the workflow holds as newer: wait for the next
        // change rather than ask again at once.
        state.holdingDueAt = null;
      }
      continue;
    }

    const wakes: Array<[number, NonNullable<LeadWorkflowState['nextWakeFor']>]> = [
      [nextScrubAt, 'scrub'],
      [recycleAt(), 'recycle'],
      [step?.dueAtMs ?? Infinity, 'cadence'],
      [callBackAt(), 'call_back'],
      [holdingAt(), 'holding'],
    ];
    const [wakeAt, wakeFor] = wakes.reduce((a, b) => (b[0] < a[0] ? b : a));
    state.nextWakeAt = new Date(wakeAt).toISOString();
    state.nextWakeFor = wakeFor;
    sleepUntil = wakeAt;
    if (inFlight === 0) busySince = null;
    publish();
    rescheduled = false;
    await condition(() => rescheduled || shouldContinueAsNew(), Math.max(1, wakeAt - now));
  }

  await condition(allHandlersFinished);
  // Facts are re-read by the next run: they were true when this one started.
  const { facts: _startFacts, ...carried } = input;
  await continueAsNew<typeof leadWorkflow>({ ...carried, state });
}
