// Segments (docs/product.md): the source of a lead says how engaged the prospect is, and the
// segment picks the cadence (template) that works it.
import type { LeadSource, WorkflowTemplateKey } from './templates.ts';

/** As the leads table's check constraint lists them. */
export const SEGMENTS = ['highly_engaged', 'engaged', 'cold'] as const;
export type Segment = (typeof SEGMENTS)[number];

const SEGMENT_BY_SOURCE: Record<LeadSource, Segment> = {
  mwi: 'highly_engaged', // MWI unsold quotes: the prospect asked for a quote
  spreadsheet: 'highly_engaged',
  web_vendor: 'highly_engaged',
  manual: 'highly_engaged',
  blueprint: 'engaged', // Blueprint campaigns: warmed by the agency's own marketing
  cldp: 'engaged', // centralized lead distribution: live interest routed to the agency
  national_campaign: 'cold',
};

export function segmentFor(source: LeadSource): Segment {
  return SEGMENT_BY_SOURCE[source];
}

/** The cadence template that works a lead of this source. */
export function cadenceTemplateFor(source: LeadSource): WorkflowTemplateKey {
  const segment = segmentFor(source);
  if (segment === 'cold') return 'cold_prospects';
  if (segment === 'engaged') return 'engaged_prospects';
  return source === 'web_vendor' || source === 'manual' ? 'highly_engaged_web_manual' : 'highly_engaged_lat_mwi';
}
