// Text from outside (API bodies, form fields, CSV cells) is checked once where it enters, so
// nothing deeper has to guess. PostgreSQL refuses a NUL in text and a lone UTF-16 surrogate (or
// a NUL) in jsonb, which would otherwise surface as a 500 far from the field that caused it;
// other control characters are invisible garbage that breaks display, CSV export and e-mail
// headers. The choice: refuse them with a message naming the character (the caller names the
// field), never strip them silently, because a value that is not what the sender meant is
// worse than a clear 400. Tab, line feed and carriage return stay allowed: multi-line fields
// need them, and single-line fields collapse whitespace anyway. Accepted text is put in
// Unicode NFC, so the same words typed on two keyboards are the same string.
// Pure: no I/O, usable from activities, the web app and the CSV import.

export type TextCheck = { ok: true; value: string } | { ok: false; reason: string };

const hex = (code: number) => `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;

/** Why `value` cannot be accepted as text, or null when it can. */
export function textProblem(value: string): string | null {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20) {
      if (c === 0x09 || c === 0x0a || c === 0x0d) continue;
      return `Contains a control character (${hex(c)})`;
    }
    if (c >= 0x7f && c <= 0x9f) return `Contains a control character (${hex(c)})`;
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = value.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      return `Contains a broken character (unpaired surrogate ${hex(c)})`;
    }
    if (c >= 0xdc00 && c <= 0xdfff) return `Contains a broken character (unpaired surrogate ${hex(c)})`;
  }
  return null;
}

/** The text in NFC, or why it is refused. */
export function cleanText(value: string): TextCheck {
  const reason = textProblem(value);
  return reason ? { ok: false, reason } : { ok: true, value: value.normalize('NFC') };
}

/**
 * The text with every refused character removed, in NFC: only for labels where losing an
 * invisible character is harmless (a CSV header cell, which names a column to map).
 */
export function stripUnsafeText(value: string): string {
  let out = '';
  for (const ch of value) if (!textProblem(ch)) out += ch;
  return out.normalize('NFC');
}

/** Field path ('address.zip', 'phones.1') to the reason its text is refused. */
export type TextErrors = Record<string, string>;

export type CleanStringsResult<T> = { ok: true; value: T } | { ok: false; errors: TextErrors };

/** Deeper than any real payload; it keeps recursive code (hashing, walking) off deep garbage. */
export const MAX_DEPTH = 16;

/**
 * Every string in a parsed value (JSON, a CSV record, form fields), object keys included,
 * checked and put in NFC. Errors are keyed by the field path in the form the intake API's
 * 400 answer uses ('address.line1', 'phones.0'; '_' for the value itself).
 */
export function cleanStrings<T>(value: T, maxDepth = MAX_DEPTH): CleanStringsResult<T> {
  const errors: TextErrors = {};
  const walk = (v: unknown, path: string[], depth: number): unknown => {
    if (typeof v === 'string') {
      const checked = cleanText(v);
      if (checked.ok) return checked.value;
      errors[path.join('.') || '_'] ??= checked.reason;
      return v;
    }
    if (v === null || typeof v !== 'object') return v;
    if (depth >= maxDepth) {
      errors[path.join('.') || '_'] ??= `Nested more than ${maxDepth} levels deep`;
      return v;
    }
    if (Array.isArray(v)) return v.map((item, i) => walk(item, [...path, String(i)], depth + 1));
    // Only plain data: a Date or a class instance is the caller's own value, not input.
    const proto = Object.getPrototypeOf(v) as unknown;
    if (proto !== Object.prototype && proto !== null) return v;
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(v)) {
      const keyProblem = textProblem(key);
      if (keyProblem) {
        errors[[...path, printableKey(key)].join('.')] ??= `Field name: ${keyProblem.charAt(0).toLowerCase()}${keyProblem.slice(1)}`;
        continue;
      }
      out[key.normalize('NFC')] = walk(item, [...path, key], depth + 1);
    }
    return out;
  };
  const cleaned = walk(value, [], 0);
  return Object.keys(errors).length ? { ok: false, errors } : { ok: true, value: cleaned as T };
}

/** A field name with its unprintable characters spelled out, so an error can name it. */
export function printableKey(key: string): string {
  let out = '';
  for (const ch of key) {
    const c = ch.codePointAt(0)!;
    out += textProblem(ch) ? `\\u${c.toString(16).padStart(4, '0')}` : ch;
  }
  return out;
}
