// Leadflow's custom search attributes: what Temporal Web and ListWorkflowExecutions can filter
// Leadflow's workflows by. They are set once, when a workflow is started, by the typed doors in
// worker/clients/ (the lead workflow gets the account and, when the start knows them, status,
// milestone and assignee; the system check gets the account). Nothing updates them afterwards:
// keeping status, milestone and assignee current as a lead changes (an upsert from the lead
// workflow) is not built yet, so those three show the lead as it was at the start.
// The keys live in workflows/ and import only @temporalio/common so that workflow code can
// use them once it does upsert.
// A new attribute must also be registered with the server (registerSearchAttributes in
// temporal.config.ts does it at start-up); a start that names an unregistered one is refused.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const LeadflowAccountId = defineSearchAttributeKey('LeadflowAccountId', SearchAttributeType.KEYWORD);
export const LeadStatus = defineSearchAttributeKey('LeadStatus', SearchAttributeType.KEYWORD);
export const LeadMilestone = defineSearchAttributeKey('LeadMilestone', SearchAttributeType.KEYWORD);
export const LeadAssignee = defineSearchAttributeKey('LeadAssignee', SearchAttributeType.KEYWORD);

export const leadflowSearchAttributes = [LeadflowAccountId, LeadStatus, LeadMilestone, LeadAssignee] as const;
