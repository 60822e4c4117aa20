// The LSP's day: the account's time zone and workday start (what "today" means for targets,
// Due today and every time shown), the states the agency is licensed in, and per user whether
// they are available today, their daily lead target and the states they hold a license in
// (an insurance producer may only work leads in those states).
//
// Existing accounts get the states their leads are in, and their LSPs the account's states, so
// nothing that could be assigned before is refused after this migration.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('accounts', (t) => {
    t.text('time_zone').notNullable().defaultTo('America/Chicago');
    // Minutes after local midnight.
    t.integer('workday_start_minutes').notNullable().defaultTo(8 * 60);
    t.specificType('licensed_states', 'text[]').notNullable().defaultTo('{}');
  });
  await knex.schema.alterTable('users', (t) => {
    t.boolean('available').notNullable().defaultTo(true);
    t.integer('daily_target').notNullable().defaultTo(50);
    t.specificType('licensed_states', 'text[]').notNullable().defaultTo('{}');
    // The user's own display zone; null: the account's.
    t.text('time_zone');
  });
  await knex.raw(`
    UPDATE accounts a SET licensed_states = coalesce(
      (SELECT array_agg(DISTINCT l.state ORDER BY l.state) FROM leads l WHERE l.account_id = a.id), '{}')`);
  await knex.raw(`UPDATE users u SET licensed_states = a.licensed_states FROM accounts a WHERE a.id = u.account_id AND u.role = 'lsp'`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.dropColumn('time_zone');
    t.dropColumn('licensed_states');
    t.dropColumn('daily_target');
    t.dropColumn('available');
  });
  await knex.schema.alterTable('accounts', (t) => {
    t.dropColumn('licensed_states');
    t.dropColumn('workday_start_minutes');
    t.dropColumn('time_zone');
  });
}
