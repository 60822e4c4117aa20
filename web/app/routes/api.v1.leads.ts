// POST /api/v1/leads: the intake API for lead vendors and feeds (README, "Intake API").
// Authenticated by the account's API key, not a session, so there is no CSRF token: a browser
// never holds the key, and a cross-site form cannot set the Authorization header.
import type { ActionFunctionArgs } from '@remix-run/node';
import { IdempotencyConflictError, IntakeValidationError, LeadWorkflowStartError, SourceSuppressedError, type IntakeInput } from '../../../db/intake/index.ts';
import { textProblem } from '../../../db/hygiene/text-input.ts';
import { accountForApiKey, submitLead } from '../utils/intake.server.ts';

const json = (body: unknown, status: number, headers?: Record<string, string>) => Response.json(body, { status, headers });

export async function action({ request, context }: ActionFunctionArgs) {
  if (request.method !== 'POST') return json({ error: 'Method not allowed' }, 405, { Allow: 'POST' });
  const accountId = await accountForApiKey(context.services.db, request);
  if (!accountId) return json({ error: 'A valid API key is required: Authorization: Bearer <key>' }, 401, { 'WWW-Authenticate': 'Bearer' });

  const idempotencyKey = request.headers.get('Idempotency-Key')?.trim() || undefined;
  if (idempotencyKey && idempotencyKey.length > 200) return json({ errors: { 'Idempotency-Key': 'At most 200 characters' } }, 400);
  const keyProblem = idempotencyKey && textProblem(idempotencyKey);
  if (keyProblem) return json({ errors: { 'Idempotency-Key': keyProblem } }, 400);

  let body: unknown;
  try {
    body = await request.json();
  } catch {
    return json({ errors: { body: 'Must be a JSON object' } }, 400);
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) return json({ errors: { body: 'Must be a JSON object' } }, 400);

  try {
    const result = await submitLead(context, accountId, body as IntakeInput, { idempotencyKey });
    return json(result, result.merged ? 200 : 201);
  } catch (err) {
    if (err instanceof IntakeValidationError) return json({ errors: err.fieldErrors }, 400);
    // Valid, but the account's owner turned this source off for this agent ID: sending it again will not help.
    if (err instanceof SourceSuppressedError) return json({ error: err.message, errors: { source: err.message } }, 422);
    if (err instanceof IdempotencyConflictError) return json({ errors: { 'Idempotency-Key': 'Already used with a different request body' } }, 422);
    if (err instanceof LeadWorkflowStartError) {
      // The lead is saved: the caller must not send it again. Reconcile starts the workflow.
      console.error('[intake-api] lead saved but its workflow did not start', err.leadId, err.cause);
      return json({ id: err.leadId, merged: err.merged, workflowPending: true }, err.merged ? 200 : 201);
    }
    throw err;
  }
}

export function loader() {
  return json({ error: 'Method not allowed' }, 405, { Allow: 'POST' });
}
