// POST /my-day: the signed-in LSP sets themselves available or away (the form is on My Leads,
// components/my-day.tsx). Only LSPs have a day; nothing here names another user.
import { redirect, type ActionFunctionArgs } from '@remix-run/node';
import { z } from 'zod';
import { requireRole } from '../utils/auth.server.ts';
import { validateCsrf } from '../utils/csrf.server.ts';
import { parseForm } from '../utils/forms.server.ts';
import { requestAutoAssignFromWeb } from '../utils/distribution.server.ts';
import { setMyAvailability } from '../utils/my-day.server.ts';

const schema = z.object({ available: z.enum(['true', 'false']) });

export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requireRole(request, context, ['lsp']);
  const formData = await request.formData();
  await validateCsrf(request, context, formData);
  const parsed = parseForm(schema, formData);
  if (!parsed.success) throw new Response('Choose available or away.', { status: 400, statusText: 'Bad Request' });
  const available = parsed.data.available === 'true';
  await setMyAvailability(context.services.db, user, available);
  if (available) await requestAutoAssignFromWeb(context.services, user.accountId, `${user.name} became available`);
  throw redirect('/leads');
}

export function loader() {
  throw redirect('/leads');
}
