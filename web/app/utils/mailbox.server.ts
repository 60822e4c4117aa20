// The development mail catcher's messages (caught_mail), as an owner or admin may see them:
// only mail Leadflow sent on behalf of their own account. The catcher files each message
// under the account its sender named (the X-Leadflow-Account header); a message of no account
// is nobody's. In production there is no catcher, and no Mailbox.
import type { Knex } from 'knex';
import { z } from 'zod';
import type { WebServices } from '../context.ts';
import { notFound } from './forms.server.ts';

export const MAILBOX_PAGE_SIZE = 50;

export function mailboxAvailable(services: Pick<WebServices, 'mode'>): boolean {
  return services.mode !== 'production';
}

/** A 404 in production, where the Mailbox does not exist. */
export function requireMailbox(services: Pick<WebServices, 'mode'>): void {
  if (!mailboxAvailable(services)) throw notFound();
}

function visibleMail(db: Knex, accountId: string) {
  return db('caught_mail as m').where('m.account_id', accountId);
}

export interface MailSummary {
  id: string;
  fromAddress: string;
  toAddresses: string[];
  subject: string;
  receivedAt: Date;
}

export async function listMail(db: Knex, accountId: string, page: number) {
  const [{ n }] = await visibleMail(db, accountId).count<{ n: string }[]>({ n: '*' });
  const total = Number(n);
  const pageCount = Math.max(1, Math.ceil(total / MAILBOX_PAGE_SIZE));
  const current = Math.min(Math.max(1, page), pageCount);
  const rows: Array<{ id: number | string; from_address: string; to_addresses: string[]; subject: string; received_at: Date }> = await visibleMail(db, accountId)
    .orderBy([
      { column: 'm.received_at', order: 'desc' },
      { column: 'm.id', order: 'desc' },
    ])
    .limit(MAILBOX_PAGE_SIZE)
    .offset((current - 1) * MAILBOX_PAGE_SIZE)
    .select('m.id', 'm.from_address', 'm.to_addresses', 'm.subject', 'm.received_at');
  const messages: MailSummary[] = rows.map((r) => ({
    id: String(r.id),
    fromAddress: r.from_address,
    toAddresses: r.to_addresses,
    subject: r.subject,
    receivedAt: r.received_at,
  }));
  return { messages, total, page: current, pageCount };
}

export async function getMail(db: Knex, accountId: string, id: string) {
  if (!z.string().regex(/^\d{1,18}$/).safeParse(id).success) return null;
  const r = await visibleMail(db, accountId)
    .where('m.id', id)
    .first('m.id', 'm.message_id', 'm.from_address', 'm.to_addresses', 'm.subject', 'm.text', 'm.html', 'm.received_at');
  if (!r) return null;
  return {
    id: String(r.id),
    messageId: r.message_id as string | null,
    fromAddress: r.from_address as string,
    toAddresses: r.to_addresses as string[],
    subject: r.subject as string,
    text: r.text as string | null,
    html: r.html as string | null,
    receivedAt: r.received_at as Date,
  };
}
