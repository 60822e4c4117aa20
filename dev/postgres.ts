// The local stack's PostgreSQL: DATABASE_URL when set, else an embedded server whose data
// stays in .data/postgres between runs.
//
// One rule keeps the stack and the commands run beside it (`npm run dnc:import`, `reconcile`,
// `db:migrate`) from taking each other's database away: a server is stopped only by the process
// that started it, only when no other process is connected to it, and a server whose starter is
// still alive is never treated as a leftover. `.data/postgres.owner` names the starter.
import fs from 'node:fs';
import path from 'node:path';
import { DATA_DIR, alive, ensureDataDir, freePort, readPid, stopLeftover, waitForExit, withoutForeignSignalHandlers } from './local.ts';
import { runningStack } from './running-stack.ts';

export const PG_DATA_DIR = path.join(DATA_DIR, 'postgres');
const OWNER_FILE = path.join(DATA_DIR, 'postgres.owner');
export const DATABASE_NAME = 'leadflow';
/** Tried first, so the embedded server keeps one address across runs (handy for psql). */
const PREFERRED_PORT = 54329;
/** How long a stop waits for other processes (a command run beside the stack) to disconnect. */
const OTHERS_GRACE_MS = 60_000;

export interface LocalPostgres {
  url: string;
  /** The address to show (TCP), when `url` is one only this machine can use (a Unix socket). */
  displayUrl?: string;
  embedded: boolean;
  /** What was done about a server an earlier run left behind, if anything. */
  notice?: string;
  stop(): Promise<void>;
}

/** The pid of the live process that started the embedded server, if it is not us. */
function liveOwner(): number | undefined {
  const owner = readPid(OWNER_FILE);
  return owner && owner !== process.pid && alive(owner) ? owner : undefined;
}

async function otherClients(url: string): Promise<number> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const r = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()`);
    return r.rows[0]!.n;
  } finally {
    await client.end();
  }
}

/**
 * Starts the embedded server for `npm start` (owner: the stack) or for a command run with no
 * stack (owner: the command). A server left by a killed run is stopped first; one whose starter
 * is alive (a command still at work) is waited for, never stopped.
 */
export async function startLocalPostgres(env: NodeJS.ProcessEnv = process.env, log: (line: string) => void = console.log): Promise<LocalPostgres> {
  if (env.DATABASE_URL) return { url: env.DATABASE_URL, embedded: false, stop: async () => {} };
  ensureDataDir();
  const owner = liveOwner();
  if (owner) {
    log(`Waiting for process ${owner} (a command using the embedded database) to finish...`);
    if (!(await waitForExit(owner, 10 * 60_000))) throw new Error(`process ${owner} still holds the embedded database in ${PG_DATA_DIR}`);
  }
  // A killed `npm start` leaves its postgres running and holding the data directory.
  const leftover = await stopLeftover(readPid(path.join(PG_DATA_DIR, 'postmaster.pid')), 'postgres', 'SIGINT');
  const { startEmbeddedPostgres, ensureDatabase } = await withoutForeignSignalHandlers(() => import('../db/postgres.ts'));
  // Claimed before the server starts, so nobody takes a half-started server for a leftover.
  fs.writeFileSync(OWNER_FILE, `${process.pid}\n`, { mode: 0o600 });
  const releaseOwner = () => {
    if (readPid(OWNER_FILE) === process.pid) fs.rmSync(OWNER_FILE, { force: true });
  };
  let server: Awaited<ReturnType<typeof startEmbeddedPostgres>>;
  try {
    server = await startEmbeddedPostgres({ dataDir: PG_DATA_DIR, port: await freePort(PREFERRED_PORT), persistent: true });
  } catch (err) {
    releaseOwner();
    throw err;
  }
  // stop() signals postgres synchronously, so it still does its part in an 'exit' handler
  // (an exit that skipped the orderly shutdown, such as a crash or a second Ctrl-C).
  const stopOnExit = () => {
    releaseOwner();
    void server.stop().catch(() => {});
  };
  process.once('exit', stopOnExit);
  const stop = async () => {
    process.off('exit', stopOnExit);
    // A command run beside us (it found our server through the owner file) finishes first.
    const deadline = Date.now() + OTHERS_GRACE_MS;
    let told = false;
    while (Date.now() < deadline && (await otherClients(server.adminUrl).catch(() => 0)) > 0) {
      if (!told) log('Waiting for other processes to finish with the database...');
      told = true;
      await new Promise((r) => setTimeout(r, 250));
    }
    await server.stop();
    releaseOwner();
  };
  try {
    await ensureDatabase(server.adminUrl, DATABASE_NAME);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url: server.urlFor(DATABASE_NAME),
    displayUrl: server.tcpUrlFor(DATABASE_NAME),
    embedded: true,
    notice: leftover ? `stopped PostgreSQL (pid ${leftover}) left running by an earlier npm start` : undefined,
    stop,
  };
}

/** The URL of the embedded server another live process started, read from its postmaster.pid. */
function runningEmbeddedUrl(): string | undefined {
  if (!liveOwner()) return undefined;
  let lines: string[];
  try {
    lines = fs.readFileSync(path.join(PG_DATA_DIR, 'postmaster.pid'), 'utf8').split('\n');
  } catch {
    return undefined;
  }
  // postmaster.pid: pid, data directory, start time, port, socket directory, listen address, ...
  const [pid, , , port, socketDir] = lines;
  if (!pid || !alive(Number(pid)) || !port) return undefined;
  const host = socketDir ? encodeURIComponent(socketDir) : '127.0.0.1';
  return `postgres://postgres:postgres@${host}:${port}/${DATABASE_NAME}`;
}

/**
 * The database for a command run by hand: DATABASE_URL; else the running stack's; else the
 * embedded server another command started; else one of its own, stopped when it is done (and
 * only once nobody else is connected).
 */
export async function openLocalDatabase(env: NodeJS.ProcessEnv = process.env): Promise<LocalPostgres & { shared: boolean }> {
  if (env.DATABASE_URL) return { url: env.DATABASE_URL, embedded: false, shared: false, stop: async () => {} };
  const stack = runningStack();
  if (stack) return { url: stack.databaseUrl, embedded: true, shared: true, notice: `using the database of the running npm start (pid ${stack.pid})`, stop: async () => {} };
  const other = runningEmbeddedUrl();
  if (other) return { url: other, embedded: true, shared: true, notice: 'using the embedded database another command started', stop: async () => {} };
  return { ...(await startLocalPostgres(env, () => {})), shared: false };
}
