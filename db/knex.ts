import knexFactory, { type Knex } from 'knex';
import { migrationSource } from './migrations/index.ts';

/** A knex instance for a PostgreSQL URL. Snake_case columns map to camelCase in objection models. */
export function createKnex(databaseUrl: string, opts: { pool?: { min: number; max: number } } = {}): Knex {
  return knexFactory({
    client: 'pg',
    connection: databaseUrl,
    pool: opts.pool ?? { min: 0, max: 10 },
  });
}

export async function migrateLatest(knex: Knex): Promise<string[]> {
  const [, applied] = await knex.migrate.latest({ migrationSource });
  return applied as string[];
}

export async function migrateRollbackAll(knex: Knex): Promise<void> {
  await knex.migrate.rollback({ migrationSource }, true);
}
