// The door to a CSV import's workflow, for the web app and the benchmarks: the workflow id
// `import-<importId>`, the task queue (the caller's, or temporal.config.ts's default) and the
// progress query, in one place. The import activity's progress signal is not here: it
// signals the very execution that runs it, by its handle.
import type { Client, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { temporalSettings } from '../../temporal.config.ts';
import { importProgressQuery, type ImportProgress } from '../../workflows/import/messages.ts';
import type { importWorkflow } from '../../workflows/import/workflow.ts';

/** By name: the worker registers the function, the client only needs the type. */
export const IMPORT_WORKFLOW_TYPE = 'importWorkflow';

export const importWorkflowId = (importId: string) => `import-${importId}`;

export type ImportWorkflowInput = Parameters<typeof importWorkflow>[0];

/**
 * Starts the import's workflow. A second start of the same import fails with
 * WorkflowExecutionAlreadyStartedError: an import runs once.
 */
export function startImportWorkflow(
  client: Client,
  input: ImportWorkflowInput,
  { taskQueue = temporalSettings().taskQueue }: { taskQueue?: string } = {},
): Promise<WorkflowHandleWithFirstExecutionRunId<typeof importWorkflow>> {
  return client.workflow.start<typeof importWorkflow>(IMPORT_WORKFLOW_TYPE, { workflowId: importWorkflowId(input.importId), taskQueue, args: [input] });
}

/** The running import's progress, from its workflow. */
export function queryImportProgress(client: Client, importId: string): Promise<ImportProgress> {
  return client.workflow.getHandle<typeof importWorkflow>(importWorkflowId(importId)).query(importProgressQuery);
}
