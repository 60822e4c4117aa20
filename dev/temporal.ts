// The local stack's Temporal server: TEMPORAL_ADDRESS when set; else the official dev server
// (downloaded once by @temporalio/testing into .data/temporal-cli, or TEMPORAL_CLI_PATH; brings
// Temporal Web); else, when that cannot be had (no internet), Leadflow's offline server from
// emulator/. LEADFLOW_TEMPORAL_SERVER=offline skips the download attempt.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { connectionOptions, leadflowSearchAttributes, registerSearchAttributes, temporalSettings, type TemporalSettings } from '../temporal.config.ts';
import { DATA_DIR, ROOT, ensureDataDir, freePort, isPortFree, readPid, stopLeftover } from './local.ts';

export const OFFLINE_SERVER = path.join(ROOT, 'emulator/bin/temporal-offline');
const OFFLINE_DB = path.join(DATA_DIR, 'temporal-offline.db');
const OFFLINE_PID = path.join(DATA_DIR, 'temporal-offline.pid');
const OFFICIAL_DB = path.join(DATA_DIR, 'temporal.db');
const DOWNLOAD_DIR = path.join(DATA_DIR, 'temporal-cli');

export interface LocalTemporal {
  settings: TemporalSettings;
  mode: 'external' | 'official' | 'offline';
  /** Temporal Web, when this mode has one. */
  webUrl?: string;
  notices: string[];
  stop(): Promise<void>;
}

async function waitForServer(settings: TemporalSettings, child: ChildProcess | undefined, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`The Temporal server exited during start-up (code ${child.exitCode})`);
    try {
      const connection = await Connection.connect({ ...connectionOptions(settings), connectTimeout: 1_000 });
      await connection.close();
      return;
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`No Temporal server answered on ${settings.address} within ${timeoutMs / 1000} s: ${(lastError as Error)?.message}`);
}

async function register(settings: TemporalSettings): Promise<void> {
  const connection = await Connection.connect(connectionOptions(settings));
  try {
    await registerSearchAttributes(connection, settings.namespace);
  } finally {
    await connection.close();
  }
}

async function startOfficial(base: TemporalSettings, cliPath: string | undefined): Promise<LocalTemporal> {
  const port = await freePort(7233);
  const uiPort = (await isPortFree(port + 1000)) ? port + 1000 : await freePort();
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      // TEMPORAL_CLI_PATH: a Temporal CLI installed by hand, for machines that cannot download one.
      executable: cliPath ? { type: 'existing-path', path: cliPath } : { type: 'cached-download', downloadDir: DOWNLOAD_DIR, ttl: '30 days' },
      dbFilename: OFFICIAL_DB,
      namespace: base.namespace,
      ip: '127.0.0.1',
      port,
      ui: true,
      uiPort,
      searchAttributes: [...leadflowSearchAttributes],
    },
  });
  const settings = { ...base, address: env.address, tls: false as const, apiKey: undefined };
  return { settings, mode: 'official', webUrl: `http://localhost:${uiPort}`, notices: [], stop: () => env.teardown() };
}

async function startOffline(base: TemporalSettings, why: string | undefined): Promise<LocalTemporal> {
  const notices: string[] = [];
  if (why) notices.push(`official Temporal dev server unavailable (${why}); using the offline server from emulator/`);
  notices.push('Temporal Web is not available with the offline server');
  const leftover = await stopLeftover(readPid(OFFLINE_PID), 'temporal-offline');
  if (leftover) notices.push(`stopped an offline Temporal server (pid ${leftover}) left running by an earlier npm start`);
  const port = await freePort(7233);
  const child = spawn(
    OFFLINE_SERVER,
    ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--namespace', base.namespace, '--db-filename', OFFLINE_DB],
    // Its own process group: a Ctrl-C in the terminal must not stop it before the worker has drained.
    { stdio: ['ignore', 'inherit', 'inherit'], detached: true },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  fs.writeFileSync(OFFLINE_PID, `${child.pid}\n`);
  // In its own process group it outlives us unless told: covers an exit that skips stop().
  const killOnExit = () => child.kill('SIGTERM');
  process.once('exit', killOnExit);
  const settings = { ...base, address: `127.0.0.1:${port}`, tls: false as const, apiKey: undefined };
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    fs.rmSync(OFFLINE_PID, { force: true });
    process.off('exit', killOnExit);
  };
  try {
    await waitForServer(settings, child, 60_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { settings, mode: 'offline', notices, stop };
}

export async function startLocalTemporal(env: NodeJS.ProcessEnv = process.env): Promise<LocalTemporal> {
  const base = temporalSettings(env);
  let temporal: LocalTemporal;
  if (env.TEMPORAL_ADDRESS) {
    await waitForServer(base, undefined, 30_000);
    temporal = { settings: base, mode: 'external', webUrl: env.TEMPORAL_WEB_URL || undefined, notices: [], stop: async () => {} };
  } else {
    ensureDataDir();
    if (env.LEADFLOW_TEMPORAL_SERVER === 'offline') {
      temporal = await startOffline(base, undefined);
    } else {
      try {
        temporal = await startOfficial(base, env.TEMPORAL_CLI_PATH || undefined);
      } catch (err) {
        const message = (err as Error).message.split('\n')[0]!.replace(/^Failed to start ephemeral server: /, '');
        const why = /download/i.test(message) ? 'could not download it; set TEMPORAL_CLI_PATH to use an installed Temporal CLI' : message.slice(0, 160);
        temporal = await startOffline(base, why);
      }
    }
  }
  try {
    await register(temporal.settings);
  } catch (err) {
    if (temporal.mode !== 'external') {
      await temporal.stop();
      throw err;
    }
    temporal.notices.push(`could not register Leadflow's search attributes: ${(err as Error).message}`);
  }
  return temporal;
}
