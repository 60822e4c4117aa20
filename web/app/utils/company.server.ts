// My Company's settings checks that need more than the form: the eAgent address must be https
// to a public host (activities/outbound-url.ts), judged here by its current DNS answers too,
// unless the operator set EAGENT_ALLOW_PRIVATE=true. The worker judges it again at every send,
// so this check is for a clear message at save, not the only guard.
import type { Knex } from 'knex';
import { allowPrivateFromEnv, checkOutboundUrlResolving } from '../../../activities/outbound-url.ts';
import { Account } from '../../../db/models/index.ts';

/** What My Company shows and changes. */
export type CompanySettings = Pick<Account, 'name' | 'agentIds' | 'sharkTank' | 'eagentEnabled' | 'eagentUrl' | 'eagentMilestone'>;

export async function companySettings(db: Knex, accountId: string): Promise<CompanySettings> {
  const a = await Account.query(db).findById(accountId).select('name', 'agent_ids', 'shark_tank', 'eagent_enabled', 'eagent_url', 'eagent_milestone').throwIfNotFound();
  return { name: a.name, agentIds: a.agentIds, sharkTank: a.sharkTank, eagentEnabled: a.eagentEnabled, eagentUrl: a.eagentUrl, eagentMilestone: a.eagentMilestone };
}

export async function saveCompanySettings(db: Knex, accountId: string, settings: Pick<CompanySettings, 'sharkTank' | 'eagentEnabled' | 'eagentUrl' | 'eagentMilestone'>): Promise<void> {
  await Account.query(db)
    .findById(accountId)
    .patch({ ...settings, updatedAt: db.fn.now() });
}

export async function eagentUrlProblem(url: string | undefined, opts: { enabled: boolean; allowPrivate?: boolean }): Promise<string | null> {
  if (!url) return opts.enabled ? 'Enter the eAgent address (https) to turn the integration on' : null;
  const check = await checkOutboundUrlResolving(url, { allowPrivate: opts.allowPrivate ?? allowPrivateFromEnv() });
  if (check.ok) return null;
  return check.problem === 'invalid' ? `Enter the eAgent address (https): ${check.message.charAt(0).toLowerCase()}${check.message.slice(1)}` : check.message;
}
