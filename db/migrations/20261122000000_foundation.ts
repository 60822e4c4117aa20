// The foundation schema: accounts and their users and seats, sign-in support, leads and
// everything recorded about them, imports, templates, suppression lists, the e-mail outbox
// and assignments. Every account-owned row carries account_id so every query can be scoped.
import type { Knex } from 'knex';

const ts = (t: Knex.CreateTableBuilder, knex: Knex) => {
  t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
};

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('accounts', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('name').notNullable();
    // An account (agency) may combine several agent IDs; the owner's username is the first.
    t.specificType('agent_ids', 'text[]').notNullable();
    t.boolean('shark_tank').notNullable().defaultTo(false);
    t.integer('paid_seats').notNullable().defaultTo(0);
    t.boolean('eagent_enabled').notNullable().defaultTo(false);
    t.text('eagent_url');
    t.text('eagent_milestone');
    ts(t, knex);
  });

  await knex.schema.createTable('users', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('account_id').notNullable().references('accounts.id').onDelete('CASCADE');
    t.text('username').notNullable();
    t.text('email').notNullable();
    t.text('name').notNullable();
    t.text('role').notNullable().checkIn(['owner', 'admin', 'lsp', 'support'], 'users_role_check');
    t.text('status').notNullable().defaultTo('active').checkIn(['active', 'inactive'], 'users_status_check');
    t.text('password_hash').notNullable();
    t.boolean('must_change_password').notNullable().defaultTo(false);
    ts(t, knex);
    t.index(['account_id', 'role']);
  });
  // Usernames are how people sign in, so they are unique regardless of case.
  await knex.raw('CREATE UNIQUE INDEX users_username_unique ON users (lower(username))');

  await knex.schema.createTable('password_reset_tokens', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE').index();
    t.text('token_hash').notNullable().unique();
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('used_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('login_attempts', (t) => {
    t.bigIncrements('id');
    t.text('key').notNullable();
    t.boolean('succeeded').notNullable();
    t.timestamp('attempted_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['key', 'attempted_at']);
  });

  await knex.schema.createTable('api_keys', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('account_id').notNullable().references('accounts.id').onDelete('CASCADE').index();
    t.text('name').notNullable();
    t.text('prefix').notNullable();
    t.text('key_hash').notNullable().unique();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('revoked_at', { useTz: true });
  });

  await knex.schema.createTable('imports', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('account_id').notNullable().references('accounts.id').onDelete('CASCADE');
    t.text('name').notNullable();
    t.text('file_name');
    t.text('status').notNullable().defaultTo('pending').checkIn(['pending', 'running', 'done', 'failed'], 'imports_status_check');
    t.integer('total_rows').notNullable().defaultTo(0);
    t.integer('ok_rows').notNullable().defaultTo(0);
    t.integer('error_rows').notNullable().defaultTo(0);
    t.uuid('created_by').references('users.id').onDelete('SET NULL').index();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('finished_at', { useTz: true });
    t.index(['account_id', 'created_at']);
  });

  await knex.schema.createTable('import_row_errors', (t) => {
    t.bigIncrements('id');
    t.uuid('import_id').notNullable().references('imports.id').onDelete('CASCADE');
    t.integer('line_number').notNullable();
    t.text('reason').notNullable();
    t.text('raw');
    t.index(['import_id', 'line_number']);
  });

  await knex.schema.createTable('leads', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('account_id').notNullable().references('accounts.id').onDelete('CASCADE');
    t.text('first_name').notNullable();
    t.text('last_name').notNullable();
    t.text('address_line1').notNullable().defaultTo('');
    t.text('address_line2');
    t.text('city').notNullable().defaultTo('');
    t.text('state').notNullable().defaultTo('');
    t.text('zip').notNullable().defaultTo('');
    // [{ raw, e164, valid }] and [{ raw, address, valid }]
    t.jsonb('phones').notNullable().defaultTo('[]');
    t.jsonb('emails').notNullable().defaultTo('[]');
    // first + last name + address, trimmed, spaces collapsed, case folded: one person.
    t.text('dup_key').notNullable();
    t.text('source').notNullable();
    t.text('import_name');
    t.uuid('import_id').references('imports.id').onDelete('SET NULL').index();
    t.text('kind').notNullable().defaultTo('P').checkIn(['P', 'C'], 'leads_kind_check');
    for (const flag of ['dnc', 'dne', 'dnm']) {
      t.boolean(flag).notNullable().defaultTo(false);
      t.timestamp(`${flag}_at`, { useTz: true });
      t.text(`${flag}_reason`);
    }
    t.text('time_zone');
    t.text('segment').checkIn(['highly_engaged', 'engaged', 'cold'], 'leads_segment_check');
    t.text('status').notNullable().defaultTo('new').checkIn(['new', 'active', 'recycled', 'archived', 'removed'], 'leads_status_check');
    t.text('milestone').notNullable().defaultTo('new');
    t.uuid('assigned_user_id').references('users.id').onDelete('SET NULL');
    t.timestamp('next_follow_up_at', { useTz: true });
    ts(t, knex);
    t.timestamp('recycled_at', { useTz: true });
    t.unique(['account_id', 'dup_key']);
    t.index(['account_id', 'status', 'created_at']);
    t.index(['account_id', 'assigned_user_id', 'next_follow_up_at']);
    t.index(['account_id', 'source']);
    t.index(['account_id', 'import_name']);
    t.index(['account_id', 'milestone']);
  });

  await knex.schema.createTable('lead_events', (t) => {
    t.bigIncrements('id');
    t.uuid('lead_id').notNullable().references('leads.id').onDelete('CASCADE');
    t.uuid('account_id').notNullable().references('accounts.id').onDelete('CASCADE').index();
    t.uuid('actor_user_id').references('users.id').onDelete('SET NULL').index();
    t.text('actor_system');
    t.text('type').notNullable();
    t.text('note');
    t.jsonb('data').notNullable().defaultTo('{}');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    // Idempotency for workflow activities: workflow id + purpose + sequence.
    t.text('idempotency_key').unique();
    t.index(['lead_id', 'created_at']);
  });

  await knex.schema.createTable('lead_source_touches', (t) => {
    t.bigIncrements('id');
    t.uuid('lead_id').notNullable().references('leads.id').onDelete('CASCADE');
    t.uuid('account_id').notNullable().references('accounts.id').onDelete('CASCADE').index();
    t.text('source').notNullable();
    t.text('import_name');
    t.jsonb('payload').notNullable().defaultTo('{}');
    t.timestamp('received_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['lead_id', 'received_at']);
  });

  await knex.schema.createTable('workflow_templates', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('account_id').notNullable().references('accounts.id').onDelete('CASCADE');
    t.text('key').notNullable();
    t.text('name').notNullable();
    t.boolean('enabled').notNullable().defaultTo(true);
    ts(t, knex);
    t.unique(['account_id', 'key']);
  });

  await knex.schema.createTable('suppression_entries', (t) => {
    t.bigIncrements('id');
    // NULL account: the federal list, shared by every account.
    t.uuid('account_id').references('accounts.id').onDelete('CASCADE');
    t.text('list').notNullable().checkIn(['dnc', 'dne', 'dnm', 'customer'], 'suppression_list_check');
    t.text('value').notNullable();
    t.text('source').notNullable().checkIn(['federal', 'internal', 'upload'], 'suppression_source_check');
    t.text('reason');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw('CREATE UNIQUE INDEX suppression_federal_unique ON suppression_entries (list, value) WHERE account_id IS NULL');
  await knex.raw('CREATE UNIQUE INDEX suppression_account_unique ON suppression_entries (account_id, list, value) WHERE account_id IS NOT NULL');

  await knex.schema.createTable('email_outbox', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('account_id').references('accounts.id').onDelete('CASCADE').index();
    t.text('idempotency_key').notNullable().unique();
    t.text('to_address').notNullable();
    t.text('subject').notNullable();
    t.text('body_text').notNullable();
    t.text('body_html');
    t.text('status').notNullable().defaultTo('pending').checkIn(['pending', 'sent', 'failed'], 'email_outbox_status_check');
    t.integer('attempts').notNullable().defaultTo(0);
    t.text('last_error');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('sent_at', { useTz: true });
    t.index(['status', 'created_at']);
  });

  await knex.schema.createTable('assignments', (t) => {
    t.bigIncrements('id');
    t.uuid('lead_id').notNullable().references('leads.id').onDelete('CASCADE');
    t.uuid('account_id').notNullable().references('accounts.id').onDelete('CASCADE');
    t.uuid('user_id').references('users.id').onDelete('SET NULL').index();
    t.uuid('assigned_by_user_id').references('users.id').onDelete('SET NULL').index();
    t.text('reason').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['lead_id', 'created_at']);
    t.index(['account_id', 'user_id', 'created_at']);
  });

  // The worker's end-to-end path check (web -> Temporal -> worker -> activity -> Postgres).
  await knex.schema.createTable('system_checks', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('account_id').notNullable().references('accounts.id').onDelete('CASCADE').index();
    t.uuid('requested_by').references('users.id').onDelete('SET NULL').index();
    t.text('workflow_id').notNullable().unique();
    t.text('status').notNullable().defaultTo('started');
    t.text('worker_identity');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('completed_at', { useTz: true });
  });

  // Mail caught by the local SMTP catcher of `npm start` (development only).
  await knex.schema.createTable('caught_mail', (t) => {
    t.bigIncrements('id');
    t.text('message_id');
    t.text('from_address').notNullable().defaultTo('');
    t.specificType('to_addresses', 'text[]').notNullable();
    t.text('subject').notNullable().defaultTo('');
    t.text('text');
    t.text('html');
    t.timestamp('received_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['received_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of [
    'caught_mail',
    'system_checks',
    'assignments',
    'email_outbox',
    'suppression_entries',
    'workflow_templates',
    'lead_source_touches',
    'lead_events',
    'leads',
    'import_row_errors',
    'imports',
    'api_keys',
    'login_attempts',
    'password_reset_tokens',
    'users',
    'accounts',
  ]) {
    await knex.schema.dropTableIfExists(table);
  }
}
