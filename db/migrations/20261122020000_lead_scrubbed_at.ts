// When a lead was last scrubbed against the compliance lists. Intake scrubs every lead in the
// transaction that saves it, so the lead workflow can start from that scrub instead of
// repeating it, and count its weekly re-scrub from it.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('leads', (t) => {
    t.timestamp('scrubbed_at', { useTz: true });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('leads', (t) => {
    t.dropColumn('scrubbed_at');
  });
}
