// A lead's workflow as support reads it: id and run, status, the next wake-up and what for,
// steps in flight with their attempts and last failure, the workflow's own state, and the
// recent history in words; the two repairs post to /leads/:leadId/workflow with a confirmation.
import { Form } from '@remix-run/react';
import { milestoneLabel, statusLabel } from '../utils/labels.ts';
import type { InspectorView } from '../utils/workflow-inspector.server.ts';
import { CsrfInput } from './csrf-input.tsx';
import { Time } from './time.tsx';

export function WorkflowInspector({ view, busy = false }: { view: InspectorView; busy?: boolean }) {
  const run = view.run;
  const action = `/leads/${view.leadId}/workflow`;
  return (
    <section className="card" aria-labelledby="inspector-title">
      <h2 id="inspector-title">Workflow</h2>
      {view.temporalProblem ? <p className="alert alert-warn">{view.temporalProblem}</p> : null}
      <dl className="stats">
        <div>
          <dt>Workflow id</dt>
          <dd>
            <code>{view.workflowId}</code>
          </dd>
        </div>
        <div>
          <dt>Status</dt>
          <dd data-testid="workflow-status">{run ? run.status : view.temporalProblem ? 'unknown' : 'no workflow'}</dd>
        </div>
        {run ? (
          <>
            <div>
              <dt>Run</dt>
              <dd>
                <code>{run.runId}</code>
              </dd>
            </div>
            <div>
              <dt>Next wake-up</dt>
              <dd>
                {run.nextWakeAt ? <Time value={run.nextWakeAt} /> : '—'}
                {run.nextWakeFor ? <span className="muted"> for {run.nextWakeFor}</span> : null}
              </dd>
            </div>
            <div>
              <dt>History</dt>
              <dd>{run.historyLength} events</dd>
            </div>
          </>
        ) : null}
      </dl>
      {view.temporalUrl ? (
        <p>
          <a href={view.temporalUrl} target="_blank" rel="noreferrer">
            Open in Temporal Web
          </a>
        </p>
      ) : null}
      {run?.workflowTask ? (
        <p className="alert alert-error">
          The workflow's code is failing on this lead: workflow task attempt {run.workflowTask.attempt}.
        </p>
      ) : null}
      {run ? (
        <>
          <h3>Steps in flight</h3>
          {run.pendingActivities.length ? (
            <ul>
              {run.pendingActivities.map((a, i) => (
                <li key={i}>
                  {a.name}: attempt {a.attempt}
                  {a.maximumAttempts ? ` of ${a.maximumAttempts}` : ''}
                  {a.lastFailure ? <>, last failure “{a.lastFailure}”</> : null}
                  {a.nextRetryAt ? (
                    <>
                      , next try <Time value={a.nextRetryAt} />
                    </>
                  ) : null}
                  {!a.running && !a.nextRetryAt ? ', waiting for a worker' : null}
                </li>
              ))}
            </ul>
          ) : (
            <p className="empty">None.</p>
          )}
          <h3>What the workflow holds</h3>
          {run.state ? (
            <dl className="stats">
              <div>
                <dt>Status</dt>
                <dd>{statusLabel(run.state.status)}</dd>
              </div>
              <div>
                <dt>Milestone</dt>
                <dd>{milestoneLabel(run.state.milestone)}</dd>
              </div>
              <div>
                <dt>Cadence</dt>
                <dd>{run.state.cadence ? `${run.state.cadence.doneSteps} steps done${run.state.cadence.stopped ? ', stopped' : ''}` : 'none'}</dd>
              </div>
              <div>
                <dt>Call-back</dt>
                <dd>{run.state.callBack ? <Time value={run.state.callBack.dueAt} /> : 'none'}</dd>
              </div>
              <div>
                <dt>Last scrub</dt>
                <dd>
                  <Time value={run.state.lastScrubAt} />
                </dd>
              </div>
              <div>
                <dt>eAgent</dt>
                <dd>{run.state.eagentTransferred ? 'transferred' : 'not transferred'}</dd>
              </div>
            </dl>
          ) : (
            <p className="muted">{run.stateProblem}</p>
          )}
          <h3>Recent history</h3>
          <ol className="history" aria-label="Recent workflow events">
            {run.events.map((e) => (
              <li key={e.id}>
                <Time value={e.at} /> {e.text}
              </li>
            ))}
          </ol>
        </>
      ) : null}
      <h3>Repair</h3>
      <Form method="post" action={action}>
        <CsrfInput />
        <input type="hidden" name="intent" value="restart" />
        <fieldset>
          <legend>Restart from the database</legend>
          <label>
            <input type="checkbox" name="confirm" value="yes" required /> Stop this workflow and start it again from what the database knows
          </label>
        </fieldset>
        <button type="submit" className="button" disabled={busy}>
          Restart from the database
        </button>
      </Form>
      {run?.status === 'running' ? (
        <Form method="post" action={action}>
          <CsrfInput />
          <input type="hidden" name="intent" value="continue-as-new" />
          <fieldset>
            <legend>Continue as new</legend>
            <label>
              <input type="checkbox" name="confirm" value="yes" required /> Start a fresh history for this workflow (same lead, same state)
            </label>
          </fieldset>
          <button type="submit" className="button" disabled={busy}>
            Continue as new
          </button>
        </Form>
      ) : null}
    </section>
  );
}
