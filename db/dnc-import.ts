// `npm run dnc:import -- FILE [--account AGENT_ID]`: loads a DNC file (one 10-digit number a
// line) into the federal list, or into an account's internal list with --account, in
// DATABASE_URL's database or the embedded one `npm start` keeps in .data/postgres. The leads
// already in Leadflow on the file's numbers are flagged as it goes in, batch by batch; stopped
// half-way, the command is run again with the same file (it adds nothing twice and flags the
// leads the first run had not reached). Then the leads that arrived during the load are checked
// by a sweep workflow on TEMPORAL_ADDRESS (else the running `npm start`'s Temporal server),
// which finishes even if this command is stopped; without Temporal, by this command.
import fs from 'node:fs';
import readline from 'node:readline';
import { openLocalDatabase } from '../dev/postgres.ts';
import { runningStack } from '../dev/running-stack.ts';
import { connectClient, temporalSettings } from '../temporal.config.ts';
import { startSuppressionSweep } from '../worker/clients/compliance.ts';
import { importDncNumbers } from './compliance/suppression-lists.ts';
import { sweepNewEntries } from './compliance/sweep.ts';
import { createKnex } from './knex.ts';

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith('--'));
const accountFlag = args.indexOf('--account');
if (!file) {
  console.error('usage: npm run dnc:import -- FILE [--account AGENT_ID]');
  process.exit(2);
}
if (!fs.existsSync(file)) {
  console.error(`dnc:import: no such file: ${file}`);
  process.exit(2);
}

const pg = await openLocalDatabase();
const knex = createKnex(pg.url);
try {
  let accountId: string | null = null;
  if (accountFlag >= 0) {
    const agentId = args[accountFlag + 1];
    const account = await knex('accounts').whereRaw('? = ANY(agent_ids)', [agentId]).first('id');
    if (!account) throw new Error(`no account has agent ID ${agentId}`);
    accountId = account.id;
  }
  const started = Date.now();
  const since = (await knex.raw('SELECT clock_timestamp() AS now')).rows[0].now as Date;
  // One time for the whole load and the sweep after it: a lead is flagged once, at that time.
  const at = new Date();
  const r = await importDncNumbers(knex, fileLines(file), { accountId, source: accountId ? 'internal' : 'federal', reason: `imported from ${file}`, flagLeads: { at } });
  console.log(`${file}: ${r.lines} lines, ${r.inserted} numbers added, ${r.alreadyListed} already listed, ${r.errorCount} bad lines (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  for (const e of r.errors) console.log(`  line ${e.line}: ${e.reason}`);
  if (r.errorCount > r.errors.length) console.log(`  ... and ${r.errorCount - r.errors.length} more`);
  console.log(`Leads on the file's numbers, flagged as it went in: ${r.sweep?.flagged ?? 0}.`);
  if (r.inserted) await flagExistingLeads(accountId, since, at);
} catch (err) {
  process.exitCode = 1;
  console.error(`dnc:import: ${(err as Error).message}`);
} finally {
  await knex.destroy();
  await pg.stop();
}

/**
 * The file's lines, read only once the load starts iterating: the load first prepares its lead
 * lookup, and a readline interface opened before that would have read the file meanwhile, its
 * lines gone before anyone listened (and the load would wait for them forever).
 */
async function* fileLines(path: string): AsyncGenerator<string> {
  yield* readline.createInterface({ input: fs.createReadStream(path), crlfDelay: Infinity });
}

/** The sweep after the load: the leads that arrived while the file went in. */
async function flagExistingLeads(accountId: string | null, since: Date, at: Date): Promise<void> {
  const stack = process.env.TEMPORAL_ADDRESS ? undefined : runningStack();
  const settings = temporalSettings();
  try {
    const { connection, client } = await connectClient(stack ? { ...settings, ...stack.temporal, tls: false, apiKey: undefined } : settings);
    try {
      const id = await startSuppressionSweep(client, { accountId, since: since.toISOString(), at: at.toISOString() }, { taskQueue: settings.taskQueue });
      console.log(`Leads that arrived during the load are being checked by workflow ${id}.`);
      return;
    } finally {
      await connection.close();
    }
  } catch (err) {
    console.log(`Temporal is not reachable (${(err as Error).message}); checking the leads that arrived during the load here.`);
  }
  const s = await sweepNewEntries(knex, { accountId, since, at });
  console.log(`Leads that arrived during the load on the new numbers: ${s.matched}; newly flagged: ${s.flagged}.`);
}
