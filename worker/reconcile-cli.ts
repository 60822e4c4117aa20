// `npm run reconcile [-- --account AGENT_ID]`: restarts open leads that have no running
// workflow, against DATABASE_URL (or the embedded database `npm start` keeps) and
// TEMPORAL_ADDRESS (else the running `npm start`'s Temporal server, else localhost:7233).
import { redactUrl } from '../dev/local.ts';
import { openLocalDatabase } from '../dev/postgres.ts';
import { runningStack } from '../dev/running-stack.ts';
import { createKnex } from '../db/knex.ts';
import { connectClient, temporalSettings } from '../temporal.config.ts';
import { reconcileLeads } from '../activities/reconcile.ts';

const args = process.argv.slice(2);
const i = args.indexOf('--account');
const agentId = i >= 0 ? args[i + 1] : undefined;

const pg = await openLocalDatabase();
const knex = createKnex(pg.url);
try {
  const stack = process.env.TEMPORAL_ADDRESS ? undefined : runningStack();
  const settings = temporalSettings();
  const { connection, client } = await connectClient(stack ? { ...settings, ...stack.temporal, tls: false, apiKey: undefined } : settings);
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
