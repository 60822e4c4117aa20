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
