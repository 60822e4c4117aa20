// Finding a lead by what a person has at hand: a name, a phone number in whatever format it
// was written down, or an e-mail address. The conditions use exactly the expressions the
// trigram indexes of migration 20261130080000 are built on, so a search among 100,000 leads
// reads only the few that match. Scoping (which leads the user may see) is the caller's query.
import type { Knex } from 'knex';
import { normalizePhone } from '../hygiene/index.ts';

export const LEAD_SEARCH_MAX = 200;

export type LeadSearch = { kind: 'phone'; digits: string } | { kind: 'email'; text: string } | { kind: 'name'; words: string[]; text: string };

/** Digits with the punctuation people write phone numbers with, and nothing else. */
const PHONE_LIKE = /^[\d\s().+\-/]+$/;
/** Fewer digits than this is not a phone number search (it would match most leads). */
const MIN_PHONE_DIGITS = 3;

/**
 * What a search box's text asks for. A phone number is matched on its national digits, so
 * "+1 504 555 0142", "(504) 555-0142" and "5045550142" are the same search; fewer digits
 * ("555-0142") match the numbers that contain them.
 */
export function parseLeadSearch(raw: string): LeadSearch | null {
  const text = raw.normalize('NFKC').trim().replace(/\s+/g, ' ').slice(0, LEAD_SEARCH_MAX);
  if (!text) return null;
  if (text.includes('@')) return { kind: 'email', text: text.toLowerCase() };
  const digits = text.replace(/\D/g, '');
  if (PHONE_LIKE.test(text) && digits.length >= MIN_PHONE_DIGITS) {
    if (digits.length >= 10) {
      // Stored numbers are E.164 digits (country code first) or, when intake could not read
      // them, the digits as typed: the national part is in both.
      const e164 = normalizePhone(text).e164;
      const national = e164 && e164.startsWith('+1') ? e164.slice(2) : null;
      return { kind: 'phone', digits: national ?? digits };
    }
    return { kind: 'phone', digits };
  }
  const words = text.toLowerCase().split(/[\s,]+/).filter(Boolean);
  return { kind: 'name', words, text: text.toLowerCase() };
}

/** `%text%` for LIKE, with LIKE's own wildcards in the text taken literally. */
const contains = (s: string) => `%${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

// The indexed expressions (migration 20261130080000), with the table named as the lists do.
const NAME = "lower(leads.first_name || ' ' || leads.last_name)";
const PHONES = 'leads_search_phones(leads.phones)';
const EMAILS = 'leads_search_emails(leads.emails)';

/**
 * Narrows `q` (a query over `leads`) to the leads `search` finds. A name search wants every
 * word somewhere in the name ("doe jane" and "Jane Doe" alike) or the whole text in an e-mail
 * address ("jane.doe" without the domain).
 */
export function whereLeadMatches(q: Knex.QueryBuilder, search: LeadSearch): Knex.QueryBuilder {
  switch (search.kind) {
    case 'phone':
      return q.whereRaw(`${PHONES} like ?`, [contains(search.digits)]);
    case 'email':
      return q.whereRaw(`${EMAILS} like ?`, [contains(search.text)]);
    case 'name':
      return q.where((b) => {
        b.where((names) => {
          for (const word of search.words) names.whereRaw(`${NAME} like ?`, [contains(word)]);
        }).orWhereRaw(`${EMAILS} like ?`, [contains(search.text)]);
      });
  }
}
