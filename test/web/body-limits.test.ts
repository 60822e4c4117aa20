// Body size limits enforced while the body streams: a chunked body (no Content-Length) past the
// limit is refused with 413 after about the limit, not read whole, whoever sends it and
// whichever route it goes to. The server runs in this process, so its memory is measured here.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomSecret, sha256 } from '../../db/passwords.ts';
import { seedDemoAccount } from '../../db/seed.ts';
import type { RunningWebServer } from '../../web/server.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { csrfToken, startTestWebServer, WebClient } from '../support/http.ts';

let db: TestDatabase;
let web: RunningWebServer;
let apiKey: string;

const MiB = 1024 * 1024;

beforeAll(async () => {
  db = await createTestDatabase();
  const { accountId } = await seedDemoAccount(db.knex);
  apiKey = randomSecret('lf_');
  await db.knex('api_keys').insert({ account_id: accountId, name: 'vendor', prefix: apiKey.slice(0, 8), key_hash: sha256(apiKey) });
  web = await startTestWebServer(db);
});

afterAll(async () => {
  await web?.close();
  await db?.destroy();
});

interface Sent {
  status: number | null;
  body: string;
  bytesSent: number;
  /** Growth of this process's (the server's) memory while sending, in bytes. */
  rssGrowth: number;
  arrayBuffersGrowth: number;
}

/**
 * Sends `head`, then `chunk` over and over up to `total` bytes, then `tail`, with chunked
 * transfer encoding (no Content-Length), and stops sending as soon as the answer arrives.
 * The connection being closed right after the answer is fine; being closed before one is not.
 */
async function sendChunked(path: string, opts: { headers?: Record<string, string>; head?: string; chunk?: Buffer; total: number; tail?: string }): Promise<Sent> {
  const chunk = opts.chunk ?? Buffer.alloc(64 * 1024, 'a');
  const base = process.memoryUsage();
  let peakRss = base.rss;
  let peakArrayBuffers = base.arrayBuffers;
  const sample = setInterval(() => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakArrayBuffers = Math.max(peakArrayBuffers, m.arrayBuffers);
  }, 5);
  try {
    return await new Promise<Sent>((resolve, reject) => {
      const url = new URL(path, web.url);
      let status: number | null = null;
      let body = '';
      let bytesSent = 0;
      let answered = false;
      const done = () =>
        resolve({ status, body, bytesSent, rssGrowth: peakRss - base.rss, arrayBuffersGrowth: peakArrayBuffers - base.arrayBuffers });
      const req = http.request(url, { method: 'POST', headers: { ...opts.headers, 'Transfer-Encoding': 'chunked' }, agent: false }, (res) => {
        answered = true;
        status = res.statusCode ?? null;
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', done);
        res.on('error', done);
      });
      req.on('error', (err) => (answered ? done() : reject(err)));
      const drained = () =>
        new Promise<void>((r) => {
          const go = () => {
            req.off('drain', go).off('close', go);
            r();
          };
          req.on('drain', go).on('close', go);
        });
      const write = async () => {
        if (opts.head) bytesSent += Buffer.byteLength(opts.head);
        if (opts.head && !req.write(opts.head)) await drained();
        while (!answered && !req.destroyed && bytesSent < opts.total) {
          bytesSent += chunk.length;
          if (!req.write(chunk)) await drained();
        }
        if (!answered && !req.destroyed) req.end(opts.tail);
      };
      write().catch(reject);
    });
  } finally {
    clearInterval(sample);
  }
}

describe('request body limits', () => {
  it('refuses a 50 MB chunked body to /login (anonymous) with 413 after about 1 MB, without holding it in memory', async () => {
    const sent = await sendChunked('/login', { headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, head: 'username=a&password=', total: 50 * MiB });
    expect(sent.status).toBe(413);
    expect(sent.body).toContain('at most 1 MB');
    // The client stops when it hears the answer: the server stopped reading long before 50 MB.
    expect(sent.bytesSent).toBeLessThan(20 * MiB);
    expect(sent.arrayBuffersGrowth).toBeLessThan(20 * MiB);
    expect(sent.rssGrowth).toBeLessThan(40 * MiB);
  });

  it('refuses a 50 MB chunked body to the intake API (with a valid key) with 413', async () => {
    const sent = await sendChunked('/api/v1/leads', {
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${apiKey}` },
      head: '{"firstName":"',
      total: 50 * MiB,
    });
    expect(sent.status).toBe(413);
    expect(sent.bytesSent).toBeLessThan(20 * MiB);
    expect(sent.arrayBuffersGrowth).toBeLessThan(20 * MiB);
  });

  it('refuses a chunked multipart upload to /imports past the 21 MB envelope with 413, and a 45 MB file before it is read', async () => {
    const owner = new WebClient(web.url);
    expect((await owner.login('A0DEMO1', 'owner-demo-pass')).status).toBe(302);
    const token = csrfToken((await owner.get('/imports')).text)!;
    const headers = (boundary: string) => ({ 'Content-Type': `multipart/form-data; boundary=${boundary}`, Cookie: [...owner.cookies].map(([k, v]) => `${k}=${v}`).join('; ') });

    // Many parts, each well under the per-file cap: only the envelope's limit can stop them.
    const part = (i: number) => Buffer.from(`--XB\r\nContent-Disposition: form-data; name="f${i}"\r\n\r\n${'x'.repeat(MiB)}\r\n`);
    let i = 0;
    const parts = Buffer.concat(Array.from({ length: 4 }, () => part(i++)));
    const many = await sendChunked('/imports', { headers: headers('XB'), head: `--XB\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n${token}\r\n`, chunk: parts, total: 60 * MiB, tail: '--XB--\r\n' });
    expect(many.status).toBe(413);
    expect(many.bytesSent).toBeLessThan(40 * MiB);

    // One 45 MB file: refused once it passes a limit (the 20 MB file cap answers first), never read whole.
    const file = await sendChunked('/imports', {
      headers: headers('XF'),
      head: `--XF\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n${token}\r\n--XF\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\nContent-Type: text/csv\r\n\r\nFirst,Last\r\n`,
      chunk: Buffer.from('Pat,Lee\r\n'.repeat(8192)),
      total: 45 * MiB,
    });
    expect([400, 413]).toContain(file.status);
    expect(file.body).toMatch(/larger than 20 MB|at most 21 MB/);
    expect(file.bytesSent).toBeLessThan(40 * MiB);
  });

  it('still refuses a declared Content-Length over the limit before reading, and accepts a chunked form under it', async () => {
    const declared = await fetch(`${web.url}/login`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': String(2 * MiB) }, body: 'x'.repeat(2 * MiB) }).catch((e: unknown) => e);
    expect(declared instanceof Response ? declared.status : declared).toBe(413);

    const client = new WebClient(web.url);
    const token = csrfToken((await client.get('/login')).text)!;
    const cookie = [...client.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const small = await sendChunked('/login', {
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: cookie },
      head: `csrf=${encodeURIComponent(token)}&username=A0DEMO1&password=owner-demo-pass`,
      total: 0,
    });
    expect(small.status).toBe(302);
  });
});
