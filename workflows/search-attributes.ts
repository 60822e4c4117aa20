// Leadflow's custom search attributes. They live here, not in temporal.config.ts, because
// workflow code upserts them and may import nothing but @temporalio/workflow|common.
// A new attribute must also be registered with the server (registerSearchAttributes in
// temporal.config.ts does it at start-up); an unregistered one fails the workflow task.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const LeadflowAccountId = defineSearchAttributeKey('LeadflowAccountId', SearchAttributeType.KEYWORD);
export const LeadStatus = defineSearchAttributeKey('LeadStatus', SearchAttributeType.KEYWORD);
export const LeadMilestone = defineSearchAttributeKey('LeadMilestone', SearchAttributeType.KEYWORD);
export const LeadAssignee = defineSearchAttributeKey('LeadAssignee', SearchAttributeType.KEYWORD);

export const leadflowSearchAttributes = [LeadflowAccountId, LeadStatus, LeadMilestone, LeadAssignee] as const;
