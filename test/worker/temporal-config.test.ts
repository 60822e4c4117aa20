// Connection settings from the environment, the way Temporal's own tools read it.
import { describe, expect, it } from 'vitest';
import { bulkTaskQueue, bulkWorkerSettings, connectionOptions, DEFAULT_BULK_WORKER, temporalSettings } from '../../temporal.config.ts';

describe('temporalSettings', () => {
  it('defaults to a plain connection to localhost:7233, namespace default, task queue leadflow', () => {
    expect(temporalSettings({})).toEqual({ address: 'localhost:7233', namespace: 'default', taskQueue: 'leadflow', apiKey: undefined, tls: false });
  });

  it('turns TLS on for an API key (Temporal Cloud), unless TEMPORAL_TLS=false says otherwise', () => {
    const cloud = temporalSettings({ TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233', TEMPORAL_NAMESPACE: 'ns.acct', TEMPORAL_API_KEY: 'key' });
    expect(cloud).toMatchObject({ address: 'ns.acct.tmprl.cloud:7233', namespace: 'ns.acct', apiKey: 'key' });
    expect(cloud.tls).not.toBe(false);
    expect(connectionOptions(cloud)).toMatchObject({ apiKey: 'key', tls: { clientCertPair: undefined } });
    expect(temporalSettings({ TEMPORAL_API_KEY: 'key', TEMPORAL_TLS: 'false' }).tls).toBe(false);
  });

  it('reads an mTLS pair under the envconfig names and the short aliases', () => {
    const pem = { TEMPORAL_TLS_CLIENT_CERT_DATA: 'CERT', TEMPORAL_TLS_CLIENT_KEY_DATA: 'KEY', TEMPORAL_TLS_SERVER_NAME: 'temporal.internal' };
    expect(connectionOptions(temporalSettings(pem)).tls).toEqual({
      serverNameOverride: 'temporal.internal',
      serverRootCACertificate: undefined,
      clientCertPair: { crt: Buffer.from('CERT'), key: Buffer.from('KEY') },
    });
    expect(temporalSettings({ TEMPORAL_TLS_CERT_PATH: '/c.pem', TEMPORAL_TLS_KEY_PATH: '/k.pem' }).tls).toMatchObject({
      clientCert: { path: '/c.pem' },
      clientKey: { path: '/k.pem' },
    });
  });

  it('refuses a certificate without its key, and a TEMPORAL_TLS that is not a boolean', () => {
    expect(() => temporalSettings({ TEMPORAL_TLS_CLIENT_CERT_PATH: '/c.pem' })).toThrow(/both a client certificate and its key/);
    expect(() => temporalSettings({ TEMPORAL_TLS: 'maybe' })).toThrow(/TEMPORAL_TLS/);
  });

  it('takes the task queue from TEMPORAL_TASK_QUEUE', () => {
    expect(temporalSettings({ TEMPORAL_TASK_QUEUE: 'leadflow-staging' }).taskQueue).toBe('leadflow-staging');
  });
});

describe('the bulk task queue', () => {
  it('is the live queue’s twin, <queue>-bulk', () => {
    expect(bulkTaskQueue('leadflow')).toBe('leadflow-bulk');
    expect(bulkTaskQueue(temporalSettings({ TEMPORAL_TASK_QUEUE: 'leadflow-staging' }).taskQueue)).toBe('leadflow-staging-bulk');
  });

  it('has fewer slots than the live queue by default, each overridable from the environment', () => {
    expect(bulkWorkerSettings({})).toEqual(DEFAULT_BULK_WORKER);
    expect(bulkWorkerSettings({ WORKER_BULK_ACTIVITY_CONCURRENCY: '8', WORKER_BULK_WORKFLOW_TASKS: '6', WORKER_BULK_WORKFLOW_THREADS: '2' })).toEqual({ activities: 8, workflowTasks: 6, workflowThreads: 2 });
    expect(bulkWorkerSettings({ WORKER_BULK_ACTIVITY_CONCURRENCY: '' })).toEqual(DEFAULT_BULK_WORKER);
  });

  it('refuses a slot count that is not a whole number, or too small', () => {
    expect(() => bulkWorkerSettings({ WORKER_BULK_ACTIVITY_CONCURRENCY: '0' })).toThrow(/WORKER_BULK_ACTIVITY_CONCURRENCY must be a whole number of at least 1/);
    expect(() => bulkWorkerSettings({ WORKER_BULK_WORKFLOW_THREADS: 'two' })).toThrow(/WORKER_BULK_WORKFLOW_THREADS/);
    // The SDK needs two workflow task slots when it caches workflows.
    expect(() => bulkWorkerSettings({ WORKER_BULK_WORKFLOW_TASKS: '1' })).toThrow(/WORKER_BULK_WORKFLOW_TASKS must be a whole number of at least 2/);
  });
});
