// The account's API keys (the owner's API Keys page): a key is a high-entropy secret shown once
// when it is made and stored only as its SHA-256, so nobody (not the owner, not support, not a
// database dump) can read it again. Keys are named, listed with their last use, and revoked
// (never deleted: the list keeps who revoked which and when).
import type { Knex } from 'knex';
import { randomSecret, sha256 } from '../../../db/passwords.ts';

/** How long a key's last use may be stale: at most one write per key per minute, not one per request. */
const LAST_USED_GRANULARITY_MS = 60_000;

const KEY_PREFIX = 'lf_';

export interface ApiKeyRow {
  id: string;
  name: string;
  /** The first characters, enough to tell keys apart; never the secret. */
  prefix: string;
  createdAt: string;
  createdBy: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
  revokedBy: string | null;
}

export async function listApiKeys(db: Knex, accountId: string): Promise<ApiKeyRow[]> {
  const rows = await db('api_keys as k')
    .leftJoin('users as c', 'c.id', 'k.created_by_user_id')
    .leftJoin('users as r', 'r.id', 'k.revoked_by_user_id')
    .where('k.account_id', accountId)
    .orderByRaw('k.revoked_at IS NOT NULL, k.created_at DESC, k.id')
    .select('k.id', 'k.name', 'k.prefix', 'k.created_at', 'k.last_used_at', 'k.revoked_at', 'c.name as created_by', 'r.name as revoked_by');
  const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    prefix: r.prefix,
    createdAt: iso(r.created_at)!,
    createdBy: r.created_by ?? null,
    lastUsedAt: iso(r.last_used_at),
    revokedAt: iso(r.revoked_at),
    revokedBy: r.revoked_by ?? null,
  }));
}

/** A new key for the account; the returned secret is the only time anyone sees it. */
export async function createApiKey(db: Knex, accountId: string, byUserId: string, name: string): Promise<{ id: string; key: string }> {
  const key = randomSecret(KEY_PREFIX);
  const [row] = await db('api_keys')
    .insert({ account_id: accountId, name, prefix: key.slice(0, KEY_PREFIX.length + 5), key_hash: sha256(key), created_by_user_id: byUserId })
    .returning('id');
  return { id: row.id, key };
}

/** Revokes one of the account's keys at once; false when the account has no such key or it is already revoked. */
export async function revokeApiKey(db: Knex, accountId: string, byUserId: string, keyId: string): Promise<boolean> {
  if (!/^[0-9a-f-]{36}$/i.test(keyId)) return false;
  const n = await db('api_keys').where({ id: keyId, account_id: accountId }).whereNull('revoked_at').update({ revoked_at: db.fn.now(), revoked_by_user_id: byUserId });
  return n > 0;
}

/** The account a live key speaks for, noting its use (at most once a minute per key); null for an unknown or revoked key. */
export async function useApiKey(db: Knex, key: string): Promise<string | null> {
  const row = await db('api_keys').where({ key_hash: sha256(key) }).whereNull('revoked_at').first('id', 'account_id', 'last_used_at');
  if (!row) return null;
  const last = row.last_used_at ? new Date(row.last_used_at).getTime() : 0;
  if (Date.now() - last > LAST_USED_GRANULARITY_MS) {
    // Conditional, so concurrent requests with one key write once; never fails the request.
    await db('api_keys')
      .where({ id: row.id })
      .where((q) => q.whereNull('last_used_at').orWhere('last_used_at', '<', new Date(Date.now() - LAST_USED_GRANULARITY_MS)))
      .update({ last_used_at: db.fn.now() })
      .catch((err: unknown) => console.warn('[api] could not note an API key’s last use', (err as Error).message));
  }
  return row.account_id as string;
}
