// Intake: API idempotency keys, and CSV uploads for the import workflow.
//
// Idempotency: a vendor that retries a POST with the same Idempotency-Key gets the
// first answer back instead of a second source touch. The row is written in the same
// transaction as the lead, so a key is never recorded for a lead that was not saved.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('intake_idempotency', (t) => {
    t.uuid('account_id').notNullable().references('accounts.id').onDelete('CASCADE');
    t.text('key').notNullable();
    // sha256 of the request body: the same key with another body is the caller's bug, not a retry.
    t.text('request_hash').notNullable();
    t.uuid('lead_id').references('leads.id').onDelete('CASCADE').index();
    t.bigInteger('touch_id');
    t.boolean('merged');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['account_id', 'key']);
    t.index(['created_at']);
  });

  // CSV uploads, kept in Postgres rather than on a disk: every worker can read them, and they go
  // with the database's backups and with the import (ON DELETE CASCADE). The column mapping is
  // field -> column index, so batches read from a byte offset need not see the header again.
  await knex.schema.createTable('import_files', (t) => {
    t.uuid('import_id').primary().references('imports.id').onDelete('CASCADE');
    t.binary('content').notNullable();
    t.jsonb('header').notNullable().defaultTo('[]');
    t.jsonb('mapping').notNullable().defaultTo('{}');
    // imports has no source column; every row of one upload comes from one source.
    t.text('source').notNullable().defaultTo('spreadsheet');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('import_files');
  await knex.schema.dropTableIfExists('intake_idempotency');
}
