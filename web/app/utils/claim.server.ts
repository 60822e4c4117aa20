// The LSP's side of distribution in the web app: claiming a pool lead (its page's Claim button,
// or a Quick Action on it) and the Next lead button on My Leads. The rules are
// db/distribution/claim.ts's; this turns their answers into what the pages show.
import { AssignmentError } from '../../../db/distribution/assign.ts';
import { AtTargetError, atTargetMessage, claimLead, NO_POOL_LEAD, nextLead, SHARK_TANK_OFF, type ClaimVia } from '../../../db/distribution/claim.ts';
import type { WebServices } from '../context.ts';
import type { SessionUser } from './auth.server.ts';
import { assignDeps } from './distribution.server.ts';

export type ClaimOutcome = { ok: true; claimed: boolean; message: string } | { ok: false; status: number; message: string };

/** The signed-in LSP claims the lead; a refusal (taken, closed, not licensed, Shark Tank off) is a message, not an exception. */
export async function claimFromWeb(services: WebServices, user: SessionUser, leadId: string, via: ClaimVia): Promise<ClaimOutcome> {
  try {
    const result = await claimLead(assignDeps(services), { accountId: user.accountId, leadId, userId: user.id, via });
    let message = result.claimed ? 'You claimed this lead: it is yours now.' : 'This lead is already yours.';
    // Postgres holds the claim; only the workflow's copy of it is behind.
    if (result.signalFailures.length) message += ` (saved; the lead's workflow was not told: ${result.signalFailures[0]!.message})`;
    return { ok: true, claimed: result.claimed, message };
  } catch (err) {
    if (err instanceof AssignmentError) return { ok: false, status: err.status, message: err.message };
    throw err;
  }
}

/**
 * Where the Next lead button sends the LSP: the lead it gave them, or back to My Leads with
 * why not. The reason travels as a fixed code (and the ledger's two numbers), never as text
 * a link could set.
 */
export async function nextLeadFromWeb(services: WebServices, user: SessionUser): Promise<string> {
  try {
    const result = await nextLead(assignDeps(services), { accountId: user.accountId, userId: user.id });
    if (result.lead) return `/leads/${result.lead.id}`;
    return '/leads?next=none';
  } catch (err) {
    if (err instanceof AtTargetError) return `/leads?${new URLSearchParams({ next: 'target', used: String(err.used), target: String(err.target) })}`;
    if (err instanceof AssignmentError) return err.message === SHARK_TANK_OFF ? '/leads?next=off' : '/leads?next=refused';
    throw err;
  }
}

const count = (value: string | null) => (value && /^\d{1,6}$/.test(value) ? Number(value) : null);

/** What My Leads says after a Next press that gave no lead, from the code nextLeadFromWeb put in the address. */
export function nextLeadNotice(url: URL): string | null {
  switch (url.searchParams.get('next')) {
    case 'none':
      return NO_POOL_LEAD;
    case 'off':
      return SHARK_TANK_OFF;
    case 'target': {
      const used = count(url.searchParams.get('used'));
      const target = count(url.searchParams.get('target'));
      return used !== null && target !== null ? atTargetMessage(used, target) : 'You are at your target today';
    }
    case 'refused':
      return 'Next lead is not open to you now';
    default:
      return null;
  }
}
