// What a big list upload writes, made cheaper: a million suppression entries, then tens of
// thousands of leads flagged, each with a history entry.
//
// - suppression_entries.id: entries are found by list and value (the unique indexes), never by
//   a row id; nothing reads it. Its sequence and primary-key index were a third of the index
//   work of every entry written.
// - leads fillfactor 90: a lead's row is updated all its life (flags, follow-up times, scrub
//   stamps). With room left in its page, an update that changes no indexed column is written
//   beside the old row without touching the table's thirteen indexes (three of them trigram
//   indexes). Rows written from now on get the room.
// - lead_events_account_id_index: (account_id) alone is served by the (account_id, created_at)
//   and (account_id, id) indexes; every history entry paid for a third copy.
// - lead_events_actor_user_id_index: most entries are the system's (no user); the index now
//   holds only the entries a user made, which is all that deleting a user looks up.
// - lead_events_keep_call_back: the trigger only acts on Quick Action entries; with the test in
//   its WHEN clause the other entries (most of them) no longer queue a trigger call each.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE suppression_entries DROP COLUMN id');
  await knex.raw('ALTER TABLE leads SET (fillfactor = 90)');
  await knex.raw('DROP INDEX IF EXISTS lead_events_account_id_index');
  await knex.raw('DROP INDEX IF EXISTS lead_events_actor_user_id_index');
  await knex.raw('CREATE INDEX lead_events_actor_user_id_index ON lead_events (actor_user_id) WHERE actor_user_id IS NOT NULL');
  await knex.raw('DROP TRIGGER lead_events_keep_call_back ON lead_events');
  await knex.raw(`CREATE TRIGGER lead_events_keep_call_back AFTER INSERT ON lead_events FOR EACH ROW
                  WHEN (NEW.type = 'quick_action') EXECUTE FUNCTION leads_keep_call_back()`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TRIGGER lead_events_keep_call_back ON lead_events');
  await knex.raw('CREATE TRIGGER lead_events_keep_call_back AFTER INSERT ON lead_events FOR EACH ROW EXECUTE FUNCTION leads_keep_call_back()');
  await knex.raw('DROP INDEX lead_events_actor_user_id_index');
  await knex.raw('CREATE INDEX lead_events_actor_user_id_index ON lead_events (actor_user_id)');
  await knex.raw('CREATE INDEX lead_events_account_id_index ON lead_events (account_id)');
  await knex.raw('ALTER TABLE leads RESET (fillfactor)');
  await knex.raw('ALTER TABLE suppression_entries ADD COLUMN id bigserial PRIMARY KEY');
}
