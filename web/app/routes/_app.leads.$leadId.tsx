import { randomUUID } from 'node:crypto';
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, isRouteErrorResponse, Link, useActionData, useLoaderData, useNavigation, useRevalidator, useRouteError } from '@remix-run/react';
import { useEffect, useRef, useState } from 'react';
import { AssignForm, AssignOutcome, LspSelect } from '../components/assign-form.tsx';
import { CsrfInput } from '../components/csrf-input.tsx';
import { FormError } from '../components/field.tsx';
import { validateCsrf } from '../utils/csrf.server.ts';
import { QUICK_ACTION_ROLES, quickActionButtons, sendArchive, sendQuickAction } from '../utils/quick-actions.server.ts';
import { Badge } from '../components/badges.tsx';
import { GeneralErrorBoundary } from '../components/error-boundary.tsx';
import { requireRole } from '../utils/auth.server.ts';
import { notFound } from '../utils/forms.server.ts';
import { milestoneLabel, statusLabel } from '../utils/labels.ts';
import { assignableLsps, assignFromLeadPage, canAssign, getLeadForUser, type AssignableLsp } from '../utils/leads.server.ts';
import { Time, TimeWithLeadClock } from '../components/time.tsx';
import { LeadHistory } from '../components/lead-history.tsx';
import { LeadContactFacts } from '../components/lead-contact.tsx';
import { contactStatus } from '../utils/lead-contact.ts';
import { loadLeadHistory } from '../utils/lead-history.server.ts';
import { addNote, checkNote, noteFromForm } from '../utils/lead-notes.server.ts';
import { NOTE_MAX } from '../utils/lead-notes.ts';
import { AssignmentWhyPanel } from '../components/assignment-why.tsx';
import { assignmentWhy } from '../utils/assignment-why.server.ts';
import { claimFromWeb, type ClaimOutcome } from '../utils/claim.server.ts';
import { isClosingMilestone } from '../../../db/leads/closing.ts';
import { INSPECTOR_ROLES } from '../utils/workflow-inspector.server.ts';

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: data ? `${data.lead.firstName} ${data.lead.lastName} · Leadflow` : 'Lead · Leadflow' }];

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const user = await requireRole(request, context, ['owner', 'admin', 'lsp', 'support']);
  // Another account's lead, another LSP's lead and a lead that does not exist all answer 404.
  const lead = await getLeadForUser(context.services.db, user, params.leadId ?? '');
  if (!lead) throw notFound();
  const canAct = (QUICK_ACTION_ROLES as readonly string[]).includes(user.role);
  // The action e-mails' stamps (seed 003's "Date E-mail Confirmed" / "Date Appointment Made"): set when the e-mail went out.
  const stamps = (await context.services.db('leads').where({ id: lead.id, account_id: user.accountId }).first('email_confirmed_at', 'appointment_made_at')) as { email_confirmed_at: Date | null; appointment_made_at: Date | null } | undefined;
  return {
    lead,
    emailConfirmedAt: stamps?.email_confirmed_at ? stamps.email_confirmed_at.toISOString() : null,
    appointmentMadeAt: stamps?.appointment_made_at ? stamps.appointment_made_at.toISOString() : null,
    canAct,
    history: await loadLeadHistory(context.services.db, user, lead),
    // Decided as the page renders: a re-read (after any action) decides again.
    contact: contactStatus({ phones: lead.phones, emails: lead.emails, dnc: lead.flags.some((f) => f.flag === 'DNC'), dne: lead.flags.some((f) => f.flag === 'DNE'), timeZone: lead.timeZone }, { now: new Date(), viewerZone: user.timeZone }),
    // An LSP sees a pool lead only with Shark Tank on; they may take it as theirs.
    canClaim: user.role === 'lsp' && user.account.sharkTank && lead.assignee === null,
    why: await assignmentWhy(context.services.db, user, lead),
    // Owners and admins assign; the select marks the LSPs not licensed in the lead's state.
    lsps: canAssign(user) ? await assignableLsps(context.services.db, user, lead.state) : null,
    quickActions: canAct ? quickActionButtons() : [],
    // Owners and admins reopen a closed lead (its own page, /leads/:id/reopen).
    canReopen: canAssign(user) && isClosingMilestone(lead.milestone),
    // Support, owners and admins open the lead's workflow inspector.
    canInspect: (INSPECTOR_ROLES as readonly string[]).includes(user.role),
    // A fresh id per page view: a double click sends the same id twice and is recorded once.
    actionId: randomUUID(),
  };
}

const NO_OUTCOME = { formError: null, sent: null, assignError: null, assigned: null, claimError: null, claimed: null, noted: null };

export async function action({ request, params, context }: ActionFunctionArgs) {
  const user = await requireRole(request, context, QUICK_ACTION_ROLES);
  const formData = await request.formData();
  await validateCsrf(request, context, formData);
  const intent = formData.get('intent');
  if ((intent === 'assign' || intent === 'unassign') && !canAssign(user)) throw new Response('Only owners and admins assign leads.', { status: 403, statusText: 'Forbidden' });
  const leadId = params.leadId ?? '';
  const db = context.services.db;
  /**
   * A refusal shown on the lead's page; but once the lead is another LSP's this LSP may no
   * longer see that page, so the refusal is the answer itself ("Jane Doe is already Sam Lee's lead").
   */
  const refuse = async (key: 'claimError' | 'formError', message: string, status: number) => {
    if (user.role === 'lsp' && !(await getLeadForUser(db, user, leadId))) throw new Response(message, { status, statusText: status === 409 ? 'Conflict' : 'Refused' });
    return data(key === 'claimError' ? { ...NO_OUTCOME, claimError: message } : { ...NO_OUTCOME, formError: message }, { status });
  };
  let lead = await getLeadForUser(db, user, leadId);
  let claimed: ClaimOutcome | null = null;
  // A note alone claims nothing: writing one down is not working the lead.
  const claimVia = intent === 'claim' ? 'claim' : intent === 'archive' || intent === 'assign' || intent === 'unassign' || intent === 'note' ? null : 'quick_action';
  if (!lead && user.role === 'lsp' && user.account.sharkTank && claimVia) {
    // With Shark Tank on, a lead an LSP cannot see is one another LSP holds: they took it since
    // this page loaded. The claim says who rather than a bare 404; a lead that is not in the
    // account stays a 404.
    const claim = (claimed = await claimFromWeb(context.services, user, leadId, claimVia));
    if (!claim.ok && claim.status === 404) throw notFound();
    if (!claim.ok) return refuse(claimVia === 'claim' ? 'claimError' : 'formError', claim.message, claim.status);
    lead = await getLeadForUser(db, user, leadId);
  }
  if (!lead) throw notFound();
  if (intent === 'claim') {
    if (user.role !== 'lsp') throw new Response('Only LSPs claim leads: owners and admins assign them.', { status: 403, statusText: 'Forbidden' });
    const claim = claimed ?? (await claimFromWeb(context.services, user, lead.id, 'claim'));
    if (!claim.ok) return refuse('claimError', claim.message, claim.status);
    return data({ ...NO_OUTCOME, claimed: claim.message });
  }
  if (intent === 'assign' || intent === 'unassign') {
    // Written in Postgres before this answers, so the page shows it at once: nothing to wait for.
    const done = await assignFromLeadPage(context.services, user, lead.id, intent, formData);
    return data({ ...NO_OUTCOME, assignError: done.ok ? null : done.message, assigned: done.ok ? done.message : null }, { status: done.status });
  }
  if (intent === 'note') {
    const text = noteFromForm(formData);
    const problem = checkNote(text);
    if (problem) return data({ ...NO_OUTCOME, formError: problem }, { status: 400 });
    const noteId = String(formData.get('actionId') ?? '');
    if (!/^[0-9a-f-]{36}$/i.test(noteId)) return data({ ...NO_OUTCOME, formError: 'The form is out of date: reload the page' }, { status: 400 });
    await addNote(db, user, lead, { text: text!, noteId });
    return data({ ...NO_OUTCOME, noted: 'Note saved.' });
  }
  const archive = intent === 'archive';
  const sent = archive
    ? await sendArchive(context.services, user, lead)
    : await sendQuickAction(context.services, user, { id: lead.id, timeZone: lead.timeZone, assignedUserId: lead.assignee?.id ?? null }, formData);
  if (!sent.ok) return refuse('formError', sent.message, sent.status);
  // The page waits until the lead's history has the entry the workflow records this under.
  return data({ ...NO_OUTCOME, sent: sent.historyKey });
}

const FLAG_TITLES = { DNC: 'Do not call', DNE: 'Do not e-mail', DNM: 'Do not mail' } as const;

/**
 * Re-reads the page until the lead's history holds `sentKey`, the key of what was just sent
 * (at most ~15 s). The key is kept in state: a revalidation clears the action's data, so after
 * the first re-read `useActionData` no longer has it. Returns whether the page is waiting.
 */
function useWaitForRecord(leadId: string, sentKey: string | null | undefined, events: ReadonlyArray<{ idempotencyKey: string | null }>): boolean {
  const [waitingFor, setWaitingFor] = useState<string | null>(null);
  useEffect(() => {
    if (sentKey) setWaitingFor(sentKey);
  }, [sentKey]);
  // Another lead's page (same route, new params) waits for nothing this one sent.
  const pending = waitingFor !== null && waitingFor.startsWith(`lead-${leadId}:`) && !events.some((e) => e.idempotencyKey === waitingFor);
  const revalidator = useRevalidator();
  // The revalidator changes with every re-read; the interval reads the current one.
  const current = useRef(revalidator);
  current.current = revalidator;
  useEffect(() => {
    if (!pending) return;
    let tries = 0;
    const timer = setInterval(() => {
      if (++tries > 30) return clearInterval(timer);
      if (current.current.state === 'idle') current.current.revalidate();
    }, 500);
    return () => clearInterval(timer);
  }, [pending, waitingFor]);
  return pending;
}

function QuickActions({ actions, actionId, offerArchive, waiting }: { actions: Array<{ key: string; label: string; needsDueAt: boolean }>; actionId: string; offerArchive: boolean; waiting: boolean }) {
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === 'submitting';
  return (
    <section className="card" aria-labelledby="lead-actions">
      <h2 id="lead-actions">Quick Actions</h2>
      {offerArchive ? (
        <Form method="post" replace className="alert alert-warn">
          <CsrfInput />
          <input type="hidden" name="intent" value="archive" />
          <p>A Personalized Proposal sends this lead to eAgent. Archive it here to avoid working it twice?</p>
          <button type="submit" className="button" disabled={busy}>
            Archive lead
          </button>
        </Form>
      ) : null}
      <FormError message={result?.formError} />
      {waiting ? (
        <p className="alert alert-ok" role="status">
          Sent; the lead's history shows it once the workflow has recorded it.
        </p>
      ) : null}
      {result?.noted ? <p className="alert alert-ok">{result.noted}</p> : null}
      {/* One form: a note typed here goes with the Quick Action pressed, or alone with Save note. */}
      <Form method="post" replace className="quick-action-form" key={actionId}>
        <CsrfInput />
        <input type="hidden" name="actionId" value={actionId} />
        <div className="field">
          <label htmlFor="lead-note">Note</label>
          <p className="hint">Saved alone, or with the Quick Action you press; eAgent gets the most recent note.</p>
          {/* Styled like the app's inputs (styles.css has no rule for textareas yet). */}
          <textarea id="lead-note" name="note" rows={3} maxLength={NOTE_MAX} style={{ font: 'inherit', padding: '0.55rem 0.65rem', border: '1px solid #aab1bd', borderRadius: 6, width: '100%', boxSizing: 'border-box' }} />
        </div>
        <div className="quick-actions">
          {actions
            .filter((a) => !a.needsDueAt)
            .map((a) => (
              <button type="submit" name="action" value={a.key} key={a.key} className="button" disabled={busy}>
                {a.label}
              </button>
            ))}
          <button type="submit" name="intent" value="note" className="button secondary" disabled={busy}>
            Save note
          </button>
        </div>
        {actions
          .filter((a) => a.needsDueAt)
          .map((a) => (
            <div key={a.key} className="inline-form">
              <label>
                {a.label} at <input type="datetime-local" name="dueAt" /> <span className="muted small-text">(the lead's time)</span>
              </label>
              <button type="submit" name="action" value={a.key} className="button" disabled={busy}>
                Set {a.label}
              </button>
            </div>
          ))}
      </Form>
    </section>
  );
}

/** An LSP's pool lead (Shark Tank): take it as theirs; the answer says whose it is if someone was quicker. */
function ClaimCard({ canClaim }: { canClaim: boolean }) {
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === 'submitting';
  if (!canClaim && !result?.claimed && !result?.claimError) return null;
  return (
    <section className="card" aria-labelledby="lead-claim">
      <h2 id="lead-claim">{canClaim ? 'In the pool' : 'Claim'}</h2>
      <AssignOutcome error={result?.claimError} message={result?.claimed} />
      {canClaim ? (
        <Form method="post" replace className="inline-form">
          <CsrfInput />
          <input type="hidden" name="intent" value="claim" />
          <span>Nobody works this lead yet: claim it, or work it with a Quick Action, and it is yours.</span>
          <button type="submit" className="button primary" disabled={busy}>
            Claim this lead
          </button>
        </Form>
      ) : null}
    </section>
  );
}

function AssignForms({ lsps, state, assigned }: { lsps: AssignableLsp[]; state: string; assigned: boolean }) {
  const result = useActionData<typeof action>();
  // Unlicensed LSPs stay selectable: the refusal names the LSP and the state, which a greyed option cannot.
  const unlicensed = new Set(lsps.filter((l) => !l.licensed).map((l) => l.id));
  return (
    <section className="card" aria-labelledby="lead-assign">
      <h2 id="lead-assign">Assign</h2>
      <AssignOutcome error={result?.assignError} message={result?.assigned} />
      <AssignForm intent="assign" button="Assign" reasonHint="Why this LSP">
        <label>
          Assign to <LspSelect lsps={lsps} note={(l) => (unlicensed.has(l.id) ? `(not licensed in ${state || 'this state'})` : null)} />
        </label>
      </AssignForm>
      {assigned ? <AssignForm intent="unassign" button="Unassign" reasonHint="Why it goes back to the pool" secondary /> : null}
    </section>
  );
}

export default function LeadPage() {
  const { lead, canAct, canClaim, canReopen, canInspect, why, lsps, quickActions, actionId, history, contact, emailConfirmedAt, appointmentMadeAt } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const waiting = useWaitForRecord(lead.id, result?.sent, history);
  return (
    <article className="lead-page" aria-labelledby="lead-title">
      <p className="breadcrumb">
        <Link to="/leads">← Leads</Link>
        {canInspect ? (
          <>
            {' · '}
            <Link to={`/leads/${lead.id}/workflow`}>Workflow</Link>
          </>
        ) : null}
      </p>
      <div className="page-head">
        <h1 id="lead-title">
          {lead.firstName} {lead.lastName}
        </h1>
        <div className="badges" aria-label="Flags">
          <Badge tone={lead.kind === 'C' ? 'ok' : 'neutral'} title={lead.kind === 'C' ? 'Current customer' : 'Prospect'}>
            {lead.kind}
          </Badge>
          {lead.flags.map((f) => (
            <Badge key={f.flag} tone="danger" title={FLAG_TITLES[f.flag]}>
              {f.flag}
            </Badge>
          ))}
          <Badge>{statusLabel(lead.status)}</Badge>
        </div>
      </div>

      <div className="grid-2">
        <section className="card" aria-labelledby="lead-details">
          <h2 id="lead-details">Details</h2>
          <dl className="facts">
            <dt>Address</dt>
            <dd>
              {lead.addressLine1 || '—'}
              {lead.addressLine2 ? <>, {lead.addressLine2}</> : null}
              <br />
              {[lead.city, lead.state, lead.zip].filter(Boolean).join(' ')}
            </dd>
            <LeadContactFacts contact={contact} />
            <dt>Source</dt>
            <dd>
              {lead.sourceLabel}
              {lead.importName ? ` · ${lead.importName}` : ''}
            </dd>
            <dt>Segment</dt>
            <dd>{lead.segment ? lead.segment.replace(/_/g, ' ') : '—'}</dd>
            <dt>Time zone</dt>
            <dd>{lead.timeZone ? `${lead.timeZone.replace(/_/g, ' ')}${contact.leadTime ? ` (now ${contact.leadTime})` : ''}` : 'Unknown'}</dd>
          </dl>
        </section>

        <section className="card" aria-labelledby="lead-work">
          <h2 id="lead-work">Work</h2>
          <dl className="facts">
            <dt>Assignee</dt>
            <dd>{lead.assignee ? `${lead.assignee.name} (${lead.assignee.username})` : 'Unassigned'}</dd>
            <dt>Milestone</dt>
            <dd>
              {milestoneLabel(lead.milestone)}
              {canReopen ? (
                <>
                  {' '}
                  <Link to={`/leads/${lead.id}/reopen`} className="button secondary small">
                    Reopen
                  </Link>
                </>
              ) : null}
            </dd>
            <dt>Next follow-up</dt>
            <dd><TimeWithLeadClock value={lead.nextFollowUpAt} leadZone={lead.timeZone} /></dd>
            <dt>Next call-back</dt>
            <dd>{lead.nextCallBackAt ? <TimeWithLeadClock value={lead.nextCallBackAt} leadZone={lead.timeZone} /> : 'None booked'}</dd>
            <dt>E-mail confirmed</dt>
            <dd>{emailConfirmedAt ? <Time value={emailConfirmedAt} /> : 'Not yet'}</dd>
            <dt>Appointment made</dt>
            <dd>{appointmentMadeAt ? <Time value={appointmentMadeAt} /> : 'Not yet'}</dd>
            <dt>Created</dt>
            <dd><Time value={lead.createdAt} /></dd>
            <dt>Updated</dt>
            <dd><Time value={lead.updatedAt} /></dd>
            {lead.recycledAt ? (
              <>
                <dt>Recycled</dt>
                <dd><Time value={lead.recycledAt} /></dd>
              </>
            ) : null}
          </dl>
          {lead.flags.length ? (
            <>
              <h3>Compliance</h3>
              <ul className="plain">
                {lead.flags.map((f) => (
                  <li key={f.flag}>
                    <strong>{f.flag}</strong> ({FLAG_TITLES[f.flag]}){f.reason ? `: ${f.reason}` : ''}
                    {f.at ? <span className="muted"> · <Time value={f.at} /></span> : null}
                  </li>
                ))}
              </ul>
            </>
          ) : null}
        </section>
      </div>

      <ClaimCard canClaim={canClaim} />

      {why ? <AssignmentWhyPanel why={why} /> : null}

      {lsps ? <AssignForms lsps={lsps} state={lead.state} assigned={lead.assignee !== null} /> : null}

      {canAct ? <QuickActions actions={quickActions} actionId={actionId} offerArchive={lead.milestone === 'personalized_proposal' && lead.status !== 'archived'} waiting={waiting} /> : null}

      <LeadHistory entries={history} />

      <div className="grid-2">
        <section className="card" aria-labelledby="lead-touches">
          <h2 id="lead-touches">Source touches</h2>
          {lead.touches.length ? (
            <ul className="plain">
              {lead.touches.map((t) => (
                <li key={t.id}>
                  {t.sourceLabel}
                  {t.importName ? ` · ${t.importName}` : ''} <span className="muted">· <Time value={t.receivedAt} /></span>
                </li>
              ))}
            </ul>
          ) : (
            <p className="empty">None recorded.</p>
          )}
        </section>
        <section className="card" aria-labelledby="lead-assignments">
          <h2 id="lead-assignments">Assignments</h2>
          {lead.assignments.length ? (
            <ul className="plain">
              {lead.assignments.map((a) => (
                <li key={a.id}>
                  {a.to ? `To ${a.to}` : 'Unassigned'}
                  {a.by ? ` by ${a.by}` : ''}: {a.reason} <span className="muted">· <Time value={a.createdAt} /></span>
                </li>
              ))}
            </ul>
          ) : (
            <p className="empty">Never assigned.</p>
          )}
        </section>
      </div>
    </article>
  );
}

export function ErrorBoundary() {
  const error = useRouteError();
  // A claim or Quick Action on a lead that left the pool meanwhile (another LSP took it, or
  // Shark Tank went off): this LSP can no longer see the lead, so the page is the refusal.
  if (isRouteErrorResponse(error) && error.status === 409 && typeof error.data === 'string' && error.data) {
    return (
      <section className="error-panel" aria-labelledby="error-title">
        <h1 id="error-title">This lead is not yours to take</h1>
        <p role="alert">{error.data}</p>
        <p>
          <Link to="/leads">Back to My Leads</Link>
        </p>
      </section>
    );
  }
  return <GeneralErrorBoundary />;
}
