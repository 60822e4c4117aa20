// The set-up the worker benchmarks (dev/bench/intake.ts, dev/bench/recovery.ts) share: a migrated
// PostgreSQL database (DATABASE_URL's server, or an embedded one in a temporary directory), an
// account with its workflow templates, an import waiting for importWorkflow, an SMTP sink, and
// the offline Temporal server in dev mode (real time) in a process of its own.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import type { Knex } from 'knex';
import { SMTPServer } from 'smtp-server';
import type { ImportMapping } from '../../activities/import.ts';
import { createKnex, migrateLatest } from '../../db/knex.ts';
import { ensureDatabase, startEmbeddedPostgres, withDatabase, type RunningPostgres } from '../../db/postgres.ts';
import { WORKFLOW_TEMPLATES } from '../../workflows/lead/templates.ts';
import { ROOT } from '../local.ts';

/** The task queue the benchmarks' worker polls. */
export const BENCH_TASK_QUEUE = 'leadflow';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A seeded PRNG (mulberry32): numbers in [0, 1), the same sequence for the same seed, so every run generates the same files. */
export function seededRandom(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface BenchDatabase {
  /** The fresh database's URL (for the worker's DATABASE_URL). */
  url: string;
  knex: Knex;
  /** Closes the pool and stops the embedded server (removing its directory); a database on DATABASE_URL's server is left there. */
  stop(): Promise<void>;
  /**
   * CPU seconds the embedded server's processes have used so far (the postmaster, its live
   * backends and the ones that ended); null on DATABASE_URL's server, which may be elsewhere.
   */
  serverCpuSeconds(): number | null;
}

const CLOCK_TICKS = 100;

/** utime + stime of a process (with cutime + cstime: its ended children), in clock ticks; 0 once it is gone. */
function processTicks(pid: number, withEndedChildren: boolean): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]) + (withEndedChildren ? Number(f[13]) + Number(f[14]) : 0);
  } catch {
    return 0;
  }
}

function postgresCpuSeconds(dataDir: string): number {
  const postmaster = Number(fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  let ticks = processTicks(postmaster, true);
  const children = fs.readFileSync(`/proc/${postmaster}/task/${postmaster}/children`, 'utf8').trim().split(' ').filter(Boolean);
  for (const child of children) ticks += processTicks(Number(child), false);
  return ticks / CLOCK_TICKS;
}

/**
 * A fresh, migrated database `<prefix>_<ms since 1970>`: on DATABASE_URL's server when that is
 * set, else on an embedded PostgreSQL in a temporary directory.
 */
export async function startBenchDatabase({ prefix, poolMax }: { prefix: string; poolMax: number }): Promise<BenchDatabase> {
  const database = `${prefix}_${Date.now()}`;
  let pg: RunningPostgres | undefined;
  let dir: string | undefined;
  let knex: Knex | undefined;
  const stop = async () => {
    await knex?.destroy().catch(() => {});
    await pg?.stop().catch((err) => console.warn(`PostgreSQL stop: ${err}`));
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    let url: string;
    if (process.env.DATABASE_URL) {
      await ensureDatabase(withDatabase(process.env.DATABASE_URL, 'postgres'), database);
      url = withDatabase(process.env.DATABASE_URL, database);
    } else {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leadflow-bench-pg-'));
      fs.chmodSync(dir, 0o755); // the embedded server may run as the postgres user
      pg = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), persistent: false });
      await ensureDatabase(pg.adminUrl, database);
      url = pg.urlFor(database);
    }
    knex = createKnex(url, { pool: { min: 0, max: poolMax } });
    await migrateLatest(knex);
    const dataDir = dir && path.join(dir, 'pg');
    return { url, knex, stop, serverCpuSeconds: () => (dataDir ? postgresCpuSeconds(dataDir) : null) };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** An account with one agent and every workflow template enabled; returns its id. */
export async function createBenchAccount(knex: Knex, name: string, agentId: string): Promise<string> {
  const [account] = await knex('accounts').insert({ name, agent_ids: [agentId], paid_seats: 1 }).returning('id');
  await knex('workflow_templates').insert(WORKFLOW_TEMPLATES.map((t) => ({ account_id: account.id, key: t.key, name: t.name, enabled: true })));
  return account.id as string;
}

/** An import and its stored file, ready for importWorkflow; returns the import's id. */
export async function createBenchImport(knex: Knex, { accountId, name, fileName, csv, mapping }: { accountId: string; name: string; fileName: string; csv: string; mapping: ImportMapping }): Promise<string> {
  const [imp] = await knex('imports').insert({ account_id: accountId, name, file_name: fileName }).returning('id');
  await knex('import_files').insert({ import_id: imp.id, content: Buffer.from(csv), mapping: JSON.stringify(mapping), source: 'spreadsheet' });
  return imp.id as string;
}

export interface MailSink {
  /** smtp://127.0.0.1:<port>, for the worker's SMTP_URL. */
  url: string;
  stop(): Promise<void>;
}

/** An SMTP server on a free local port that accepts every message and drops it. */
export async function startMailSink(): Promise<MailSink> {
  const smtp = new SMTPServer({
    logger: false,
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, _session, callback) {
      stream.on('data', () => {});
      stream.on('end', () => callback());
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  return {
    url: `smtp://127.0.0.1:${(smtp.server.address() as net.AddressInfo).port}`,
    stop: () => new Promise<void>((r) => smtp.close(() => r())),
  };
}

export interface OfflineTemporal {
  /** host:port, for the worker's TEMPORAL_ADDRESS. */
  address: string;
  connection: Connection;
  /** The server's process (its pid for CPU figures). */
  process: ChildProcess;
  /** Closes the connection, then stops the server (SIGTERM; SIGKILL after 20 s). */
  stop(): Promise<void>;
}

/** Starts the offline Temporal server (emulator/bin/temporal-offline) in dev mode on a free port and connects to it. */
export async function startOfflineTemporal(): Promise<OfflineTemporal> {
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const child = spawn(path.join(ROOT, 'emulator/bin/temporal-offline'), ['server', 'start-dev', '--port', String(port)], { stdio: ['ignore', 'ignore', 'inherit'] });
  let connection: Connection;
  try {
    connection = await connectWithRetry(address);
  } catch (err) {
    await stopChild(child, 'Temporal server');
    throw err;
  }
  return {
    address,
    connection,
    process: child,
    async stop() {
      await connection.close().catch(() => {});
      await stopChild(child, 'Temporal server');
    },
  };
}

/** The variables worker/main.ts needs to work against these three. */
export function benchWorkerEnv(db: BenchDatabase, mail: MailSink, temporal: OfflineTemporal): Record<string, string> {
  return {
    DATABASE_URL: db.url,
    SMTP_URL: mail.url,
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_TASK_QUEUE: BENCH_TASK_QUEUE,
    TEMPORAL_NAMESPACE: 'default',
  };
}

/** SIGTERM, then SIGKILL (with a warning naming it) if it has not exited after `timeoutMs`. */
export async function stopChild(child: ChildProcess | undefined, name: string, timeoutMs = 20_000): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timedOut = await Promise.race([exited.then(() => false), sleep(timeoutMs).then(() => true)]);
  if (timedOut) {
    console.warn(`${name} did not stop within ${timeoutMs / 1000} s; killing it`);
    child.kill('SIGKILL');
    await exited;
  }
}

/** A TCP port nobody listens on now, on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

async function connectWithRetry(address: string): Promise<Connection> {
  for (let i = 0; ; i++) {
    try {
      const c = await Connection.connect({ address, connectTimeout: 1000 });
      await c.workflowService.getSystemInfo({});
      return c;
    } catch (err) {
      if (i > 100) throw err;
      await sleep(100);
    }
  }
}
