// The web app's side of auto-assign: after a change that may let an LSP take more leads (they
// became available, their target or states changed, the template was turned on), the
// account's distribution workflow is asked for a pass. Best effort, never fails the request:
// the next trigger or workday start catches up (db/distribution/auto-assign-trigger.ts).
import type { AssignDeps } from '../../../db/distribution/assign.ts';
import { requestAutoAssign } from '../../../db/distribution/auto-assign-trigger.ts';
import type { WebServices } from '../context.ts';

/** What db/distribution needs, from the web server's services. */
export function assignDeps(services: WebServices): AssignDeps {
  const { db, temporal } = services;
  return { db, temporal: temporal ? () => temporal.getClient() : null, taskQueue: temporal?.taskQueue };
}

export function requestAutoAssignFromWeb(services: WebServices, accountId: string, why: string): Promise<boolean> {
  return requestAutoAssign(assignDeps(services), accountId, why);
}
