// The local stack's PostgreSQL: DATABASE_URL when set, else an embedded server whose data
// stays in .data/postgres between runs.
import path from 'node:path';
import { DATA_DIR, ensureDataDir, freePort, readPid, stopLeftover, withoutForeignSignalHandlers } from './local.ts';

export const PG_DATA_DIR = path.join(DATA_DIR, 'postgres');
export const DATABASE_NAME = 'leadflow';
/** Tried first, so the embedded server keeps one address across runs (handy for psql). */
const PREFERRED_PORT = 54329;

export interface LocalPostgres {
  url: string;
  /** The address to show (TCP), when `url` is one only this machine can use (a Unix socket). */
  displayUrl?: string;
  embedded: boolean;
  /** What was done about a server an earlier run left behind, if anything. */
  notice?: string;
  stop(): Promise<void>;
}

export async function startLocalPostgres(env: NodeJS.ProcessEnv = process.env): Promise<LocalPostgres> {
  if (env.DATABASE_URL) return { url: env.DATABASE_URL, embedded: false, stop: async () => {} };
  ensureDataDir();
  // A killed `npm start` leaves its postgres running and holding the data directory.
  const leftover = await stopLeftover(readPid(path.join(PG_DATA_DIR, 'postmaster.pid')), 'postgres', 'SIGINT');
  const { startEmbeddedPostgres, ensureDatabase } = await withoutForeignSignalHandlers(() => import('../db/postgres.ts'));
  const server = await startEmbeddedPostgres({ dataDir: PG_DATA_DIR, port: await freePort(PREFERRED_PORT), persistent: true });
  // stop() signals postgres synchronously, so it still does its part in an 'exit' handler
  // (an exit that skipped the orderly shutdown, such as a crash or a second Ctrl-C).
  const stopOnExit = () => void server.stop().catch(() => {});
  process.once('exit', stopOnExit);
  const stop = async () => {
    process.off('exit', stopOnExit);
    await server.stop();
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
