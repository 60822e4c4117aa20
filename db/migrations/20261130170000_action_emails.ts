// Action e-mails (docs/product.md, "Working the lead"): the E-mail Confirmed Quick Action mails
// the lead the account's confirmation, an Appointment mails the account's appointment desk.
// The owner edits both templates; a key without a row uses the built-in default. The lead keeps
// when each mail went out, as the agency's playbook stamps "Date E-mail Confirmed" and
// "Date Appointment Made".
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('accounts', (t) => {
    // Where an Appointment is announced; null: nobody is told.
    t.text('appointment_desk_email');
  });
  await knex.schema.alterTable('leads', (t) => {
    t.timestamp('email_confirmed_at', { useTz: true });
    t.timestamp('appointment_made_at', { useTz: true });
  });
  await knex.schema.createTable('action_email_templates', (t) => {
    t.uuid('account_id').notNullable().references('accounts.id').onDelete('CASCADE');
    t.text('key').notNullable().checkIn(['confirmation', 'appointment_desk'], 'action_email_templates_key_check');
    t.text('subject').notNullable();
    t.text('body').notNullable();
    t.uuid('updated_by_user_id').references('users.id').onDelete('SET NULL');
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['account_id', 'key']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('action_email_templates');
  await knex.schema.alterTable('leads', (t) => {
    t.dropColumn('email_confirmed_at');
    t.dropColumn('appointment_made_at');
  });
  await knex.schema.alterTable('accounts', (t) => {
    t.dropColumn('appointment_desk_email');
  });
}
