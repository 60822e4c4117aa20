import { leadRow, recordEvent, type LeadDeps } from './shared.ts';

export function createRecordLeadEventActivities({ db }: LeadDeps) {
  return {
    /** A lead event keyed by the caller (source touches and the like). */
    async recordLeadEvent(e: { leadId: string; type: string; key: string; note?: string; data?: Record<string, unknown> }): Promise<{ recorded: boolean }> {
      const lead = await leadRow(db, e.leadId);
      return { recorded: await recordEvent(db, { ...e, accountId: lead.account_id }) };
    },
  };
}
