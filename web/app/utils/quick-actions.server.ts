// Quick Actions from the lead page: each click is a signal to the lead's workflow, which
// records it, moves the milestone and the cadence. The page then waits for the workflow's
// record of that action (a lead_events row keyed by the action id) to show the new milestone.
// An LSP working a pool lead claims it first: working a lead makes it theirs (Shark Tank).
import { archiveSignal, leadHistoryKey, quickActionSignal, reopenSignal } from '../../../workflows/lead/messages.ts';
import { signalWithStartLead } from '../../../worker/clients/lead.ts';
import { ALL_QUICK_ACTIONS, validateQuickAction, type Milestone, type QuickActionRequest } from '../../../workflows/lead/quick-actions.ts';
import type { LeadStatus } from '../../../workflows/lead/state.ts';
import type { WebServices } from '../context.ts';
import type { SessionUser } from './auth.server.ts';
import { claimFromWeb } from './claim.server.ts';
import { addNote, checkNote, noteFromForm } from './lead-notes.server.ts';

export const QUICK_ACTION_ROLES = ['owner', 'admin', 'lsp'] as const;

export function quickActionButtons() {
  return ALL_QUICK_ACTIONS.map((a) => ({ key: a.key, label: a.label, needsDueAt: 'needsDueAt' in a && a.needsDueAt === true }));
}

/** The instant of a `datetime-local` value read as wall-clock time in `timeZone`. */
export function zonedLocalToIso(local: string, timeZone: string): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(local);
  if (!m) return undefined;
  const [, y, mo, d, h, mi] = m.map(Number) as [number, number, number, number, number, number];
  const asUtc = Date.UTC(y, mo - 1, d, h, mi);
  // The zone's offset at that moment: format the UTC guess in the zone and compare.
  const offsetAt = (t: number) => {
    const p = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' }).formatToParts(t);
    const get = (type: string) => Number(p.find((x) => x.type === type)!.value);
    return Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute')) - t;
  };
  let t = asUtc - offsetAt(asUtc);
  t = asUtc - offsetAt(t);
  return new Date(t).toISOString();
}

/** Sent: `historyKey` is the entry the workflow will record it under, for the page to wait for. */
export type SendResult = { ok: true; historyKey: string } | { ok: false; status: number; message: string };

export async function sendQuickAction(
  services: WebServices,
  user: SessionUser,
  lead: { id: string; timeZone: string | null; assignedUserId: string | null },
  form: FormData,
): Promise<SendResult> {
  const action = String(form.get('action') ?? '');
  const actionId = String(form.get('actionId') ?? '');
  const dueLocal = String(form.get('dueAt') ?? '');
  const note = noteFromForm(form);
  const dueAt = dueLocal ? zonedLocalToIso(dueLocal, lead.timeZone ?? 'UTC') ?? dueLocal : undefined;
  // A note sent with the action goes to the lead's history from here (addNote), not inside the
  // signal: it is there at once, and the eAgent transfer the action may set off reads it there.
  const req: QuickActionRequest = { actionId, action: action as QuickActionRequest['action'], byUserId: user.id, at: new Date().toISOString(), dueAt };
  const problem = validateQuickAction(req, new Date()) ?? (note ? checkNote(note) : null);
  if (problem) return { ok: false, status: 400, message: problem };
  if (!/^[0-9a-f-]{36}$/i.test(actionId)) return { ok: false, status: 400, message: 'actionId is not valid' };
  if (!services.temporal) return { ok: false, status: 503, message: 'Temporal is not configured for this web server, so Quick Actions cannot be recorded.' };
  if (user.role === 'lsp' && lead.assignedUserId !== user.id) {
    // Claimed before the action is sent, so the workflow hears of its new LSP first. If another
    // LSP holds it (they took it since this page loaded), the action is refused with their name.
    // Owners and admins working a pool lead leave it in the pool.
    const claim = await claimFromWeb(services, user, lead.id, 'quick_action');
    if (!claim.ok) return claim;
  }
  // Keyed by the action's id: a double click writes the note once, as it records the action once.
  if (note) await addNote(services.db, user, lead, { text: note, noteId: actionId, with: req.action });
  try {
    const client = await services.temporal.getClient();
    // Signal-with-start: a lead whose workflow is not running (yet) still gets the action.
    await signalWithStartLead(client, { leadId: lead.id, accountId: user.accountId }, quickActionSignal, [req], { taskQueue: services.temporal.taskQueue });
    // E-mail Confirmed: the page waits for the confirmation's outcome (sent, or why not), which
    // the workflow records after the action itself.
    return { ok: true, historyKey: req.action === 'email_confirmed' ? leadHistoryKey.actionEmail(lead.id, 'confirmation', actionId) : leadHistoryKey.quickAction(lead.id, actionId) };
  } catch (err) {
    console.error('[web] sending a quick action failed', err);
    return { ok: false, status: 503, message: 'The action could not be sent: Temporal did not accept it. Try again.' };
  }
}

/** After a Personalized Proposal the page offers to archive the lead (eAgent now has it). */
export async function sendArchive(services: WebServices, user: SessionUser, lead: { id: string; milestone: Milestone; status: LeadStatus }): Promise<SendResult> {
  if (lead.milestone !== 'personalized_proposal' || lead.status === 'archived') {
    return { ok: false, status: 400, message: 'Only a lead at Personalized Proposal is offered for archiving.' };
  }
  if (!services.temporal) return { ok: false, status: 503, message: 'Temporal is not configured for this web server, so the lead cannot be archived.' };
  const at = new Date().toISOString();
  try {
    const client = await services.temporal.getClient();
    await signalWithStartLead(client, { leadId: lead.id, accountId: user.accountId }, archiveSignal, [{ byUserId: user.id, at }], { taskQueue: services.temporal.taskQueue });
    return { ok: true, historyKey: leadHistoryKey.statusChange(lead.id, 'archive', at) };
  } catch (err) {
    console.error('[web] archiving a lead failed', err);
    return { ok: false, status: 503, message: 'The lead could not be archived: Temporal did not accept it. Try again.' };
  }
}

/**
 * Tells the lead's workflow that an owner or admin reopened the lead (already saved in
 * PostgreSQL). False when Temporal could not be told: the reopening stands, and the workflow
 * reads the milestone from PostgreSQL when it next loads the lead.
 */
export async function tellWorkflowReopened(services: WebServices, user: SessionUser, leadId: string, milestone: Milestone): Promise<boolean> {
  if (!services.temporal) return false;
  try {
    const client = await services.temporal.getClient();
    await signalWithStartLead(client, { leadId, accountId: user.accountId }, reopenSignal, [{ milestone, byUserId: user.id, at: new Date().toISOString() }], { taskQueue: services.temporal.taskQueue });
    return true;
  } catch (err) {
    console.error('[web] the reopened lead is saved but its workflow was not told', leadId, err);
    return false;
  }
}
