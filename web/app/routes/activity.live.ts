// GET /activity/live: server-sent events for the agency's activity view, one per history entry
// of the viewer's account written after the page's newest (utils/live-activity.server.ts).
// Owners and admins only, signed in by the session cookie like every page.
import type { LoaderFunctionArgs } from '@remix-run/node';
import { requireRole } from '../utils/auth.server.ts';
import { EVENT_STREAM_HEADERS } from '../utils/event-stream.server.ts';
import { ACTIVITY_ROLES, liveActivityStream } from '../utils/live-activity.server.ts';

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireRole(request, context, ACTIVITY_ROLES);
  // A reconnecting EventSource says the last event it saw; a first connection, the page's newest.
  const after = request.headers.get('Last-Event-ID') || new URL(request.url).searchParams.get('after');
  return new Response(liveActivityStream(context.services.db, user, after, request.signal), { headers: EVENT_STREAM_HEADERS });
}
