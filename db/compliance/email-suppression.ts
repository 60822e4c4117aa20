// The outbox's last line of defence against e-mailing someone who asked not to be (docs/product.md,
// "Compliance").
import type { Knex } from 'knex';

/**
 * Whether an address must never be e-mailed in this account: it is on a do-not-email list,
 * or a lead of the account with that address is flagged DNE. Used by the outbox sender as the
 * last line of defence, whoever queued the mail.
 */
export async function emailSuppressed(q: Knex | Knex.Transaction, accountId: string | null, address: string): Promise<string | null> {
  const to = address.trim().toLowerCase();
  const listed = await q('suppression_entries')
    .where({ list: 'dne', value: to })
    .where((w) => (accountId ? w.whereNull('account_id').orWhere('account_id', accountId) : w.whereNull('account_id')))
    .first('account_id');
  if (listed) return listed.account_id ? 'on the account do-not-email list' : 'on the do-not-email list';
  if (!accountId) return null;
  const lead = await q('leads')
    .where({ account_id: accountId, dne: true })
    .whereRaw("exists (select 1 from jsonb_array_elements(emails) e where lower(e->>'address') = ?)", [to])
    .first('id');
  return lead ? `lead ${lead.id} is do-not-email` : null;
}
