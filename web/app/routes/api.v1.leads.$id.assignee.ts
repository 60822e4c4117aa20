// PUT /api/v1/leads/:id/assignee: an integration assigns or unassigns a lead of the API key's
// account (README, "Assigning leads through the API"). The rules are the lead page's
// (db/distribution/assign.ts): an active LSP of the account, licensed in the lead's state.
// Authenticated by the API key, like the intake API, so there is no CSRF token.
import type { ActionFunctionArgs } from '@remix-run/node';
import { z } from 'zod';
import { ASSIGN_REASON_MAX, AssignmentError, assignLeads } from '../../../db/distribution/assign.ts';
import { textProblem } from '../../../db/hygiene/text-input.ts';
import { notifyHotLeads } from '../../../db/distribution/hot-lead-mail.ts';
import { assignDeps } from '../utils/distribution.server.ts';
import { accountForApiKey } from '../utils/intake.server.ts';
import { getLeadForAccount } from '../utils/leads.server.ts';

const json = (body: unknown, status: number, headers?: Record<string, string>) => Response.json(body, { status, headers });
const NOT_ALLOWED = () => json({ error: 'Method not allowed' }, 405, { Allow: 'PUT' });

const bodySchema = z.strictObject(
  {
    userId: z.uuid('Must be a user id (uuid) or null').nullable(),
    reason: z
      .string('Required: why this assignment')
      .trim()
      .min(1, 'Required: why this assignment')
      .max(ASSIGN_REASON_MAX, `At most ${ASSIGN_REASON_MAX} characters`)
      .refine((r) => !textProblem(r), { error: (issue) => textProblem(String(issue.input)) ?? 'Not valid text' }),
  },
  { error: (issue) => (issue.code === 'unrecognized_keys' ? `Unknown field${issue.keys.length > 1 ? 's' : ''}: ${issue.keys.join(', ')}` : undefined) },
);

export async function action({ request, params, context }: ActionFunctionArgs) {
  if (request.method !== 'PUT') return NOT_ALLOWED();
  const { db } = context.services;
  const accountId = await accountForApiKey(db, request);
  if (!accountId) return json({ error: 'A valid API key is required: Authorization: Bearer <key>' }, 401, { 'WWW-Authenticate': 'Bearer' });

  // Unreadable JSON answers like any other body that is not an object.
  const body: unknown = await request.json().catch(() => null);
  if (!body || typeof body !== 'object' || Array.isArray(body)) return json({ errors: { body: 'Must be a JSON object' } }, 400);
  if (!('userId' in body)) return json({ errors: { userId: 'Required: a user id, or null to unassign' } }, 400);
  const parsed = bodySchema.safeParse(body);
  if (!parsed.success) {
    const errors: Record<string, string> = {};
    for (const issue of parsed.error.issues) errors[issue.path.length ? issue.path.join('.') : 'body'] ??= issue.message;
    return json({ errors }, 400);
  }

  const leadId = params.id ?? '';
  try {
    const result = await assignLeads(
      assignDeps(context.services),
      { accountId, leadIds: [leadId], userId: parsed.data.userId, byUserId: null, reason: parsed.data.reason, actorSystem: 'api' },
    );
    if (result.user && result.assigned.length) await notifyHotLeads(assignDeps(context.services), { accountId, leadIds: result.assigned.map((a) => a.leadId), appUrl: context.services.publicUrl });
    const lead = await getLeadForAccount(db, accountId, leadId);
    if (!lead) return json({ error: 'Not found' }, 404);
    // The newest assignments row is this call's, or (nothing changed) the one that made the lead what it already is.
    const latest = lead.assignments[0] ?? null;
    return json(
      {
        changed: result.assigned.length > 0,
        assignment: latest && { id: latest.id, userId: latest.userId, assignedByUserId: latest.assignedByUserId, method: latest.method, reason: latest.reason, createdAt: latest.createdAt },
        lead: { id: lead.id, assignee: lead.assignee && { id: lead.assignee.id, name: lead.assignee.name } },
        // Saved either way; true when the lead's workflow could not be told (it keeps only a copy).
        ...(result.signalFailures.length ? { workflowPending: true } : {}),
      },
      200,
    );
  } catch (err) {
    if (err instanceof AssignmentError) return err.kind === 'not_found' ? json({ error: err.message }, 404) : json(err.kind === 'invalid' ? { errors: { reason: err.message } } : { error: err.message }, err.status);
    throw err;
  }
}

export const loader = NOT_ALLOWED;
