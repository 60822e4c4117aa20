import type { Knex } from 'knex';
import { restoreSignal } from '../../../workflows/lead/messages.ts';
import { signalWithStartLead } from '../../../worker/clients/lead.ts';
import type { WebServices } from '../context.ts';
import type { SessionUser } from './auth.server.ts';

export interface RecycledLead {
  id: string;
  firstName: string;
  lastName: string;
  source: string;
  recycledAt: Date | null;
  reason: string | null;
}

export async function listRecycledLeads(db: Knex, accountId: string): Promise<RecycledLead[]> {
  const rows = await db('leads as l')
    .where({ 'l.account_id': accountId, 'l.status': 'recycled' })
    .orderBy('l.recycled_at', 'desc')
    .limit(500)
    .select('l.id', 'l.first_name', 'l.last_name', 'l.source', 'l.recycled_at')
    .select(
      db('lead_events as e').whereRaw('e.lead_id = l.id').where('e.type', 'recycled').orderBy('e.created_at', 'desc').limit(1).select('e.note').as('reason'),
    );
  return rows.map((r) => ({ id: r.id, firstName: r.first_name, lastName: r.last_name, source: r.source, recycledAt: r.recycled_at, reason: r.reason }));
}

export async function restoreLead(services: WebServices, user: SessionUser, leadId: string): Promise<'ok' | 'not_found' | { message: string }> {
  if (!/^[0-9a-f-]{36}$/i.test(leadId)) return 'not_found';
  const lead = await services.db('leads').where({ id: leadId, account_id: user.accountId, status: 'recycled' }).first('id');
  if (!lead) return 'not_found';
  if (!services.temporal) return { message: 'Temporal is not configured for this web server, so the lead cannot be restored.' };
  try {
    const client = await services.temporal.getClient();
    await signalWithStartLead(client, { leadId, accountId: user.accountId }, restoreSignal, [{ byUserId: user.id, at: new Date().toISOString() }], { taskQueue: services.temporal.taskQueue });
    return 'ok';
  } catch (err) {
    console.error('[web] restoring a lead failed', err);
    return { message: 'The restore could not be sent: Temporal did not accept it. Try again.' };
  }
}
