// Why a lead is stuck, in words: each kind says what is wrong and what a support person does,
// with times on the viewer's clock and no codes or ISO times.
import { describe, expect, it } from 'vitest';
import type { StuckLead } from '../../worker/clients/stuck-leads.ts';
import { stuckWords } from '../../web/app/utils/stuck-words.ts';

const lead = (over: Partial<StuckLead>): StuckLead => ({
  kind: 'activity_retrying',
  leadId: '00000000-0000-0000-0000-000000000001',
  name: 'Pat Lead',
  status: 'active',
  assignee: 'Alex Rivera',
  workflowId: 'lead-00000000-0000-0000-0000-000000000001',
  runId: null,
  since: '2026-11-30T15:14:00.000Z',
  ...over,
});

const ISO = /\d{4}-\d{2}-\d{2}T/;

describe('stuck lead words', () => {
  it('names eAgent, its answer, since when on the viewer clock, and where to fix it', () => {
    const text = stuckWords(lead({ activity: { type: 'transferToEagent', attempt: 14, maximumAttempts: 15, lastFailure: 'eAgent answered HTTP 503', nextRetryAt: '2026-11-30T15:30:00.000Z' } }), 'America/Chicago');
    expect(text).toContain('eAgent answers 503 since');
    expect(text).toContain('09:14');
    expect(text).toContain('attempt 14 of 15');
    expect(text).toContain('09:30');
    expect(text).toContain('Check the eAgent URL on My Company');
    expect(text).not.toMatch(ISO);
  });

  it('says PostgreSQL is unreachable when the step fails to connect', () => {
    const text = stuckWords(lead({ activity: { type: 'performCadenceStep', attempt: 5, maximumAttempts: null, lastFailure: 'connect ECONNREFUSED 127.0.0.1:5432', nextRetryAt: null } }), 'UTC');
    expect(text).toMatch(/^PostgreSQL unreachable since Nov 30, 2026/);
    expect(text).toContain('attempt 5');
  });

  it('tells a code error after a deploy to roll back, and a non-determinism apart', () => {
    const bug = stuckWords(lead({ kind: 'workflow_task_failing', workflowTask: { attempt: 4, failure: 'Cannot read properties of undefined', cause: null, timedOut: false } }), 'UTC');
    expect(bug).toContain('Workflow code error after a deploy');
    expect(bug).toContain('Roll back the deploy');
    expect(bug).toContain('"Cannot read properties of undefined"');
    const nd = stuckWords(lead({ kind: 'workflow_task_failing', workflowTask: { attempt: 2, failure: '[TMPRL1100] Nondeterminism error: ...', cause: '13', timedOut: false } }), 'UTC');
    expect(nd).toContain('non-determinism');
  });

  it('says a wake-up overdue means no worker, a workflow not running means Reconcile, and quiet leads name their LSP', () => {
    expect(stuckWords(lead({ kind: 'timer_overdue', overdue: { dueAt: '2026-11-30T15:00:00.000Z', waitingActivity: null } }), 'America/New_York')).toMatch(/due Nov 30, 2026, 10:00 EST .*start the worker/);
    expect(stuckWords(lead({ kind: 'not_running', notRunning: { lastStatus: 'terminated', closedAt: '2026-11-30T15:00:00.000Z', startFailedAt: null } }), 'UTC')).toMatch(/Its workflow terminated on .*Press Reconcile/);
    expect(stuckWords(lead({ kind: 'no_progress', noProgress: { lastEventAt: '2026-11-20T15:00:00.000Z', days: 7 } }), 'UTC')).toBe(
      'Assigned to Alex Rivera, and nothing has happened to it for 7 days (last entry Nov 20, 2026, 15:00 UTC). Ask Alex Rivera about it, or assign it to someone else.',
    );
  });
});
