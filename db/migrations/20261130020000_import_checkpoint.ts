// Where a running import has got to, committed with each batch's row errors: a retried import
// activity (a worker killed mid-file) resumes from here instead of from the top, and a repeated
// batch cannot report its bad rows twice. Null until the first batch commits.
//
// The upload is stored uncompressed (STORAGE EXTERNAL) so that reading it a slice at a time
// fetches only that slice's TOAST chunks rather than decompressing the whole file per slice.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('imports', (t) => {
    t.bigInteger('resume_offset');
    t.integer('resume_line');
  });
  await knex.raw('ALTER TABLE import_files ALTER COLUMN content SET STORAGE EXTERNAL');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE import_files ALTER COLUMN content SET STORAGE EXTENDED');
  await knex.schema.alterTable('imports', (t) => {
    t.dropColumn('resume_line');
    t.dropColumn('resume_offset');
  });
}
