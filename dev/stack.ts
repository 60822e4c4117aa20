// The local stack behind `npm start`: PostgreSQL, migrations and the demo account, Temporal,
// the mail catcher, the worker and the web app, started in dependency order (independent parts
// side by side) and stopped in reverse: web and worker first, so nothing in flight loses its
// database or its Temporal server. dev/start.ts runs this in a process group of its own.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Knex } from 'knex';
import { createKnex, migrateLatest } from '../db/knex.ts';
import { seedDemoAccount, type SeedResult } from '../db/seed.ts';
import { installRuntime, startWorker, type RunningWorker } from '../worker/main.ts';
import { DATA_DIR, ROOT, ensureDataDir, isPortFree, redactUrl, seconds } from './local.ts';
import { startMailCatcher, type MailCatcher } from './mail-catcher.ts';
import { PG_DATA_DIR, startLocalPostgres, type LocalPostgres } from './postgres.ts';
import { writeRunningStack } from './running-stack.ts';
import { startLocalTemporal, type LocalTemporal } from './temporal.ts';
import { startWeb, type RunningWeb } from './web.ts';

/** SESSION_SECRET, else one generated on the first run and kept, so sign-ins survive restarts. */
function sessionSecret(): string {
  if (process.env.SESSION_SECRET) return process.env.SESSION_SECRET;
  const file = path.join(DATA_DIR, 'session-secret');
  const read = () => fs.readFileSync(file, 'utf8').trim();
  if (fs.existsSync(file)) return read();
  const secret = crypto.randomBytes(32).toString('base64url');
  try {
    fs.writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return read();
    throw err;
  }
  return secret;
}

function withTimeout(what: string, p: Promise<unknown> | undefined, ms: number): Promise<void> {
  if (!p) return Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.then(
      () => undefined,
      (err: unknown) => console.error(`  ${what}: ${(err as Error).message}`),
    ),
    new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        console.error(`  ${what} did not stop within ${ms / 1000} s; moving on`);
        resolve();
      }, ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export async function runStack(): Promise<void> {
  const startedAt = Number(process.env.LEADFLOW_STARTED_AT) || Date.now();
  const since = () => Date.now() - startedAt;
  const timings: Array<[string, number]> = [];
  installRuntime();

  let pg: LocalPostgres | undefined;
  let knex: Knex | undefined;
  let catcher: MailCatcher | undefined;
  let temporal: LocalTemporal | undefined;
  let worker: RunningWorker | undefined;
  let web: RunningWeb | undefined;
  let stopping: Promise<void> | undefined;

  let forgetRunningStack: (() => void) | undefined;
  const stopAll = (): Promise<void> =>
    (stopping ??= (async () => {
      // Commands started from now on start their own servers rather than use ours.
      forgetRunningStack?.();
      await Promise.all([withTimeout('web app', web?.close(), 15_000), withTimeout('worker', worker?.stop(), 30_000)]);
      await Promise.all([withTimeout('mail catcher', catcher?.close(), 5_000), withTimeout('database pool', knex?.destroy(), 5_000)]);
      await Promise.all([withTimeout('Temporal server', temporal?.stop(), 15_000), withTimeout('PostgreSQL', pg?.stop(), 75_000)]);
    })());

  let signals = 0;
  const ourSignalHandlers = new Set<(...args: never[]) => void>();
  const onSignal = (signal: string) => {
    signals += 1;
    if (signals > 1) {
      // The 'exit' handlers of the children still signal PostgreSQL and the servers.
      console.log(`\n${signal} again: exiting now`);
      process.exit(130);
    }
    console.log(`\nStopping Leadflow (${signal})${signal === 'disconnect' ? '' : '; Ctrl-C again to exit at once'}`);
    void stopAll().then(() => {
      console.log('Leadflow stopped.');
      process.exit(0);
    });
  };
  for (const signal of STOP_SIGNALS) {
    const handler = () => onSignal(signal);
    ourSignalHandlers.add(handler);
    process.on(signal, handler);
  }
  // dev/start.ts asks over IPC rather than with a signal: parts of the web app's dev tooling
  // (Vite) install their own SIGTERM handlers that exit the process.
  process.on('message', (msg: unknown) => {
    const m = msg as { type?: string; reason?: string } | null;
    if (m?.type === 'stop') onSignal(m.reason ?? 'asked to stop');
  });
  // dev/start.ts went away (killed): nobody is left to press Ctrl-C, so stop on our own.
  process.on('disconnect', () => onSignal('disconnect'));

  const port = Number(process.env.PORT || 3000);
  // Links in e-mails, from the worker's reminders and the web app's reset mail alike.
  const appUrl = process.env.APP_URL || `http://localhost:${port}`;
  let secret = '';
  let seed: SeedResult | undefined;
  let migrations: string[] = [];
  try {
    if (!(await isPortFree(port))) throw new Error(`Port ${port} is in use (another npm start?). Set PORT to use another.`);
    ensureDataDir();
    secret = sessionSecret();
    const database = (async () => {
      pg = await startLocalPostgres();
      timings.push(['PostgreSQL', since()]);
      knex = createKnex(pg.url);
      migrations = await migrateLatest(knex);
      seed = await seedDemoAccount(knex, { apiKey: process.env.DEMO_API_KEY || undefined });
      timings.push(['migrations + demo account', since()]);
      if (!process.env.SMTP_URL) catcher = await startMailCatcher({ db: knex });
    })();
    const temporalReady = (async () => {
      temporal = await startLocalTemporal();
      timings.push([`Temporal (${temporal.mode})`, since()]);
    })();
    const results = await Promise.allSettled([database, temporalReady]);
    for (const r of results) if (r.status === 'rejected') throw r.reason;

    const smtpUrl = process.env.SMTP_URL || catcher!.url;
    const settings = temporal!.settings;
    const databaseUrl = pg!.url;
    forgetRunningStack = writeRunningStack({ databaseUrl, temporal: { address: settings.address, namespace: settings.namespace, taskQueue: settings.taskQueue } });
    const webEnv: Record<string, string> = {
      NODE_ENV: process.env.NODE_ENV ?? 'development',
      PORT: String(port),
      APP_URL: appUrl,
      DATABASE_URL: databaseUrl,
      SMTP_URL: smtpUrl,
      SESSION_SECRET: secret,
      TEMPORAL_ADDRESS: settings.address,
      TEMPORAL_NAMESPACE: settings.namespace,
      TEMPORAL_TASK_QUEUE: settings.taskQueue,
      ...(temporal!.mode === 'external' ? {} : { TEMPORAL_TLS: 'false' }),
      ...(temporal!.webUrl ? { TEMPORAL_WEB_URL: temporal!.webUrl } : {}),
    };
    const started = await Promise.allSettled([
      (async () => {
        worker = await startWorker({ databaseUrl, smtpUrl, temporal: settings, mailFrom: process.env.MAIL_FROM, appUrl });
        timings.push(['worker', since()]);
        // A worker that dies on its own (lost its server for good) takes the stack down with it.
        worker.done.catch((err: unknown) => {
          console.error(`The worker stopped: ${(err as Error).message}`);
          onSignal('worker failure');
        });
      })(),
      (async () => {
        web = await startWeb({ port, databaseUrl, smtpUrl, sessionSecret: secret, temporal: settings, temporalWebUrl: temporal!.webUrl, env: webEnv });
        if (web) timings.push([`web app answering (${web.mode})`, since()]);
      })(),
    ]);
    for (const r of started) if (r.status === 'rejected') throw r.reason;
  } catch (err) {
    console.error(`\nLeadflow could not start: ${(err as Error).message}`);
    await stopAll();
    process.exit(1);
  }

  // Whatever the parts installed on these signals (Vite closes itself and exits on SIGTERM)
  // would cut the ordered shutdown short; this process's shutdown is stopAll.
  for (const signal of STOP_SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (!ourSignalHandlers.has(listener)) process.removeListener(signal, listener);
    }
  }

  const lines: string[] = [];
  const row = (label: string, value: string) => lines.push(`  ${label.padEnd(14)}${value}`);
  lines.push('', `Leadflow is running (ready in ${seconds(since())})`);
  row('Web app', web ? web.url : 'not started: web/server.ts does not exist yet');
  if (web && catcher) row('Mailbox', `${web.url}/mailbox`);
  row('Mail', catcher ? `local catcher on ${catcher.url} (every e-mail lands in the Mailbox, none is delivered)` : `SMTP_URL ${redactUrl(process.env.SMTP_URL!)}`);
  row('Temporal', `${temporal!.settings.address}, namespace ${temporal!.settings.namespace}, task queue ${temporal!.settings.taskQueue} (${temporal!.mode === 'official' ? 'official dev server' : temporal!.mode === 'offline' ? 'offline server' : 'TEMPORAL_ADDRESS'})`);
  row('Temporal Web', temporal!.webUrl ?? (temporal!.mode === 'offline' ? 'not available (the offline server has no UI)' : 'unknown (set TEMPORAL_WEB_URL)'));
  // The embedded server's password is a fixed local default, not a secret: show a URL that
  // works when pasted into psql. A DATABASE_URL's password is never printed.
  row('Database', `${pg!.embedded ? (pg!.displayUrl ?? pg!.url) : redactUrl(pg!.url)}${pg!.embedded ? ` (embedded, data in ${path.relative(ROOT, PG_DATA_DIR)})` : ''}${migrations.length ? `; applied ${migrations.length} migration(s)` : ''}`);
  row('Worker', `${worker!.identity}, workflows from ${path.relative(ROOT, worker!.workflowSource)}`);
  for (const notice of [...(pg!.notice ? [pg!.notice] : []), ...temporal!.notices]) row('Note', notice);
  if (seed) {
    lines.push('', seed.created ? 'Demo account created. Sign in with:' : 'Demo account sign-ins:');
    for (const login of seed.logins) lines.push(`  ${login.role.padEnd(14)}${login.username} / ${login.password}`);
    // The key is stored hashed: it can only be shown when it was just made, or when it was given.
    const key = process.env.DEMO_API_KEY || (seed.created ? seed.apiKey : undefined);
    if (key) lines.push(`  ${'API key'.padEnd(14)}${key}`);
  }
  lines.push('', `Start-up: ${timings.map(([what, ms]) => `${what} ${seconds(ms)}`).join(', ')}`, 'Press Ctrl-C to stop.', '');
  console.log(lines.join('\n'));
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  await runStack();
}
