import { canBeCalled, canBeEmailed } from '../../workflows/lead/cadences.ts';
import type { LeadFacts } from '../../workflows/lead/messages.ts';
import { cadenceTemplateFor } from '../../workflows/lead/segment.ts';
import { LEAD_SOURCES, type LeadSource, type WorkflowTemplateKey } from '../../workflows/lead/templates.ts';
import { leadRow, type LeadDeps } from './shared.ts';

export function createLoadLeadActivities({ db }: LeadDeps) {
  return {
    /** What the workflow needs to know about its lead, read fresh from Postgres. */
    async loadLead(leadId: string): Promise<LeadFacts> {
      const lead = await leadRow(db, leadId);
      const known = (LEAD_SOURCES as readonly string[]).includes(lead.source);
      const cadenceTemplate: WorkflowTemplateKey | null = known ? cadenceTemplateFor(lead.source as LeadSource) : null;
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
