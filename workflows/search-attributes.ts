// Leadflow's custom search attributes: what Temporal Web and ListWorkflowExecutions can filter
// Leadflow's workflows by. The typed doors in worker/clients/ set what a start knows (the
// account always; a lead's status, milestone and assignee when the start carries them), and
// the lead workflow keeps its own current from then on (patch `search-attributes`): it upserts
// them whenever they change, so `LeadStatus = "active" AND LeadAssignee = "<user id>"` finds
// what Postgres says. Unassigned is LeadAssignee's absence (`LeadAssignee IS NULL`).
// The keys live in workflows/ and import only @temporalio/common so that workflow code can
// use them.
// A new attribute must also be registered with the server (registerSearchAttributes in
// temporal.config.ts does it at start-up); a start that names an unregistered one is refused.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const LeadflowAccountId = defineSearchAttributeKey('LeadflowAccountId', SearchAttributeType.KEYWORD);
export const LeadStatus = defineSearchAttributeKey('LeadStatus', SearchAttributeType.KEYWORD);
export const LeadMilestone = defineSearchAttributeKey('LeadMilestone', SearchAttributeType.KEYWORD);
export const LeadAssignee = defineSearchAttributeKey('LeadAssignee', SearchAttributeType.KEYWORD);

export const LeadSegment = defineSearchAttributeKey('LeadSegment', SearchAttributeType.KEYWORD);
/**
 * When the lead's workflow next expects to act: its next timer while it waits, and the moment
 * it started working while an activity is in flight. A value well in the past means the lead is
 * stuck (a timer not fired: no worker; an activity retrying; a workflow task failing), which is
 * how the Support page's stuck-lead finder picks the few workflows it describes.
 */
export const LeadNextWakeAt = defineSearchAttributeKey('LeadNextWakeAt', SearchAttributeType.DATETIME);

export const leadflowSearchAttributes = [LeadflowAccountId, LeadStatus, LeadMilestone, LeadAssignee, LeadSegment, LeadNextWakeAt] as const;
