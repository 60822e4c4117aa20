// The HTTP client of the eAgent transfer: one POST, guarded against being steered to an
// address the operator did not allow.
import http from 'node:http';
import https from 'node:https';
import { guardedLookup } from '../outbound-url.ts';

const EAGENT_TIMEOUT_MS = 20_000;
const EAGENT_REPLY_CHARS = 500;

/**
 * POSTs JSON without following redirects (a public eAgent could otherwise bounce the request
 * to an internal address). Unless private addresses are allowed, the connection resolves the
 * host through guardedLookup, so it goes only to an address that passed the check.
 */
export function postJson(url: URL, body: string, headers: Record<string, string>, opts: { allowPrivate: boolean }): Promise<{ status: number; text: string }> {
  const request = url.protocol === 'https:' ? https.request : http.request;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        // A socket kept alive from an earlier request to a name would skip the lookup.
        agent: false,
        lookup: opts.allowPrivate ? undefined : guardedLookup(),
        signal: AbortSignal.timeout(EAGENT_TIMEOUT_MS),
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (text.length < EAGENT_REPLY_CHARS) text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: text.slice(0, EAGENT_REPLY_CHARS) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
