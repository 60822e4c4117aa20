// The hot-lead e-mail: an LSP who chose it ("E-mail me when a highly engaged lead is assigned to
// me", users.notify_hot_leads) gets one e-mail per highly engaged lead that becomes theirs,
// by auto-assign or by someone else's hand. A lead the LSP took themselves (claim, Next lead)
// is not mailed: they are looking at it already.
//
// Queued in the e-mail outbox under the assignment's id (`hot-lead:<assignment id>`), so a
// retried pass, or a second call for the same leads, never mails twice; sent by the worker
// (activities/distribution-notify.ts, after each auto-assign pass). The e-mail carries as little
// of the consumer as will do: first name and last initial, city and state, and a link.
import type { Knex } from 'knex';
import { requestAutoAssign, type TriggerDeps } from './auto-assign-trigger.ts';

export const HOT_LEAD_KEY_PREFIX = 'hot-lead:';
export const hotLeadKey = (assignmentId: string) => `${HOT_LEAD_KEY_PREFIX}${assignmentId}`;
/** An assignment older than this is not news: nothing is mailed about it. */
const FRESH_MS = 24 * 3600_000;

export interface HotLeadMail {
  outboxId: string;
  assignmentId: string;
  leadId: string;
  to: string;
}

/** "Mon, Nov 30, 9:15 AM CST": when the lead became theirs, on the reader's clock. */
export function hotLeadTime(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-US', { weekday: 'short', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', timeZoneName: 'short', timeZone }).format(at);
}

/** "Maria G.": enough for the LSP to recognise the lead in a subject line, and no more. */
export function shortName(first: string, last: string): string {
  const initial = [...last.trim()][0];
  return [first.trim(), initial ? `${initial.toUpperCase()}.` : ''].filter(Boolean).join(' ') || 'A lead';
}

interface Candidate {
  assignment_id: string;
  assigned_at: Date;
  lead_id: string;
  first_name: string;
  last_name: string;
  city: string | null;
  state: string | null;
  email: string;
  name: string;
  time_zone: string;
}

/**
 * Queues the hot-lead e-mail for each of these leads whose assignment calls for one: the lead
 * is highly engaged, it is held by an active LSP of the account who asked for the e-mail, and
 * the assignment that made it theirs is recent and was not their own doing. Returns every such
 * e-mail, queued now or by an earlier call.
 */
export async function queueHotLeadEmails(db: Knex, req: { accountId: string; leadIds: string[]; appUrl: string; now?: Date }): Promise<HotLeadMail[]> {
  const leadIds = [...new Set(req.leadIds)];
  if (!leadIds.length) return [];
  const now = req.now ?? new Date();
  const appUrl = req.appUrl.replace(/\/+$/, '');
  return db.transaction(async (trx) => {
    // The assignment that made the lead its holder's: the newest row naming them.
    const { rows } = await trx.raw<{ rows: Candidate[] }>(
      `SELECT a.id::text AS assignment_id, a.created_at AS assigned_at, l.id AS lead_id, l.first_name, l.last_name, l.city, l.state,
              u.email, u.name, coalesce(u.time_zone, acc.time_zone) AS time_zone
         FROM leads l
         JOIN users u ON u.id = l.assigned_user_id AND u.account_id = l.account_id
         JOIN accounts acc ON acc.id = l.account_id
         JOIN LATERAL (
           SELECT a.id, a.created_at, a.assigned_by_user_id FROM assignments a
            WHERE a.lead_id = l.id AND a.account_id = l.account_id AND a.user_id = l.assigned_user_id
            ORDER BY a.created_at DESC, a.id DESC LIMIT 1
         ) a ON true
        WHERE l.account_id = :accountId AND l.id = ANY(:leadIds::uuid[])
          AND l.segment = 'highly_engaged' AND l.status IN ('new', 'active')
          AND u.role = 'lsp' AND u.status = 'active' AND u.notify_hot_leads
          AND a.assigned_by_user_id IS DISTINCT FROM u.id
          AND a.created_at > :since
        ORDER BY a.id`,
      { accountId: req.accountId, leadIds, since: new Date(now.getTime() - FRESH_MS) },
    );
    const out: HotLeadMail[] = [];
    for (const c of rows) {
      const key = hotLeadKey(c.assignment_id);
      const who = shortName(c.first_name, c.last_name);
      const where = [c.city?.trim(), c.state?.trim()].filter(Boolean).join(', ');
      const text = [
        `Hello ${c.name},`,
        '',
        `A highly engaged lead was assigned to you on ${hotLeadTime(new Date(c.assigned_at), c.time_zone)}: ${who}${where ? ` in ${where}` : ''}.`,
        `Open the lead: ${appUrl}/leads/${c.lead_id}`,
        '',
        `You get this e-mail because you asked for it in your preferences: ${appUrl}/account/preferences`,
        '',
      ].join('\n');
      const [inserted] = await trx('email_outbox')
        .insert({ account_id: req.accountId, idempotency_key: key, to_address: c.email, subject: `New hot lead: ${who}`, body_text: text })
        .onConflict('idempotency_key')
        .ignore()
        .returning('id');
      const outboxId: string = inserted ? inserted.id : (await trx('email_outbox').where({ idempotency_key: key }).first('id')).id;
      out.push({ outboxId, assignmentId: c.assignment_id, leadId: c.lead_id, to: c.email });
    }
    return out;
  });
}

/** Hot-lead e-mails of the account still to send: queued in the last day, tried fewer than `maxAttempts` times. */
export async function pendingHotLeadEmails(db: Knex, accountId: string, opts: { now?: Date; maxAttempts?: number; limit?: number } = {}): Promise<string[]> {
  const now = opts.now ?? new Date();
  const rows: Array<{ id: string }> = await db('email_outbox')
    .where({ account_id: accountId, status: 'pending' })
    .where('created_at', '>', new Date(now.getTime() - FRESH_MS))
    .where('attempts', '<', opts.maxAttempts ?? 5)
    .whereLike('idempotency_key', `${HOT_LEAD_KEY_PREFIX}%`)
    .orderBy('created_at')
    .limit(opts.limit ?? 100)
    .select('id');
  return rows.map((r) => r.id);
}

/**
 * For the web app, after a manual assignment (or any made outside the worker): queues the
 * e-mails these leads call for and asks the account's distribution workflow for a pass, whose
 * activity sends what is queued. Best effort after the assignment's commit: a failure is logged
 * and the assignment stands. Returns the e-mails queued.
 */
export async function notifyHotLeads(deps: TriggerDeps, req: { accountId: string; leadIds: string[]; appUrl: string }): Promise<HotLeadMail[]> {
  try {
    const mails = await queueHotLeadEmails(deps.db, req);
    if (mails.length) await requestAutoAssign(deps, req.accountId, 'a hot lead was assigned', { force: true });
    return mails;
  } catch (err) {
    console.error('[hot-lead mail] could not queue the e-mail for account', req.accountId, err);
    return [];
  }
}
