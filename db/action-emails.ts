// The account's action e-mail templates (docs/product.md, "Working the lead"): the confirmation
// an E-mail Confirmed Quick Action sends the lead, and the notice an Appointment sends the
// account's appointment desk. The owner edits them on the E-mail templates page; a template the
// owner never saved is its default here. Plain text with {{merge_fields}}; a field a template
// does not know is refused when it is saved, so what goes out never shows a raw {{...}}.
import type { Knex } from 'knex';

export const ACTION_EMAIL_KEYS = ['confirmation', 'appointment_desk'] as const;
export type ActionEmailKey = (typeof ACTION_EMAIL_KEYS)[number];

export interface ActionEmailTemplate {
  subject: string;
  body: string;
}

/** The merge fields each template may use, with what they become (shown on the owner's page). */
export const MERGE_FIELDS: Record<ActionEmailKey, Record<string, string>> = {
  confirmation: {
    first_name: "the lead's first name (\"there\" when the lead has none)",
    last_name: "the lead's last name",
    agency_name: "your agency's name",
    lsp_name: 'the name of the LSP who confirmed the address',
  },
  appointment_desk: {
    lead_name: "the lead's full name",
    first_name: "the lead's first name",
    last_name: "the lead's last name",
    lead_phone: "the lead's phone",
    appointment_time: "the appointment's day and time on your agency's clock",
    lead_time: "the same moment on the lead's clock",
    lsp_name: "the lead's LSP (else who booked it)",
    lead_link: "the lead's page in Leadflow",
    agency_name: "your agency's name",
  },
};

export const ACTION_EMAIL_NAMES: Record<ActionEmailKey, string> = {
  confirmation: 'E-mail confirmation (to the lead)',
  appointment_desk: 'Appointment desk notice (to your staff)',
};

export const DEFAULT_TEMPLATES: Record<ActionEmailKey, ActionEmailTemplate> = {
  confirmation: {
    subject: 'Your e-mail address is confirmed',
    body: 'Hi {{first_name}},\n\nThank you for confirming your e-mail address with {{agency_name}}. We will use it to send you your quote and anything else you ask us for.\n\nTalk to you soon,\n{{lsp_name}}\n{{agency_name}}\n',
  },
  appointment_desk: {
    subject: 'Appointment requested: {{lead_name}}',
    body: '{{lead_name}} would like an appointment.\n\nWhen: {{appointment_time}} ({{lead_time}} for the lead)\nPhone: {{lead_phone}}\nLSP: {{lsp_name}}\nLead: {{lead_link}}\n',
  },
};

export const SUBJECT_MAX = 200;
export const BODY_MAX = 10_000;

const FIELD = /\{\{([^{}]*)\}\}/g;

/** A clear refusal for a template, or null when it can be saved. */
export function templateProblem(key: ActionEmailKey, t: ActionEmailTemplate): string | null {
  if (!t.subject.trim()) return 'The subject is empty.';
  if (/[\r\n]/.test(t.subject)) return 'The subject must be one line.';
  if (t.subject.length > SUBJECT_MAX) return `The subject is longer than ${SUBJECT_MAX} characters.`;
  if (!t.body.trim()) return 'The body is empty.';
  if (t.body.length > BODY_MAX) return `The body is longer than ${BODY_MAX.toLocaleString('en-US')} characters.`;
  const known = Object.keys(MERGE_FIELDS[key]);
  const unknown = new Set<string>();
  for (const text of [t.subject, t.body]) {
    for (const m of text.matchAll(FIELD)) if (!known.includes(m[1]!.trim())) unknown.add(`{{${m[1]}}}`);
  }
  if (unknown.size) {
    const list = [...unknown].join(', ');
    return `${unknown.size === 1 ? 'Unknown merge field' : 'Unknown merge fields'} ${list}: this template can use ${known.map((f) => `{{${f}}}`).join(', ')}.`;
  }
  return null;
}

/** The template with its fields filled in; a field without a value (never saved so) stays empty. */
export function renderTemplate(t: ActionEmailTemplate, values: Record<string, string>): ActionEmailTemplate {
  const fill = (text: string) => text.replace(FIELD, (_all, name: string) => values[name.trim()] ?? '');
  return { subject: fill(t.subject).replace(/\s+/g, ' ').trim(), body: fill(t.body) };
}

/** The account's template: the owner's saved one, else the default. */
export async function loadActionEmailTemplate(q: Knex | Knex.Transaction, accountId: string, key: ActionEmailKey): Promise<ActionEmailTemplate & { custom: boolean }> {
  const row = await q('action_email_templates').where({ account_id: accountId, key }).first('subject', 'body');
  return row ? { subject: row.subject, body: row.body, custom: true } : { ...DEFAULT_TEMPLATES[key], custom: false };
}

export async function saveActionEmailTemplate(q: Knex | Knex.Transaction, accountId: string, key: ActionEmailKey, t: ActionEmailTemplate, byUserId: string): Promise<void> {
  await q('action_email_templates')
    .insert({ account_id: accountId, key, subject: t.subject, body: t.body, updated_by_user_id: byUserId, updated_at: q.fn.now() })
    .onConflict(['account_id', 'key'])
    .merge(['subject', 'body', 'updated_by_user_id', 'updated_at']);
}

/** Back to the default: the saved template goes. */
export async function resetActionEmailTemplate(q: Knex | Knex.Transaction, accountId: string, key: ActionEmailKey): Promise<void> {
  await q('action_email_templates').where({ account_id: accountId, key }).del();
}

/** Sample values for the owner's preview. */
export const PREVIEW_VALUES: Record<string, string> = {
  first_name: 'Pat',
  last_name: 'Jones',
  lead_name: 'Pat Jones',
  lead_phone: '+1 504-555-0101',
  appointment_time: 'Tue, Dec 1, 10:00 AM CST',
  lead_time: '11:00 AM EST',
  lsp_name: 'Alex Rivera',
  lead_link: 'https://leadflow.example/leads/…',
};
