// The agency's activity as it happens (owners and admins, /activity): leads arriving, changing
// hands, being worked and leaving, each said in words (lead-history.ts) on the viewer's clock.
// The page shows the latest entries and then listens to /activity/live, a stream of the entries
// written after them (event-stream.server.ts), scoped to the viewer's account.
//
// History rows of an account are written by many transactions at once (intake, the lead
// workflows, people), so ids are not committed in order: a row with a smaller id can become
// visible after a larger one was sent. Each poll therefore looks back over the ids sent in the
// last WINDOW_MS and sends what it has not sent yet, instead of only what is above the last id.
import type { Knex } from 'knex';
import type { SessionUser } from './auth.server.ts';
import { pollingEventStream, type SseEvent } from './event-stream.server.ts';
import { sourceLabels } from '../../../db/lead-sources/catalogue.ts';
import { describeLeadEvent } from './lead-history.ts';

/** The kinds of history entry the activity view shows: arrivals, assignments, work, removals. */
export const ACTIVITY_EVENT_TYPES = ['created', 'merged', 'assigned', 'unassigned', 'quick_action', 'note', 'removed', 'recycled', 'archived', 'restored', 'eagent_transferred'] as const;

export const ACTIVITY_ROLES = ['owner', 'admin'] as const;
export const ACTIVITY_PAGE = 50;
/** How long a commit may lag its id and still be sent. */
const WINDOW_MS = 30_000;
/** Rows one poll sends at most (a large import's arrivals come over the next polls). */
const POLL_MAX = 200;

export interface ActivityEntry {
  id: string;
  leadId: string;
  leadName: string;
  text: string;
  note: string | null;
  at: string;
}

interface Row {
  id: string;
  lead_id: string;
  type: string;
  note: string | null;
  data: Record<string, unknown> | null;
  actor_system: string | null;
  actor_name: string | null;
  created_at: Date;
  first_name: string;
  last_name: string;
  time_zone: string | null;
}

function activityRows(db: Knex, accountId: string): Knex.QueryBuilder {
  return db('lead_events as e')
    .join('leads as l', function () {
      this.on('l.id', 'e.lead_id').andOn('l.account_id', 'e.account_id');
    })
    .leftJoin('users as u', function () {
      this.on('u.id', 'e.actor_user_id').andOn('u.account_id', 'e.account_id');
    })
    .where('e.account_id', accountId)
    .whereIn('e.type', ACTIVITY_EVENT_TYPES)
    .select('e.id', 'e.lead_id', 'e.type', 'e.note', 'e.data', 'e.actor_system', 'u.name as actor_name', 'e.created_at', 'l.first_name', 'l.last_name', 'l.time_zone');
}

/** The account's user names by id and source names by key: what entries name by id or key. */
interface Names {
  users: Record<string, string>;
  sources: Record<string, string>;
}

async function accountNames(db: Knex, accountId: string): Promise<Names> {
  const [rows, sources] = await Promise.all([db('users').where({ account_id: accountId }).select('id', 'name') as Promise<Array<{ id: string; name: string }>>, sourceLabels(db, accountId)]);
  return { users: Object.fromEntries(rows.map((r) => [r.id, r.name])), sources };
}

function toEntry(r: Row, viewerZone: string, names: Names): ActivityEntry {
  const line = describeLeadEvent(
    { id: String(r.id), type: r.type, note: r.note, data: r.data ?? {}, actorName: r.actor_name, actorSystem: r.actor_system, createdAt: r.created_at },
    { viewerZone, leadZone: r.time_zone, userNames: names.users, sourceLabels: names.sources },
  );
  return { id: String(r.id), leadId: r.lead_id, leadName: `${r.first_name} ${r.last_name}`.trim(), text: line.text, note: line.note, at: new Date(r.created_at).toISOString() };
}

/** The latest entries, newest first, and the id the live stream continues after. */
export async function recentActivity(db: Knex, user: SessionUser): Promise<{ entries: ActivityEntry[]; after: string }> {
  const [rows, names] = await Promise.all([activityRows(db, user.accountId).orderBy('e.id', 'desc').limit(ACTIVITY_PAGE) as Promise<Row[]>, accountNames(db, user.accountId)]);
  return { entries: rows.map((r) => toEntry(r, user.timeZone, names)), after: rows[0] ? String(rows[0].id) : await latestEventId(db, user.accountId) };
}

async function latestEventId(db: Knex, accountId: string): Promise<string> {
  const row = await db('lead_events').where({ account_id: accountId }).max({ id: 'id' }).first();
  return row?.id ? String(row.id) : '0';
}

const ID_RE = /^\d{1,18}$/;

/** Entries written after `after` (the page's newest, or the browser's Last-Event-ID), oldest first, as they commit. */
export function liveActivityStream(db: Knex, user: SessionUser, after: string | null, signal: AbortSignal): ReadableStream<Uint8Array> {
  let floor: bigint | null = null;
  let names: Names | null = null;
  // Ids above the floor already sent: what a look back must not send again.
  const sent = new Set<bigint>();
  // The highest id sent at each poll: the floor moves up to the one a window old.
  const marks: Array<{ at: number; top: bigint }> = [];
  return pollingEventStream('live activity', signal, async () => {
    const now = Date.now();
    floor ??= BigInt(after && ID_RE.test(after) ? after : await latestEventId(db, user.accountId));
    names ??= await accountNames(db, user.accountId);
    // What was seen a window ago is final: nothing at or below it is looked at again.
    while (marks.length && now - marks[0]!.at > WINDOW_MS) {
      const { top } = marks.shift()!;
      if (top > floor) floor = top;
    }
    for (const id of sent.keys()) if (id <= floor) sent.delete(id);
    const rows: Row[] = await activityRows(db, user.accountId).whereRaw('e.id > ?::bigint', [floor.toString()]).orderBy('e.id').limit(POLL_MAX + sent.size);
    const events: SseEvent[] = [];
    let top = floor;
    for (const r of rows) {
      const id = BigInt(r.id);
      if (!sent.has(id)) {
        if (events.length >= POLL_MAX) break;
        sent.add(id);
        const entry = toEntry(r, user.timeZone, names);
        events.push({ id: entry.id, event: 'activity', data: entry });
      }
      top = id;
    }
    marks.push({ at: now, top });
    return events;
  });
}
