// Conformance: list / count with the visibility query language (system and custom search
// attributes, operators, ORDER BY, paging), driven only through the real SDK against a dev-server
// environment. Memo, search attributes at start and the operator service's registry are in
// visibility-sdk-registry.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createLocalEnv, uniqueTaskQueue, usingOfficialServer, withWorker } from '../support/temporal.ts';
import { CLIENT_WORKFLOWS, eventually, expectGrpcCode, GrpcStatus, rejection } from './client-helpers.ts';
import { FollowUpAt, IsHot, LEAD_ATTRIBUTES, LeadScore, LeadSource, LeadTags, Premium, scope, visibilityHelpers } from './visibility-helpers.ts';

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await createLocalEnv({ searchAttributes: LEAD_ATTRIBUTES });
});

afterAll(async () => {
  await env?.teardown();
});

const { list, expectIds, startOpen } = visibilityHelpers(() => env);

describe('list and count by system attributes', () => {
  it('finds a run by WorkflowId and reports its run id, type, task queue, status and start time', async () => {
    const { prefix } = scope();
    const taskQueue = uniqueTaskQueue('vis-idle');
    const handle = await env.client.workflow.start('collector', { taskQueue, workflowId: `${prefix}-one` });
    const infos = await eventually(async () => {
      const got = await list(`WorkflowId = '${prefix}-one'`);
      expect(got).toHaveLength(1);
      return got;
    });
    const info = infos[0]!;
    expect(info.workflowId).toBe(`${prefix}-one`);
    expect(info.runId).toBe(handle.firstExecutionRunId);
    expect(info.type).toBe('collector');
    expect(info.taskQueue).toBe(taskQueue);
    expect(info.status.name).toBe('RUNNING');
    expect(info.startTime).toBeInstanceOf(Date);
    expect(info.closeTime).toBeUndefined();
  });

  it('filters by WorkflowType', async () => {
    const { prefix, only } = scope();
    const taskQueue = uniqueTaskQueue('vis-idle');
    await env.client.workflow.start('collector', { taskQueue, workflowId: `${prefix}-c` });
    await env.client.workflow.start('echo', { taskQueue, workflowId: `${prefix}-e`, args: ['x'] });
    await expectIds(`WorkflowType = 'collector' AND ${only}`, [`${prefix}-c`]);
    await expectIds(`WorkflowType != 'collector' AND ${only}`, [`${prefix}-e`]);
  });

  it('filters by ExecutionStatus: Running, Completed, Failed, Terminated, Canceled', async () => {
    const { prefix, only } = scope();
    const taskQueue = uniqueTaskQueue('vis');
    await withWorker(env, { taskQueue, workflowsPath: CLIENT_WORKFLOWS }, async () => {
      await env.client.workflow.start('collector', { taskQueue, workflowId: `${prefix}-running` });
      await env.client.workflow.execute('echo', { taskQueue, workflowId: `${prefix}-completed`, args: ['x'] });
      await rejection(env.client.workflow.execute('failing', { taskQueue, workflowId: `${prefix}-failed`, args: ['no'] }));
      const t = await env.client.workflow.start('collector', { taskQueue, workflowId: `${prefix}-terminated` });
      await t.terminate();
      const c = await env.client.workflow.start('cancellable', { taskQueue, workflowId: `${prefix}-canceled`, args: [false] });
      await c.cancel();
      await rejection(c.result());
    });
    await expectIds(`ExecutionStatus = 'Running' AND ${only}`, [`${prefix}-running`]);
    await expectIds(`ExecutionStatus = 'Completed' AND ${only}`, [`${prefix}-completed`]);
    await expectIds(`ExecutionStatus = 'Failed' AND ${only}`, [`${prefix}-failed`]);
    await expectIds(`ExecutionStatus = 'Terminated' AND ${only}`, [`${prefix}-terminated`]);
    await expectIds(`ExecutionStatus = 'Canceled' AND ${only}`, [`${prefix}-canceled`]);
    await eventually(async () => expect((await env.client.workflow.count(`ExecutionStatus != 'Running' AND ${only}`)).count).toBe(4));
  });

  it('filters by RunId and by TaskQueue', async () => {
    const { prefix, only } = scope();
    const queueA = uniqueTaskQueue('vis-idle-a');
    const queueB = uniqueTaskQueue('vis-idle-b');
    const a = await env.client.workflow.start('collector', { taskQueue: queueA, workflowId: `${prefix}-a` });
    await env.client.workflow.start('collector', { taskQueue: queueB, workflowId: `${prefix}-b` });
    await expectIds(`RunId = '${a.firstExecutionRunId}'`, [`${prefix}-a`]);
    await expectIds(`TaskQueue = '${queueB}' AND ${only}`, [`${prefix}-b`]);
  });

  it('lists every run of a continue-as-new chain: earlier runs as ContinuedAsNew, the last as Completed', async () => {
    const { prefix } = scope();
    const taskQueue = uniqueTaskQueue('vis');
    const workflowId = `${prefix}-can`;
    await withWorker(env, { taskQueue, workflowsPath: CLIENT_WORKFLOWS }, async () => {
      await env.client.workflow.execute('countdown', { taskQueue, workflowId, args: [2] });
    });
    await eventually(async () => {
      const runs = await list(`WorkflowId = '${workflowId}'`);
      expect(runs.map((r) => r.status.name).sort()).toEqual(['COMPLETED', 'CONTINUED_AS_NEW', 'CONTINUED_AS_NEW']);
      expect(new Set(runs.map((r) => r.runId)).size).toBe(3);
    });
    await eventually(async () => expect((await env.client.workflow.count(`WorkflowId = '${workflowId}' AND ExecutionStatus = 'ContinuedAsNew'`)).count).toBe(2));
  });

  it('pages through a long result with a small pageSize without losing or repeating runs', async () => {
    const { prefix, only } = scope();
    const taskQueue = uniqueTaskQueue('vis-idle');
    const expected: string[] = [];
    for (let i = 0; i < 7; i++) {
      const workflowId = `${prefix}-${i}`;
      await env.client.workflow.start('collector', { taskQueue, workflowId });
      expected.push(workflowId);
    }
    await eventually(async () => {
      const seen: string[] = [];
      for await (const info of env.client.workflow.list({ query: only, pageSize: 2 })) seen.push(info.workflowId);
      expect(seen.sort()).toEqual(expected.sort());
    });
  });

  it('compares StartTime with < <= > >= against a moment between two starts', async () => {
    const { prefix, only } = scope();
    const taskQueue = uniqueTaskQueue('vis-idle');
    const early = await env.client.workflow.start('collector', { taskQueue, workflowId: `${prefix}-early` });
    await new Promise((r) => setTimeout(r, 200));
    const late = await env.client.workflow.start('collector', { taskQueue, workflowId: `${prefix}-late` });
    const t0 = (await early.describe()).startTime.getTime();
    const t1 = (await late.describe()).startTime.getTime();
    expect(t1).toBeGreaterThan(t0 + 100);
    const cut = new Date(Math.floor((t0 + t1) / 2)).toISOString();
    await expectIds(`StartTime < '${cut}' AND ${only}`, [`${prefix}-early`]);
    await expectIds(`StartTime <= '${cut}' AND ${only}`, [`${prefix}-early`]);
    await expectIds(`StartTime > '${cut}' AND ${only}`, [`${prefix}-late`]);
    await expectIds(`StartTime >= '${cut}' AND ${only}`, [`${prefix}-late`]);
  });

  it('compares CloseTime: a range around the close of a run matches it, and not the runs still open', async () => {
    const { prefix, only } = scope();
    const before = new Date(Date.now() - 1000).toISOString();
    const taskQueue = uniqueTaskQueue('vis');
    await withWorker(env, { taskQueue, workflowsPath: CLIENT_WORKFLOWS }, async () => {
      await env.client.workflow.execute('echo', { taskQueue, workflowId: `${prefix}-closed`, args: ['x'] });
      await env.client.workflow.start('collector', { taskQueue, workflowId: `${prefix}-open` });
    });
    const after = new Date(Date.now() + 60_000).toISOString();
    // Bounded on both sides: SQL visibility treats an open run's CloseTime as far future, Elasticsearch as absent.
    await expectIds(`CloseTime > '${before}' AND CloseTime <= '${after}' AND ${only}`, [`${prefix}-closed`]);
    await expectIds(`CloseTime >= '${before}' AND CloseTime < '${after}' AND ${only}`, [`${prefix}-closed`]);
    await expectIds(`CloseTime < '${before}' AND ${only}`, []);
  });

  it('count returns how many runs match, and GROUP BY ExecutionStatus splits the count', async () => {
    const { prefix, only } = scope();
    const taskQueue = uniqueTaskQueue('vis');
    await withWorker(env, { taskQueue, workflowsPath: CLIENT_WORKFLOWS }, async () => {
      await env.client.workflow.start('collector', { taskQueue, workflowId: `${prefix}-r1` });
      await env.client.workflow.start('collector', { taskQueue, workflowId: `${prefix}-r2` });
      await env.client.workflow.execute('echo', { taskQueue, workflowId: `${prefix}-c1`, args: ['x'] });
    });
    await eventually(async () => expect((await env.client.workflow.count(only)).count).toBe(3));
    const grouped = await env.client.workflow.count(`${only} GROUP BY ExecutionStatus`);
    expect(grouped.count).toBe(3);
    const byStatus = Object.fromEntries(grouped.groups.map((g) => [String(g.groupValues[0]), g.count]));
    expect(byStatus).toEqual({ Running: 2, Completed: 1 });
  });
});

describe('custom search attributes in queries', () => {
  it('matches a Keyword attribute with = and !=', async () => {
    const { prefix, only } = scope();
    const r = await startOpen(prefix, {
      web: [{ key: LeadSource, value: 'web' }],
      phone: [{ key: LeadSource, value: 'phone' }],
    });
    await expectIds(`LeadSource = 'web' AND ${only}`, [r.web!]);
    await expectIds(`LeadSource != 'web' AND ${only}`, [r.phone!]);
  });

  it('compares an Int attribute with < <= > >=', async () => {
    const { prefix, only } = scope();
    const r = await startOpen(prefix, {
      low: [{ key: LeadScore, value: 10 }],
      mid: [{ key: LeadScore, value: 50 }],
      high: [{ key: LeadScore, value: 90 }],
    });
    await expectIds(`LeadScore < 50 AND ${only}`, [r.low!]);
    await expectIds(`LeadScore <= 50 AND ${only}`, [r.low!, r.mid!]);
    await expectIds(`LeadScore > 50 AND ${only}`, [r.high!]);
    await expectIds(`LeadScore >= 50 AND ${only}`, [r.mid!, r.high!]);
  });

  it('matches IN against a list of values', async () => {
    const { prefix, only } = scope();
    const r = await startOpen(prefix, {
      web: [{ key: LeadSource, value: 'web' }],
      phone: [{ key: LeadSource, value: 'phone' }],
      referral: [{ key: LeadSource, value: 'referral' }],
    });
    await expectIds(`LeadSource IN ('web', 'referral') AND ${only}`, [r.web!, r.referral!]);
  });

  it('matches STARTS_WITH on a Keyword attribute', async () => {
    const { prefix, only } = scope();
    const r = await startOpen(prefix, {
      a: [{ key: LeadSource, value: 'partner-acme' }],
      b: [{ key: LeadSource, value: 'partner-globex' }],
      c: [{ key: LeadSource, value: 'web' }],
    });
    await expectIds(`LeadSource STARTS_WITH 'partner-' AND ${only}`, [r.a!, r.b!]);
  });

  it('combines conditions with AND, OR and parentheses, AND binding tighter than OR', async () => {
    const { prefix, only } = scope();
    const r = await startOpen(prefix, {
      webLow: [{ key: LeadSource, value: 'web' }, { key: LeadScore, value: 10 }],
      webHigh: [{ key: LeadSource, value: 'web' }, { key: LeadScore, value: 90 }],
      phoneHigh: [{ key: LeadSource, value: 'phone' }, { key: LeadScore, value: 80 }],
      mailHigh: [{ key: LeadSource, value: 'mail' }, { key: LeadScore, value: 95 }],
    });
    await expectIds(`(LeadSource = 'web' OR LeadSource = 'phone') AND LeadScore > 40 AND ${only}`, [r.webHigh!, r.phoneHigh!]);
    await expectIds(`${only} AND (LeadSource = 'web' OR LeadSource = 'phone' AND LeadScore > 40)`, [r.webLow!, r.webHigh!, r.phoneHigh!]);
  });

  it('matches a KeywordList attribute when the list contains the value', async () => {
    const { prefix, only } = scope();
    const r = await startOpen(prefix, {
      vip: [{ key: LeadTags, value: ['vip', 'auto'] }],
      plain: [{ key: LeadTags, value: ['home'] }],
    });
    await expectIds(`LeadTags = 'vip' AND ${only}`, [r.vip!]);
    await expectIds(`LeadTags IN ('home', 'life') AND ${only}`, [r.plain!]);
  });

  it('matches Bool, Double and Datetime attributes by value and order', async () => {
    const { prefix, only } = scope();
    const r = await startOpen(prefix, {
      a: [{ key: IsHot, value: true }, { key: Premium, value: 99.5 }, { key: FollowUpAt, value: new Date('2030-01-10T00:00:00Z') }],
      b: [{ key: IsHot, value: false }, { key: Premium, value: 1200.25 }, { key: FollowUpAt, value: new Date('2030-03-01T00:00:00Z') }],
    });
    await expectIds(`IsHot = true AND ${only}`, [r.a!]);
    await expectIds(`IsHot = false AND ${only}`, [r.b!]);
    await expectIds(`Premium > 100.0 AND ${only}`, [r.b!]);
    await expectIds(`Premium <= 99.5 AND ${only}`, [r.a!]);
    await expectIds(`FollowUpAt < '2030-02-01T00:00:00Z' AND ${only}`, [r.a!]);
    await expectIds(`FollowUpAt >= '2030-02-01T00:00:00Z' AND ${only}`, [r.b!]);
  });

  it('ORDER BY sorts the list by an attribute, ascending or descending', async () => {
    const { prefix, only } = scope();
    const r = await startOpen(prefix, {
      mid: [{ key: LeadScore, value: 50 }],
      high: [{ key: LeadScore, value: 90 }],
      low: [{ key: LeadScore, value: 10 }],
    });
    if (usingOfficialServer) {
      // The official dev server keeps visibility in SQLite, whose query converter rejects ORDER BY
      // ("operation is not supported: 'order by' clause"); only Elasticsearch visibility sorts.
      await expectGrpcCode(list(`${only} ORDER BY LeadScore DESC`), GrpcStatus.INVALID_ARGUMENT);
      return;
    }
    // The offline server sorts, as Elasticsearch-backed visibility (and Temporal Cloud) does.
    await eventually(async () => {
      expect((await list(`${only} ORDER BY LeadScore DESC`)).map((i) => i.workflowId)).toEqual([r.high, r.mid, r.low]);
    });
    expect((await list(`${only} ORDER BY LeadScore ASC`)).map((i) => i.workflowId)).toEqual([r.low, r.mid, r.high]);
  });

  it('finds a run by a search attribute the workflow upserted while running', async () => {
    const { prefix, only } = scope();
    const taskQueue = uniqueTaskQueue('vis');
    await withWorker(env, { taskQueue, workflowsPath: CLIENT_WORKFLOWS }, async () => {
      const handle = await env.client.workflow.start('upsertScore', { taskQueue, workflowId: `${prefix}-up`, args: [77], typedSearchAttributes: [{ key: LeadScore, value: 1 }] });
      await expectIds(`LeadScore = 77 AND ${only}`, [`${prefix}-up`]);
      await expectIds(`LeadScore = 1 AND ${only}`, []);
      expect((await handle.describe()).typedSearchAttributes.get(LeadScore)).toBe(77);
      await handle.signal('finish', 'x');
      await handle.result();
    });
  });

  it('rejects a query that names an unregistered attribute with INVALID_ARGUMENT', async () => {
    await expectGrpcCode(list(`NoSuchAttribute = 'x'`), GrpcStatus.INVALID_ARGUMENT);
    await expectGrpcCode(env.client.workflow.count(`NoSuchAttribute = 'x'`), GrpcStatus.INVALID_ARGUMENT);
  });

  it('rejects a syntactically malformed query with INVALID_ARGUMENT', async () => {
    await expectGrpcCode(list(`WorkflowId = 'unterminated`), GrpcStatus.INVALID_ARGUMENT);
  });
});
