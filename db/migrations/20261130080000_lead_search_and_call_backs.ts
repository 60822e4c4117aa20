// Finding a lead and seeing its call-back ahead.
//
// Search: the leads list looks leads up by name, phone (any format) or e-mail address. Each is a
// substring match on one folded text per lead (lower-cased name; the phones' digits; the
// lower-cased addresses) with a trigram index, so "504-555-0142", "(504) 555-0142", "+15045550142"
// and "5550142" all find the same lead among 100,000 without reading them all.
//
// Call-backs: the lead workflow keeps the booked call-back (the latest Appointment / Call Back
// Quick Action) in its state; leads.next_follow_up_at only gets it once its day has begun. The
// lists need it before that, so `call_back_at` mirrors it: a trigger on the history row the
// Quick Action activity writes keeps it, whichever writer records the action.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // Trusted since PostgreSQL 13: the database's owner may create it.
  await knex.raw('CREATE EXTENSION IF NOT EXISTS pg_trgm');
  // The phones' digits (E.164 when intake could read it, else as typed) and the addresses,
  // space-separated. IMMUTABLE so they can be indexed: they read only their argument.
  await knex.raw(`
    CREATE FUNCTION leads_search_phones(phones jsonb) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
      SELECT coalesce(string_agg(regexp_replace(coalesce(p->>'e164', p->>'raw', ''), '[^0-9]', '', 'g'), ' '), '')
        FROM jsonb_array_elements(CASE WHEN jsonb_typeof(phones) = 'array' THEN phones ELSE '[]'::jsonb END) p
    $$`);
  await knex.raw(`
    CREATE FUNCTION leads_search_emails(emails jsonb) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
      SELECT coalesce(string_agg(lower(coalesce(e->>'address', e->>'raw', '')), ' '), '')
        FROM jsonb_array_elements(CASE WHEN jsonb_typeof(emails) = 'array' THEN emails ELSE '[]'::jsonb END) e
    $$`);
  await knex.raw(`CREATE INDEX leads_search_name_idx ON leads USING gin (lower(first_name || ' ' || last_name) gin_trgm_ops)`);
  await knex.raw('CREATE INDEX leads_search_phones_idx ON leads USING gin (leads_search_phones(phones) gin_trgm_ops)');
  await knex.raw('CREATE INDEX leads_search_emails_idx ON leads USING gin (leads_search_emails(emails) gin_trgm_ops)');

  await knex.schema.alterTable('leads', (t) => {
    // The booked call-back (past ones too: the lists show only those ahead).
    t.timestamp('call_back_at', { useTz: true });
  });
  await knex.raw('CREATE INDEX leads_call_back_idx ON leads (account_id, call_back_at) WHERE call_back_at IS NOT NULL');
  // A due time PostgreSQL cannot read leaves the column as it was rather than failing the
  // activity's transaction (the workflow still holds the call-back).
  await knex.raw(`
    CREATE FUNCTION leads_keep_call_back() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.type = 'quick_action' AND NEW.data->>'action' = 'appointment' AND NEW.data->>'dueAt' IS NOT NULL THEN
        BEGIN
          UPDATE leads SET call_back_at = (NEW.data->>'dueAt')::timestamptz WHERE id = NEW.lead_id AND account_id = NEW.account_id;
        EXCEPTION WHEN invalid_datetime_format OR datetime_field_overflow THEN
          NULL;
        END;
      END IF;
      RETURN NULL;
    END
    $$`);
  await knex.raw('CREATE TRIGGER lead_events_keep_call_back AFTER INSERT ON lead_events FOR EACH ROW EXECUTE FUNCTION leads_keep_call_back()');
  // Call-backs booked before this migration: the latest appointment of each lead whose due time
  // is an ISO time (`\\?` is a literal question mark to knex, not a binding).
  await knex.raw(`
    UPDATE leads l SET call_back_at = b.due_at
      FROM (SELECT DISTINCT ON (lead_id) lead_id, account_id, (data->>'dueAt')::timestamptz AS due_at
              FROM lead_events
             WHERE type = 'quick_action' AND data->>'action' = 'appointment'
               AND data->>'dueAt' ~ '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)\\?)\\?(Z|[+-]\\d{2}:\\?\\d{2})$'
             ORDER BY lead_id, created_at DESC, id DESC) b
     WHERE l.id = b.lead_id AND l.account_id = b.account_id`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TRIGGER IF EXISTS lead_events_keep_call_back ON lead_events');
  await knex.raw('DROP FUNCTION IF EXISTS leads_keep_call_back()');
  await knex.raw('DROP INDEX IF EXISTS leads_call_back_idx');
  await knex.schema.alterTable('leads', (t) => {
    t.dropColumn('call_back_at');
  });
  await knex.raw('DROP INDEX IF EXISTS leads_search_emails_idx');
  await knex.raw('DROP INDEX IF EXISTS leads_search_phones_idx');
  await knex.raw('DROP INDEX IF EXISTS leads_search_name_idx');
  await knex.raw('DROP FUNCTION IF EXISTS leads_search_emails(jsonb)');
  await knex.raw('DROP FUNCTION IF EXISTS leads_search_phones(jsonb)');
}
