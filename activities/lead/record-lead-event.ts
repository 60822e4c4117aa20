import type { LeadEventType } from '../../db/lead-event-types.ts';
import { leadRow, recordEvent, type LeadDeps } from './shared.ts';

export function createRecordLeadEventActivities({ db }: LeadDeps) {
  return {
    /** A lead event keyed by the caller (source touches and the like); its kind is one the lead page words. */
    async recordLeadEvent(e: { leadId: string; type: LeadEventType; key: string; note?: string; data?: Record<string, unknown> }): Promise<{ recorded: boolean }> {
      const lead = await leadRow(db, e.leadId);
      return { recorded: await recordEvent(db, { ...e, accountId: lead.account_id }) };
    },
  };
}
