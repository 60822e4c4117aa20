// The agency's activity view reads an account's newest history entries, and follows them by id:
// an index on (account_id, id) answers both without reading other accounts' entries.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('lead_events', (t) => {
    t.index(['account_id', 'id'], 'lead_events_account_id_id_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('lead_events', (t) => {
    t.dropIndex(['account_id', 'id'], 'lead_events_account_id_id_idx');
  });
}
