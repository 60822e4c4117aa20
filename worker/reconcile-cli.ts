// `npm run reconcile [-- --account AGENT_ID]`: restarts open leads that have no running
// workflow, against DATABASE_URL (or the embedded database `npm start` keeps) and
// TEMPORAL_ADDRESS (or localhost:7233, where `npm start` runs its Temporal server).
import { redactUrl } from '../dev/local.ts';
import { startLocalPostgres } from '../dev/postgres.ts';
import { createKnex } from '../db/knex.ts';
import { connectClient } from '../temporal.config.ts';
import { reconcileLeads } from './reconcile.ts';

const args = process.argv.slice(2);
const i = args.indexOf('--account');
const agentId = i >= 0 ? args[i + 1] : undefined;

const pg = await startLocalPostgres();
const knex = createKnex(pg.url);
try {
  const { connection, client } = await connectClient();
  try {
    let accountId: string | undefined;
    if (agentId) {
      const account = await knex('accounts').whereRaw('? = ANY(agent_ids)', [agentId]).first('id');
      if (!account) throw new Error(`no account has agent ID ${agentId}`);
      accountId = account.id;
    }
    const r = await reconcileLeads(client, knex, { accountId });
    console.log(`${redactUrl(pg.url)}: ${r.checked} open leads checked, ${r.restarted.length} workflows restarted`);
    for (const id of r.restarted) console.log(`  restarted lead-${id}`);
  } finally {
    await connection.close();
  }
} catch (err) {
  process.exitCode = 1;
  console.error(`reconcile: ${(err as Error).message}`);
} finally {
  await knex.destroy();
  await pg.stop();
}
