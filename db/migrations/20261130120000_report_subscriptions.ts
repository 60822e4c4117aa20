// E-mailed reports: an owner or admin asks for a daily and / or a weekly summary of the
// account's activity at an hour of their choosing on the account's clock (weekly: also the
// weekday). One row per user and kind; the e-mails themselves go through email_outbox, keyed
// by the user, the kind and the period, so a period is never mailed twice.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('report_subscriptions', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('account_id').notNullable().references('accounts.id').onDelete('CASCADE').index();
    t.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.text('kind').notNullable().checkIn(['daily', 'weekly'], 'report_subscriptions_kind_check');
    // The local hour (0 to 23) in the account's time zone.
    t.integer('hour').notNullable();
    // Weekly only: the local weekday, 0 = Sunday to 6 = Saturday.
    t.integer('weekday');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['user_id', 'kind']);
  });
  await knex.raw(`ALTER TABLE report_subscriptions ADD CONSTRAINT report_subscriptions_hour_check CHECK (hour BETWEEN 0 AND 23)`);
  await knex.raw(`ALTER TABLE report_subscriptions ADD CONSTRAINT report_subscriptions_weekday_check
    CHECK ((kind = 'weekly' AND weekday BETWEEN 0 AND 6) OR (kind = 'daily' AND weekday IS NULL))`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('report_subscriptions');
}
