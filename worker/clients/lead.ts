// The one door to a lead's workflow, for everything outside workflow code: intake, the web
// app's Quick Actions, archive and restore, and reconcile. It lives here, not in workflows/,
// because workflow code may import nothing from the client.
//
// Every start goes through `startOptions`, so none can forget what the others set: the
// workflow id `lead-<leadId>` (one workflow per lead, ever), the task queue (the caller's, or
// temporal.config.ts's default: the one place for that fallback), and the search attributes
// known at the start (Temporal rejects a start that names an attribute the namespace has not
// registered, so the worker registers them at start-up).
import { WorkflowNotFoundError, type Client, type WorkflowHandleWithFirstExecutionRunId, type WorkflowHandleWithSignaledRunId, type WorkflowStartOptions } from '@temporalio/client';
import type { QueryDefinition, SearchAttributePair, SignalDefinition } from '@temporalio/common';
import { temporalSettings } from '../../temporal.config.ts';
import { leadWorkflowId, type LeadWorkflowInput } from '../../workflows/lead/messages.ts';
import type { leadWorkflow } from '../../workflows/lead/workflow.ts';
import { LeadAssignee, LeadflowAccountId, LeadMilestone, LeadStatus } from '../../workflows/search-attributes.ts';

/** By name: the worker registers the function, the client only needs the type. */
export const LEAD_WORKFLOW_TYPE = 'leadWorkflow';

export interface LeadStartOptions {
  /** The worker's task queue; default TEMPORAL_TASK_QUEUE (temporal.config.ts). */
  taskQueue?: string;
}

/**
 * The account always; status, milestone and assignee when the input carries what the lead is
 * now (intake's facts, or the state a restart continues from). Without them the workflow
 * loads the lead from Postgres, and an attribute guessed here would be wrong until then.
 */
export function leadSearchAttributes(input: LeadWorkflowInput): SearchAttributePair[] {
  const pairs: SearchAttributePair[] = [{ key: LeadflowAccountId, value: input.accountId }];
  const known = input.state ?? input.facts;
  if (known) {
    pairs.push({ key: LeadStatus, value: known.status }, { key: LeadMilestone, value: known.milestone });
    // Unassigned is the attribute's absence, so "LeadAssignee IS NULL" finds those leads.
    if (known.assignedUserId) pairs.push({ key: LeadAssignee, value: known.assignedUserId });
  }
  return pairs;
}

function startOptions(input: LeadWorkflowInput, { taskQueue = temporalSettings().taskQueue }: LeadStartOptions) {
  return {
    workflowId: leadWorkflowId(input.leadId),
    taskQueue,
    args: [input],
    typedSearchAttributes: leadSearchAttributes(input),
    // A lead has one workflow: a start that finds it running gets that run, never a second
    // one and never an error. (Signal-with-start signals a running workflow either way.)
    workflowIdConflictPolicy: 'USE_EXISTING',
  } satisfies WorkflowStartOptions<typeof leadWorkflow>;
}

/** Starts the lead's workflow, or answers with the run already going. */
export function startLead(client: Client, input: LeadWorkflowInput, opts: LeadStartOptions = {}): Promise<WorkflowHandleWithFirstExecutionRunId<typeof leadWorkflow>> {
  return client.workflow.start<typeof leadWorkflow>(LEAD_WORKFLOW_TYPE, startOptions(input, opts));
}

/**
 * Signals the lead's workflow, starting it first when it is not running: atomic on
 * Temporal's side, so two callers racing on a new lead make one workflow that gets both
 * signals. `input` is only used for a start.
 */
export function signalWithStartLead<Args extends [unknown, ...unknown[]]>(
  client: Client,
  input: LeadWorkflowInput,
  signal: SignalDefinition<Args>,
  signalArgs: Args,
  opts: LeadStartOptions = {},
): Promise<WorkflowHandleWithSignaledRunId<typeof leadWorkflow>> {
  // Args is checked against the signal above; the client's option type cannot take it generic.
  return client.workflow.signalWithStart<typeof leadWorkflow, [unknown, ...unknown[]]>(LEAD_WORKFLOW_TYPE, { ...startOptions(input, opts), signal, signalArgs });
}

/** Signals the running workflow of a lead; fails with WorkflowNotFoundError when it has none. */
export function signalLead<Args extends unknown[]>(client: Client, leadId: string, signal: SignalDefinition<Args>, ...args: Args): Promise<void> {
  return client.workflow.getHandle<typeof leadWorkflow>(leadWorkflowId(leadId)).signal(signal, ...args);
}

/** Asks the lead's workflow (running or closed) a query. */
export function queryLead<Ret, Args extends unknown[]>(client: Client, leadId: string, query: QueryDefinition<Ret, Args>, ...args: Args): Promise<Ret> {
  return client.workflow.getHandle<typeof leadWorkflow>(leadWorkflowId(leadId)).query(query, ...args);
}

/** Whether the lead has a workflow at all, running or closed. */
export async function leadWorkflowExists(client: Client, leadId: string): Promise<boolean> {
  try {
    await client.workflow.getHandle(leadWorkflowId(leadId)).describe();
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

/**
 * Runs `fn` over `items`, at most `limit` at a time: intake and reconcile start many leads'
 * workflows at once, and a bound keeps one batch from queueing thousands of calls on the client.
 */
export async function forEachLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}
