// The reports read an account's history entries in a date range: an index on
// (account_id, created_at) finds them without reading the account's whole history, and gives
// the Lead Log its newest-first page straight from the index.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('lead_events', (t) => {
    t.index(['account_id', 'created_at'], 'lead_events_account_id_created_at_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('lead_events', (t) => {
    t.dropIndex(['account_id', 'created_at'], 'lead_events_account_id_created_at_idx');
  });
}
