// The signed-in LSP's own day on My Leads: their ledger for the account's today, and setting
// themselves available or away. Owners, admins and support have no ledger.
import type { Knex } from 'knex';
import { capacityLedger, type LspLedger } from '../../../db/distribution/ledger.ts';
import type { SessionUser } from './auth.server.ts';
import { updateUserDay } from './users.server.ts';

export type MyDay = Pick<LspLedger, 'available' | 'target' | 'followUpsDue' | 'newAssigned' | 'used' | 'capacityLeft'> & { date: string };

export async function myDay(db: Knex, user: SessionUser): Promise<MyDay | null> {
  if (user.role !== 'lsp') return null;
  const { day, lsps } = await capacityLedger(db, user.accountId, { userId: user.id });
  const me = lsps[0];
  if (!me) return null;
  return { date: day.date, available: me.available, target: me.target, followUpsDue: me.followUpsDue, newAssigned: me.newAssigned, used: me.used, capacityLeft: me.capacityLeft };
}

/** The LSP's own availability: only their own row, in their own account. */
export async function setMyAvailability(db: Knex, user: SessionUser, available: boolean): Promise<void> {
  await updateUserDay(db, user.accountId, user.id, { available });
}
