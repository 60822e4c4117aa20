// Lead hygiene (docs/product.md, "Hygiene"): pure normalisation of what a lead arrives with, so every
// door (CSV, manual entry, API) stores the same clean shape. Validity is recorded, not enforced:
// a lead with a bad phone is still a lead, and the workflow decides what it can be used for.
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import zipTz from 'zipcode-to-timezone';
import type { EmailEntry, PhoneEntry } from '../models/index.ts';
import { timeZoneForAreaCode } from './area-codes.ts';

const collapse = (s: string) => s.normalize('NFKC').trim().replace(/\s+/g, ' ');

const NAME_SUFFIXES = new Set(['ii', 'iii', 'iv', 'v', 'vi']);

function capitalise(part: string): string {
  const lower = part.toLocaleLowerCase('en-US');
  if (NAME_SUFFIXES.has(lower)) return lower.toUpperCase();
  // Mc is safe to split (McDonald); Mac is not (Mack, Macy, Machado), so it is left alone.
  if (/^mc\p{L}{2,}/u.test(lower)) return 'Mc' + lower.charAt(2).toLocaleUpperCase('en-US') + lower.slice(3);
  return lower.charAt(0).toLocaleUpperCase('en-US') + lower.slice(1);
}

/**
 * Trims, collapses spaces and cases a name. A word that is all capitals or all lower case (list
 * exports, shouting web forms) is re-cased, including after hyphens and apostrophes; a
 * mixed-case word is kept, because people write their own names right (DeShawn, MacKenzie)
 * and no rule knows better.
 */
export function cleanName(raw: string): string {
  return collapse(raw)
    .replace(/[\u2018\u2019]/g, "'")
    .split(' ')
    .map((word) => {
      const letters = word.replace(/[^\p{L}]/gu, '');
      const mixed = letters !== letters.toLocaleUpperCase('en-US') && letters !== letters.toLocaleLowerCase('en-US');
      return mixed ? word : word.replace(/\p{L}+/gu, capitalise);
    })
    .join(' ');
}

/** E.164 when the number parses as a possible number (US by default), and whether it is a real, assignable one. */
export function normalizePhone(raw: string, defaultCountry: 'US' = 'US'): PhoneEntry {
  const text = raw.trim();
  const parsed = parsePhoneNumberFromString(text, defaultCountry);
  if (!parsed || !parsed.isPossible()) return { raw: text, e164: null, valid: false };
  return { raw: text, e164: parsed.number, valid: parsed.isValid() };
}

// Syntax only (RFC 5321 lengths, a dotted domain of letters, digits and hyphens): deliverability
// is the mail server's business, and a stricter rule would reject real addresses.
const LOCAL = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const DOMAIN_LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** The address with its domain lower-cased (the local part is case-sensitive by the RFC, so it is kept). */
export function normalizeEmail(raw: string): EmailEntry {
  const text = raw.trim();
  const at = text.lastIndexOf('@');
  const invalid = { raw: text, address: null, valid: false };
  if (at <= 0 || text.length > 254) return invalid;
  const local = text.slice(0, at);
  const domain = text.slice(at + 1).toLowerCase();
  const labels = domain.split('.');
  if (local.length > 64 || !LOCAL.test(local)) return invalid;
  if (labels.length < 2 || !labels.every((l) => DOMAIN_LABEL.test(l)) || !/^[a-z]{2,}$/.test(labels.at(-1)!)) return invalid;
  return { raw: text, address: `${local}@${domain}`, valid: true };
}

/**
 * Five-digit ZIP or null. Spreadsheets store ZIPs as numbers and drop leading zeros (08014 ->
 * 8014, 00501 -> 501, and ZIP+4 08014-1234 -> 80141234), so short forms are padded back.
 */
export function normalizeZip(raw: string): string | null {
  const s = raw.trim();
  let m = /^(\d{3,5})(?:[-\s](\d{4}))?$/.exec(s);
  if (m) return m[1]!.padStart(5, '0');
  m = /^(\d{7,9})$/.exec(s);
  if (m) return m[1]!.padStart(9, '0').slice(0, 5);
  return null;
}

export const US_STATES: Record<string, string> = {
  AL: 'Alabama', AK: 'Alaska', AZ: 'Arizona', AR: 'Arkansas', CA: 'California', CO: 'Colorado', CT: 'Connecticut',
  DE: 'Delaware', DC: 'District of Columbia', FL: 'Florida', GA: 'Georgia', HI: 'Hawaii', ID: 'Idaho', IL: 'Illinois',
  IN: 'Indiana', IA: 'Iowa', KS: 'Kansas', KY: 'Kentucky', LA: 'Louisiana', ME: 'Maine', MD: 'Maryland',
  MA: 'Massachusetts', MI: 'Michigan', MN: 'Minnesota', MS: 'Mississippi', MO: 'Missouri', MT: 'Montana',
  NE: 'Nebraska', NV: 'Nevada', NH: 'New Hampshire', NJ: 'New Jersey', NM: 'New Mexico', NY: 'New York',
  NC: 'North Carolina', ND: 'North Dakota', OH: 'Ohio', OK: 'Oklahoma', OR: 'Oregon', PA: 'Pennsylvania',
  RI: 'Rhode Island', SC: 'South Carolina', SD: 'South Dakota', TN: 'Tennessee', TX: 'Texas', UT: 'Utah',
  VT: 'Vermont', VA: 'Virginia', WA: 'Washington', WV: 'West Virginia', WI: 'Wisconsin', WY: 'Wyoming',
  PR: 'Puerto Rico', GU: 'Guam', VI: 'U.S. Virgin Islands', AS: 'American Samoa', MP: 'Northern Mariana Islands',
};

const STATE_BY_NAME = new Map<string, string>();
for (const [code, name] of Object.entries(US_STATES)) STATE_BY_NAME.set(name.toLowerCase().replace(/\./g, ''), code);
STATE_BY_NAME.set('washington dc', 'DC');
STATE_BY_NAME.set('virgin islands', 'VI');
STATE_BY_NAME.set('us virgin islands', 'VI');

/** The two-letter code for a state, DC or territory given as a code or a full name; null otherwise. */
export function normalizeState(raw: string): string | null {
  const s = collapse(raw).replace(/\./g, '');
  const upper = s.toUpperCase();
  if (upper in US_STATES) return upper;
  return STATE_BY_NAME.get(s.toLowerCase()) ?? null;
}

/** From the ZIP (offline data from zipcode-to-timezone), else from the first US phone's area code. */
export function timeZoneFor(zip5: string | null, phones: PhoneEntry[]): string | null {
  if (zip5) {
    const zone = zipTz.lookup(zip5);
    if (zone) return zone;
  }
  for (const p of phones) {
    if (p.e164?.startsWith('+1') && p.e164.length === 12) {
      const zone = timeZoneForAreaCode(p.e164.slice(2, 5));
      if (zone) return zone;
    }
  }
  return null;
}
