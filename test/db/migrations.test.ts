import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateLatest, migrateRollbackAll } from '../../db/knex.ts';
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
});
