// API keys the owner manages: who made each key and when it was last used, so a key nobody uses
// any more can be seen and revoked. Existing keys keep working; their last use is unknown.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('api_keys', (t) => {
    t.uuid('created_by_user_id').references('users.id').onDelete('SET NULL');
    t.timestamp('last_used_at', { useTz: true });
    t.uuid('revoked_by_user_id').references('users.id').onDelete('SET NULL');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('api_keys', (t) => {
    t.dropColumn('created_by_user_id');
    t.dropColumn('last_used_at');
    t.dropColumn('revoked_by_user_id');
  });
}
