// Rows most tests need before they can write anything account-owned.
import type { Knex } from 'knex';

export async function createAccountWithAdmin(knex: Knex, name = 'Test Agency'): Promise<{ accountId: string; userId: string }> {
  const suffix = Math.random().toString(36).slice(2, 8);
  const [account] = await knex('accounts').insert({ name, agent_ids: [`T${suffix}`] }).returning('id');
  const [user] = await knex('users')
    .insert({
      account_id: account.id,
      username: `admin-${suffix}`,
      email: `admin-${suffix}@example.test`,
      name: 'Test Admin',
      role: 'admin',
      password_hash: 'not-a-real-hash',
    })
    .returning('id');
  return { accountId: account.id, userId: user.id };
}

/** An active LSP of the account. */
export async function createLsp(
  knex: Knex,
  accountId: string,
  opts: { name: string; states?: string[]; target?: number; available?: boolean; timeZone?: string | null },
): Promise<string> {
  const suffix = Math.random().toString(36).slice(2, 8);
  const [user] = await knex('users')
    .insert({
      account_id: accountId,
      username: `lsp-${suffix}`,
      email: `lsp-${suffix}@example.test`,
      name: opts.name,
      role: 'lsp',
      password_hash: 'not-a-real-hash',
      licensed_states: opts.states ?? ['TX'],
      daily_target: opts.target ?? 50,
      available: opts.available ?? true,
      time_zone: opts.timeZone ?? null,
    })
    .returning('id');
  return user.id;
}

export interface TestLead {
  firstName?: string;
  lastName?: string;
  state?: string;
  segment?: 'highly_engaged' | 'engaged' | 'cold' | null;
  status?: string;
  milestone?: string;
  /** A valid phone (default) or none. */
  phone?: boolean;
  email?: boolean;
  dnc?: boolean;
  dne?: boolean;
  createdAt?: Date;
  assignedUserId?: string | null;
  nextFollowUpAt?: Date | null;
}

let leadCounter = 0;

/** Leads written straight into the table (no intake, no workflow), for distribution tests. */
export async function insertLeads(knex: Knex, accountId: string, leads: TestLead[]): Promise<string[]> {
  if (!leads.length) return [];
  const rows = leads.map((l) => {
    const n = ++leadCounter;
    const last = l.lastName ?? `Lead${n}-${Math.random().toString(36).slice(2, 6)}`;
    return {
      account_id: accountId,
      first_name: l.firstName ?? 'Pat',
      last_name: last,
      address_line1: `${n} Main St`,
      city: 'Austin',
      state: l.state ?? 'TX',
      zip: '73301',
      phones: JSON.stringify(l.phone === false ? [] : [{ raw: '512-555-0100', e164: '+15125550100', valid: true }]),
      emails: JSON.stringify(l.email ? [{ raw: `p${n}@example.test`, address: `p${n}@example.test`, valid: true }] : []),
      dup_key: `${last.toLowerCase()}|${n}`,
      source: 'web_vendor',
      segment: l.segment === undefined ? 'cold' : l.segment,
      status: l.status ?? 'new',
      milestone: l.milestone ?? 'new',
      dnc: l.dnc ?? false,
      dne: l.dne ?? false,
      assigned_user_id: l.assignedUserId ?? null,
      next_follow_up_at: l.nextFollowUpAt ?? null,
      ...(l.createdAt ? { created_at: l.createdAt } : {}),
    };
  });
  const ids: Array<{ id: string }> = await knex('leads').insert(rows).returning('id');
  return ids.map((r) => r.id);
}

/** Turns a workflow template on or off for the account (the row is created if missing). */
export async function setTemplate(knex: Knex, accountId: string, key: string, enabled: boolean): Promise<void> {
  await knex('workflow_templates').insert({ account_id: accountId, key, name: key, enabled }).onConflict(['account_id', 'key']).merge({ enabled });
}
