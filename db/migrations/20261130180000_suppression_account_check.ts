// A list load writes up to a million suppression entries at once. The declared foreign key to
// accounts checked each entry with a query of its own, which was about half the cost of writing
// it; the same rule is now checked once per statement, over the accounts the statement's rows
// name (locked FOR KEY SHARE, as the foreign key did, so an account cannot go away under a load
// that names it). Deleting an account still deletes its entries, by a trigger on accounts.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  const { rows } = await knex.raw<{ rows: Array<{ conname: string }> }>(
    `SELECT conname FROM pg_constraint WHERE conrelid = 'suppression_entries'::regclass AND contype = 'f' AND confrelid = 'accounts'::regclass`,
  );
  for (const { conname } of rows) await knex.raw('ALTER TABLE suppression_entries DROP CONSTRAINT ??', [conname]);
  await knex.raw(`
    CREATE FUNCTION suppression_entries_check_accounts() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      named int;
      found int;
    BEGIN
      SELECT count(DISTINCT account_id) INTO named FROM new_entries WHERE account_id IS NOT NULL;
      IF named = 0 THEN
        RETURN NULL;
      END IF;
      SELECT count(*) INTO found FROM (SELECT 1 FROM accounts WHERE id IN (SELECT account_id FROM new_entries) FOR KEY SHARE) a;
      IF found < named THEN
        RAISE EXCEPTION 'insert or update on table "suppression_entries" names an account that does not exist' USING ERRCODE = 'foreign_key_violation';
      END IF;
      RETURN NULL;
    END
    $$`);
  await knex.raw(`CREATE TRIGGER suppression_entries_account_insert AFTER INSERT ON suppression_entries REFERENCING NEW TABLE AS new_entries
                  FOR EACH STATEMENT EXECUTE FUNCTION suppression_entries_check_accounts()`);
  await knex.raw(`CREATE TRIGGER suppression_entries_account_update AFTER UPDATE ON suppression_entries REFERENCING NEW TABLE AS new_entries
                  FOR EACH STATEMENT EXECUTE FUNCTION suppression_entries_check_accounts()`);
  await knex.raw(`
    CREATE FUNCTION accounts_delete_suppression_entries() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      DELETE FROM suppression_entries WHERE account_id = OLD.id;
      RETURN NULL;
    END
    $$`);
  await knex.raw('CREATE TRIGGER accounts_delete_suppression_entries AFTER DELETE ON accounts FOR EACH ROW EXECUTE FUNCTION accounts_delete_suppression_entries()');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TRIGGER IF EXISTS accounts_delete_suppression_entries ON accounts');
  await knex.raw('DROP FUNCTION IF EXISTS accounts_delete_suppression_entries()');
  await knex.raw('DROP TRIGGER IF EXISTS suppression_entries_account_update ON suppression_entries');
  await knex.raw('DROP TRIGGER IF EXISTS suppression_entries_account_insert ON suppression_entries');
  await knex.raw('DROP FUNCTION IF EXISTS suppression_entries_check_accounts()');
  await knex.raw('ALTER TABLE suppression_entries ADD CONSTRAINT suppression_entries_account_id_foreign FOREIGN KEY (account_id) REFERENCES accounts (id) ON DELETE CASCADE');
}
