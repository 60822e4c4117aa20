// The workflow templates every account has (docs/product.md, "Workflow templates"). Pure data,
// shared by the workflows, the seed and the web app.
export const WORKFLOW_TEMPLATES = [
  { key: 'recycle_uncontactable', name: 'Move new unassigned leads that cannot be called or emailed to the Recycle Bin after 3 days' },
  { key: 'cold_prospects', name: 'Cold prospects' },
  { key: 'engaged_prospects', name: 'Engaged or warmed prospects' },
  { key: 'highly_engaged_lat_mwi', name: 'Highly engaged prospects: LAT, MWI and spreadsheets' },
  { key: 'highly_engaged_web_manual', name: 'Highly engaged prospects: web and manually added' },
  { key: 'auto_assign', name: 'Assign contactable leads and spreadsheets' },
] as const;

export type WorkflowTemplateKey = (typeof WORKFLOW_TEMPLATES)[number]['key'];

/** Lead sources (docs/product.md, "Intake"). */
export const LEAD_SOURCES = ['mwi', 'blueprint', 'national_campaign', 'cldp', 'web_vendor', 'manual', 'spreadsheet'] as const;
export type LeadSource = (typeof LEAD_SOURCES)[number];
