// One zod schema per form; a failed parse becomes the 400 answer's field errors.
import { z } from 'zod';
import { cleanText, printableKey, textProblem } from '../../../db/hygiene/text-input.ts';

export type FieldErrors = Record<string, string[] | undefined>;

export function parseForm<T extends z.ZodType>(
  schema: T,
  formData: FormData,
): { success: true; data: z.output<T> } | { success: false; fieldErrors: FieldErrors } {
  const values: Record<string, unknown> = {};
  const textErrors: FieldErrors = {};
  for (const [key, value] of formData) {
    if (typeof value !== 'string') continue;
    const text = cleanText(value);
    if (text.ok) values[key] = text.value;
    else textErrors[key] = [text.reason];
  }
  // validateCsrf refuses such a form first; this keeps a form parsed without it just as safe.
  if (Object.keys(textErrors).length) return { success: false, fieldErrors: textErrors };
  const result = schema.safeParse(values);
  if (result.success) return { success: true, data: result.data };
  return { success: false, fieldErrors: z.flattenError(result.error).fieldErrors as FieldErrors };
}

/**
 * Puts every text field of `formData` in Unicode NFC, in place, and returns the fields whose
 * text is refused (db/hygiene/text-input.ts: NUL, lone surrogates, other control characters).
 * A field name is checked like a value.
 */
export function normalizeFormText(formData: FormData): Array<{ field: string; reason: string }> {
  const problems: Array<{ field: string; reason: string }> = [];
  const entries = [...formData];
  let changed = false;
  const cleaned = entries.map(([key, value]): [string, FormDataEntryValue] => {
    const name = cleanText(key);
    if (!name.ok) {
      problems.push({ field: printableKey(key), reason: `Its name: ${name.reason.charAt(0).toLowerCase()}${name.reason.slice(1)}` });
      return [key, value];
    }
    if (typeof value !== 'string') {
      // An uploaded file's name is stored with the upload.
      const fileName = textProblem(value.name);
      if (fileName) problems.push({ field: key, reason: `Its file name: ${fileName.charAt(0).toLowerCase()}${fileName.slice(1)}` });
      return [key, value];
    }
    const text = cleanText(value);
    if (!text.ok) {
      problems.push({ field: key, reason: text.reason });
      return [key, value];
    }
    if (text.value !== value || name.value !== key) changed = true;
    return [name.value, text.value];
  });
  if (problems.length || !changed) return problems;
  for (const key of new Set(entries.map(([k]) => k))) formData.delete(key);
  for (const [key, value] of cleaned) formData.append(key, value);
  return problems;
}

/** 404 as a thrown Response: the same answer for "does not exist" and "not yours". */
export function notFound(message = 'Not found'): Response {
  return new Response(message, { status: 404, statusText: 'Not Found' });
}
