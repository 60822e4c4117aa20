// The compliance scrub (docs/product.md, "Compliance"), set-based: any number of leads against the
// federal DNC list, the account's DNC, DNE and DNM lists and its customer list, in a constant
// number of queries. Intake scrubs every lead it saves in the same transaction (so no lead is
// ever visible unscrubbed), and the lead workflow's scrubLead activity re-scrubs one lead a
// week through the same function.
//
// DNC matches the lead's phones (E.164, as the lists store them), DNE its e-mail addresses,
// DNM and the customer list any of those or its duplicate key (the person at the address). A flag, once set,
// stays: compliance outlives list edits. A prospect (kind P) found on the customer list is
// removed with the reason; a lead uploaded as a customer (kind C) is not scrubbed out.
import type { Knex } from 'knex';
import type { EmailEntry, Lead, LeadStatus, PhoneEntry, Row } from '../models/index.ts';
import { canBeCalled, canBeEmailed } from '../../workflows/lead/cadences.ts';
import type { LeadEventType } from '../lead-event-types.ts';

export interface ScrubResult {
  dnc: boolean;
  dne: boolean;
  dnm: boolean;
  callable: boolean;
  emailable: boolean;
  status: LeadStatus;
  /** Flags this scrub set. */
  newlyFlagged: string[];
}

type Flag = 'dnc' | 'dne' | 'dnm';
type List = Flag | 'customer';

const SCRUBBED_COLUMNS = ['id', 'account_id', 'phones', 'emails', 'dup_key', 'kind', 'dnc', 'dne', 'dnm', 'status'] as const;

/** The lead columns a scrub reads. */
export type ScrubbedLead = Pick<Row<Lead>, (typeof SCRUBBED_COLUMNS)[number]>;

export interface SuppressionMatch {
  list: string;
  value: string;
  account_id: string | null;
  reason: string | null;
}

/**
 * A phone as the DNC lists hold it: a US number in E.164 (+1XXXXXXXXXX), the form
 * db/compliance/suppression-lists.ts stores, from a cleaned phone entry.
 */
export function dncValue(p: PhoneEntry): string | null {
  const digits = (p.e164 ?? p.raw ?? '').replace(/\D/g, '');
  if (digits.length === 11 && digits.startsWith('1')) return `+${digits}`;
  return digits.length === 10 ? `+1${digits}` : null;
}

export const emailAddress = (e: EmailEntry) => (e.address ?? '').trim().toLowerCase() || null;

/** Suppression entries (the federal lists and the accounts' own) matching any of `values`. */
export function suppressionMatches(q: Knex | Knex.Transaction, accountIds: string[], lists: List[], values: string[]): Promise<SuppressionMatch[]> {
  if (values.length === 0) return Promise.resolve([]);
  return q('suppression_entries')
    .whereIn('list', lists)
    .whereRaw('value = any(?::text[])', [values])
    .where((w) => w.whereNull('account_id').orWhereRaw('account_id = any(?::uuid[])', [accountIds]))
    .select('list', 'value', 'account_id', 'reason') as Promise<SuppressionMatch[]>;
}

export interface ScrubDecision {
  /** Why each flag is (newly) due, and why a customer match removes the lead. */
  reasons: Partial<Record<List, string>>;
  flags: Record<Flag, boolean>;
  newlyFlagged: Flag[];
  /** True when this scrub removes a prospect found on the customer list. */
  remove: boolean;
}

/** What the lists say about one lead: pure, given the entries that match its values. */
export function decideScrub(lead: ScrubbedLead, matches: SuppressionMatch[]): ScrubDecision {
  const phones = lead.phones.map(dncValue).filter((d): d is string => !!d);
  const emails = lead.emails.map(emailAddress).filter((e): e is string => !!e);
  const reasons: Partial<Record<List, string>> = {};
  for (const m of matches) {
    if (m.account_id !== null && m.account_id !== lead.account_id) continue;
    const isKey = m.value === lead.dup_key;
    const what = isKey ? 'name and address' : m.value;
    const why = `${m.account_id ? 'account' : 'federal'} ${m.list.toUpperCase()} list: ${what}${m.reason ? ` (${m.reason})` : ''}`;
    if (m.list === 'dnc' && phones.includes(m.value)) reasons.dnc ??= why;
    if (m.list === 'dne' && emails.includes(m.value)) reasons.dne ??= why;
    if (m.list === 'dnm') reasons.dnm ??= why;
    if (m.list === 'customer') reasons.customer ??= `current customer (${what} on the customer list)`;
  }
  const newlyFlagged = (['dnc', 'dne', 'dnm'] as const).filter((f) => reasons[f] && !lead[f]);
  const flags = { dnc: lead.dnc || !!reasons.dnc, dne: lead.dne || !!reasons.dne, dnm: lead.dnm || !!reasons.dnm };
  return { reasons, flags, newlyFlagged, remove: !!reasons.customer && lead.kind === 'P' && lead.status !== 'removed' };
}

export interface ScrubOptions {
  /** When the scrub happens (the workflow's time, or intake's); keys the `scrubbed` event. */
  at: Date;
  /** Who scrubs, for the lead's history (`actor_system`). */
  actor: string;
  /** The wall-clock time flags are stamped with; `at` when absent. */
  now?: Date;
  /**
   * Record a `scrubbed` entry for every lead (the default), or only the flags and removals
   * (an upload's sweep, where thousands of leads at once would each get a line saying nothing).
   */
  recordUnchanged?: boolean;
}

/**
 * Scrubs the given leads inside `trx`: locks their rows, reads every matching list entry in one
 * query, sets new flags (with when and why) and removals, stamps `scrubbed_at`, and records
 * the `flagged`, `removed` and `scrubbed` events, each under an idempotency key so a repeated
 * scrub at the same `at` records nothing twice. Leads that do not exist are left out of the
 * result.
 */
export async function scrubLeads(trx: Knex.Transaction, leadIds: string[], { at, actor, now = at, recordUnchanged = true }: ScrubOptions): Promise<Map<string, ScrubResult>> {
  const results = new Map<string, ScrubResult>();
  if (leadIds.length === 0) return results;
  // Row locks in id order: two scrubs of overlapping sets cannot deadlock.
  const leads = (await trx('leads')
    .whereRaw('id = any(?::uuid[])', [[...new Set(leadIds)]])
    .orderBy('id')
    .forUpdate()
    .select(SCRUBBED_COLUMNS)) as ScrubbedLead[];
  if (leads.length === 0) return results;

  const values = new Set<string>();
  for (const l of leads) {
    for (const p of l.phones) {
      const v = dncValue(p);
      if (v) values.add(v);
    }
    for (const e of l.emails) {
      const v = emailAddress(e);
      if (v) values.add(v);
    }
    values.add(l.dup_key);
  }
  const accountIds = [...new Set(leads.map((l) => l.account_id))];
  const matches = await suppressionMatches(trx, accountIds, ['dnc', 'dne', 'dnm', 'customer'], [...values]);
  const byValue = new Map<string, SuppressionMatch[]>();
  for (const m of matches) byValue.set(m.value, [...(byValue.get(m.value) ?? []), m]);

  const iso = at.toISOString();
  const events: Array<Record<string, unknown>> = [];
  const event = (l: ScrubbedLead, type: LeadEventType, key: string, note: string | null, data: Record<string, unknown>) =>
    events.push({ lead_id: l.id, account_id: l.account_id, actor_system: actor, type, note, data: JSON.stringify(data), idempotency_key: key });

  // New flags and removals, gathered per kind and written set-based below: an upload that
  // flags thousands of leads at once costs a few statements per chunk, not one per lead.
  const flagged: Record<Flag, { ids: string[]; reasons: string[] }> = { dnc: { ids: [], reasons: [] }, dne: { ids: [], reasons: [] }, dnm: { ids: [], reasons: [] } };
  const removed: string[] = [];
  for (const lead of leads) {
    const own = [...lead.phones.map(dncValue), ...lead.emails.map(emailAddress), lead.dup_key].flatMap((v) => (v ? (byValue.get(v) ?? []) : []));
    const d = decideScrub(lead, own);
    for (const flag of d.newlyFlagged) {
      const reason = d.reasons[flag]!;
      flagged[flag].ids.push(lead.id);
      flagged[flag].reasons.push(reason);
      event(lead, 'flagged', `lead-${lead.id}:flag:${flag}`, reason, { flag, reason });
    }
    let status: LeadStatus = lead.status;
    if (d.remove) {
      status = 'removed';
      removed.push(lead.id);
      event(lead, 'removed', `lead-${lead.id}:removed:customer`, d.reasons.customer!, { reason: d.reasons.customer });
    }
    if (recordUnchanged) event(lead, 'scrubbed', `lead-${lead.id}:scrub:${iso}`, null, { ...d.flags, newlyFlagged: d.newlyFlagged });
    results.set(lead.id, {
      ...d.flags,
      callable: canBeCalled({ ...lead, ...d.flags }),
      emailable: canBeEmailed({ ...lead, ...d.flags }),
      status,
      newlyFlagged: d.newlyFlagged,
    });
  }
  // A row is written once where it can be: the flag statement stamps scrubbed_at too, and the
  // final stamp skips the rows it already wrote.
  const stamped = new Set<string>();
  for (const flag of ['dnc', 'dne', 'dnm'] as const) {
    const { ids, reasons } = flagged[flag];
    if (!ids.length) continue;
    // The column names come from the fixed list above, never from input.
    await trx.raw(
      `UPDATE leads l SET ${flag} = true, ${flag}_at = ?, ${flag}_reason = v.reason, updated_at = ?, scrubbed_at = ?
         FROM unnest(?::uuid[], ?::text[]) AS v(id, reason) WHERE l.id = v.id`,
      [now, now, at, ids, reasons],
    );
    for (const id of ids) stamped.add(id);
  }
  if (removed.length) await trx('leads').whereRaw('id = any(?::uuid[])', [removed]).update({ status: 'removed', updated_at: now });
  const unstamped = leads.map((l) => l.id).filter((id) => !stamped.has(id));
  if (unstamped.length) await trx('leads').whereRaw('id = any(?::uuid[])', [unstamped]).update({ scrubbed_at: at });
  await trx('lead_events').insert(events).onConflict('idempotency_key').ignore();
  return results;
}
