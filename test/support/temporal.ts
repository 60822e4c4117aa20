// The one place tests get a Temporal server from. By default it is Leadflow's offline server
// (emulator/), which needs no download; TEMPORAL_TEST_SERVER=official uses the official
// binaries that @temporalio/testing downloads (a machine with internet), so the same suites can
// check the offline server against the real thing.
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Runtime, DefaultLogger, Worker, type WorkerOptions, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { registerSearchAttributes } from '../../temporal.config.ts';

export const OFFLINE_SERVER_PATH = fileURLToPath(new URL('../../emulator/bin/temporal-offline', import.meta.url));

export const usingOfficialServer = process.env.TEMPORAL_TEST_SERVER === 'official';

function executable() {
  return usingOfficialServer ? undefined : { type: 'existing-path' as const, path: OFFLINE_SERVER_PATH };
}

let runtimeInstalled = false;
/** Keeps the SDK's Core quiet in test output unless TEMPORAL_TEST_LOG is set. */
function installRuntime() {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({ logger: new DefaultLogger((process.env.TEMPORAL_TEST_LOG as 'WARN') ?? 'ERROR') });
  } catch {
    // Already installed by someone else in this process: keep theirs.
  }
}

type SearchAttributeSpec = NonNullable<NonNullable<Parameters<typeof TestWorkflowEnvironment.createLocal>[0]>['server']> extends infer S
  ? S extends { searchAttributes?: infer A }
    ? A
    : never
  : never;

/**
 * A time-skipping environment: timers jump forward when nothing is running. Leadflow's search
 * attributes are registered, as the worker does at start-up: every lead workflow start sets
 * them, and a server refuses a start that names an attribute it does not know.
 */
export async function createTimeSkippingEnv(opts: { extraArgs?: string[] } = {}) {
  installRuntime();
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: executable(), extraArgs: opts.extraArgs },
  });
  try {
    await registerSearchAttributes(env.connection, env.namespace ?? 'default');
  } catch (err) {
    await env.teardown();
    throw err;
  }
  return env;
}

/** A dev-server environment in real time. */
export async function createLocalEnv(opts: { namespace?: string; searchAttributes?: SearchAttributeSpec; dbFilename?: string; extraArgs?: string[] } = {}) {
  installRuntime();
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: executable(),
      namespace: opts.namespace,
      searchAttributes: opts.searchAttributes,
      dbFilename: opts.dbFilename,
      extraArgs: opts.extraArgs,
    },
  });
}

const bundles = new Map<string, Promise<WorkflowBundleWithSourceMap>>();

/** Bundles a workflows module once per test process (bundling takes seconds). */
export function workflowBundle(workflowsPath: string): Promise<WorkflowBundleWithSourceMap> {
  let b = bundles.get(workflowsPath);
  if (!b) {
    b = bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('ERROR') });
    bundles.set(workflowsPath, b);
  }
  return b;
}

export function uniqueTaskQueue(prefix = 'test') {
  return `${prefix}-${randomUUID()}`;
}

export function uniqueWorkflowId(prefix = 'wf') {
  return `${prefix}-${randomUUID()}`;
}

/** Runs `fn` while a worker polls `taskQueue`, then shuts the worker down. */
export async function withWorker<T>(
  env: TestWorkflowEnvironment,
  opts: Omit<WorkerOptions, 'connection' | 'workflowBundle' | 'workflowsPath'> & { workflowsPath: string },
  fn: (worker: Worker) => Promise<T>,
): Promise<T> {
  const { workflowsPath, ...rest } = opts;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    workflowBundle: await workflowBundle(workflowsPath),
    ...rest,
  });
  return worker.runUntil(fn(worker));
}
