// POST /next-lead: the LSP's "Next lead" button on My Leads. Gives them the best lead of the
// pool they may work (db/distribution/claim.ts) and opens it; with none, or at today's target,
// back to My Leads, which says why.
import { redirect, type ActionFunctionArgs } from '@remix-run/node';
import { requireRole } from '../utils/auth.server.ts';
import { nextLeadFromWeb } from '../utils/claim.server.ts';
import { validateCsrf } from '../utils/csrf.server.ts';

export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requireRole(request, context, ['lsp']);
  const formData = await request.formData();
  await validateCsrf(request, context, formData);
  throw redirect(await nextLeadFromWeb(context.services, user));
}

export function loader() {
  throw redirect('/leads');
}
