// A database of this test file's own, cloned from the migrated template (global-setup.ts).
import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import type { Knex } from 'knex';
import { createKnex } from '../../db/knex.ts';
import { ensureDatabase, withDatabase } from '../../db/postgres.ts';

export interface TestDatabase {
  url: string;
  knex: Knex;
  destroy(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = inject('databaseAdminUrl');
  const name = `leadflow_test_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  await ensureDatabase(adminUrl, name, inject('templateDatabase'));
  const url = withDatabase(adminUrl, name);
  const knex = createKnex(url);
  return {
    url,
    knex,
    destroy: async () => {
      await knex.destroy();
      const { default: pg } = await import('pg');
      const admin = new pg.Client({ connectionString: adminUrl });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
    },
  };
}
