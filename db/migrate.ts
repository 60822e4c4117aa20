// `npm run db:migrate`: brings DATABASE_URL's database, or when it is unset the embedded one
// `npm start` keeps in .data/postgres (the running stack's server when it runs), to the latest
// migration.
import { openLocalDatabase } from '../dev/postgres.ts';
import { redactUrl } from '../dev/local.ts';
import { createKnex, migrateLatest } from './knex.ts';

const pg = await openLocalDatabase();
const knex = createKnex(pg.url);
try {
  const applied = await migrateLatest(knex);
  console.log(applied.length ? `Applied ${applied.join(', ')} to ${redactUrl(pg.url)}` : `${redactUrl(pg.url)} is up to date`);
} catch (err) {
  process.exitCode = 1;
  console.error(err);
} finally {
  await knex.destroy();
  await pg.stop();
}
