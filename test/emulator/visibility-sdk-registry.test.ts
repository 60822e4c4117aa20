// Conformance: memo and search attributes given at start (describe, list, validation) and the
// operator service's search attribute registry (list, add, remove), driven only through the real
// SDK against a dev-server environment.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowHandle } from '@temporalio/client';
import { defineSearchAttributeKey, WorkflowNotFoundError } from '@temporalio/common';
import proto from '@temporalio/proto';
import { createLocalEnv, uniqueTaskQueue, uniqueWorkflowId } from '../support/temporal.ts';
import { eventually, expectGrpcCode, GrpcStatus, rejection } from './client-helpers.ts';
import { LEAD_ATTRIBUTES, LeadScore, LeadSource, LeadTags, scope, visibilityHelpers } from './visibility-helpers.ts';

const IndexedValueType = proto.temporal.api.enums.v1.IndexedValueType;

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await createLocalEnv({ searchAttributes: LEAD_ATTRIBUTES });
});

afterAll(async () => {
  await env?.teardown();
});

const { list, expectIds, startOpen } = visibilityHelpers(() => env);

describe('search attributes and memo at start', () => {
  it('shows the memo and typed search attributes given at start in describe and in list', async () => {
    const { prefix } = scope();
    const handle: WorkflowHandle = await env.client.workflow.start('collector', {
      taskQueue: uniqueTaskQueue('vis-idle'),
      workflowId: `${prefix}-memo`,
      memo: { owner: 'agent-7', attempts: 3, nested: { a: [1, 2] } },
      typedSearchAttributes: [
        { key: LeadSource, value: 'web' },
        { key: LeadScore, value: 42 },
        { key: LeadTags, value: ['vip', 'auto'] },
      ],
    });
    const desc = await handle.describe();
    expect(desc.memo).toEqual({ owner: 'agent-7', attempts: 3, nested: { a: [1, 2] } });
    expect(desc.typedSearchAttributes.get(LeadSource)).toBe('web');
    expect(desc.typedSearchAttributes.get(LeadScore)).toBe(42);
    expect(desc.typedSearchAttributes.get(LeadTags)).toEqual(['vip', 'auto']);

    const [info] = await eventually(async () => {
      const got = await list(`WorkflowId = '${prefix}-memo'`);
      expect(got).toHaveLength(1);
      return got;
    });
    expect(info!.memo).toEqual({ owner: 'agent-7', attempts: 3, nested: { a: [1, 2] } });
    expect(info!.typedSearchAttributes.get(LeadScore)).toBe(42);
  });

  it('rejects starting a workflow with an unregistered search attribute with INVALID_ARGUMENT, and starts nothing', async () => {
    const workflowId = uniqueWorkflowId('vis-bad-sa');
    await expectGrpcCode(
      env.client.workflow.start('collector', {
        taskQueue: uniqueTaskQueue('vis-idle'),
        workflowId,
        typedSearchAttributes: [{ key: defineSearchAttributeKey('NotRegisteredAnywhere', 'KEYWORD'), value: 'x' }],
      }),
      GrpcStatus.INVALID_ARGUMENT,
    );
    expect(await rejection(env.client.workflow.getHandle(workflowId).describe())).toBeInstanceOf(WorkflowNotFoundError);
  });
});

describe('operator service: search attribute registry', () => {
  it('listSearchAttributes reports the attributes registered at startup with their types, next to the system ones', async () => {
    const res = await env.connection.operatorService.listSearchAttributes({ namespace: 'default' });
    expect(res.customAttributes?.LeadSource).toBe(IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD);
    expect(res.customAttributes?.LeadScore).toBe(IndexedValueType.INDEXED_VALUE_TYPE_INT);
    expect(res.customAttributes?.LeadTags).toBe(IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST);
    expect(res.customAttributes?.IsHot).toBe(IndexedValueType.INDEXED_VALUE_TYPE_BOOL);
    expect(res.customAttributes?.Premium).toBe(IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE);
    expect(res.customAttributes?.FollowUpAt).toBe(IndexedValueType.INDEXED_VALUE_TYPE_DATETIME);
    expect(res.systemAttributes?.WorkflowId).toBe(IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD);
    expect(res.systemAttributes?.StartTime).toBe(IndexedValueType.INDEXED_VALUE_TYPE_DATETIME);
    expect(res.systemAttributes?.ExecutionStatus).toBe(IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD);
  });

  it('addSearchAttributes registers an attribute that starts and queries can then use', async () => {
    const name = `Added${Math.random().toString(36).slice(2, 8)}`;
    await env.connection.operatorService.addSearchAttributes({
      namespace: 'default',
      searchAttributes: { [name]: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD },
    });
    const listed = await env.connection.operatorService.listSearchAttributes({ namespace: 'default' });
    expect(listed.customAttributes?.[name]).toBe(IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD);

    const { prefix, only } = scope();
    const key = defineSearchAttributeKey(name, 'KEYWORD');
    const r = await startOpen(prefix, { tagged: [{ key, value: 'yes' }], other: [{ key, value: 'no' }] });
    await expectIds(`${name} = 'yes' AND ${only}`, [r.tagged!]);
  });

  it('removeSearchAttributes unregisters an attribute: queries naming it are then INVALID_ARGUMENT', async () => {
    const name = `Removed${Math.random().toString(36).slice(2, 8)}`;
    await env.connection.operatorService.addSearchAttributes({
      namespace: 'default',
      searchAttributes: { [name]: IndexedValueType.INDEXED_VALUE_TYPE_INT },
    });
    await eventually(async () => {
      await env.client.workflow.count(`${name} = 1`);
    });
    await env.connection.operatorService.removeSearchAttributes({ namespace: 'default', searchAttributes: [name] });
    const listed = await env.connection.operatorService.listSearchAttributes({ namespace: 'default' });
    expect(listed.customAttributes?.[name]).toBeUndefined();
    await expectGrpcCode(env.client.workflow.count(`${name} = 1`), GrpcStatus.INVALID_ARGUMENT);
  });
});
