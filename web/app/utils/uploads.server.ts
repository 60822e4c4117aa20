// Multipart uploads (CSV imports, DNC lists). Files are parsed into memory with a hard cap per
// part: Remix's memory handler refuses a bigger part while it streams, so an oversized upload
// costs at most the cap, never the whole body.
import { MaxPartSizeExceededError, unstable_createMemoryUploadHandler, unstable_parseMultipartFormData } from '@remix-run/node';

export const MAX_UPLOAD_BYTES = 20 * 1024 * 1024;

export type UploadResult = { ok: true; formData: FormData } | { ok: false; message: string };

export async function parseUpload(request: Request, maxBytes = MAX_UPLOAD_BYTES): Promise<UploadResult> {
  const contentType = request.headers.get('content-type') ?? '';
  try {
    // A plain form post carries no file, but it still goes through the caller's CSRF check
    // (and then fails for the missing file), rather than being answered before it.
    if (!contentType.startsWith('multipart/form-data')) return { ok: true, formData: await request.formData() };
    const formData = await unstable_parseMultipartFormData(request, unstable_createMemoryUploadHandler({ maxPartSize: maxBytes }));
    return { ok: true, formData };
  } catch (err) {
    if (err instanceof MaxPartSizeExceededError) {
      return { ok: false, message: `The file is larger than ${Math.round(maxBytes / (1024 * 1024))} MB. Split it into smaller files and upload them one by one.` };
    }
    // The server has answered already (the body passed its limit, or the client went away).
    if (request.signal.aborted) throw err;
    // Anything else is a body that is not a readable form: the sender's fault, not a 500.
    throw new Response('The upload could not be read: its body is not valid multipart form data.', {
      status: 400,
      statusText: 'Bad Request',
      headers: { 'Content-Type': 'text/plain; charset=utf-8' },
    });
  }
}

/** The uploaded file's bytes, or null when the field is missing or the file is empty. */
export async function uploadedFile(formData: FormData, name: string): Promise<{ name: string; content: Buffer } | null> {
  const file = formData.get(name);
  if (!file || typeof file === 'string' || file.size === 0) return null;
  return { name: file.name, content: Buffer.from(await file.arrayBuffer()) };
}

/** The lines of an uploaded text, one at a time: a big DNC file is not split into an array of strings. */
export async function* bufferLines(content: Buffer): AsyncGenerator<string> {
  let start = 0;
  while (start < content.length) {
    let end = content.indexOf(0x0a, start);
    if (end === -1) end = content.length;
    yield content.toString('utf8', start, end).replace(/\r$/, '');
    start = end + 1;
  }
}
