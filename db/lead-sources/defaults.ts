// The lead source catalogue's fixed parts, pure (no I/O), shared by intake, the worker and the
// web app's pages (the browser bundle too): the seven built-in sources every account has, how
// intake compares a source name with the catalogue, and what a source met for the first time
// is worked as until an owner or admin classifies it.
import { cadenceTemplateFor, segmentFor, SEGMENTS, type Segment } from '../../workflows/lead/segment.ts';
import { LEAD_SOURCES, WORKFLOW_TEMPLATES, type WorkflowTemplateKey } from '../../workflows/lead/templates.ts';

/** The cadence templates a source can map to (the workflow templates that are cadences). */
export const CADENCE_TEMPLATES = ['highly_engaged_lat_mwi', 'highly_engaged_web_manual', 'engaged_prospects', 'cold_prospects'] as const satisfies readonly WorkflowTemplateKey[];
export type CadenceTemplate = (typeof CADENCE_TEMPLATES)[number];

export { SEGMENTS, type Segment };

export const SEGMENT_LABELS: Record<Segment, string> = { highly_engaged: 'Highly engaged', engaged: 'Engaged or warmed', cold: 'Cold' };

export const CADENCE_LABELS = Object.fromEntries(CADENCE_TEMPLATES.map((k) => [k, WORKFLOW_TEMPLATES.find((t) => t.key === k)!.name])) as Record<CadenceTemplate, string>;

/**
 * A source met for the first time is worked as cold, with the cold prospects cadence, until
 * someone classifies it: the fewest touches (mostly e-mail) on prospects nobody has vouched
 * for, so an unknown vendor's leads are neither lost nor called at once and often.
 */
export const NEW_SOURCE_SEGMENT: Segment = 'cold';
export const NEW_SOURCE_CADENCE: CadenceTemplate = 'cold_prospects';

/** Longest source name intake accepts: vendor names, not sentences. */
export const SOURCE_NAME_MAX = 80;
/** Longest definition of a source on the Sources page. */
export const SOURCE_DEFINITION_MAX = 1000;

export interface BuiltInSource {
  key: string;
  label: string;
  definition: string;
  segment: Segment;
  cadenceTemplate: CadenceTemplate;
}

const BUILT_IN_TEXT: Record<(typeof LEAD_SOURCES)[number], { label: string; definition: string }> = {
  mwi: { label: 'MWI unsold quote', definition: 'A quote the prospect asked for on MWI and did not buy: they were shopping for coverage, so they are called at once.' },
  blueprint: { label: 'Blueprint campaign', definition: "A prospect from the agency's own Blueprint marketing campaigns, warmed by that marketing." },
  national_campaign: { label: 'National campaign', definition: 'A response to a national advertising campaign: interest in insurance, not yet in this agency.' },
  cldp: { label: 'CLDP', definition: 'Centralized lead distribution: live interest routed to the agency.' },
  web_vendor: { label: 'Web vendor', definition: 'A lead bought from a web lead vendor and sent through the intake API.' },
  manual: { label: 'Manual entry', definition: 'Entered by hand on the New lead form by someone at the agency.' },
  spreadsheet: { label: 'Spreadsheet', definition: 'Uploaded on the Imports page in a CSV file.' },
};

/** The built-in sources, with the segments and cadences they have always had. */
export const BUILT_IN_SOURCES: readonly BuiltInSource[] = LEAD_SOURCES.map((key) => ({
  key,
  ...BUILT_IN_TEXT[key],
  segment: segmentFor(key),
  cadenceTemplate: cadenceTemplateFor(key) as CadenceTemplate,
}));

export const BUILT_IN_LABELS: Record<string, string> = Object.fromEntries(BUILT_IN_SOURCES.map((s) => [s.key, s.label]));

/**
 * A source name as intake compares it: letters and digits only (any script), lower case, so
 * "EverQuote", "everquote" and "Ever-Quote" are one source, and "web_vendor" is "Web Vendor".
 */
export function sourceMatchKey(name: string): string {
  return name.normalize('NFKC').toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '');
}

/** The stable key stored in leads.source for a new source: its name, lower case, runs of anything else as one underscore. */
export function sourceKeyFor(name: string): string {
  return name
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '_')
    .replace(/^_+|_+$/g, '');
}

/** A key shown where no catalogue label is at hand: "ever_quote" reads "Ever quote". */
export function labelFromKey(key: string): string {
  const words = key.replace(/_/g, ' ').trim();
  return words ? words[0]!.toUpperCase() + words.slice(1) : key;
}

export function isSegment(v: unknown): v is Segment {
  return typeof v === 'string' && (SEGMENTS as readonly string[]).includes(v);
}

export function isCadenceTemplate(v: unknown): v is CadenceTemplate {
  return typeof v === 'string' && (CADENCE_TEMPLATES as readonly string[]).includes(v);
}
