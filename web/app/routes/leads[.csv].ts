// GET /leads.csv: the leads list as CSV, with the list's filters and order (the same query
// string as /leads), streamed. Owners and admins only; the columns carry no consumer's name,
// street, phone or e-mail (the ZIP is cut to its first three digits).
import type { LoaderFunctionArgs } from '@remix-run/node';
import { requireRole } from '../utils/auth.server.ts';
import { leadsCsvResponse, REPORT_ROLES } from '../utils/reports.server.ts';
import { sourceLabels } from '../../../db/lead-sources/catalogue.ts';

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireRole(request, context, REPORT_ROLES);
  return leadsCsvResponse(context.services.db, user, new URL(request.url), await sourceLabels(context.services.db, user.accountId));
}
