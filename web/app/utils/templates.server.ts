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
  /** False for a template whose behaviour is not built yet: its switch is not offered. */
  built: boolean;
}

/**
 * Templates every account has a row for but that nothing acts on yet. Offering their switch
 * would promise behaviour that does not happen, so the page says so instead.
 */
const NOT_BUILT: ReadonlySet<WorkflowTemplateKey> = new Set(['auto_assign']);

const SUMMARIES: Partial<Record<WorkflowTemplateKey, string>> = {
  recycle_uncontactable: 'A new lead that is still unassigned and never worked after 3 days, and can be neither called (no valid phone, or DNC) nor e-mailed (no valid e-mail, or DNE), goes to the Recycle Bin.',
  auto_assign: 'Not built yet: nothing assigns leads automatically. Owners and admins assign leads by hand, from a lead\u2019s page or in bulk from the Leads list.',
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
      built: !NOT_BUILT.has(t.key),
    };
  });
}

/** False for an unknown template or one that is not built yet. */
export async function setTemplateEnabled(db: Knex, accountId: string, key: string, enabled: boolean): Promise<boolean> {
  const template = WORKFLOW_TEMPLATES.find((t) => t.key === key);
  if (!template || NOT_BUILT.has(template.key)) return false;
  await db('workflow_templates')
    .insert({ account_id: accountId, key, name: template.name, enabled })
    .onConflict(['account_id', 'key'])
    .merge({ enabled, updated_at: db.fn.now() });
  return true;
}
