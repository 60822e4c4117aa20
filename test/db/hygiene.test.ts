import { describe, expect, it } from 'vitest';
import { cleanName, normalizeEmail, normalizePhone, normalizeState, normalizeZip, timeZoneFor } from '../../db/hygiene/index.ts';
import { timeZoneForAreaCode } from '../../db/hygiene/area-codes.ts';

describe('cleanName', () => {
  it.each([
    ['  john   smith ', 'John Smith'],
    ["O'BRIEN", "O'Brien"],
    ['o’neil', "O'Neil"],
    ['MCDONALD', 'McDonald'],
    ['mcdonald', 'McDonald'],
    ['MARY-JANE', 'Mary-Jane'],
    ['mary-jane SMITH-JONES', 'Mary-Jane Smith-Jones'],
    ['JOHN SMITH III', 'John Smith III'],
    ['MACK', 'Mack'],
  ])('cases %j as %j', (raw, clean) => {
    expect(cleanName(raw)).toBe(clean);
  });

  it('keeps a mixed-case word as the person wrote it', () => {
    expect(cleanName(' DeShawn  MacKenzie ')).toBe('DeShawn MacKenzie');
  });
});

describe('normalizePhone', () => {
  it('formats a US number in E.164 and marks it valid', () => {
    expect(normalizePhone(' (212) 456-7890 ')).toEqual({ raw: '(212) 456-7890', e164: '+12124567890', valid: true });
    expect(normalizePhone('1-415-456-7890').e164).toBe('+14154567890');
  });

  it('keeps a number with a country code in its own country', () => {
    expect(normalizePhone('+44 20 7946 0958')).toMatchObject({ e164: '+442079460958', valid: true });
  });

  it('marks a possible but unassignable number invalid', () => {
    // Area codes never start with 1.
    expect(normalizePhone('123-456-7890').valid).toBe(false);
  });

  it('gives no E.164 for garbage', () => {
    expect(normalizePhone('call me')).toEqual({ raw: 'call me', e164: null, valid: false });
    expect(normalizePhone('12345')).toMatchObject({ e164: null, valid: false });
  });
});

describe('normalizeEmail', () => {
  it('lower-cases the domain and keeps the local part', () => {
    expect(normalizeEmail(' Pat.Doe+leads@Example.COM ')).toEqual({ raw: 'Pat.Doe+leads@Example.COM', address: 'Pat.Doe+leads@example.com', valid: true });
  });

  it.each(['pat', 'pat@', '@example.com', 'pat doe@example.com', 'pat@example', 'pat@@example.com', 'pat..doe@example.com', 'pat@-example.com'])(
    'rejects %j',
    (raw) => {
      expect(normalizeEmail(raw)).toMatchObject({ address: null, valid: false });
    },
  );
});

describe('normalizeZip', () => {
  it.each([
    ['08014', '08014'],
    ['8014', '08014'],
    ['501', '00501'],
    ['08014-1234', '08014'],
    ['8014-1234', '08014'],
    ['80141234', '08014'],
    ['900121234', '90012'],
  ])('turns %j into %j', (raw, zip) => {
    expect(normalizeZip(raw)).toBe(zip);
  });

  it.each(['', 'ABCDE', '12', '123456', '9001-2'])('rejects %j', (raw) => {
    expect(normalizeZip(raw)).toBeNull();
  });
});

describe('normalizeState', () => {
  it.each([
    ['ny', 'NY'],
    [' Tx ', 'TX'],
    ['New  York', 'NY'],
    ['north carolina', 'NC'],
    ['D.C.', 'DC'],
    ['District of Columbia', 'DC'],
    ['Puerto Rico', 'PR'],
    ['GU', 'GU'],
  ])('reads %j as %j', (raw, code) => {
    expect(normalizeState(raw)).toBe(code);
  });

  it.each(['XX', 'Ontario', '', 'New'])('rejects %j', (raw) => {
    expect(normalizeState(raw)).toBeNull();
  });
});

describe('timeZoneFor', () => {
  it('takes the zone from the ZIP', () => {
    expect(timeZoneFor('08014', [])).toBe('America/New_York');
    expect(timeZoneFor('90012', [])).toBe('America/Los_Angeles');
    expect(timeZoneFor('85001', [])).toBe('America/Phoenix');
  });

  it('prefers the ZIP over the phone', () => {
    expect(timeZoneFor('60601', [normalizePhone('212-456-7890')])).toBe('America/Chicago');
  });

  it("falls back to the phone's area code when the ZIP is unknown or missing", () => {
    expect(timeZoneFor('00000', [normalizePhone('312-456-7890')])).toBe('America/Chicago');
    expect(timeZoneFor(null, [normalizePhone('bad'), normalizePhone('(808) 456-7890')])).toBe('Pacific/Honolulu');
  });

  it('knows nothing without a ZIP or a US phone', () => {
    expect(timeZoneFor(null, [normalizePhone('+44 20 7946 0958')])).toBeNull();
    expect(timeZoneFor(null, [])).toBeNull();
  });

  it('maps area codes across the zones', () => {
    expect(timeZoneForAreaCode('415')).toBe('America/Los_Angeles');
    expect(timeZoneForAreaCode('303')).toBe('America/Denver');
    expect(timeZoneForAreaCode('907')).toBe('America/Anchorage');
    expect(timeZoneForAreaCode('787')).toBe('America/Puerto_Rico');
    expect(timeZoneForAreaCode('999')).toBeNull();
  });
});
