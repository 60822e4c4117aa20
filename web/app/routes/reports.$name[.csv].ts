// GET /reports/<name>.csv: the whole report as CSV, with the same date range, filters and order
// as its page's URL, streamed. Owners and admins only, scoped to their account; the columns
// carry no consumer's name, street, phone or e-mail.
import type { LoaderFunctionArgs } from '@remix-run/node';
import { isReportName } from '../../../db/reports/reports.ts';
import { requireRole } from '../utils/auth.server.ts';
import { notFound } from '../utils/forms.server.ts';
import { REPORT_ROLES, reportCsvResponse, reportRequest } from '../utils/reports.server.ts';
import { sourceLabels } from '../../../db/lead-sources/catalogue.ts';

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const user = await requireRole(request, context, REPORT_ROLES);
  const name = params.name ?? '';
  if (!isReportName(name)) throw notFound();
  const db = context.services.db;
  const { params: p, ctx, sort } = await reportRequest(db, user, name, new URL(request.url));
  return reportCsvResponse(db, name, ctx, sort, p, await sourceLabels(db, user.accountId));
}
