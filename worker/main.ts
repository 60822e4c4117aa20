// The Leadflow worker: hosts every workflow and activity on Leadflow's task queue and on its
// bulk twin (`<queue>-bulk`, where an import's lead workflows run), as two SDK Workers in one
// process sharing the activities, the workflow code and the database pool. The bulk Worker has
// fewer slots of its own, so however deep an import's backlog, the live queue's slots are free
// for a hot lead, a Quick Action or an auto-assign pass.
// `npm run start:worker` runs it alone (production: one or many of these against a Temporal
// cluster); `npm start` runs it inside the local stack through startWorker().
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker, type LogLevel, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { z } from 'zod';
import { createActivities, defaultWorkerIdentity } from '../activities/index.ts';
import { createMailer } from '../activities/mailer.ts';
import { allowPrivateFromEnv } from '../activities/outbound-url.ts';
import { ensureHousekeepingWorkflow, ensureLeadReconcileWorkflow } from './clients/housekeeping.ts';
import { ensureReportMailsRunning } from './clients/report-mail.ts';
import { ensureDistributionRunning } from '../db/distribution/auto-assign-trigger.ts';
import { createKnex } from '../db/knex.ts';
import {
  bulkTaskQueue,
  bulkWorkerSettings,
  connectClient,
  connectionOptions,
  connectWorker,
  registerSearchAttributes,
  temporalSettings,
  type BulkWorkerSettings,
  type TemporalSettings,
} from '../temporal.config.ts';
import type { Client } from '@temporalio/client';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const WORKFLOWS_PATH = path.join(root, 'workflows/index.ts');
export const WORKFLOWS_DIR = path.join(root, 'workflows');
export const WORKFLOW_BUNDLE_PATH = path.join(root, 'build/workflow-bundle.js');

/**
 * Installs the SDK runtime once per process, before anything connects. Signals are left to
 * the caller: the runtime's own SIGINT handler would drain workers while the process still
 * closes the database under them.
 */
export function installRuntime(level: LogLevel = (process.env.TEMPORAL_LOG_LEVEL as LogLevel | undefined) ?? 'WARN'): void {
  try {
    Runtime.install({ logger: new DefaultLogger(level), shutdownSignals: [] });
  } catch {
    // Already installed in this process (npm start installs it first): keep that one.
  }
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, fs.statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/**
 * Where the worker gets its workflow code. Production uses the bundle `npm run build` made
 * (bundling at start-up costs seconds and needs the bundler's dependencies); development
 * bundles from source unless a prebuilt bundle is newer than every file in workflows/, so an
 * edited workflow is never run from a stale bundle.
 */
export function workflowCode(env: NodeJS.ProcessEnv = process.env): Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'> & { source: string } {
  const bundleExists = fs.existsSync(WORKFLOW_BUNDLE_PATH);
  if (env.NODE_ENV === 'production') {
    if (!bundleExists) throw new Error(`NODE_ENV=production needs the prebuilt workflow bundle ${WORKFLOW_BUNDLE_PATH}: run npm run build`);
    return { workflowBundle: { codePath: WORKFLOW_BUNDLE_PATH }, source: WORKFLOW_BUNDLE_PATH };
  }
  // package-lock.json too: a new @temporalio/workflow changes what the bundle should contain.
  const sourcesChanged = Math.max(newestMtime(WORKFLOWS_DIR), fs.statSync(path.join(root, 'package-lock.json')).mtimeMs);
  if (bundleExists && fs.statSync(WORKFLOW_BUNDLE_PATH).mtimeMs > sourcesChanged) {
    return { workflowBundle: { codePath: WORKFLOW_BUNDLE_PATH }, source: WORKFLOW_BUNDLE_PATH };
  }
  return { workflowsPath: WORKFLOWS_PATH, source: WORKFLOWS_PATH };
}

export interface StartWorkerOptions {
  databaseUrl: string;
  smtpUrl: string;
  temporal?: TemporalSettings;
  /** An existing connection to share; otherwise the worker opens (and later closes) its own. */
  connection?: NativeConnection;
  mailFrom?: string;
  /** APP_URL: the web app's public address, where links in e-mails point (default: the web app as `npm start` runs it). */
  appUrl?: string;
  identity?: string;
  /** Activities run at once by this worker, and the size of its database pool (default 20). */
  activityConcurrency?: number;
  /**
   * Threads running workflow code (default 2). Each workflow activation pays for a short-lived
   * watchdog thread (Node's vm timeout, the SDK's deadlock detection); with two threads one
   * runs workflow code while the other waits on that, which measured about 15% more leads per
   * second on 2 cores (`npm run bench:intake`).
   */
  workflowThreads?: number;
  /** The bulk queue's slots (default: bulkWorkerSettings(), from the environment). */
  bulk?: BulkWorkerSettings;
}

export interface RunningWorker {
  /** The live queue's Worker. */
  worker: Worker;
  /** The bulk queue's Worker: same activities and workflow code, fewer slots. */
  bulkWorker: Worker;
  identity: string;
  taskQueue: string;
  bulkTaskQueue: string;
  bulk: BulkWorkerSettings;
  workflowSource: string;
  /** Settles when the worker has stopped and its resources are released. */
  done: Promise<void>;
  /** Stops polling both queues, lets running tasks finish, then releases the database, mailer and connection. */
  stop(): Promise<void>;
}

export async function startWorker(opts: StartWorkerOptions): Promise<RunningWorker> {
  const settings = opts.temporal ?? temporalSettings();
  const identity = opts.identity ?? defaultWorkerIdentity();
  // One pooled connection per activity running at once: an activity holds at most one (the
  // outbox sender keeps its row lock across the SMTP conversation), so none ever waits for the
  // pool. More throughput means more workers, not a bigger pool per worker.
  const concurrency = opts.activityConcurrency ?? 20;
  const bulk = opts.bulk ?? bulkWorkerSettings();
  const bulkQueue = bulkTaskQueue(settings.taskQueue);
  const db = createKnex(opts.databaseUrl, { pool: { min: 0, max: concurrency + bulk.activities } });
  const mailer = createMailer(opts.smtpUrl);
  const connection = opts.connection ?? (await connectWorker(settings));
  // Import and reconcile activities start lead workflows, and start-up starts housekeeping: one client
  // connection, made on first use.
  // A failed connect is not kept: the next caller tries again.
  let client: Promise<{ connection: Connection; client: Client }> | undefined;
  const getClient = async () => {
    client ??= connectClient(settings).catch((err: unknown) => {
      client = undefined;
      throw err;
    });
    return (await client).client;
  };
  const release = async () => {
    mailer.close?.();
    await db.destroy();
    if (!opts.connection) await connection.close();
    if (client) await client.then((c) => c.connection.close()).catch(() => {});
  };
  let worker: Worker;
  let bulkWorker: Worker;
  const { source, ...found } = workflowCode();
  try {
    // Bundled once for both Workers (each would otherwise bundle the same source again).
    const code: Pick<WorkerOptions, 'workflowBundle'> = found.workflowBundle
      ? { workflowBundle: found.workflowBundle }
      : { workflowBundle: await bundleWorkflowCode({ workflowsPath: found.workflowsPath!, logger: new DefaultLogger('WARN') }) };
    // One set of activities: the task queue they start workflows on is the live one (an import
    // puts its own leads on the bulk twin), whichever Worker runs them.
    const activities = createActivities({
      db,
      mailer,
      temporal: getClient,
      taskQueue: settings.taskQueue,
      workerIdentity: identity,
      mailFrom: opts.mailFrom,
      appUrl: opts.appUrl,
      eagentAllowPrivate: allowPrivateFromEnv(),
    });
    worker = await Worker.create({
      connection,
      namespace: settings.namespace,
      taskQueue: settings.taskQueue,
      identity,
      maxConcurrentActivityTaskExecutions: concurrency,
      workflowThreadPoolSize: opts.workflowThreads ?? 2,
      activities,
      ...code,
    });
    bulkWorker = await Worker.create({
      connection,
      namespace: settings.namespace,
      taskQueue: bulkQueue,
      identity,
      maxConcurrentActivityTaskExecutions: bulk.activities,
      maxConcurrentWorkflowTaskExecutions: bulk.workflowTasks,
      workflowThreadPoolSize: bulk.workflowThreads,
      activities,
      ...code,
    });
  } catch (err) {
    await release();
    throw err;
  }
  // Both run until stopped; if either fails on its own, the other is stopped too, and `done`
  // rejects with the first failure once both have let go.
  const stopBoth = () => {
    for (const w of [worker, bulkWorker]) if (w.getState() === 'RUNNING') w.shutdown();
  };
  const runs = [worker.run(), bulkWorker.run()].map((run) =>
    run.catch((err: unknown) => {
      stopBoth();
      throw err;
    }),
  );
  const done = Promise.allSettled(runs)
    .then((results) => {
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    })
    .finally(release);
  // After Worker.create, so the workflow has a worker as soon as it exists. Not awaited and
  // never fatal: a worker without it still serves leads, and the next worker start tries again.
  void getClient()
    .then((c) => Promise.all([ensureHousekeepingWorkflow(c, settings.taskQueue), ensureLeadReconcileWorkflow(c, settings.taskQueue)]))
    .catch((err: unknown) => {
      console.warn(`Could not start the housekeeping and lead reconcile workflows (the next worker start tries again): ${(err as Error).message}`);
    });
  // Each account with auto-assign on keeps a distribution workflow (its workday-start pass);
  // one that went missing (a fresh namespace, a terminated run) is started here, and by the
  // next trigger (a lead arriving) anyway.
  void getClient()
    .then((c) => ensureDistributionRunning({ db, temporal: c, taskQueue: settings.taskQueue }))
    .catch((err: unknown) => {
      console.warn(`Could not check the accounts' distribution workflows (the next worker start tries again): ${(err as Error).message}`);
    });
  // Each account with an e-mailed report subscription keeps a report-mail workflow; one that
  // went missing is started here (a subscription change starts it too).
  void getClient()
    .then((c) => ensureReportMailsRunning({ db, temporal: c, taskQueue: settings.taskQueue }))
    .catch((err: unknown) => {
      console.warn(`Could not check the accounts' report-mail workflows (the next worker start tries again): ${(err as Error).message}`);
    });
  return {
    worker,
    bulkWorker,
    identity,
    taskQueue: settings.taskQueue,
    bulkTaskQueue: bulkQueue,
    bulk,
    workflowSource: source,
    done,
    async stop() {
      stopBoth();
      await done;
    },
  };
}

const Env = z.object({
  DATABASE_URL: z.string().min(1, 'DATABASE_URL is required'),
  SMTP_URL: z.string().min(1, 'SMTP_URL is required'),
  MAIL_FROM: z.string().optional(),
  // Empty reads as unset, as in the web app's settings.
  APP_URL: z
    .string()
    .trim()
    .transform((v) => v || undefined)
    .pipe(z.url().optional())
    .optional(),
  WORKER_ACTIVITY_CONCURRENCY: z.coerce.number().int().positive().optional(),
  WORKER_WORKFLOW_THREADS: z.coerce.number().int().positive().optional(),
});

/** Registers the search attributes if this deployment lets a worker do it (Temporal Cloud does not). */
async function tryRegisterSearchAttributes(settings: TemporalSettings): Promise<void> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect(connectionOptions(settings));
    const added = await registerSearchAttributes(connection, settings.namespace);
    if (added.length) console.log(`Registered search attributes: ${added.join(', ')}`);
  } catch (err) {
    console.warn(`Could not register Leadflow's search attributes (register them with the operator tools): ${(err as Error).message}`);
  } finally {
    await connection?.close();
  }
}

async function main() {
  const parsed = Env.safeParse(process.env);
  if (!parsed.success) {
    console.error(`Worker configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    process.exit(2);
  }
  const env = parsed.data;
  let bulk: BulkWorkerSettings;
  try {
    bulk = bulkWorkerSettings();
  } catch (err) {
    console.error(`Worker configuration: ${(err as Error).message}`);
    process.exit(2);
  }
  installRuntime((process.env.TEMPORAL_LOG_LEVEL as LogLevel | undefined) ?? 'INFO');
  const settings = temporalSettings();
  await tryRegisterSearchAttributes(settings);
  const running = await startWorker({
    databaseUrl: env.DATABASE_URL,
    smtpUrl: env.SMTP_URL,
    mailFrom: env.MAIL_FROM,
    appUrl: env.APP_URL,
    temporal: settings,
    activityConcurrency: env.WORKER_ACTIVITY_CONCURRENCY,
    workflowThreads: env.WORKER_WORKFLOW_THREADS,
    bulk,
  });
  const b = running.bulk;
  console.log(
    `Worker ${running.identity} polling task queue ${running.taskQueue} and its bulk twin ${running.bulkTaskQueue} (${b.activities} activities, ${b.workflowTasks} workflow tasks, ${b.workflowThreads} thread) on ${settings.address} (namespace ${settings.namespace}); workflows from ${running.workflowSource}`,
  );
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      console.log(`${signal} again: exiting without waiting for running tasks`);
      process.exit(130);
    }
    stopping = true;
    console.log(`${signal}: finishing running tasks, then stopping`);
    void running.stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  await running.done;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
