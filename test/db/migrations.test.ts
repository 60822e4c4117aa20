import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateLatest, migrateRollbackAll } from '../../db/knex.ts';
import { up as refoldDuplicateKeys } from '../../db/migrations/20261130040000_refold_duplicate_keys.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.destroy();
});

describe('migrations', () => {
  it('roll back completely and apply again (up and down are symmetric)', async () => {
    await migrateRollbackAll(db.knex);
    const left = await db.knex.raw(`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public' AND table_name NOT LIKE 'knex_%'`);
    expect(left.rows[0].n).toBe(0);
    const applied = await migrateLatest(db.knex);
    expect(applied).toContain('20261122000000_foundation');
  });

  it('refuses a second lead with the same duplicate key in one account', async () => {
    const [account] = await db.knex('accounts').insert({ name: 'A', agent_ids: ['A0001'] }).returning('id');
    const lead = { account_id: account.id, first_name: 'Ann', last_name: 'Lee', dup_key: 'ann|lee|1 main st', source: 'manual' };
    await db.knex('leads').insert(lead);
    await expect(db.knex('leads').insert(lead)).rejects.toThrow(/leads_account_id_dup_key_unique/);
  });

  it('brings stored duplicate keys to the Unicode-aware rule, leaving a twin that would collide as it was', async () => {
    const [account] = await db.knex('accounts').insert({ name: 'R', agent_ids: ['R0001'] }).returning('id');
    const lead = (first: string, key: string, createdAt: string) => ({ account_id: account.id, first_name: first, last_name: 'Lee', dup_key: key, source: 'manual', created_at: createdAt });
    const [older, newer, plain] = await db.knex('leads')
      .insert([
        lead('Straße', 'straße|lee|1 main st||austin|tx|78701', '2026-01-01T00:00:00Z'),
        lead('STRASSE', 'strasse|lee|1 main st||austin|tx|78701', '2026-02-01T00:00:00Z'),
        lead('Ann', 'ann\u200b|lee|1 main st||austin|tx|78701', '2026-03-01T00:00:00Z'),
      ])
      .returning('id');
    await db.knex('suppression_entries').insert([
      { account_id: account.id, list: 'customer', value: 'joß|lee|2 main st||austin|tx|78701', source: 'upload' },
      { account_id: account.id, list: 'customer', value: 'joss|lee|2 main st||austin|tx|78701', source: 'upload' },
    ]);
    // The refold ran when suppression entries still had their id column (a later migration
    // dropped it): run it on the table as it then was.
    await db.knex.raw('ALTER TABLE suppression_entries ADD COLUMN id bigserial');
    await refoldDuplicateKeys(db.knex);
    await db.knex.raw('ALTER TABLE suppression_entries DROP COLUMN id');
    const keys = Object.fromEntries((await db.knex('leads').whereIn('id', [older.id, newer.id, plain.id]).select('id', 'dup_key')).map((r) => [r.id, r.dup_key]));
    // The newer twin already held the refolded key, so the older one keeps its own.
    expect(keys[older.id]).toBe('straße|lee|1 main st||austin|tx|78701');
    expect(keys[newer.id]).toBe('strasse|lee|1 main st||austin|tx|78701');
    expect(keys[plain.id]).toBe('ann|lee|1 main st||austin|tx|78701');
    const customers = await db.knex('suppression_entries').where({ account_id: account.id, list: 'customer' }).pluck('value');
    expect(customers).toEqual(['joss|lee|2 main st||austin|tx|78701']);
  });
});
