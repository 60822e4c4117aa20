// GET /api/v1/users: every user of the API key's account with their day settings and, for an
// active LSP, today's ledger (README, "Users API"). An HR or scheduling system reads who works
// today and how much room each LSP has left.
import type { LoaderFunctionArgs } from '@remix-run/node';
import { accountForApiKey } from '../utils/intake.server.ts';
import { apiUsers } from '../utils/users.server.ts';

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { db } = context.services;
  const accountId = await accountForApiKey(db, request);
  if (!accountId) return Response.json({ error: 'A valid API key is required: Authorization: Bearer <key>' }, { status: 401, headers: { 'WWW-Authenticate': 'Bearer' } });
  return Response.json({ users: await apiUsers(db, accountId) });
}

export function action() {
  return Response.json({ error: 'Method not allowed' }, { status: 405, headers: { Allow: 'GET' } });
}
