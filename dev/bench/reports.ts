// npm run bench:reports — how long each report takes on a large account, and how fast the leads
// export streams. Real parts: embedded PostgreSQL (or DATABASE_URL's server) and the same
// functions the report pages and the CSV routes run.
//   1. BENCH_REPORT_LEADS leads (default 100,000) in one account over the last 90 days, from
//      every source, a tenth of them from imports, 20 LSPs; 10 history entries each (1,000,000):
//      arrival, assignment, a scrub or a removal, and seven Quick Actions, each with the
//      milestone it moved its lead from, as the recorder stores it.
//   2. Each report for the last 30 days, as its page loads it (the count, the first page and the
//      chart's query): the median of BENCH_REPORT_RUNS runs (default 5) after one warm-up run.
//      Target: every report < 1 s.
//   3. The whole leads list as CSV through the /leads.csv response: rows per second and the
//      process's memory while it streams. Target: >= 20,000 rows/s in constant memory.
import { accountDay } from '../../db/distribution/ledger.ts';
import { up as fillFromMilestones } from '../../db/migrations/20261130150000_quick_action_from_milestone.ts';
import { actionsPerUserPerDay, metricsBySource, REPORT_NAMES, REPORTS, reportPage, type ReportContext, type ReportName } from '../../db/reports/reports.ts';
import type { SessionUser } from '../../web/app/utils/auth.server.ts';
import { leadsCsvResponse } from '../../web/app/utils/reports.server.ts';
import { createBenchAccount, startBenchDatabase } from './support.ts';

const LEADS = Number(process.env.BENCH_REPORT_LEADS ?? 100_000);
const RUNS = Number(process.env.BENCH_REPORT_RUNS ?? 5);
const LSPS = 20;
const TZ = 'America/Chicago';
const EVENTS_PER_LEAD = 10;

const db = await startBenchDatabase({ prefix: 'bench_reports', poolMax: 8 });
try {
  const accountId = await createBenchAccount(db.knex, 'Reports Bench', 'REPBENCH');
  await db.knex('accounts').where({ id: accountId }).update({ time_zone: TZ });
  const [owner] = await db.knex('users').insert({ account_id: accountId, username: 'repbench-owner', email: 'owner@bench.test', name: 'Bench Owner', role: 'owner', password_hash: 'x' }).returning('id');
  await db.knex('users').insert(
    Array.from({ length: LSPS }, (_, i) => ({ account_id: accountId, username: `repbench-lsp${i}`, email: `lsp${i}@bench.test`, name: `LSP ${String(i).padStart(2, '0')}`, role: 'lsp', password_hash: 'x' })),
  );

  let t = Date.now();
  // Set-based, as a big import leaves them: a tenth from imports, a fifth unassigned, 5% in the
  // Recycle bin and 3% removed, arrivals spread over 90 days.
  await db.knex.raw(
    `INSERT INTO leads (account_id, first_name, last_name, address_line1, city, state, zip, phones, emails, dup_key, source, import_name, segment, status, milestone, assigned_user_id, created_at, updated_at)
     SELECT :accountId, 'Pat', 'Lead' || i, i || ' Main St', 'Austin', 'TX', '73301', '[]'::jsonb, '[]'::jsonb, 'pat|lead' || i || '|' || i,
            (ARRAY['mwi', 'blueprint', 'national_campaign', 'cldp', 'web_vendor', 'manual', 'spreadsheet'])[1 + i % 7],
            CASE WHEN i % 10 = 6 THEN 'Import ' || (i % 9) END,
            (ARRAY['highly_engaged', 'engaged', 'cold'])[1 + i % 3],
            CASE WHEN i % 20 = 0 THEN 'recycled' WHEN i % 33 = 0 THEN 'removed' ELSE 'active' END,
            (ARRAY['attempted_contact', 'contacted', 'quoted', 'sold', 'new'])[1 + i % 5],
            CASE WHEN i % 5 = 0 THEN NULL ELSE lsp.ids[1 + i % :lsps] END,
            now() - (i::float / :leads) * interval '90 days', now()
       FROM generate_series(0, :last) AS i,
            (SELECT array_agg(id ORDER BY name) AS ids FROM users WHERE account_id = :accountId AND role = 'lsp') AS lsp`,
    { accountId, last: LEADS - 1, leads: LEADS, lsps: LSPS },
  );
  console.log(`${LEADS} leads written in ${((Date.now() - t) / 1000).toFixed(1)} s`);

  t = Date.now();
  // Each lead's history: arrival, assignment, a scrub (or its removal), seven Quick Actions by its
  // LSP over the days after, never in the future.
  await db.knex.raw(
    `INSERT INTO lead_events (lead_id, account_id, actor_user_id, actor_system, type, data, created_at)
     SELECT l.id, l.account_id,
            CASE WHEN k >= 3 THEN coalesce(l.assigned_user_id, lsp.ids[1 + abs(hashtext(l.id::text)) % :lsps]) END,
            CASE WHEN k < 3 THEN 'lead-workflow' END,
            CASE WHEN k = 0 THEN 'created' WHEN k = 1 THEN 'assigned'
                 WHEN k = 2 THEN CASE l.status WHEN 'recycled' THEN 'recycled' WHEN 'removed' THEN 'removed' ELSE 'scrubbed' END
                 ELSE 'quick_action' END,
            CASE WHEN k = 1 THEN jsonb_build_object('userId', l.assigned_user_id, 'method', 'auto')
                 WHEN k >= 3 THEN jsonb_build_object('action', a.action, 'milestone', a.action)
                 ELSE '{}'::jsonb END,
            least(now(), l.created_at + k * interval '9 hours' * (0.2 + (abs(hashtext(l.id::text || k::text)) % 100) / 100.0))
       FROM leads l
       CROSS JOIN generate_series(0, :last) AS k
       CROSS JOIN (SELECT array_agg(id ORDER BY name) AS ids FROM users WHERE account_id = :accountId AND role = 'lsp') AS lsp
       CROSS JOIN LATERAL (SELECT (ARRAY['attempted_contact', 'attempted_contact', 'attempted_contact', 'contacted', 'contacted', 'quoted', 'appointment',
                                         'personalized_proposal', 'sold', 'not_interested', 'bad_contact_info', 'do_not_contact'])[1 + abs(hashtext(l.id::text || '/' || k::text)) % 12] AS action) AS a
      WHERE l.account_id = :accountId`,
    { accountId, last: EVENTS_PER_LEAD - 1, lsps: LSPS },
  );
  const [{ n: events }] = (await db.knex.raw('SELECT count(*)::int AS n FROM lead_events WHERE account_id = ?', [accountId])).rows;
  console.log(`${events} history entries written in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  // The recorder stores the milestone each Quick Action moved its lead from; history written
  // here gets it from the migration that fills it in for older history, timed as it runs.
  t = Date.now();
  await fillFromMilestones(db.knex);
  console.log(`milestones the Quick Actions came from filled in (the migration) in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  // Compacted afterwards: the reports are timed on history as it is written day by day, not
  // on the dead rows a one-time UPDATE of 700,000 entries leaves behind.
  await db.knex.raw('VACUUM FULL lead_events');
  // And vacuumed, as autovacuum leaves a table, so its index answers counts on its own.
  await db.knex.raw('ANALYZE leads');
  await db.knex.raw('VACUUM ANALYZE lead_events');

  const now = new Date();
  const today = accountDay(TZ, now);
  const start = new Date(today.start.getTime() - 29 * 86_400_000);
  const ctx: ReportContext = { accountId, timeZone: TZ, start: accountDay(TZ, new Date(start.getTime() + 12 * 3_600_000)).start, end: today.end, now, filters: {} };
  console.log(`\nreports for the last 30 days (${accountDay(TZ, ctx.start).date} to ${today.date} in ${TZ}), as each page loads them; median of ${RUNS} runs:`);

  const pageLoad = async (name: ReportName) => {
    const spec = REPORTS[name];
    const started = performance.now();
    const [page] = await Promise.all([
      reportPage(db.knex, name, ctx, { sort: spec.defaultSort, dir: spec.defaultDir }, 1),
      name === 'account-metrics' ? metricsBySource(db.knex, ctx) : null,
      name === 'user-activity' ? actionsPerUserPerDay(db.knex, ctx) : null,
    ]);
    return { ms: performance.now() - started, rows: page.total };
  };
  let worst = 0;
  for (const name of REPORT_NAMES) {
    await pageLoad(name);
    const runs: Array<{ ms: number; rows: number }> = [];
    for (let i = 0; i < RUNS; i++) runs.push(await pageLoad(name));
    runs.sort((a, b) => a.ms - b.ms);
    const median = runs[Math.floor(runs.length / 2)]!;
    worst = Math.max(worst, median.ms);
    console.log(`  ${REPORTS[name].title.padEnd(26)} ${(median.ms / 1000).toFixed(3)} s  (${median.rows.toLocaleString('en-US')} rows; fastest ${(runs[0]!.ms / 1000).toFixed(3)} s, slowest ${(runs.at(-1)!.ms / 1000).toFixed(3)} s)`);
  }
  console.log(`slowest report: ${(worst / 1000).toFixed(3)} s; target < 1 s${worst < 1000 ? '' : ': NOT MET'}`);

  const user: SessionUser = {
    id: owner.id,
    accountId,
    username: 'repbench-owner',
    name: 'Bench Owner',
    email: 'owner@bench.test',
    role: 'owner',
    mustChangePassword: false,
    timeZone: TZ,
    account: { id: accountId, name: 'Reports Bench', sharkTank: false, timeZone: TZ },
  };
  global.gc?.();
  const before = process.memoryUsage();
  let peakRss = before.rss;
  let peakHeap = before.heapUsed;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  }, 50);
  t = performance.now();
  const res = leadsCsvResponse(db.knex, user, new URL('/leads.csv', 'http://bench.invalid'));
  const reader = res.body!.getReader();
  let bytes = 0;
  let lines = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.byteLength;
    for (let i = 0; i < value.length; i++) if (value[i] === 10) lines++;
  }
  const exportS = (performance.now() - t) / 1000;
  clearInterval(sampler);
  const rows = lines - 1;
  const mib = (n: number) => (n / 1_048_576).toFixed(0);
  console.log(`\nleads export (/leads.csv, every lead): ${rows.toLocaleString('en-US')} rows, ${mib(bytes)} MiB in ${exportS.toFixed(2)} s: ${Math.round(rows / exportS).toLocaleString('en-US')} rows/s; target >= 20,000 rows/s`);
  console.log(`memory while streaming: heap ${mib(before.heapUsed)} MiB before, ${mib(peakHeap)} MiB at most; resident ${mib(before.rss)} / ${mib(peakRss)} MiB (the CSV itself is ${mib(bytes)} MiB)`);
  if (rows !== LEADS) {
    console.log(`MISMATCH: ${rows} rows exported, ${LEADS} leads`);
    process.exitCode = 1;
  }
} finally {
  await db.stop();
}
