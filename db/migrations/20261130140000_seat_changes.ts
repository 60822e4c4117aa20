// Every change of an account's paid seats, with who made it and when: the owner's Subscription
// page lists them, so the agency can see what it committed to pay and since when.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('seat_changes', (t) => {
    t.bigIncrements('id');
    t.uuid('account_id').notNullable().references('accounts.id').onDelete('CASCADE');
    t.uuid('changed_by_user_id').references('users.id').onDelete('SET NULL');
    t.integer('paid_seats_before').notNullable();
    t.integer('paid_seats_after').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['account_id', 'created_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('seat_changes');
}
