// The duplicate key now folds case the Unicode way and ignores invisible characters (see
// workflows/lead/dedupe.ts). Stored keys are brought to the new rule so an arrival merges with
// the lead it is, and customer-list entries (which hold keys) still match.
//
// A key is refolded part by part, so this needs only the key itself. A lead whose refolded key
// another lead already holds is the same person recorded twice under the old rule: it keeps its
// old key (a migration does not merge people's records), and later arrivals merge into the lead
// that holds the new key, oldest first when both change.
import type { Knex } from 'knex';
import { foldKeyPart } from '../../workflows/lead/dedupe.ts';

const PAGE = 5_000;

export function refoldKey(key: string): string {
  return key
    .split('|')
    .map((part) => foldKeyPart(part))
    .join('|');
}

async function refoldTable(knex: Knex, table: 'leads' | 'suppression_entries', column: 'dup_key' | 'value', scope: (q: Knex.QueryBuilder) => void, onCollision: 'keep' | 'delete') {
  // The cursor keeps created_at as text: a JS Date drops the microseconds and would loop.
  let after: { ts: string; id: string | number } | null = null;
  for (;;) {
    const q = knex(table).select('id', 'account_id', { key: column }, knex.raw('created_at::text AS ts')).orderBy([{ column: 'created_at' }, { column: 'id' }]).limit(PAGE);
    scope(q);
    if (after) q.whereRaw('(created_at, id) > (?::timestamptz, ?)', [after.ts, after.id]);
    const rows: Array<{ id: string | number; account_id: string | null; ts: string; key: string }> = await q;
    if (rows.length === 0) return;
    for (const row of rows) {
      const next = refoldKey(row.key);
      if (next === row.key) continue;
      const updated = await knex.raw(
        `UPDATE ${table} t SET ${column} = ? WHERE t.id = ?
           AND NOT EXISTS (SELECT 1 FROM ${table} o WHERE o.account_id IS NOT DISTINCT FROM t.account_id AND o.${column} = ?${table === 'suppression_entries' ? ' AND o.list = t.list' : ''})`,
        [next, row.id, next],
      );
      if (updated.rowCount === 0 && onCollision === 'delete') await knex(table).where({ id: row.id }).delete();
    }
    const last = rows.at(-1)!;
    after = { ts: last.ts, id: last.id };
  }
}

export async function up(knex: Knex): Promise<void> {
  await refoldTable(knex, 'leads', 'dup_key', () => {}, 'keep');
  // A customer-list entry whose refolded key is already listed names the same customer twice.
  await refoldTable(knex, 'suppression_entries', 'value', (q) => q.where({ list: 'customer' }), 'delete');
}

export async function down(): Promise<void> {
  // Nothing to undo: refolded keys are valid keys under the old rule too, and still unique.
}
