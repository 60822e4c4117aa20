// Once per `npm test`: a PostgreSQL for every suite (DATABASE_URL's server when set, else an
// embedded one in a temporary directory) and a migrated template database. Each test file
// then gets its own database cloned from the template (test/support/db.ts), so files never
// see each other's rows and need no cleanup.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { createKnex, migrateLatest } from '../../db/knex.ts';
import { ensureDatabase, startEmbeddedPostgres, withDatabase, type RunningPostgres } from '../../db/postgres.ts';

export const TEMPLATE_DATABASE = 'leadflow_test_template';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseAdminUrl: string;
    templateDatabase: string;
  }
}

export default async function setup(project: TestProject) {
  let server: RunningPostgres | undefined;
  let dataDir: string | undefined;
  let adminUrl: string;
  if (process.env.DATABASE_URL) {
    adminUrl = withDatabase(process.env.DATABASE_URL, 'postgres');
  } else {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'leadflow-test-pg-'));
    // The embedded server runs as an unprivileged user when we are root: let it in.
    fs.chmodSync(dataDir, 0o777);
    server = await startEmbeddedPostgres({ dataDir: path.join(dataDir, 'data'), persistent: false });
    adminUrl = server.adminUrl;
  }
  // A fresh template every run, so a changed migration is always what the tests see.
  const { default: pg } = await import('pg');
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${TEMPLATE_DATABASE} WITH (FORCE)`);
  await admin.end();
  await ensureDatabase(adminUrl, TEMPLATE_DATABASE);
  const knex = createKnex(withDatabase(adminUrl, TEMPLATE_DATABASE));
  await migrateLatest(knex);
  await knex.destroy();

  project.provide('databaseAdminUrl', adminUrl);
  project.provide('templateDatabase', TEMPLATE_DATABASE);

  return async () => {
    await server?.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  };
}
