// The CSV column mapping form: Leadflow's fields, and first guesses from the header names so
// a typical vendor file needs no changes. Pure, shared by the mapping page and its tests.
import type { ImportMapping } from '../../../activities/import.ts';

export const SINGLE_FIELDS = [
  { name: 'firstName', label: 'First name', required: true },
  { name: 'lastName', label: 'Last name', required: true },
  { name: 'line1', label: 'Address line 1', required: true },
  { name: 'line2', label: 'Address line 2', required: false },
  { name: 'city', label: 'City', required: true },
  { name: 'state', label: 'State', required: true },
  { name: 'zip', label: 'ZIP', required: true },
  { name: 'customer', label: 'Customer flag', required: false },
  { name: 'source', label: 'Lead source (each row; empty cells take the import’s source)', required: false },
  { name: 'agentId', label: 'Agent ID (each row; empty cells take the account’s first)', required: false },
] as const;

export const MULTI_FIELDS = [
  { name: 'phones', label: 'Phones' },
  { name: 'emails', label: 'E-mails' },
] as const;

type SingleField = (typeof SINGLE_FIELDS)[number]['name'];

// Header names compared lower-cased with everything but letters and digits removed, so
// "First Name", "first_name" and "FIRST-NAME" are one name.
const SINGLE_GUESSES: Record<SingleField, RegExp> = {
  firstName: /^(first|firstname|fname|givenname|forename|namefirst)$/,
  lastName: /^(last|lastname|lname|surname|familyname|namelast)$/,
  line1: /^(address|address1|addressline1|addr|addr1|street|street1|streetaddress|line1|mailingaddress)$/,
  line2: /^(address2|addressline2|addr2|street2|line2|apt|apartment|suite|unit)$/,
  city: /^(city|town)$/,
  state: /^(state|st|stateabbr|statecode|province)$/,
  zip: /^(zip|zipcode|zip5|postal|postalcode|postcode)$/,
  customer: /^(customer|iscustomer|currentcustomer|customerflag)$/,
  source: /^(source|leadsource|vendor|leadvendor)$/,
  agentId: /^(agentid|agent|agentcode|agentnumber)$/,
};
const PHONE = /(phone|tel|mobile|cell)/;
const EMAIL = /email|^mail\d*$/;

const norm = (h: string) => h.toLowerCase().replace(/[^a-z0-9]/g, '');

export type MappingGuess = Partial<Record<SingleField, number>> & { phones: number[]; emails: number[] };

export function guessMapping(header: string[]): MappingGuess {
  const guess: MappingGuess = { phones: [], emails: [] };
  const taken = new Set<number>();
  header.forEach((raw, i) => {
    const h = norm(raw);
    for (const [field, re] of Object.entries(SINGLE_GUESSES) as Array<[SingleField, RegExp]>) {
      if (guess[field] === undefined && re.test(h)) {
        guess[field] = i;
        taken.add(i);
        return;
      }
    }
  });
  header.forEach((raw, i) => {
    if (taken.has(i)) return;
    const h = norm(raw);
    if (EMAIL.test(h)) guess.emails.push(i);
    else if (PHONE.test(h)) guess.phones.push(i);
  });
  return guess;
}

export type MappingParse = { ok: true; mapping: ImportMapping } | { ok: false; fieldErrors: Record<string, string[]> };

/** The submitted form as an ImportMapping; every column index must exist in the header. */
export function parseMappingForm(formData: FormData, columnCount: number): MappingParse {
  const fieldErrors: Record<string, string[]> = {};
  const column = (v: FormDataEntryValue | null): number | null | 'bad' => {
    if (typeof v !== 'string' || v === '') return null;
    const n = Number(v);
    return Number.isInteger(n) && n >= 0 && n < columnCount ? n : 'bad';
  };
  const out: Record<string, unknown> = {};
  for (const f of SINGLE_FIELDS) {
    const c = column(formData.get(f.name));
    if (c === 'bad') fieldErrors[f.name] = ['Not a column of this file'];
    else if (c === null && f.required) fieldErrors[f.name] = ['Choose the column'];
    else if (c !== null) out[f.name] = c;
  }
  for (const f of MULTI_FIELDS) {
    const cols = formData.getAll(f.name).map(column).filter((c) => c !== null);
    if (cols.includes('bad')) fieldErrors[f.name] = ['Not a column of this file'];
    else out[f.name] = [...new Set(cols as number[])];
  }
  if (Object.keys(fieldErrors).length) return { ok: false, fieldErrors };
  return { ok: true, mapping: out as unknown as ImportMapping };
}
