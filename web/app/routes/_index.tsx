import { redirect, type LoaderFunctionArgs } from '@remix-run/node';
import { requireUser } from '../utils/auth.server.ts';

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireUser(request, context);
  // Every role starts on its leads list (an LSP's is "My Leads").
  throw redirect('/leads');
}
