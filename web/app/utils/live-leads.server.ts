// My Leads without a reload: GET /leads/live streams server-sent events to the signed-in LSP,
// one per lead newly assigned to them (by auto-assign, Next, a claim or an owner), and the page
// re-reads its list when one arrives (components/live-leads.tsx).
//
// Each stream polls PostgreSQL about once a second for assignments rows to this LSP newer than
// the last one it sent: one indexed query (assignments (account_id, user_id, created_at)), bounded
// to recent rows. Every assignment of an account is written under its distribution lock, so ids
// grow in the order assignments commit and "newer than the last id" misses none. The stream
// itself (a minute long, reconnecting) is utils/event-stream.server.ts.
import type { Knex } from 'knex';
import type { SessionUser } from './auth.server.ts';
import { pollingEventStream, type SseEvent } from './event-stream.server.ts';

/**
 * How far before the newest row seen a new one may be stamped: auto-assign stamps its rows
 * with its pass's time, which can be a little behind the rows written meanwhile.
 */
const STAMP_SLACK_MS = 60 * 60_000;
const MAX_ROWS = 50;

export interface LiveAssignment {
  assignmentId: string;
  leadId: string;
  name: string;
}

interface Cursor {
  id: string;
  since: Date;
}

const ID_RE = /^\d{1,18}$/;

/** The id of the newest assignment to this LSP: the page hands it to the stream, so nothing written meanwhile is missed. */
export async function latestAssignmentId(db: Knex, user: SessionUser): Promise<string> {
  const row = await db('assignments')
    .where({ account_id: user.accountId, user_id: user.id })
    .orderBy([
      { column: 'created_at', order: 'desc' },
      { column: 'id', order: 'desc' },
    ])
    .first('id');
  return row ? String(row.id) : '0';
}

async function startCursor(db: Knex, user: SessionUser, after: string | null): Promise<Cursor> {
  const id = after && ID_RE.test(after) ? after : await latestAssignmentId(db, user);
  const row = id === '0' ? undefined : await db('assignments').where({ id, account_id: user.accountId, user_id: user.id }).first('created_at');
  return { id, since: row?.created_at ?? new Date() };
}

/** Assignments to the LSP after the cursor whose lead is still theirs, oldest first. */
async function newAssignments(db: Knex, user: SessionUser, cursor: Cursor): Promise<Array<LiveAssignment & { createdAt: Date }>> {
  const rows: Array<{ id: string; lead_id: string; created_at: Date; first_name: string; last_name: string }> = await db('assignments as a')
    .join('leads as l', function () {
      this.on('l.id', 'a.lead_id').andOn('l.account_id', 'a.account_id').andOn('l.assigned_user_id', 'a.user_id');
    })
    .where({ 'a.account_id': user.accountId, 'a.user_id': user.id })
    .where('a.created_at', '>=', new Date(cursor.since.getTime() - STAMP_SLACK_MS))
    .whereRaw('a.id > ?::bigint', [cursor.id])
    .orderBy('a.id')
    .limit(MAX_ROWS)
    .select('a.id', 'a.lead_id', 'a.created_at', 'l.first_name', 'l.last_name');
  return rows.map((r) => ({ assignmentId: String(r.id), leadId: r.lead_id, name: `${r.first_name} ${r.last_name}`.trim(), createdAt: r.created_at }));
}

/**
 * The event stream of one LSP's new leads, from the assignment after `after` (the page's
 * latest, or the browser's Last-Event-ID). Ends after a minute, when the browser goes away
 * (`signal`) or the database fails.
 */
export function liveAssignmentStream(db: Knex, user: SessionUser, after: string | null, signal: AbortSignal): ReadableStream<Uint8Array> {
  let cursor: Cursor | null = null;
  return pollingEventStream('live leads', signal, async () => {
    cursor ??= await startCursor(db, user, after);
    const events: SseEvent[] = [];
    for (const row of await newAssignments(db, user, cursor)) {
      events.push({ id: row.assignmentId, event: 'assigned', data: { assignmentId: row.assignmentId, leadId: row.leadId, name: row.name } satisfies LiveAssignment });
      cursor = { id: BigInt(row.assignmentId) > BigInt(cursor.id) ? row.assignmentId : cursor.id, since: row.createdAt > cursor.since ? row.createdAt : cursor.since };
    }
    return events;
  });
}
