// Distribution: how each assignment was made (by hand, through the API, by auto-assign, by a
// claim or the Next button, by the holding period, by a user leaving) with its structured
// reason, the account's holding period, the LSP's choice of a hot-lead e-mail, and the index auto-assign and Next pick pool leads by.
import type { Knex } from 'knex';

export const ASSIGNMENT_METHODS_AT_MIGRATION = ['manual', 'api', 'auto', 'claim', 'next', 'holding_period', 'deactivation'];

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('assignments', (t) => {
    t.text('method').notNullable().defaultTo('manual').checkIn(ASSIGNMENT_METHODS_AT_MIGRATION, 'assignments_method_check');
    // Auto-assign's reasoning: the lead's rank, the chosen LSP's ledger, who else was eligible.
    t.jsonb('detail');
  });
  // Assignments made through the API key before this migration have no user behind them.
  await knex('assignments').whereNull('assigned_by_user_id').update({ method: 'api' });
  await knex.schema.alterTable('accounts', (t) => {
    // Days an assigned lead may go without a Quick Action before it returns to the pool; null: off.
    // (My Company keeps it within 1..90.)
    t.integer('holding_days');
  });
  await knex.schema.alterTable('users', (t) => {
    // An LSP who chose it gets an e-mail when a highly engaged lead is assigned to them.
    t.boolean('notify_hot_leads').notNullable().defaultTo(false);
  });
  // The pool: unassigned open leads, freshest first within a segment.
  await knex.raw(`CREATE INDEX leads_pool_idx ON leads (account_id, segment, created_at DESC) WHERE assigned_user_id IS NULL AND status IN ('new', 'active')`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX IF EXISTS leads_pool_idx');
  await knex.schema.alterTable('users', (t) => {
    t.dropColumn('notify_hot_leads');
  });
  await knex.schema.alterTable('accounts', (t) => {
    t.dropColumn('holding_days');
  });
  await knex.schema.alterTable('assignments', (t) => {
    t.dropColumn('detail');
    t.dropColumn('method');
  });
}
