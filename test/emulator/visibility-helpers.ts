// Helpers shared by the visibility conformance suites (visibility-sdk*.test.ts).
import { expect } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowExecutionInfo } from '@temporalio/client';
import { defineSearchAttributeKey, type SearchAttributePair } from '@temporalio/common';
import { uniqueTaskQueue, uniqueWorkflowId } from '../support/temporal.ts';
import { eventually } from './client-helpers.ts';

/** Custom search attributes the visibility suites register at server start. */
export const LeadSource = defineSearchAttributeKey('LeadSource', 'KEYWORD');
export const LeadScore = defineSearchAttributeKey('LeadScore', 'INT');
export const LeadTags = defineSearchAttributeKey('LeadTags', 'KEYWORD_LIST');
export const IsHot = defineSearchAttributeKey('IsHot', 'BOOL');
export const Premium = defineSearchAttributeKey('Premium', 'DOUBLE');
export const FollowUpAt = defineSearchAttributeKey('FollowUpAt', 'DATETIME');
export const LEAD_ATTRIBUTES = [LeadSource, LeadScore, LeadTags, IsHot, Premium, FollowUpAt];

/** A fresh id prefix and the query clause that scopes a test to its own runs. */
export function scope() {
  const prefix = uniqueWorkflowId('vis');
  return { prefix, only: `WorkflowId STARTS_WITH '${prefix}'` };
}

/** List / count helpers bound to the environment `getEnv` returns. */
export function visibilityHelpers(getEnv: () => TestWorkflowEnvironment) {
  async function list(query: string): Promise<WorkflowExecutionInfo[]> {
    const out: WorkflowExecutionInfo[] = [];
    for await (const info of getEnv().client.workflow.list({ query })) out.push(info);
    return out;
  }

  /** Workflow ids matching `query`, sorted (for queries without ORDER BY, whose order is unspecified). */
  async function ids(query: string): Promise<string[]> {
    return (await list(query)).map((i) => i.workflowId).sort();
  }

  /** Expects, eventually (visibility may lag), that `query` matches exactly the given ids. */
  async function expectIds(query: string, expected: string[]) {
    await eventually(async () => expect(await ids(query), query).toEqual([...expected].sort()));
  }

  /**
   * Starts `collector` runs (they stay open) on a task queue nobody polls, one per entry, with the
   * given search attributes; returns their ids.
   */
  async function startOpen(prefix: string, runs: Record<string, SearchAttributePair[]>): Promise<Record<string, string>> {
    const taskQueue = uniqueTaskQueue('vis-idle');
    const out: Record<string, string> = {};
    for (const [name, typedSearchAttributes] of Object.entries(runs)) {
      const workflowId = `${prefix}-${name}`;
      await getEnv().client.workflow.start('collector', { taskQueue, workflowId, typedSearchAttributes });
      out[name] = workflowId;
    }
    return out;
  }

  return { list, ids, expectIds, startOpen };
}
