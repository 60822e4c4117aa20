import { canBeCalled, canBeEmailed } from '../../workflows/lead/cadences.ts';
import type { LeadFacts } from '../../workflows/lead/messages.ts';
import { findSource } from '../../db/lead-sources/catalogue.ts';
import { leadRow, type LeadDeps } from './shared.ts';

export function createLoadLeadActivities({ db }: LeadDeps) {
  return {
    /** What the workflow needs to know about its lead, read fresh from Postgres. */
    async loadLead(leadId: string): Promise<LeadFacts> {
      const lead = await leadRow(db, leadId);
      // The cadence the account's catalogue maps the source to now: a source reclassified on the
      // Sources page applies to every lead loaded after the change. Not in the catalogue: none.
      const source = await findSource(db, lead.account_id, lead.source);
      const cadenceTemplate = source?.cadenceTemplate ?? null;
      return {
        leadId,
        accountId: lead.account_id,
        source: lead.source,
        status: lead.status,
        milestone: lead.milestone,
        segment: lead.segment,
        assignedUserId: lead.assigned_user_id,
        timeZone: lead.time_zone,
        callable: canBeCalled(lead),
        emailable: canBeEmailed(lead),
        cadenceTemplate,
        scrubbedAt: lead.scrubbed_at ? new Date(lead.scrubbed_at).toISOString() : null,
      };
    },
  };
}
