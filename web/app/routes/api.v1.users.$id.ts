// GET and PATCH /api/v1/users/:id: one user of the API key's account, and changing their day
// (any of available, dailyTarget, licensedStates), e.g. from a scheduling system that sets who
// works today. Authenticated by the account's API key, not a session, so there is no CSRF
// token. Another account's user answers 404, like a missing one.
import type { ActionFunctionArgs, LoaderFunctionArgs } from '@remix-run/node';
import { accountForApiKey } from '../utils/intake.server.ts';
import { requestAutoAssignFromWeb } from '../utils/distribution.server.ts';
import { apiUsers, checkUserDayPatch, updateUserDay } from '../utils/users.server.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const unauthorized = () => Response.json({ error: 'A valid API key is required: Authorization: Bearer <key>' }, { status: 401, headers: { 'WWW-Authenticate': 'Bearer' } });
const notFound = () => Response.json({ error: 'Not found' }, { status: 404 });

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { db } = context.services;
  const accountId = await accountForApiKey(db, request);
  if (!accountId) return unauthorized();
  const id = params.id ?? '';
  const [user] = UUID.test(id) ? await apiUsers(db, accountId, id) : [];
  return user ? Response.json(user) : notFound();
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  if (request.method !== 'PATCH') return Response.json({ error: 'Method not allowed' }, { status: 405, headers: { Allow: 'GET, PATCH' } });
  const { db } = context.services;
  const accountId = await accountForApiKey(db, request);
  if (!accountId) return unauthorized();
  const id = params.id ?? '';
  // Unknown before bad input: a caller learns nothing about the body of a request to no one.
  if (!UUID.test(id) || !(await db('users').where({ id, account_id: accountId }).first('id'))) return notFound();
  let body: unknown;
  try {
    body = await request.json();
  } catch {
    return Response.json({ errors: { body: 'Must be a JSON object' } }, { status: 400 });
  }
  const checked = checkUserDayPatch(body);
  if (!checked.ok) return Response.json({ errors: checked.errors }, { status: 400 });
  if (!(await updateUserDay(db, accountId, id, checked.patch))) return notFound();
  await requestAutoAssignFromWeb(context.services, accountId, 'an LSP’s day changed through the API');
  const [user] = await apiUsers(db, accountId, id);
  return user ? Response.json(user) : notFound();
}
