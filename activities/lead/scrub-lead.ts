import { scrubLeads, type ScrubResult } from '../../db/compliance/scrub.ts';
import { leadNotFound, SYSTEM, UUID, type LeadDeps } from './shared.ts';

export function createScrubLeadActivities({ db, clock }: LeadDeps) {
  return {
    /**
     * The compliance scrub of one lead (db/compliance/scrub.ts). `at` (the workflow's time) keys
     * the scrub's own history event, so a retried attempt records it once.
     */
    async scrubLead(leadId: string, at?: string): Promise<ScrubResult> {
      if (!UUID.test(leadId)) throw leadNotFound(leadId);
      return db.transaction(async (trx) => {
        const result = (await scrubLeads(trx, [leadId], { at: at ? new Date(at) : clock.now(), now: clock.now(), actor: SYSTEM })).get(leadId);
        if (!result) throw leadNotFound(leadId);
        return result;
      });
    },
  };
}
