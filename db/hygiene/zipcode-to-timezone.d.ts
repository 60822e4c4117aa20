// The package ships no types: one function, ZIP (5 digits, as a string) to IANA zone or null.
declare module 'zipcode-to-timezone' {
  export function lookup(zipcode: string): string | null;
  const zipTz: { lookup: typeof lookup };
  export default zipTz;
}
