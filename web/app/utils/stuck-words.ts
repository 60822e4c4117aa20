// Why a lead is stuck, in words a support person acts on: what is wrong and what to do, with
// times on the viewer's clock. Pure: the Support page and the workflow inspector both use it.
import type { StuckKind, StuckLead } from '../../../worker/clients/stuck-leads.ts';
import { formatDateTime } from './labels.ts';

/** The largest N the Support page takes for "no progress for N days". */
export const MAX_NO_PROGRESS_DAYS = 365;

export const STUCK_KIND_TITLES: Record<StuckKind, string> = {
  not_running: 'Open lead without a running workflow',
  activity_retrying: 'A step retrying',
  workflow_task_failing: 'Workflow code failing',
  timer_overdue: 'Wake-up overdue',
  no_progress: 'No progress',
};

/** The lead workflow's activities by what they do, for people. */
/** The kinds in the order the Support page lists them (the finder's order). */
export const STUCK_KIND_ORDER = Object.keys(STUCK_KIND_TITLES) as StuckKind[];

const ACTIVITY_NAMES: Record<string, string> = {
  transferToEagent: 'the transfer to eAgent',
  sendOutboxEmail: 'sending an e-mail',
  scrubLead: 'the compliance scrub',
  loadLead: 'reading the lead',
  performCadenceStep: 'a cadence step',
  recordQuickAction: 'recording a Quick Action',
  recordLeadEvent: 'writing the lead history',
  queueCallBackReminder: 'the call-back reminder',
  recycleLead: 'the recycle check',
  restoreLead: 'restoring the lead',
  archiveLead: 'archiving the lead',
  holdingPeriod: 'reading the holding period',
  returnHeldLead: 'the holding-period check',
  queueConfirmationEmail: 'the e-mail confirmation',
  queueAppointmentDeskEmail: 'the appointment desk e-mail',
  finishActionEmail: 'recording an action e-mail',
};

const WAKE_NAMES: Record<string, string> = {
  scrub: 'the weekly scrub',
  recycle: 'the recycle check',
  cadence: 'the next cadence step',
  call_back: 'a call-back reminder',
  holding: 'the holding-period check',
};

export function activityName(type: string): string {
  return ACTIVITY_NAMES[type] ?? `the step "${type}"`;
}

export function wakeName(key: string | null | undefined): string {
  return (key && WAKE_NAMES[key]) || 'its next step';
}

/** Whether a failure message says the database could not be reached. */
export function isDatabaseDown(message: string): boolean {
  return /ECONNREFUSED|ECONNRESET|ENOTFOUND|Connection terminated|terminating connection|the database system is|Knex: Timeout acquiring a connection|connect ETIMEDOUT|too many clients/i.test(message);
}

function isMailDown(message: string): boolean {
  return /SMTP|ECONNREFUSED|greeting|EAUTH|ETIMEDOUT/i.test(message);
}

const when = (iso: string | null | undefined, zone: string) => (iso ? formatDateTime(iso, zone) : null);

/** "eAgent answers 503 since Nov 30, 2026, 09:14 CST; check the eAgent URL on My Company". */
export function stuckWords(item: StuckLead, zone: string): string {
  const since = when(item.since, zone);
  const sinceWords = since ? ` since ${since}` : '';
  switch (item.kind) {
    case 'not_running': {
      const n = item.notRunning;
      const closed = when(n?.closedAt, zone);
      const how = n?.lastStatus
        ? `Its workflow ${n.lastStatus.replace('_', ' ')}${closed ? ` on ${closed}` : ''} and nothing runs it now`
        : n?.startFailedAt
          ? `Its workflow could not be started (${when(n.startFailedAt, zone)}) and has not been started since`
          : 'Temporal has no workflow for it (lost with a server or namespace)';
      return `${how}: no cadence, reminder or scrub happens. Press Reconcile to start it again from the database.`;
    }
    case 'activity_retrying': {
      const a = item.activity!;
      const failure = a.lastFailure ?? '';
      const next = when(a.nextRetryAt, zone);
      const tries = `attempt ${a.attempt}${a.maximumAttempts ? ` of ${a.maximumAttempts}` : ''}${next ? `, next try ${next}` : ''}`;
      if (isDatabaseDown(failure)) return `PostgreSQL unreachable${sinceWords}: the worker cannot reach the database (${tries}). Check the database server and the worker's DATABASE_URL.`;
      if (a.type === 'transferToEagent') {
        const status = /HTTP (\d{3})/.exec(failure)?.[1];
        const answer = status ? `eAgent answers ${status}` : `eAgent cannot be reached (${failure || 'no answer'})`;
        return `${answer}${sinceWords} (${tries}). Check the eAgent URL on My Company, or ask eAgent whether their service is up.`;
      }
      if (a.type === 'sendOutboxEmail' && isMailDown(failure)) return `The mail server refuses or does not answer${sinceWords} (${tries}). Check the SMTP settings and the mail server.`;
      return `${capitalize(activityName(a.type))} keeps failing${sinceWords} (${tries})${failure ? `: "${failure}"` : ''}. Temporal keeps retrying; fix the cause and it carries on by itself.`;
    }
    case 'workflow_task_failing': {
      const t = item.workflowTask!;
      if (t.timedOut) return `The worker takes too long on this lead's workflow (timed out, attempt ${t.attempt})${sinceWords}. Check the worker's load and its log.`;
      const failure = t.failure ?? '';
      if (/nondetermin/i.test(failure) || /NONDETERMINISTIC|NonDeterministic/i.test(t.cause ?? '')) {
        return `Workflow code changed under running leads after a deploy (non-determinism, attempt ${t.attempt})${sinceWords}. Roll back the deploy, then add the change behind a patch.`;
      }
      return `Workflow code error after a deploy (attempt ${t.attempt})${sinceWords}${failure ? `: "${failure}"` : ''}. Roll back the deploy; the lead carries on once the code runs again.`;
    }
    case 'timer_overdue': {
      const o = item.overdue!;
      const waiting = o.waitingActivity ? `; ${activityName(o.waitingActivity)} waits for a worker to pick it up` : '';
      return `Its wake-up was due ${when(o.dueAt, zone) ?? 'a while ago'} and has not run${waiting}. No worker seems to be running: start the worker (or check it polls the right task queue).`;
    }
    case 'no_progress': {
      const p = item.noProgress!;
      const last = when(p.lastEventAt, zone);
      const holder = item.assignee ?? 'its LSP';
      return `Assigned to ${holder}, and nothing has happened to it for ${p.days} day${p.days === 1 ? '' : 's'}${last ? ` (last entry ${last})` : ''}. Ask ${holder} about it, or assign it to someone else.`;
    }
  }
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
