import { redirect, type ActionFunctionArgs } from '@remix-run/node';
import { validateCsrf } from '../utils/csrf.server.ts';
import { destroySession, getSession } from '../utils/session.server.ts';

// POST only: a link or an image tag on another site must not be able to sign people out.
export async function loader() {
  throw redirect('/');
}

export async function action({ request, context }: ActionFunctionArgs) {
  const formData = await request.formData();
  await validateCsrf(request, context, formData);
  // Deletes the session's row: a copy of the cookie kept elsewhere answers as signed out.
  const session = await getSession(context.services, request);
  throw redirect('/login', { headers: { 'Set-Cookie': await destroySession(context.services, session) } });
}
