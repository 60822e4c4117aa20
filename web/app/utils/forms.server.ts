// One zod schema per form; a failed parse becomes the 400 answer's field errors.
import { z } from 'zod';

export type FieldErrors = Record<string, string[] | undefined>;

export function parseForm<T extends z.ZodType>(
  schema: T,
  formData: FormData,
): { success: true; data: z.output<T> } | { success: false; fieldErrors: FieldErrors } {
  const values: Record<string, unknown> = {};
  for (const [key, value] of formData) if (typeof value === 'string') values[key] = value;
  const result = schema.safeParse(values);
  if (result.success) return { success: true, data: result.data };
  return { success: false, fieldErrors: z.flattenError(result.error).fieldErrors as FieldErrors };
}

/** 404 as a thrown Response: the same answer for "does not exist" and "not yours". */
export function notFound(message = 'Not found'): Response {
  return new Response(message, { status: 404, statusText: 'Not Found' });
}
