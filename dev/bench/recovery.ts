// npm run bench:recovery — how an import survives its worker dying, and what a big file costs.
// Real parts: embedded PostgreSQL, the offline Temporal server in dev mode (real time), and the
// worker (worker/main.ts) in a process of its own.
//   1. A BENCH_RECOVERY_ROWS-row CSV is imported; once a quarter of it is in, the worker is
//      SIGKILLed and another started at once. Printed: the recovery time, from the kill to the
//      import's checkpoint moving again (target < 30 s), and a check that nothing was lost or
//      doubled.
//   2. A BENCH_BIG_ROWS-row CSV of garbage-ish rows (mostly bad rows, stray and unclosed quotes,
//      NUL bytes, ragged columns, a few good rows) through a fresh worker: the import's time and
//      the worker's peak resident memory.
//   3. Parsing alone, in this process: one streaming pass, as the import now reads a file,
//      against re-parsing the rest of the file for every 200-row batch, as it did (timed on the
//      smaller file: on the big one the old way runs for many minutes).
//   BENCH_RECOVERY_ROWS   default 20000
//   BENCH_BIG_ROWS        default 100000
//   DATABASE_URL          use this PostgreSQL instead of an embedded one (a fresh database is
//                         created on its server)
import fs from 'node:fs';
import { Readable } from 'node:stream';
import { Client } from '@temporalio/client';
import { parse } from 'csv-parse';
import type { Knex } from 'knex';
import { PARSE_OPTIONS, type ImportMapping } from '../../activities/import.ts';
import { registerSearchAttributes } from '../../temporal.config.ts';
import { startImportWorkflow } from '../../worker/clients/import.ts';
import {
  BENCH_TASK_QUEUE,
  benchWorkerEnv,
  createBenchAccount,
  createBenchImport,
  seededRandom,
  sleep,
  startBenchDatabase,
  startMailSink,
  startOfflineTemporal,
  type BenchDatabase,
  type MailSink,
  type OfflineTemporal,
} from './support.ts';
import { startChildWorker, type ChildWorker } from '../../worker/child-worker.ts';

const RECOVERY_ROWS = Number(process.env.BENCH_RECOVERY_ROWS ?? 20_000);
const BIG_ROWS = Number(process.env.BENCH_BIG_ROWS ?? 100_000);
const MAPPING: ImportMapping = { firstName: 0, lastName: 1, line1: 2, city: 3, state: 4, zip: 5, phones: [6], emails: [7] };

const fmt = (n: number, d = 1) => n.toFixed(d);

// A seeded PRNG, so every run imports the same files.
const rand = seededRandom(0x5eed);
const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
const junk = (n: number) => Array.from({ length: n }, () => String.fromCharCode(int(0x21, 0x7e)).replace(/[",]/, 'x')).join('');

/** Garbage-ish rows: ~1% good leads, the rest the ways a CSV goes wrong. */
function garbageCsv(rows: number, tag: string): string {
  const lines = ['First,Last,Street,City,State,Zip,Phone,Email'];
  for (let i = 1; i <= rows; i++) {
    const r = rand();
    if (r < 0.01) lines.push(`Ann,${tag}${i},${i} Oak St,Austin,TX,787${String(i % 100).padStart(2, '0')},512-555-${String(i % 10000).padStart(4, '0')},`);
    else if (r < 0.3) lines.push(`${junk(6)},${junk(8)},${junk(12)},${junk(6)},${junk(2)},${junk(5)},${junk(10)},${junk(9)}`);
    else if (r < 0.45) lines.push(`Bo,${tag}${i},${i} Elm St,Austin,XX,ABCDE,,`);
    else if (r < 0.6) lines.push(`Cy${i},"${junk(5)}"${junk(3)},x"y"z,${junk(4)}`);
    else if (r < 0.75) lines.push(`${junk(3)}`);
    else if (r < 0.85) lines.push(`Di,${tag}${i},${junk(4)},,,,,,,,,,,,${junk(20)}`);
    else if (r < 0.9) lines.push(`Ed\u0000${i},${tag}${i},${i} Ash St,Austin,TX,78701,,`);
    else if (r < 0.99995) lines.push(`,,${i} Fir St,${junk(7)},TX,78701,not a phone,not@an@email`);
    else lines.push(`Fay,"never closed ${i},${i} Pine St,Austin,TX,78701,,`);
  }
  return lines.join('\n') + '\n';
}

const newImport = (knex: Knex, accountId: string, name: string, csv: string) => createBenchImport(knex, { accountId, name, fileName: `${name}.csv`, csv, mapping: MAPPING });

const checkpoint = async (knex: Knex, importId: string) => {
  const row = await knex('imports').where({ id: importId }).first('resume_offset', 'total_rows');
  return { offset: Number(row.resume_offset ?? 0), rows: Number(row.total_rows) };
};

/** Parsing the way each 200-row batch used to: the rest of the file from the batch's offset, stopping after 200 records. */
async function parseRestPerBatch(file: Buffer): Promise<number> {
  let offset = 0;
  let first = true;
  for (;;) {
    let n = 0;
    let next = offset;
    const parser = Readable.from([file.subarray(offset)]).pipe(parse({ info: true, bom: true, skip_empty_lines: true, relax_column_count: true, relax_quotes: true, skip_records_with_error: true }));
    for await (const { info } of parser as AsyncIterable<{ info: { bytes: number } }>) {
      next = offset + info.bytes;
      if (first) {
        first = false;
        continue;
      }
      if (++n >= 200) break;
    }
    parser.destroy();
    if (n < 200) return offset;
    offset = next;
  }
}

/** One streaming pass in 128 KiB slices with the import's options. */
async function parseOnce(file: Buffer): Promise<number> {
  let records = 0;
  const parser = parse({
    ...PARSE_OPTIONS,
    bom: true,
    on_record: () => {
      records++;
      return null;
    },
  });
  parser.resume();
  for (let at = 0; at < file.length; at += 128 * 1024) await new Promise<void>((r) => parser.write(file.subarray(at, at + 128 * 1024), () => r()));
  await new Promise<void>((r) => parser.end(() => r()));
  return records;
}

async function main() {
  let db: BenchDatabase | undefined;
  let mail: MailSink | undefined;
  let temporal: OfflineTemporal | undefined;
  let worker: ChildWorker | undefined;
  const log = (line: string) => {
    if (process.env.BENCH_WORKER_LOG || (/error|warn/i.test(line) && !/INFO/.test(line))) console.log(`  [worker] ${line.slice(0, 300)}`);
  };
  try {
    console.log(`Leadflow recovery benchmark: ${RECOVERY_ROWS} rows with a worker killed mid-import, then ${BIG_ROWS} garbage-ish rows`);
    db = await startBenchDatabase({ prefix: 'leadflow_bench_recovery', poolMax: 5 });
    const { knex } = db;
    const accountId = await createBenchAccount(knex, 'Bench Agency', 'A0BENCH3');
    mail = await startMailSink();
    temporal = await startOfflineTemporal();
    await registerSearchAttributes(temporal.connection, 'default');
    const client = new Client({ connection: temporal.connection });
    const workerEnv = benchWorkerEnv(db, mail, temporal);

    // 1. Kill the worker a quarter of the way in; start another at once.
    const small = garbageCsv(RECOVERY_ROWS, 'Small');
    const smallId = await newImport(knex, accountId, 'Recovery', small);
    console.log('Starting the worker (bundling the workflows takes a few seconds)...');
    worker = await startChildWorker({ env: workerEnv, log });
    const t0 = performance.now();
    const handle = await startImportWorkflow(client, { importId: smallId }, { taskQueue: BENCH_TASK_QUEUE });
    while ((await checkpoint(knex, smallId)).rows < RECOVERY_ROWS / 4) await sleep(50);
    await worker.kill();
    const killedAt = performance.now();
    await sleep(200); // a commit already sent when the process died may still land
    const atKill = await checkpoint(knex, smallId);
    console.log(`Killed the worker (SIGKILL) ${fmt((killedAt - t0) / 1000)} s into the import, at row ${atKill.rows} of ${RECOVERY_ROWS}; starting another`);
    worker = await startChildWorker({ env: workerEnv, log });
    const upAt = performance.now();
    while ((await checkpoint(knex, smallId)).offset <= atKill.offset) {
      if (performance.now() - killedAt > 120_000) {
        const d = await handle.describe();
        throw new Error(`The import has not moved 120 s after the kill: workflow ${d.status.name}, pending ${JSON.stringify(d.raw.pendingActivities)}`);
      }
      await sleep(50);
    }
    const recoverySecs = (performance.now() - killedAt) / 1000;
    const small1 = await handle.result();
    const smallSecs = (performance.now() - t0) / 1000;
    const count = async (q: Knex.QueryBuilder) => Number(((await q.count({ n: '*' })) as Array<{ n: string }>)[0]!.n);
    const touches = await count(knex('lead_source_touches').where({ account_id: accountId }).where('import_name', 'Recovery'));
    const errorRows = await count(knex('import_row_errors').where({ import_id: smallId }));
    const errorLines = Number((await knex('import_row_errors').where({ import_id: smallId }).countDistinct({ n: 'line_number' }))[0]!.n);
    // Fewer records than lines is CSV, not loss: a quote opened in a garbage line runs on to the next quote.
    const intact = small1.ok + small1.errors === small1.processed && touches === small1.ok && errorRows === small1.errors && errorLines === errorRows;
    await worker.stop();
    worker = undefined;

    // 2. The big file through a fresh worker: time and peak memory.
    const big = garbageCsv(BIG_ROWS, 'Big');
    const bigId = await newImport(knex, accountId, 'Big', big);
    worker = await startChildWorker({ env: workerEnv, log });
    const idleRss = worker.peakRssMiB();
    let rssSamples = 0;
    let rssSum = 0;
    const sampler = setInterval(() => {
      const kb = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${worker!.pid}/status`, 'utf8'))?.[1];
      if (kb) {
        rssSamples++;
        rssSum += Number(kb) / 1024;
      }
    }, 500);
    const b0 = performance.now();
    const big1 = await (await startImportWorkflow(client, { importId: bigId }, { taskQueue: BENCH_TASK_QUEUE })).result();
    const bigSecs = (performance.now() - b0) / 1000;
    clearInterval(sampler);
    const peakRss = worker.peakRssMiB();
    await worker.stop();
    worker = undefined;

    console.log('\nRecovery benchmark (offline Temporal server in dev mode, real time; worker in its own process)');
    console.log(`${RECOVERY_ROWS} rows (${fmt(small.length / 1e6, 2)} MB): worker killed at row ${atKill.rows}; the next worker was polling ${fmt((upAt - killedAt) / 1000)} s after the kill`);
    console.log(`  recovery, from the kill to the import's checkpoint moving again: ${fmt(recoverySecs)} s (target < 30 s: ${recoverySecs < 30 ? 'MET' : 'NOT MET'})`);
    console.log(`  import done after ${fmt(smallSecs)} s: ${small1.ok} rows in, ${small1.errors} rejected; ${touches} source touches for ${small1.ok} good rows, ${errorRows} row errors on ${errorLines} lines: ${intact ? 'nothing lost or doubled' : 'MISMATCH'}`);
    console.log(`${BIG_ROWS} garbage-ish rows (${fmt(big.length / 1e6, 2)} MB): import done after ${fmt(bigSecs)} s, ${big1.ok} rows in, ${big1.errors} rejected`);
    console.log(`  worker resident memory: ${fmt(idleRss ?? 0, 0)} MiB when it started polling, ${fmt(rssSum / Math.max(rssSamples, 1), 0)} MiB on average during the import, peak ${fmt(peakRss ?? 0, 0)} MiB`);

    // 3. Parsing alone. The old way is timed on the smaller file: on the big one it runs for
    // many minutes, growing with the square of the file.
    const p0 = performance.now();
    const records = await parseOnce(Buffer.from(big));
    const onceSecs = (performance.now() - p0) / 1000;
    const smallBuf = Buffer.from(small);
    const s0 = performance.now();
    await parseOnce(smallBuf);
    const onceSmallSecs = (performance.now() - s0) / 1000;
    const q0 = performance.now();
    await parseRestPerBatch(smallBuf);
    const perBatchSecs = (performance.now() - q0) / 1000;
    console.log(`parsing alone (this process): ${BIG_ROWS} rows in one streaming pass ${fmt(onceSecs, 2)} s (${records} records)`);
    console.log(`  ${RECOVERY_ROWS} rows: one streaming pass ${fmt(onceSmallSecs, 2)} s; re-parsing the rest of the file for every 200-row batch, as before, ${fmt(perBatchSecs, 1)} s (${fmt(perBatchSecs / onceSmallSecs, 0)}x, and growing with the square of the file)`);
    if (!intact) process.exitCode = 1;
  } finally {
    await worker?.stop().catch(() => {});
    await temporal?.stop();
    await mail?.stop();
    await db?.stop();
  }
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
