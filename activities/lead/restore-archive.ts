import { leadHistoryKey } from '../../workflows/lead/messages.ts';
import { accountUser, eventRecorded, leadRow, recordEvent, type LeadDeps, type LeadRow } from './shared.ts';
import type { LeadEventType } from '../../db/lead-event-types.ts';

interface StatusRequest {
  leadId: string;
  byUserId: string;
  /** When the user asked: with the verb, the key of the change in the lead's history. */
  at: string;
}

interface StatusChange {
  verb: 'restore' | 'archive';
  /** Whether the lead's status lets the change happen now. */
  applies(lead: LeadRow): boolean;
  /** The columns the change sets on the lead. */
  columns: Record<string, unknown>;
  event(lead: LeadRow, byUserId: string): { type: LeadEventType; data: Record<string, unknown> };
}

const RESTORE: StatusChange = {
  verb: 'restore',
  applies: (lead) => lead.status === 'recycled',
  columns: { status: 'active', recycled_at: null },
  event: (_lead, byUserId) => ({ type: 'restored', data: { byUserId } }),
};

const ARCHIVE: StatusChange = {
  verb: 'archive',
  applies: (lead) => lead.status !== 'archived' && lead.status !== 'removed',
  columns: { status: 'archived', next_follow_up_at: null },
  event: (lead, byUserId) => ({ type: 'archived', data: { byUserId, after: lead.milestone } }),
};

/**
 * A status change a user asked for, once per request. When the lead's status no longer allows
 * it, the answer is whether this request made the change before (a retry after a lost reply)
 * rather than a plain no.
 */
async function changeStatus({ db, clock }: LeadDeps, { leadId, byUserId, at }: StatusRequest, change: StatusChange): Promise<boolean> {
  return db.transaction(async (trx) => {
    const lead = await leadRow(trx, leadId, { lock: true });
    const key = leadHistoryKey.statusChange(leadId, change.verb, at);
    if (!change.applies(lead)) return eventRecorded(trx, key);
    const actor = await accountUser(trx, lead.account_id, byUserId);
    await trx('leads').where({ id: leadId }).update({ ...change.columns, updated_at: clock.now() });
    await recordEvent(trx, { leadId, accountId: lead.account_id, key, actorUserId: actor?.id ?? null, ...change.event(lead, byUserId) });
    return true;
  });
}

export function createRestoreArchiveActivities(deps: LeadDeps) {
  return {
    /** Restores a recycled lead to active. */
    async restoreLead(request: StatusRequest): Promise<{ restored: boolean }> {
      return { restored: await changeStatus(deps, request, RESTORE) };
    },

    async archiveLead(request: StatusRequest): Promise<{ archived: boolean }> {
      return { archived: await changeStatus(deps, request, ARCHIVE) };
    },
  };
}
