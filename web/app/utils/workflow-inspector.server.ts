// The workflow inspector of one lead (support, owner, admin): what Temporal knows about the
// lead's workflow, in words, on any server (the offline one has no Temporal Web), and the two
// repairs: restart from Postgres (terminate, then start from what the database knows) and
// continue-as-new. Every read is scoped to the user's account through the lead row first.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { optionalTsToDate } from '@temporalio/common/lib/time.js';
import proto from '@temporalio/proto';
import { queryLead, signalLead } from '../../../worker/clients/lead.ts';
import { reconcileLead } from '../../../worker/clients/stuck-leads.ts';
import { continueAsNewNowSignal, leadStateQuery, leadWorkflowId } from '../../../workflows/lead/messages.ts';
import type { LeadWorkflowState } from '../../../workflows/lead/state.ts';
import { LeadNextWakeAt } from '../../../workflows/search-attributes.ts';
import type { WebServices } from '../context.ts';
import { recordSupportEntry, UUID_RE } from './stuck-leads.server.ts';
import { activityName, wakeName } from './stuck-words.ts';
import { temporalWorkflowUrl } from './system-check.server.ts';

export const INSPECTOR_ROLES = ['support', 'owner', 'admin'] as const;

/** Events of the history shown, newest first. */
const RECENT_EVENTS = 25;
/** A query waits on a worker: one that is down must not hold the page. */
const QUERY_TIMEOUT_MS = 3_000;

export interface InspectorView {
  leadId: string;
  leadName: string;
  leadStatus: string;
  workflowId: string;
  temporalUrl: string | null;
  temporalProblem: string | null;
  /** Null: Temporal has no workflow for this lead. */
  run: {
    runId: string;
    status: string;
    startedAt: string | null;
    historyLength: number;
    taskQueue: string;
    nextWakeAt: string | null;
    nextWakeFor: string | null;
    pendingActivities: Array<{ name: string; attempt: number; maximumAttempts: number | null; lastFailure: string | null; nextRetryAt: string | null; running: boolean }>;
    workflowTask: { attempt: number; scheduledAt: string | null } | null;
    state: LeadWorkflowState | null;
    stateProblem: string | null;
    events: Array<{ id: number; at: string | null; text: string }>;
  } | null;
}

const EventType = proto.temporal.api.enums.v1.EventType;
type HistoryEvent = proto.temporal.api.history.v1.IHistoryEvent;

const at = (ts: Parameters<typeof optionalTsToDate>[0]) => optionalTsToDate(ts)?.toISOString() ?? null;

/** One history event in words, or null for the bookkeeping ones (workflow task scheduled/started/completed). */
export function eventWords(e: HistoryEvent, activities: Map<number, string>): string | null {
  const name = (id: unknown) => activityName(activities.get(Number(id)) ?? 'activity');
  switch (e.eventType) {
    case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
      return e.workflowExecutionStartedEventAttributes?.continuedExecutionRunId ? 'Workflow continued as new (a fresh history, same lead)' : 'Workflow started';
    case EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
      return `Started ${name(e.eventId)}`;
    case EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
      return `Finished ${name(e.activityTaskCompletedEventAttributes?.scheduledEventId)}`;
    case EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED:
      return `${capitalize(name(e.activityTaskFailedEventAttributes?.scheduledEventId))} failed: ${e.activityTaskFailedEventAttributes?.failure?.message ?? 'no reason given'}`;
    case EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
      return `${capitalize(name(e.activityTaskTimedOutEventAttributes?.scheduledEventId))} timed out`;
    case EventType.EVENT_TYPE_TIMER_STARTED: {
      const secs = Number(e.timerStartedEventAttributes?.startToFireTimeout?.seconds ?? 0);
      return `Asleep until its next wake-up (in ${durationWords(secs)})`;
    }
    case EventType.EVENT_TYPE_TIMER_FIRED:
      return 'Woke up on its timer';
    case EventType.EVENT_TYPE_TIMER_CANCELED:
      return 'Woke up early (something changed)';
    case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
      return `Received ${SIGNAL_WORDS[e.workflowExecutionSignaledEventAttributes?.signalName ?? ''] ?? `the signal "${e.workflowExecutionSignaledEventAttributes?.signalName}"`}`;
    case EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
      return 'Updated what Temporal Web can filter it by';
    case EventType.EVENT_TYPE_MARKER_RECORDED:
      return null;
    case EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED:
      return `Workflow code failed: ${e.workflowTaskFailedEventAttributes?.failure?.message ?? 'no reason given'}`;
    case EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT:
      return 'The worker took too long on a workflow task';
    case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED:
      return `Terminated${e.workflowExecutionTerminatedEventAttributes?.reason ? `: ${e.workflowExecutionTerminatedEventAttributes.reason}` : ''}`;
    case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
      return 'Continued as new';
    case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
      return `Failed: ${e.workflowExecutionFailedEventAttributes?.failure?.message ?? 'no reason given'}`;
    case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
      return 'Completed';
    default:
      return null;
  }
}

const SIGNAL_WORDS: Record<string, string> = {
  quickAction: 'a Quick Action',
  assignmentChanged: 'an assignment change',
  leadArrived: 'the lead arriving again',
  restore: 'a restore from the recycle bin',
  archive: 'an archive',
  continueAsNewNow: 'a request to continue as new',
};

function durationWords(secs: number): string {
  if (secs < 90) return `${secs} seconds`;
  if (secs < 90 * 60) return `${Math.round(secs / 60)} minutes`;
  if (secs < 36 * 3600) return `${Math.round(secs / 3600)} hours`;
  return `${Math.round(secs / 86400)} days`;
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

async function leadOf(services: WebServices, accountId: string, leadId: string) {
  if (!UUID_RE.test(leadId)) return null;
  return (await services.db('leads').where({ id: leadId, account_id: accountId }).first('id', 'first_name', 'last_name', 'status')) ?? null;
}

function notFound(): never {
  throw new Response('Lead not found', { status: 404 });
}

async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('no answer in time')), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

async function describeRun(client: Client, leadId: string): Promise<NonNullable<InspectorView['run']> | null> {
  const handle = client.workflow.getHandle(leadWorkflowId(leadId));
  let d;
  try {
    d = await handle.describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return null;
    throw err;
  }
  let state: LeadWorkflowState | null = null;
  let stateProblem: string | null = null;
  if (d.status.name === 'RUNNING') {
    try {
      state = await withTimeout(queryLead(client, leadId, leadStateQuery), QUERY_TIMEOUT_MS);
    } catch {
      stateProblem = 'The workflow did not answer its query: no worker is running it right now, or its code fails.';
    }
  } else stateProblem = 'The workflow is not running, so it has no state to show.';
  const history = await client.workflow.getHandle(d.workflowId, d.runId).fetchHistory();
  const events = history.events ?? [];
  const activities = new Map<number, string>();
  for (const e of events) if (e.activityTaskScheduledEventAttributes) activities.set(Number(e.eventId), e.activityTaskScheduledEventAttributes.activityType?.name ?? 'activity');
  const words: NonNullable<InspectorView['run']>['events'] = [];
  for (let i = events.length - 1; i >= 0 && words.length < RECENT_EVENTS; i--) {
    const text = eventWords(events[i]!, activities);
    if (text) words.push({ id: Number(events[i]!.eventId), at: at(events[i]!.eventTime), text });
  }
  const wakeAttr = d.typedSearchAttributes.get(LeadNextWakeAt);
  const wt = d.raw.pendingWorkflowTask;
  return {
    runId: d.runId,
    status: d.status.name.toLowerCase().replace('_', ' '),
    startedAt: d.startTime?.toISOString() ?? null,
    historyLength: d.historyLength,
    taskQueue: d.taskQueue,
    nextWakeAt: state?.nextWakeAt ?? wakeAttr?.toISOString() ?? null,
    nextWakeFor: state?.nextWakeFor ? wakeName(state.nextWakeFor) : null,
    pendingActivities: (d.raw.pendingActivities ?? []).map((a) => ({
      name: activityName(a.activityType?.name ?? 'activity'),
      attempt: a.attempt ?? 1,
      maximumAttempts: a.maximumAttempts || null,
      lastFailure: a.lastFailure?.message ?? null,
      nextRetryAt: at(a.nextAttemptScheduleTime),
      running: !!a.lastStartedTime && a.state === proto.temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED,
    })),
    workflowTask: wt && (wt.attempt ?? 1) > 1 ? { attempt: wt.attempt ?? 1, scheduledAt: at(wt.scheduledTime) } : null,
    state,
    stateProblem,
    events: words,
  };
}

/** The inspector's data for one lead of the user's account; 404 for any other lead. */
export async function loadWorkflowInspector(services: WebServices, user: { accountId: string }, leadId: string): Promise<InspectorView> {
  const lead = await leadOf(services, user.accountId, leadId);
  if (!lead) notFound();
  const view: InspectorView = {
    leadId,
    leadName: [lead.first_name, lead.last_name].filter(Boolean).join(' ') || 'Unnamed lead',
    leadStatus: lead.status,
    workflowId: leadWorkflowId(leadId),
    temporalUrl: temporalWorkflowUrl(services, leadWorkflowId(leadId)),
    temporalProblem: null,
    run: null,
  };
  if (!services.temporal) return { ...view, temporalProblem: 'Temporal is not configured for this web server (TEMPORAL_ADDRESS).' };
  try {
    view.run = await describeRun(await services.temporal.getClient(), leadId);
  } catch (err) {
    console.error('[web] inspecting a lead workflow failed', err);
    view.temporalProblem = 'Temporal did not answer; try again in a moment.';
  }
  return view;
}

export type InspectorActionResult = { ok: true; message: string } | { ok: false; status: number; message: string };

/**
 * restart: terminates the run and starts the lead's workflow again from what Postgres knows.
 * continue-as-new: asks the running workflow to start a fresh history at its next opportunity.
 * Both need `confirm=yes` from the form and leave an entry in the lead's history.
 */
export async function runInspectorAction(services: WebServices, user: { accountId: string; id: string; name: string }, leadId: string, form: FormData): Promise<InspectorActionResult> {
  const lead = await leadOf(services, user.accountId, leadId);
  if (!lead) notFound();
  const intent = String(form.get('intent') ?? '');
  if (intent !== 'restart' && intent !== 'continue-as-new') return { ok: false, status: 400, message: 'Unknown action' };
  if (form.get('confirm') !== 'yes') return { ok: false, status: 400, message: 'Tick the box to confirm first.' };
  if (!services.temporal) return { ok: false, status: 503, message: 'Temporal is not configured for this web server (set TEMPORAL_ADDRESS).' };
  try {
    const client = await services.temporal.getClient();
    if (intent === 'continue-as-new') {
      try {
        await signalLead(client, leadId, continueAsNewNowSignal);
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return { ok: false, status: 409, message: 'The workflow is not running: restart it from the database instead.' };
        throw err;
      }
      await recordSupportEntry(services.db, { accountId: user.accountId, leadId, userId: user.id, type: 'workflow_continued_as_new', note: `Workflow asked to continue as new by ${user.name} (Support)` });
      return { ok: true, message: 'The workflow continues as new at its next step: same lead, a fresh history.' };
    }
    if (lead.status !== 'new' && lead.status !== 'active') return { ok: false, status: 409, message: 'This lead is closed (recycled, archived or removed): only open leads are started from the database.' };
    await client.workflow
      .getHandle(leadWorkflowId(leadId))
      .terminate(`Restarted from the database by ${user.name} (Support)`)
      .catch((err: unknown) => {
        // Not running: the start below is all there is to do.
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      });
    const r = await reconcileLead(client, services.db, { accountId: user.accountId, leadId, taskQueue: services.temporal.taskQueue });
    if (r !== 'started') return { ok: false, status: 409, message: 'The workflow could not be started again; reload the page and try once more.' };
    await recordSupportEntry(services.db, { accountId: user.accountId, leadId, userId: user.id, type: 'workflow_restarted', note: `Workflow restarted from the database by ${user.name} (Support)` });
    return { ok: true, message: 'The workflow was stopped and started again from what the database knows.' };
  } catch (err) {
    console.error('[web] workflow inspector action failed', err);
    return { ok: false, status: 503, message: 'Temporal did not accept it; try again, and see the server log for the cause.' };
  }
}
