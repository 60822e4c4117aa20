// Why an import failed, shown on its page (status 'failed'): an import that cannot go on says
// so instead of staying "running".
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('imports', (t) => {
    t.text('failure_reason');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('imports', (t) => {
    t.dropColumn('failure_reason');
  });
}
