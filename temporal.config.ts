// How Leadflow reaches Temporal: the same environment variables the Temporal CLI and SDKs read
// (docs.temporal.io/references/client-environment-configuration), so one set of settings
// works for the local dev server, a self-hosted cluster and Temporal Cloud.
//
//   TEMPORAL_ADDRESS            host:port (default localhost:7233)
//   TEMPORAL_NAMESPACE          default 'default'
//   TEMPORAL_API_KEY            Temporal Cloud API key; turns TLS on unless TEMPORAL_TLS=false
//   TEMPORAL_TLS                'true' / 'false' (default: on when an API key or client cert is set)
//   TEMPORAL_TLS_CLIENT_CERT_PATH, TEMPORAL_TLS_CLIENT_KEY_PATH   mTLS (also accepted as
//                               TEMPORAL_TLS_CERT_PATH / TEMPORAL_TLS_KEY_PATH)
//   TEMPORAL_TLS_CLIENT_CERT_DATA, TEMPORAL_TLS_CLIENT_KEY_DATA   the same as PEM text
//   TEMPORAL_TLS_SERVER_CA_CERT_PATH, TEMPORAL_TLS_SERVER_NAME    private CA, SNI override
//   TEMPORAL_TASK_QUEUE         Leadflow's task queue (default 'leadflow'); bulk work (the lead
//                               workflows a CSV import starts) runs on its twin '<queue>-bulk'
//   WORKER_BULK_ACTIVITY_CONCURRENCY, WORKER_BULK_WORKFLOW_TASKS, WORKER_BULK_WORKFLOW_THREADS
//                               the bulk queue's slots in each worker (bulkWorkerSettings below)
import fs from 'node:fs';
import { status as grpcStatus } from '@grpc/grpc-js';
import { Client, Connection, isGrpcServiceError, type TLSConfig } from '@temporalio/client';
import type { SearchAttributeType } from '@temporalio/common';
// Default import: @temporalio/proto is CommonJS whose exports Node's ESM loader cannot name.
import proto from '@temporalio/proto';
import type { NativeConnection } from '@temporalio/worker';
import { leadflowSearchAttributes } from './workflows/search-attributes.ts';

export { LeadflowAccountId, LeadStatus, LeadMilestone, LeadAssignee, leadflowSearchAttributes } from './workflows/search-attributes.ts';

export interface TemporalSettings {
  address: string;
  namespace: string;
  taskQueue: string;
  apiKey?: string;
  /** false: plain connection. */
  tls: false | {
    clientCert?: { path?: string; data?: string };
    clientKey?: { path?: string; data?: string };
    serverCaCertPath?: string;
    serverName?: string;
  };
}

export const DEFAULT_TEMPORAL_ADDRESS = 'localhost:7233';
export const DEFAULT_TASK_QUEUE = 'leadflow';

/**
 * The bulk twin of a task queue: where an import's lead workflows start and run. Every worker
 * polls both, with fewer slots for this one, so a 10,000-row import's backlog waits here while
 * live work (a hot lead from the intake API, a Quick Action, an auto-assign pass) finds the
 * live queue empty and its slots free.
 */
export const bulkTaskQueue = (taskQueue: string) => `${taskQueue}-bulk`;

/** What one worker gives its bulk queue. */
export interface BulkWorkerSettings {
  /** Activities of bulk workflows run at once (also added to the worker's database pool). */
  activities: number;
  /** Workflow tasks of bulk workflows in progress at once (at least 2: the SDK's minimum with a workflow cache). */
  workflowTasks: number;
  /** Threads running bulk workflow code, beside the live queue's own. */
  workflowThreads: number;
}

/**
 * Half the live queue's activities (20), a quarter of its workflow tasks (the SDK's 40) and one
 * of its two threads. On the shared 2-core development machine a 10,000-row import's workflows
 * took their first step at 42 leads/s with these (26 with 4 of each, though the machine was
 * busier then), while hot leads were assigned in under a second either way (npm run
 * bench:intake, bench:distribution).
 */
export const DEFAULT_BULK_WORKER: BulkWorkerSettings = { activities: 10, workflowTasks: 10, workflowThreads: 1 };

function positiveInt(name: string, value: string | undefined, fallback: number, min = 1): number {
  if (value === undefined || value.trim() === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be a whole number of at least ${min}, not ${JSON.stringify(value)}`);
  return n;
}

/** The bulk queue's slots: WORKER_BULK_ACTIVITY_CONCURRENCY, WORKER_BULK_WORKFLOW_TASKS, WORKER_BULK_WORKFLOW_THREADS. */
export function bulkWorkerSettings(env: Record<string, string | undefined> = process.env): BulkWorkerSettings {
  return {
    activities: positiveInt('WORKER_BULK_ACTIVITY_CONCURRENCY', env.WORKER_BULK_ACTIVITY_CONCURRENCY, DEFAULT_BULK_WORKER.activities),
    workflowTasks: positiveInt('WORKER_BULK_WORKFLOW_TASKS', env.WORKER_BULK_WORKFLOW_TASKS, DEFAULT_BULK_WORKER.workflowTasks, 2),
    workflowThreads: positiveInt('WORKER_BULK_WORKFLOW_THREADS', env.WORKER_BULK_WORKFLOW_THREADS, DEFAULT_BULK_WORKER.workflowThreads),
  };
}

function parseBool(name: string, value: string | undefined): boolean | undefined {
  if (value === undefined || value === '') return undefined;
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)$/i.test(value)) return false;
  throw new Error(`${name} must be true or false, not ${JSON.stringify(value)}`);
}

export function temporalSettings(env: Record<string, string | undefined> = process.env): TemporalSettings {
  const v = (name: string) => (env[name] === '' ? undefined : env[name]);
  const certPath = v('TEMPORAL_TLS_CLIENT_CERT_PATH') ?? v('TEMPORAL_TLS_CERT_PATH');
  const keyPath = v('TEMPORAL_TLS_CLIENT_KEY_PATH') ?? v('TEMPORAL_TLS_KEY_PATH');
  const certData = v('TEMPORAL_TLS_CLIENT_CERT_DATA');
  const keyData = v('TEMPORAL_TLS_CLIENT_KEY_DATA');
  const apiKey = v('TEMPORAL_API_KEY');
  const hasCert = Boolean(certPath || certData);
  if (hasCert !== Boolean(keyPath || keyData)) {
    throw new Error('mTLS needs both a client certificate and its key (TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH)');
  }
  const tlsOn = parseBool('TEMPORAL_TLS', v('TEMPORAL_TLS')) ?? (Boolean(apiKey) || hasCert);
  return {
    address: v('TEMPORAL_ADDRESS') ?? DEFAULT_TEMPORAL_ADDRESS,
    namespace: v('TEMPORAL_NAMESPACE') ?? 'default',
    taskQueue: v('TEMPORAL_TASK_QUEUE') ?? DEFAULT_TASK_QUEUE,
    apiKey,
    tls: tlsOn
      ? {
          clientCert: hasCert ? { path: certPath, data: certData } : undefined,
          clientKey: hasCert ? { path: keyPath, data: keyData } : undefined,
          serverCaCertPath: v('TEMPORAL_TLS_SERVER_CA_CERT_PATH'),
          serverName: v('TEMPORAL_TLS_SERVER_NAME'),
        }
      : false,
  };
}

function pem(source: { path?: string; data?: string }): Buffer {
  return source.data !== undefined ? Buffer.from(source.data) : fs.readFileSync(source.path!);
}

function tlsConfig(settings: TemporalSettings): TLSConfig | false {
  const { tls } = settings;
  if (!tls) return false;
  return {
    serverNameOverride: tls.serverName,
    serverRootCACertificate: tls.serverCaCertPath ? fs.readFileSync(tls.serverCaCertPath) : undefined,
    clientCertPair: tls.clientCert && tls.clientKey ? { crt: pem(tls.clientCert), key: pem(tls.clientKey) } : undefined,
  };
}

/** Options shared by Connection (client side) and NativeConnection (worker side). */
export function connectionOptions(settings: TemporalSettings = temporalSettings()): { address: string; tls: TLSConfig | false; apiKey?: string } {
  return { address: settings.address, tls: tlsConfig(settings), apiKey: settings.apiKey };
}

/** A client connection, for the web app and scripts. Keep one per process. */
export async function connectClient(settings: TemporalSettings = temporalSettings()): Promise<{ connection: Connection; client: Client }> {
  const connection = await Connection.connect(connectionOptions(settings));
  return { connection, client: new Client({ connection, namespace: settings.namespace }) };
}

/** The worker's connection. Loaded lazily so the web app never pulls in the worker's native bridge. */
export async function connectWorker(settings: TemporalSettings = temporalSettings()): Promise<NativeConnection> {
  const { NativeConnection } = await import('@temporalio/worker');
  return NativeConnection.connect(connectionOptions(settings));
}

type IndexedValueType = proto.temporal.api.enums.v1.IndexedValueType;
const IVT = proto.temporal.api.enums.v1.IndexedValueType;
const indexedValueType: Record<SearchAttributeType, IndexedValueType> = {
  TEXT: IVT.INDEXED_VALUE_TYPE_TEXT,
  KEYWORD: IVT.INDEXED_VALUE_TYPE_KEYWORD,
  INT: IVT.INDEXED_VALUE_TYPE_INT,
  DOUBLE: IVT.INDEXED_VALUE_TYPE_DOUBLE,
  BOOL: IVT.INDEXED_VALUE_TYPE_BOOL,
  DATETIME: IVT.INDEXED_VALUE_TYPE_DATETIME,
  KEYWORD_LIST: IVT.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};

/**
 * Registers Leadflow's custom search attributes in `namespace`; returns the names it added.
 * Safe to call from every process at every start: existing attributes are left alone, and a
 * concurrent registration by another process (ALREADY_EXISTS) counts as success.
 */
export async function registerSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const known = { ...existing.systemAttributes, ...existing.customAttributes };
  const missing: Record<string, IndexedValueType> = {};
  for (const key of leadflowSearchAttributes) {
    const wanted = indexedValueType[key.type];
    const have = known[key.name];
    if (have === undefined || have === null) missing[key.name] = wanted;
    else if (have !== wanted) {
      throw new Error(`Search attribute ${key.name} exists in namespace ${namespace} with another type (${have}); Leadflow needs ${key.type}`);
    }
  }
  const names = Object.keys(missing);
  if (names.length === 0) return [];
  try {
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
  } catch (err) {
    if (!(isGrpcServiceError(err) && err.code === grpcStatus.ALREADY_EXISTS)) throw err;
  }
  return names;
}
