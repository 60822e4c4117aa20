// Duplicate merge rule: same first name + last name + address, after trimming, collapsing
// spaces and case folding, is the same person. Pure and workflow-safe.
//
// The key must keep every letter of every script (two people at one address whose names are in
// Han, Arabic or Devanagari are two people) and drop only what a reader cannot see: a
// zero-width space or a soft hyphen pasted from a web page must not split one person in two.

// Default-ignorable code points render as nothing (zero-width spaces and joiners, soft hyphen,
// word joiner, BOM, variation selectors, bidi marks).
const INVISIBLE = /\p{Default_Ignorable_Code_Point}/gu;

/**
 * One part of the key: compatibility-normalised (full-width and ligature forms become plain
 * letters, composed and decomposed accents agree), invisible characters removed, every run of
 * Unicode white space one space, and case folded. JavaScript has no full case folding;
 * upper-casing first gets its multi-letter folds (ß and SS, final and medial sigma) without a
 * locale's special cases, so Turkish dotted and dotless I stay different letters.
 */
export function foldKeyPart(s: string | null | undefined): string {
  return (s ?? '')
    .normalize('NFKC')
    .replace(INVISIBLE, '')
    .toUpperCase()
    .toLowerCase()
    .normalize('NFKC')
    .replace(/\s+/g, ' ')
    .trim();
}

export interface DupKeyInput {
  firstName: string;
  lastName: string;
  addressLine1: string;
  addressLine2?: string | null;
  city: string;
  state: string;
  zip: string;
}

export function duplicateKey(p: DupKeyInput): string {
  const zip5 = (p.zip ?? '').replace(/\D/g, '').padStart(5, '0').slice(0, 5);
  return [foldKeyPart(p.firstName), foldKeyPart(p.lastName), foldKeyPart(p.addressLine1), foldKeyPart(p.addressLine2), foldKeyPart(p.city), foldKeyPart(p.state), zip5].join('|');
}
