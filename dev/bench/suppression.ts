// npm run bench:suppression — how long a big suppression upload takes to reach the leads
// already in Leadflow. Real parts: embedded PostgreSQL (or DATABASE_URL's server), the same
// import and sweep functions the Compliance page and `npm run dnc:import` run (the sweep
// workflow's activity calls the same `sweepNewEntries`).
//   1. BENCH_SUPPRESSION_LEADS leads (default 100,000) in one account, each with a phone.
//   2. A BENCH_SUPPRESSION_NUMBERS-number DNC file (default 1,000,000), 5% of them the leads'
//      numbers, loaded into the account's internal list as `npm run dnc:import` loads it, the
//      leads flagged batch by batch as it goes in: the time until the load answers, when every
//      matching lead must be flagged (checked by counting them). Target: < 15 s.
//   3. The sweep after the upload (for leads that arrived during it): it finds none left here.
//   4. Search by phone over the same leads, as the leads list runs it (listLeads with `q`, the
//      count and the first page, for an owner who sees all of them), the number written three
//      ways in turn: BENCH_SEARCHES searches (default 300), p50 / p95. Target: p95 < 200 ms.
import os from 'node:os';
import { importDncNumbers } from '../../db/compliance/suppression-lists.ts';
import { leadsMatchingNewEntries, sweepNewEntries } from '../../db/compliance/sweep.ts';
import { createBenchAccount, seededRandom, startBenchDatabase } from './support.ts';
import { listLeads, parseLeadListParams } from '../../web/app/utils/leads.server.ts';
import type { SessionUser } from '../../web/app/utils/auth.server.ts';

const LEADS = Number(process.env.BENCH_SUPPRESSION_LEADS ?? 100_000);
const NUMBERS = Number(process.env.BENCH_SUPPRESSION_NUMBERS ?? 1_000_000);
const MATCH_SHARE = 0.05;
const SEARCHES = Number(process.env.BENCH_SEARCHES ?? 300);

const rand = seededRandom(0xd0c);
/** The i-th lead's number: distinct, valid US numbers (area codes 201-989, exchanges 200-999). */
const leadNumber = (i: number) => `${201 + (i % 700)}${200 + Math.floor(i / 700) % 800}${String(i % 10_000).padStart(4, '0')}`;

const db = await startBenchDatabase({ prefix: 'bench_suppression', poolMax: 8 });
try {
  const accountId = await createBenchAccount(db.knex, 'Suppression Bench', 'SUPBENCH');
  let t = Date.now();
  // Set-based: one statement writes the leads, as a big import would leave them.
  await db.knex.raw(
    `INSERT INTO leads (account_id, first_name, last_name, address_line1, city, state, zip, phones, emails, dup_key, source, segment)
     SELECT :accountId, 'Pat', 'Lead' || i, i || ' Main St', 'Austin', 'TX', '73301',
            jsonb_build_array(jsonb_build_object('raw', n, 'e164', '+1' || n, 'valid', true)), '[]'::jsonb,
            'pat|lead' || i || '|' || i, 'web_vendor', 'cold'
       FROM generate_series(0, :last) AS i,
            LATERAL (SELECT (201 + i % 700)::text || (200 + (i / 700) % 800)::text || lpad((i % 10000)::text, 4, '0') AS n) AS num`,
    { accountId, last: LEADS - 1 },
  );
  await db.knex.raw('ANALYZE leads');
  console.log(`${LEADS} leads written in ${((Date.now() - t) / 1000).toFixed(1)} s`);

  // 5% of the file are leads' numbers (spread over the file), the rest numbers no lead has.
  const matching = Math.min(LEADS, Math.round(NUMBERS * MATCH_SHARE));
  const step = Math.max(1, Math.floor(LEADS / matching));
  async function* file() {
    let matched = 0;
    for (let k = 0; k < NUMBERS; k++) {
      if (matched < matching && rand() < MATCH_SHARE * 1.2) yield leadNumber(matched++ * step);
      // Area code 989 is none of the leads' (201-900): a number nobody has, each one once.
      else yield `989${200 + (Math.floor(k / 10_000) % 800)}${String(k % 10_000).padStart(4, '0')}`;
    }
  }
  const since = (await db.knex.raw('SELECT clock_timestamp() AS now')).rows[0].now as Date;
  const countFlagged = async () => Number((await db.knex('leads').where({ account_id: accountId, dnc: true }).count({ n: '*' }))[0]!.n);
  const cpu0 = process.cpuUsage();
  const server0 = db.serverCpuSeconds();
  t = Date.now();
  // As `npm run dnc:import` loads a file: the leads are flagged batch by batch as it goes in.
  const load = await importDncNumbers(db.knex, file(), { accountId, source: 'internal', reason: 'bench', flagLeads: { at: new Date() } });
  const loadS = (Date.now() - t) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const server1 = db.serverCpuSeconds();
  const flaggedAtLoad = await countFlagged();
  console.log(`DNC file: ${load.lines} lines, ${load.inserted} numbers added, ${load.sweep!.flagged} leads flagged as it went in: ${loadS.toFixed(1)} s`);

  // The sweep after the upload (the workflow's activity): it catches leads that arrived while
  // the file went in, so here it finds none left. Not on the way to every lead flagged.
  t = Date.now();
  const matchedIds = await leadsMatchingNewEntries(db.knex, { accountId, since });
  const matchS = (Date.now() - t) / 1000;
  t = Date.now();
  const swept = await sweepNewEntries(db.knex, { accountId, since, at: new Date() });
  const sweepS = (Date.now() - t) / 1000;
  console.log(`the sweep after it: ${matchedIds.length} leads left to match (${matchS.toFixed(1)} s), ${swept.flagged} flagged (${sweepS.toFixed(1)} s, matching included)`);
  const flagged = await countFlagged();
  const expected = Number(
    (
      await db.knex.raw(
        `SELECT count(DISTINCT l.id)::int AS n FROM leads l JOIN suppression_entries s ON s.account_id = l.account_id AND s.list = 'dnc' AND s.value = l.phones->0->>'e164' WHERE l.account_id = ?`,
        [accountId],
      )
    ).rows[0].n,
  );
  console.log(`check: ${flaggedAtLoad} leads flagged when the load answered (${flagged} after the sweep), ${expected} leads on the list${flaggedAtLoad === expected && flagged === expected ? '' : '  MISMATCH'}`);
  console.log('');
  console.log(`upload to every matching lead flagged: ${loadS.toFixed(1)} s; target < 15 s`);
  // On a shared machine the time depends on what else runs; the CPU the load itself used does less.
  const nodeS = (cpu.user + cpu.system) / 1e6;
  console.log(
    `CPU the load used: this process ${nodeS.toFixed(1)} s` +
      (server0 === null || server1 === null ? ' (PostgreSQL on DATABASE_URL: not measured)' : `, PostgreSQL ${(server1 - server0).toFixed(1)} s; over two cores at least ${((nodeS + server1 - server0) / 2).toFixed(1)} s (load average ${os.loadavg()[0]!.toFixed(1)})`),
  );
  if (flaggedAtLoad !== expected) process.exitCode = 1;
  if (flagged !== expected) process.exitCode = 1;

  console.log('');
  const [owner] = await db.knex('users').insert({ account_id: accountId, username: 'supbench-owner', email: 'owner@bench.test', name: 'Bench Owner', role: 'owner', password_hash: 'x' }).returning('id');
  const user: SessionUser = {
    id: owner.id,
    accountId,
    username: 'supbench-owner',
    name: 'Bench Owner',
    email: 'owner@bench.test',
    role: 'owner',
    mustChangePassword: false,
    timeZone: 'America/Chicago',
    account: { id: accountId, name: 'Suppression Bench', sharkTank: false, timeZone: 'America/Chicago' },
  };
  // How people write a number down: (504) 555-0142, 504-555-0142, +15045550142.
  const formats = [(n: string) => `(${n.slice(0, 3)}) ${n.slice(3, 6)}-${n.slice(6)}`, (n: string) => `${n.slice(0, 3)}-${n.slice(3, 6)}-${n.slice(6)}`, (n: string) => `+1${n}`];
  const searchOnce = async (k: number) => {
    const q = formats[k % formats.length]!(leadNumber(Math.floor(rand() * LEADS)));
    const started = performance.now();
    const page = await listLeads(db.knex, user, parseLeadListParams(new URL(`/leads?${new URLSearchParams({ q })}`, 'http://bench.invalid')));
    const ms = performance.now() - started;
    if (page.total !== 1) throw new Error(`search for ${q} found ${page.total} leads, not 1`);
    return ms;
  };
  for (let k = 0; k < 10; k++) await searchOnce(k); // warm the connections and the plan cache
  const times: number[] = [];
  for (let k = 0; k < SEARCHES; k++) times.push(await searchOnce(k));
  times.sort((a, b) => a - b);
  const pct = (p: number) => times[Math.min(times.length - 1, Math.ceil((p / 100) * times.length) - 1)]!;
  console.log(`search by phone over ${LEADS} leads (the leads list's query, three formats): ${SEARCHES} searches, p50 ${pct(50).toFixed(1)} ms, p95 ${pct(95).toFixed(1)} ms, max ${times.at(-1)!.toFixed(1)} ms; target p95 < 200 ms`);
  if (pct(95) >= 200) console.log('search p95 over target');
} finally {
  await db.stop();
}
