// The commands the README has people run beside `npm start` (db:migrate, dnc:import, reconcile)
// use the running stack's database and Temporal server instead of starting their own, and never
// stop a server another live process is using. The whole stack runs here as `npm start` runs
// it, in a data directory and on ports of this test's own.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { ROOT, freePort } from '../../dev/local.ts';
import { leadWorkflowId } from '../../workflows/lead/messages.ts';
import { eventually } from '../support/eventually.ts';

let dataDir: string;
let stack: ChildProcess | undefined;
let output = '';
let webUrl: string;

function env(): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, LEADFLOW_DATA_DIR: dataDir, LEADFLOW_TEMPORAL_SERVER: 'offline' };
  for (const name of ['DATABASE_URL', 'TEMPORAL_ADDRESS', 'SMTP_URL', 'VITEST', 'VITEST_POOL_ID', 'VITEST_WORKER_ID', 'NODE_ENV']) delete e[name];
  return e;
}

function run(script: string, args: string[] = []): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, script), ...args], { cwd: ROOT, env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

async function healthy(): Promise<boolean> {
  try {
    const res = await fetch(`${webUrl}/healthz`);
    return res.status === 200 && ((await res.json()) as { database: string }).database === 'ok';
  } catch {
    return false;
  }
}

const postgresRunning = () => fs.existsSync(path.join(dataDir, 'postgres', 'postmaster.pid'));

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'leadflow-stack-'));
  const port = await freePort();
  webUrl = `http://127.0.0.1:${port}`;
  stack = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'dev/start.ts')], { cwd: ROOT, env: { ...env(), PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
  stack.stdout!.on('data', (d) => (output += d));
  stack.stderr!.on('data', (d) => (output += d));
  const deadline = Date.now() + 120_000;
  while (!output.includes('Leadflow is running')) {
    if (Date.now() > deadline || stack.exitCode !== null) throw new Error(`npm start did not come up:\n${output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}, 150_000);

afterAll(async () => {
  if (stack && stack.exitCode === null) {
    const exited = new Promise((r) => stack!.once('exit', r));
    stack.kill('SIGTERM');
    await exited;
  }
  fs.rmSync(dataDir, { recursive: true, force: true });
}, 120_000);

describe('commands run beside npm start', () => {
  it('prints a database URL that works as it is (psql, a client library)', async () => {
    const url = /Database\s+(postgres:\/\/\S+)/.exec(output)?.[1];
    expect(url).toBeDefined();
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      expect((await client.query('SELECT count(*)::int AS n FROM accounts')).rows[0].n).toBeGreaterThan(0);
    } finally {
      await client.end();
    }
  });

  it('runs a workflow for every open demo lead from the first start, before anyone presses Reconcile', async () => {
    const url = /Database\s+(postgres:\/\/\S+)/.exec(output)![1]!;
    const [, address, namespace] = /Temporal\s+(\S+), namespace (\S+),/.exec(output)!;
    const { default: pg } = await import('pg');
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    const connection = await Connection.connect({ address: address! });
    try {
      const client = new Client({ connection, namespace: namespace! });
      const { rows } = await db.query<{ id: string }>(`SELECT id FROM leads WHERE status IN ('new', 'active')`);
      expect(rows.length).toBeGreaterThan(5);
      const running = async () => {
        const statuses = await Promise.all(rows.map((r) => client.workflow.getHandle(leadWorkflowId(r.id)).describe().then((d) => d.status.name, () => 'NOT FOUND')));
        return statuses.every((s) => s === 'RUNNING');
      };
      await eventually(running, 'every open demo lead with a running workflow', 60_000);
    } finally {
      await connection.close();
      await db.end();
    }
  }, 90_000);

  it('db:migrate, dnc:import and reconcile use the running stack and leave its database up', async () => {
    expect(await healthy()).toBe(true);

    const migrate = await run('db/migrate.ts');
    expect(migrate.out).toMatch(/up to date/);
    expect(migrate.code).toBe(0);
    expect(await healthy()).toBe(true);

    const file = path.join(dataDir, 'dnc.txt');
    fs.writeFileSync(file, '2025550123\n2025550124\n');
    const dnc = await run('db/dnc-import.ts', [file]);
    expect(dnc.out).toMatch(/2 numbers added/);
    expect(dnc.code).toBe(0);
    expect(await healthy()).toBe(true);

    const reconcile = await run('worker/reconcile-cli.ts');
    expect(reconcile.out).toMatch(/open leads checked/);
    expect(reconcile.code).toBe(0);
    expect(await healthy()).toBe(true);
  });

  it('keeps the data directory and the state file private', () => {
    expect(fs.statSync(dataDir).mode & 0o077 & ~0o011).toBe(0);
    expect(fs.statSync(path.join(dataDir, 'stack.json')).mode & 0o077).toBe(0);
  });

  it('a command run with no stack starts its own database and stops it when done', async () => {
    const exited = new Promise((r) => stack!.once('exit', r));
    stack!.kill('SIGTERM');
    await exited;
    expect(output).toMatch(/Leadflow stopped/);
    expect(postgresRunning()).toBe(false);
    expect(fs.existsSync(path.join(dataDir, 'stack.json'))).toBe(false);

    const migrate = await run('db/migrate.ts');
    expect(migrate.out).toMatch(/up to date/);
    expect(migrate.code).toBe(0);
    expect(postgresRunning()).toBe(false);
  });
});
