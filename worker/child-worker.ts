// A Leadflow worker (worker/main.ts) in a process of its own, for the crash test and the
// recovery benchmark: they must be able to SIGKILL it the way an OOM killer or a lost machine
// would, which an in-process worker cannot model.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface ChildWorker {
  process: ChildProcess;
  pid: number;
  /** Peak resident memory so far, in MiB (the kernel's high-water mark), or null once gone. */
  peakRssMiB(): number | null;
  /** SIGKILL: no shutdown, no draining, what a crash looks like. Settles once it is gone. */
  kill(): Promise<void>;
  /** SIGTERM, then SIGKILL if it has not stopped after `timeoutMs`. */
  stop(timeoutMs?: number): Promise<void>;
}

export interface ChildWorkerOptions {
  /** Variables for worker/main.ts: DATABASE_URL, SMTP_URL, TEMPORAL_ADDRESS, TEMPORAL_TASK_QUEUE... */
  env: Record<string, string>;
  /** Where the worker's own output goes, a line at a time (default: dropped). */
  log?: (line: string) => void;
  /** Bundling the workflows at start-up takes seconds on a busy machine. */
  startTimeoutMs?: number;
}

/** Starts the worker and resolves once it polls its task queue. */
export function startChildWorker({ env, log = () => {}, startTimeoutMs = 180_000 }: ChildWorkerOptions): Promise<ChildWorker> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'worker/main.ts')], {
    cwd: ROOT,
    env: { ...process.env, TEMPORAL_LOG_LEVEL: 'WARN', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  readline.createInterface({ input: child.stderr! }).on('line', log);
  const handle: ChildWorker = {
    process: child,
    pid: child.pid!,
    peakRssMiB() {
      try {
        const kb = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1];
        return kb ? Number(kb) / 1024 : null;
      } catch {
        return null;
      }
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async stop(timeoutMs = 20_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      await exited;
      clearTimeout(timer);
    },
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`The worker did not start polling within ${startTimeoutMs / 1000} s`));
    }, startTimeoutMs);
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      if (/polling task queue/.test(line)) {
        clearTimeout(timer);
        resolve(handle);
      }
      log(line);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`The worker exited before polling (${signal ?? `code ${code}`})`));
    });
  });
}
