// The one check every door applies to text from outside: what is refused, what passes, and
// the field paths its errors carry.
import { describe, expect, it } from 'vitest';
import { cleanStrings, cleanText, stripUnsafeText } from '../../db/hygiene/text-input.ts';

describe('cleanText', () => {
  it('refuses NUL, other C0 controls, DEL, C1 controls and lone surrogates, naming the character', () => {
    expect(cleanText('a\u0000b')).toEqual({ ok: false, reason: 'Contains a control character (U+0000)' });
    expect(cleanText('\u001b[31m')).toEqual({ ok: false, reason: 'Contains a control character (U+001B)' });
    expect(cleanText('x\u007f')).toEqual({ ok: false, reason: 'Contains a control character (U+007F)' });
    expect(cleanText('x\u0085')).toEqual({ ok: false, reason: 'Contains a control character (U+0085)' });
    expect(cleanText('x\ud800')).toEqual({ ok: false, reason: 'Contains a broken character (unpaired surrogate U+D800)' });
    expect(cleanText('\udc00x')).toEqual({ ok: false, reason: 'Contains a broken character (unpaired surrogate U+DC00)' });
  });

  it('accepts tab, line breaks, every script and emoji, and returns NFC', () => {
    expect(cleanText('line 1\r\n\tline 2')).toEqual({ ok: true, value: 'line 1\r\n\tline 2' });
    expect(cleanText('王芳 · محمد · Zoë 😀')).toEqual({ ok: true, value: '王芳 · محمد · Zoë 😀' });
    expect(cleanText('Zoe\u0308')).toEqual({ ok: true, value: 'Zo\u00eb' });
  });
});

describe('cleanStrings', () => {
  it('checks every string of a parsed value, keys included, and reports each by its field path', () => {
    const result = cleanStrings({ firstName: 'ok', address: { line1: 'a\u0000' }, phones: ['1', '2\u0001'], ['bad\u0000key']: 'x', n: 3, b: true, z: null });
    expect(result).toEqual({
      ok: false,
      errors: {
        'address.line1': 'Contains a control character (U+0000)',
        'phones.1': 'Contains a control character (U+0001)',
        'bad\\u0000key': 'Field name: contains a control character (U+0000)',
      },
    });
  });

  it('returns the value with every string in NFC when all are acceptable', () => {
    expect(cleanStrings({ name: 'Rene\u0301e', list: ['Cafe\u0301'], n: 1 })).toEqual({ ok: true, value: { name: 'Ren\u00e9e', list: ['Caf\u00e9'], n: 1 } });
  });

  it('stops at a depth no real input reaches', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 50; i++) deep = { d: deep };
    const result = cleanStrings(deep);
    expect(result.ok).toBe(false);
  });
});

describe('stripUnsafeText', () => {
  it('drops refused characters and keeps the rest in NFC', () => {
    expect(stripUnsafeText('Fir\u0000st\u0007 Name\ud800 Cafe\u0301')).toBe('First Name Café');
  });
});
