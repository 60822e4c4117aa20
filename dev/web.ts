// Starts the web app for the local stack: in this process through web/server.ts's
// startWebServer() when it has one, else web/server.ts as a child process.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { TemporalSettings } from '../temporal.config.ts';
import { ROOT } from './local.ts';

export const WEB_SERVER = path.join(ROOT, 'web/server.ts');

export interface WebOptions {
  port: number;
  databaseUrl: string;
  smtpUrl: string;
  sessionSecret: string;
  temporal: TemporalSettings;
  temporalWebUrl?: string;
  /** Environment for the web app, as a child process would get it. */
  env: Record<string, string>;
}

export interface RunningWeb {
  url: string;
  mode: 'in-process' | 'child process';
  close(): Promise<void>;
}

type StartWebServer = (opts: Record<string, unknown>) => Promise<{ url?: string; close(): Promise<void> | void }>;

async function waitForHttp(url: string, timeoutMs: number, gaveUp: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const reason = gaveUp();
    if (reason) throw new Error(reason);
    try {
      // Any HTTP answer counts (a redirect to the login page, even a 500): the server is up.
      const res = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(5_000) });
      await res.body?.cancel();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 150));
    }
  }
  throw new Error(`The web app did not answer on ${url} within ${timeoutMs / 1000} s`);
}

/** Returns undefined when there is no web app yet (web/server.ts missing). */
export async function startWeb(opts: WebOptions): Promise<RunningWeb | undefined> {
  if (!fs.existsSync(WEB_SERVER)) return undefined;
  // Decided from the source, not by importing it: a server script without the export would
  // start listening at import time and then a second time as a child.
  const source = fs.readFileSync(WEB_SERVER, 'utf8');
  const exportsStarter = /export\s+(async\s+)?function\s+startWebServer\b|export\s+(const|let)\s+startWebServer\b|export\s*\{[^}]*\bstartWebServer\b/.test(source);
  const localUrl = `http://localhost:${opts.port}`;

  if (exportsStarter) {
    // The web app reads its configuration from the environment too (parsed once at start-up).
    Object.assign(process.env, opts.env);
    const mod = (await import(pathToFileURL(WEB_SERVER).href)) as { startWebServer: StartWebServer };
    const server = await mod.startWebServer({
      port: opts.port,
      databaseUrl: opts.databaseUrl,
      smtpUrl: opts.smtpUrl,
      sessionSecret: opts.sessionSecret,
      temporal: opts.temporal,
      temporalAddress: opts.temporal.address,
      temporalNamespace: opts.temporal.namespace,
      taskQueue: opts.temporal.taskQueue,
      temporalWebUrl: opts.temporalWebUrl,
      // Where e-mailed links point; dev/stack.ts sets it (the user's APP_URL, else this server).
      appUrl: opts.env.APP_URL,
    });
    const url = server.url ?? localUrl;
    await waitForHttp(url, 120_000, () => undefined);
    return { url, mode: 'in-process', close: async () => void (await server.close()) };
  }

  const child = spawn(process.execPath, ['--import', 'tsx', WEB_SERVER], {
    cwd: ROOT,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const killOnExit = () => child.kill('SIGTERM');
  process.once('exit', killOnExit);
  const close = async () => {
    process.off('exit', killOnExit);
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await waitForHttp(localUrl, 120_000, () => (child.exitCode !== null ? `web/server.ts exited with code ${child.exitCode}` : undefined));
  } catch (err) {
    await close();
    throw err;
  }
  return { url: localUrl, mode: 'child process', close };
}
