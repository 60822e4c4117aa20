// Duplicate merge rule (product.md): same first name + last name + address, after trimming,
// collapsing spaces and case folding, is the same person. Pure and workflow-safe.

const fold = (s: string | null | undefined) => (s ?? '').normalize('NFKC').trim().replace(/\s+/g, ' ').toLocaleLowerCase('en-US');

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
  return [fold(p.firstName), fold(p.lastName), fold(p.addressLine1), fold(p.addressLine2), fold(p.city), fold(p.state), zip5].join('|');
}
