// The Sources page's reads and writes: the account's lead source catalogue with each source's
// lead count, the owner's suppressions per agent ID, and an owner's or admin's edit of a
// source. Every query is scoped to the signed-in user's account.
import type { Knex } from 'knex';
import { loadCatalogue, matchSource, type SourceEntry } from '../../../db/lead-sources/catalogue.ts';
import { isCadenceTemplate, isSegment, SOURCE_DEFINITION_MAX as DEFINITION_MAX, SOURCE_NAME_MAX, sourceMatchKey } from '../../../db/lead-sources/defaults.ts';
import { listSuppressions, type Suppression } from '../../../db/lead-sources/suppressions.ts';
import { textProblem } from '../../../db/hygiene/text-input.ts';

export interface SourceRow extends SourceEntry {
  leads: number;
  updatedBy: string | null;
}

/** Every source of the account with its lead count: the ones waiting to be classified first, then as the catalogue orders them. */
export async function sourcesForPage(db: Knex, accountId: string): Promise<SourceRow[]> {
  const [catalogue, counts, editors] = await Promise.all([
    loadCatalogue(db, accountId),
    db('leads').where({ account_id: accountId }).groupBy('source').select('source', db.raw('count(*)::int AS n')) as Promise<Array<{ source: string; n: number }>>,
    db('lead_sources as s').join('users as u', function () {
      this.on('u.id', 's.updated_by_user_id').andOn('u.account_id', 's.account_id');
    }).where('s.account_id', accountId).select('s.key', 'u.name') as Promise<Array<{ key: string; name: string }>>,
  ]);
  const n = new Map(counts.map((c) => [c.source, c.n]));
  const by = new Map(editors.map((e) => [e.key, e.name]));
  const rows = catalogue.map((s) => ({ ...s, leads: n.get(s.key) ?? 0, updatedBy: by.get(s.key) ?? null }));
  return [...rows.filter((r) => r.needsReview), ...rows.filter((r) => !r.needsReview)];
}

export async function accountAgentIds(db: Knex, accountId: string): Promise<string[]> {
  const row: { agent_ids: string[] | null } | undefined = await db('accounts').where({ id: accountId }).first('agent_ids');
  return row?.agent_ids ?? [];
}

export async function suppressionsForPage(db: Knex, accountId: string): Promise<Suppression[]> {
  return listSuppressions(db, accountId);
}

export type SourceEdit = { key: string; label: string; definition: string; segment: string; cadenceTemplate: string };
export type EditResult = { ok: true } | { ok: false; status: 400 | 404; fieldErrors: Record<string, string[]> };

/**
 * Saves an owner's or admin's classification of a source: label, definition, segment and
 * cadence; it is then no longer waiting to be classified. A key the account's catalogue does
 * not hold is a 404. A label must stay a name intake can tell apart from the other sources'.
 */
export async function updateSource(db: Knex, accountId: string, userId: string, edit: SourceEdit, now = new Date()): Promise<EditResult> {
  return db.transaction(async (trx) => {
    // One edit at a time per account, so two renames cannot both take the same name.
    await trx.raw('SELECT pg_advisory_xact_lock(hashtext(?))', [`lead-sources:${accountId}`]);
    const catalogue = await loadCatalogue(trx, accountId);
    const entry = catalogue.find((s) => s.key === edit.key);
    if (!entry) return { ok: false, status: 404, fieldErrors: {} };
    const fieldErrors: Record<string, string[]> = {};
    const label = edit.label.normalize('NFKC').trim().replace(/\s+/g, ' ');
    const definition = edit.definition.trim();
    const labelProblem = textProblem(label);
    if (!label) fieldErrors.label = ['Give the source a name'];
    else if (label.length > SOURCE_NAME_MAX) fieldErrors.label = [`At most ${SOURCE_NAME_MAX} characters`];
    else if (labelProblem) fieldErrors.label = [labelProblem];
    else if (!sourceMatchKey(label)) fieldErrors.label = ['Must contain a letter or digit'];
    else {
      const other = matchSource(
        catalogue.filter((s) => s.key !== entry.key),
        label,
      );
      if (other) fieldErrors.label = [`Another source is already called that (${other.label}): intake could not tell them apart`];
    }
    const definitionProblem = textProblem(definition);
    if (definition.length > DEFINITION_MAX) fieldErrors.definition = [`At most ${DEFINITION_MAX} characters`];
    else if (definitionProblem) fieldErrors.definition = [definitionProblem];
    if (!isSegment(edit.segment)) fieldErrors.segment = ['Choose a segment'];
    if (!isCadenceTemplate(edit.cadenceTemplate)) fieldErrors.cadenceTemplate = ['Choose a cadence'];
    if (Object.keys(fieldErrors).length) return { ok: false, status: 400, fieldErrors };
    const values = { label, definition, segment: edit.segment, cadence_template: edit.cadenceTemplate, needs_review: false, updated_at: now, updated_by_user_id: userId };
    await trx('lead_sources')
      .insert({ account_id: accountId, key: entry.key, match_key: sourceMatchKey(entry.key), first_seen_at: entry.firstSeenAt ?? now, ...values })
      .onConflict(['account_id', 'key'])
      .merge(values);
    return { ok: true };
  });
}
