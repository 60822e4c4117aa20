// The demo account `npm start` seeds the first time: an agency with two agent IDs, its owner,
// two LSPs, a support user, leads from several sources, its workflow templates and an intake
// API key. Idempotent: an existing demo account is left alone.
import type { Knex } from 'knex';
import type { Role } from './models/index.ts';
import { duplicateKey } from '../workflows/lead/dedupe.ts';
import { WORKFLOW_TEMPLATES } from '../workflows/lead/templates.ts';
import { hashPassword, randomSecret, sha256 } from './passwords.ts';
import type { LeadEventType } from './lead-event-types.ts';

export const DEMO_AGENT_IDS = ['A0DEMO1', 'A0DEMO2'];

const DEMO_USERS = [
  { username: 'A0DEMO1', name: 'Dana Owner', email: 'a0demo1@leadflow.test', role: 'owner', password: 'owner-demo-pass' },
  { username: 'lsp.alex', name: 'Alex Rivera', email: 'alex@leadflow.test', role: 'lsp', password: 'alex-demo-pass' },
  { username: 'lsp.sam', name: 'Sam Chen', email: 'sam@leadflow.test', role: 'lsp', password: 'sam-demo-pass' },
  { username: 'support.kim', name: 'Kim Patel', email: 'kim@leadflow.test', role: 'support', password: 'kim-demo-pass' },
] as const;

const DEMO_LEADS = [
  { firstName: 'Maria', lastName: 'Gonzalez', addressLine1: '12 Oak St', city: 'Austin', state: 'TX', zip: '78701', phone: '+15125550101', email: 'maria.g@example.com', source: 'mwi', assignee: 'lsp.alex', segment: 'highly_engaged' },
  { firstName: 'James', lastName: 'Smith', addressLine1: '400 Pine Ave', city: 'Columbus', state: 'OH', zip: '43004', phone: '+16145550102', email: 'jsmith@example.com', source: 'blueprint', assignee: 'lsp.alex', segment: 'engaged' },
  { firstName: 'Aisha', lastName: 'Khan', addressLine1: '9 Elm Rd', city: 'Newark', state: 'NJ', zip: '07102', phone: '+19735550103', email: 'aisha.khan@example.com', source: 'national_campaign', assignee: 'lsp.sam', segment: 'cold' },
  { firstName: 'Tom', lastName: "O'Brien", addressLine1: '77 Harbor Way', city: 'Boston', state: 'MA', zip: '02110', phone: '+16175550104', email: 'tob@example.com', source: 'cldp', assignee: 'lsp.sam', segment: 'engaged' },
  { firstName: 'Lena', lastName: 'Novak', addressLine1: '5 Birch Ln', city: 'Denver', state: 'CO', zip: '80202', phone: '+13035550105', email: 'lena@example.com', source: 'web_vendor', assignee: null, segment: 'highly_engaged' },
  { firstName: 'Omar', lastName: 'Haddad', addressLine1: '18 Cedar Ct', city: 'Phoenix', state: 'AZ', zip: '85004', phone: '+16025550106', email: 'omar.h@example.com', source: 'manual', assignee: null, segment: 'highly_engaged' },
  { firstName: 'Grace', lastName: 'Kim', addressLine1: '230 Maple Dr', city: 'Seattle', state: 'WA', zip: '98101', phone: '+12065550107', email: 'grace.kim@example.com', source: 'spreadsheet', assignee: 'lsp.alex', segment: 'highly_engaged', importName: 'Spring requote list' },
  { firstName: 'Peter', lastName: 'Walsh', addressLine1: '61 Lake St', city: 'Chicago', state: 'IL', zip: '60601', phone: '+13125550108', email: 'pwalsh@example.com', source: 'spreadsheet', assignee: null, segment: 'highly_engaged', importName: 'Spring requote list', dnc: true },
] as const;

/** The demo agency is licensed where its leads live, and so are its LSPs. */
const DEMO_STATES = [...new Set(DEMO_LEADS.map((l) => l.state))].sort();

export interface SeedResult {
  created: boolean;
  accountId: string;
  logins: Array<{ username: string; password: string; role: Role }>;
  apiKey?: string;
}

export async function seedDemoAccount(knex: Knex, opts: { apiKey?: string } = {}): Promise<SeedResult> {
  const logins = DEMO_USERS.map((u) => ({ username: u.username, password: u.password, role: u.role }));
  const existing = await knex('accounts').whereRaw('agent_ids && ?::text[]', [DEMO_AGENT_IDS]).first('id');
  if (existing) {
    // A key given in the environment is made valid even on an existing account, so scripts can rely on it.
    if (opts.apiKey) await ensureApiKey(knex, existing.id, opts.apiKey);
    return { created: false, accountId: existing.id, logins, apiKey: opts.apiKey };
  }
  const hashes = await Promise.all(DEMO_USERS.map((u) => hashPassword(u.password)));
  const apiKey = opts.apiKey ?? randomSecret('lf_');
  return knex.transaction(async (trx) => {
    const [account] = await trx('accounts')
      .insert({ name: 'Demo Agency', agent_ids: DEMO_AGENT_IDS, paid_seats: 1, licensed_states: DEMO_STATES })
      .returning('id');
    const accountId: string = account.id;
    const users = await trx('users')
      .insert(DEMO_USERS.map((u, i) => ({ account_id: accountId, username: u.username, name: u.name, email: u.email, role: u.role, password_hash: hashes[i], licensed_states: u.role === 'lsp' ? DEMO_STATES : [] })))
      .returning(['id', 'username']);
    const userId = (username: string | null) => (username ? users.find((u) => u.username === username)!.id : null);
    await trx('workflow_templates').insert(WORKFLOW_TEMPLATES.map((t) => ({ account_id: accountId, key: t.key, name: t.name, enabled: true })));
    const now = Date.now();
    for (const [i, l] of DEMO_LEADS.entries()) {
      const createdAt = new Date(now - (DEMO_LEADS.length - i) * 3600_000);
      const [lead] = await trx('leads')
        .insert({
          account_id: accountId,
          first_name: l.firstName,
          last_name: l.lastName,
          address_line1: l.addressLine1,
          city: l.city,
          state: l.state,
          zip: l.zip,
          phones: JSON.stringify([{ raw: l.phone, e164: l.phone, valid: true }]),
          emails: JSON.stringify([{ raw: l.email, address: l.email, valid: true }]),
          dup_key: duplicateKey({ ...l, addressLine2: null }),
          source: l.source,
          import_name: 'importName' in l ? l.importName : null,
          segment: l.segment,
          status: l.assignee ? 'active' : 'new',
          assigned_user_id: userId(l.assignee),
          next_follow_up_at: l.assignee ? new Date(now + i * 3600_000) : null,
          dnc: 'dnc' in l ? l.dnc : false,
          dnc_at: 'dnc' in l ? createdAt : null,
          dnc_reason: 'dnc' in l ? 'federal DNC list' : null,
          created_at: createdAt,
          updated_at: createdAt,
        })
        .returning('id');
      await trx('lead_source_touches').insert({ lead_id: lead.id, account_id: accountId, source: l.source, import_name: 'importName' in l ? l.importName : null, received_at: createdAt });
      await trx('lead_events').insert({ lead_id: lead.id, account_id: accountId, actor_system: 'seed', type: 'created' satisfies LeadEventType, note: `Lead received from ${l.source}`, created_at: createdAt });
      if (l.assignee) {
        await trx('assignments').insert({ lead_id: lead.id, account_id: accountId, user_id: userId(l.assignee), assigned_by_user_id: userId('A0DEMO1'), reason: 'demo data: assigned by the owner' });
      }
    }
    await ensureApiKey(trx, accountId, apiKey);
    return { created: true, accountId, logins, apiKey };
  });
}

async function ensureApiKey(db: Knex | Knex.Transaction, accountId: string, apiKey: string) {
  await db('api_keys')
    .insert({ account_id: accountId, name: 'Demo intake key', prefix: apiKey.slice(0, 8), key_hash: sha256(apiKey) })
    .onConflict('key_hash')
    .ignore();
}
