import type { Knex } from 'knex';
import { CADENCES, type CadenceKey } from '../../../workflows/lead/cadences.ts';
import { WORKFLOW_TEMPLATES, type WorkflowTemplateKey } from '../../../workflows/lead/templates.ts';

export interface TemplateView {
  key: WorkflowTemplateKey;
  name: string;
  enabled: boolean;
  /** What the template does, step by step (cadences), or in a sentence. */
  steps: Array<{ after: string; does: string }>;
  summary: string | null;
}

const SUMMARIES: Partial<Record<WorkflowTemplateKey, string>> = {
  recycle_uncontactable: 'A new lead that is still unassigned and never worked after 3 days, and can be neither called (no valid phone, or DNC) nor e-mailed (no valid e-mail, or DNE), goes to the Recycle Bin.',
  auto_assign:
    'While on, each available LSP is kept at their daily target (follow-ups due today plus new leads): at the workday start, and whenever a lead arrives or capacity frees up during the workday. Highly engaged leads first, then engaged, then cold, the freshest first; only contactable leads in a state the LSP is licensed for. Each lead goes to the eligible LSP with the most capacity left, and its page says why.',
};

export async function listTemplates(db: Knex, accountId: string): Promise<TemplateView[]> {
  const rows: Array<{ key: string; enabled: boolean }> = await db('workflow_templates').where({ account_id: accountId }).select('key', 'enabled');
  const enabled = new Map(rows.map((r) => [r.key, r.enabled]));
  return WORKFLOW_TEMPLATES.map((t) => {
    const cadence = (CADENCES as Record<string, (typeof CADENCES)[CadenceKey]>)[t.key];
    return {
      key: t.key,
      name: t.name,
      // An account created before a template existed has no row: such a template is off.
      enabled: enabled.get(t.key) ?? false,
      steps: cadence ? cadence.map((s) => ({ after: s.after, does: s.kind === 'call_task' ? `Call task: ${s.title}` : `E-mail: “${s.subject}”` })) : [],
      summary: SUMMARIES[t.key] ?? null,
    };
  });
}

/** False for an unknown template. */
export async function setTemplateEnabled(db: Knex, accountId: string, key: string, enabled: boolean): Promise<boolean> {
  const template = WORKFLOW_TEMPLATES.find((t) => t.key === key);
  if (!template) return false;
  await db('workflow_templates')
    .insert({ account_id: accountId, key, name: template.name, enabled })
    .onConflict(['account_id', 'key'])
    .merge({ enabled, updated_at: db.fn.now() });
  return true;
}
