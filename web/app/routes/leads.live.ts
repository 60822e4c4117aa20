// GET /leads/live: server-sent events for the signed-in LSP's My Leads, one per lead newly
// assigned to them (utils/live-leads.server.ts). Signed in by the session cookie like every
// page; only LSPs have a My Leads, and the stream names only their own account's leads.
import type { LoaderFunctionArgs } from '@remix-run/node';
import { requireRole } from '../utils/auth.server.ts';
import { EVENT_STREAM_HEADERS } from '../utils/event-stream.server.ts';
import { liveAssignmentStream } from '../utils/live-leads.server.ts';

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireRole(request, context, ['lsp']);
  // A reconnecting EventSource says the last event it saw; a first connection, the page's latest.
  const after = request.headers.get('Last-Event-ID') || new URL(request.url).searchParams.get('after');
  return new Response(liveAssignmentStream(context.services.db, user, after, request.signal), { headers: EVENT_STREAM_HEADERS });
}
