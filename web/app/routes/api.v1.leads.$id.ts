// GET /api/v1/leads/:id: one lead of the API key's account, with its flags, segment, status,
// milestone, assignee (id, name, username), assignments (newest first, each with userId, to,
// assignedByUserId, by, reason, createdAt) and history. Another account's lead answers 404,
// like a missing one.
import type { LoaderFunctionArgs } from '@remix-run/node';
import { accountForApiKey } from '../utils/intake.server.ts';
import { getLeadForAccount } from '../utils/leads.server.ts';

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { db } = context.services;
  const accountId = await accountForApiKey(db, request);
  if (!accountId) return Response.json({ error: 'A valid API key is required: Authorization: Bearer <key>' }, { status: 401, headers: { 'WWW-Authenticate': 'Bearer' } });
  const lead = await getLeadForAccount(db, accountId, params.id ?? '');
  if (!lead) return Response.json({ error: 'Not found' }, { status: 404 });
  const { events, ...rest } = lead;
  return Response.json({ ...rest, assignee: lead.assignee, history: events });
}
