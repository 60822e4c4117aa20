// Lead sources as an open catalogue per account. The seven built-in sources live in code
// (db/lead-sources/defaults.ts) and need no rows: a row here is either an account's own edit
// of a built-in source (same key) or a source the account's intake met for the first time.
// `match_key` is the key folded the way intake compares names (case and punctuation ignored),
// unique per account, so two arrivals of "EverQuote" and "ever-quote" at the same moment make
// one entry. Suppressions keep their whole history: lifting one stamps it, a new one is a new
// row; at most one is in force per source and agent ID.
import type { Knex } from 'knex';

const SEGMENTS_AT_MIGRATION = ['highly_engaged', 'engaged', 'cold'];
const CADENCES_AT_MIGRATION = ['cold_prospects', 'engaged_prospects', 'highly_engaged_lat_mwi', 'highly_engaged_web_manual'];

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('lead_sources', (t) => {
    t.uuid('account_id').notNullable().references('accounts.id').onDelete('CASCADE');
    t.text('key').notNullable();
    t.text('match_key').notNullable();
    t.text('label').notNullable();
    t.text('definition').notNullable().defaultTo('');
    t.text('segment').notNullable().checkIn(SEGMENTS_AT_MIGRATION, 'lead_sources_segment_check');
    t.text('cadence_template').notNullable().checkIn(CADENCES_AT_MIGRATION, 'lead_sources_cadence_check');
    // A source intake met for the first time, waiting for an owner or admin to classify it.
    t.boolean('needs_review').notNullable().defaultTo(false);
    t.timestamp('first_seen_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true });
    t.uuid('updated_by_user_id').references('users.id').onDelete('SET NULL');
    t.primary(['account_id', 'key']);
    t.unique(['account_id', 'match_key']);
  });
  await knex.schema.createTable('lead_source_suppressions', (t) => {
    t.bigIncrements('id');
    t.uuid('account_id').notNullable().references('accounts.id').onDelete('CASCADE');
    t.text('source_key').notNullable();
    t.text('agent_id').notNullable();
    t.uuid('suppressed_by_user_id').references('users.id').onDelete('SET NULL');
    t.timestamp('suppressed_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.uuid('lifted_by_user_id').references('users.id').onDelete('SET NULL');
    t.timestamp('lifted_at', { useTz: true });
    t.index(['account_id', 'suppressed_at']);
  });
  await knex.raw(`CREATE UNIQUE INDEX lead_source_suppressions_active_idx ON lead_source_suppressions (account_id, source_key, agent_id) WHERE lifted_at IS NULL`);
  await knex.schema.alterTable('lead_source_touches', (t) => {
    // The agent ID of the account the arrival was for (the intake API's agentId, else the account's first).
    t.text('agent_id');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('lead_source_touches', (t) => {
    t.dropColumn('agent_id');
  });
  await knex.schema.dropTable('lead_source_suppressions');
  await knex.schema.dropTable('lead_sources');
}
