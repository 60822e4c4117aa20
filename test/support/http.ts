// A tiny browser for HTTP tests: a cookie jar, no automatic redirects (tests assert them),
// and forms submitted the way a browser without JavaScript submits them, CSRF token included.
import { startWebServer, type RunningWebServer } from '../../web/server.ts';
import type { TestDatabase } from './db.ts';

export interface Page {
  status: number;
  headers: Headers;
  /** Location header of a redirect, relative to the site. */
  location: string | null;
  text: string;
}

export class WebClient {
  readonly cookies = new Map<string, string>();

  constructor(readonly baseUrl: string) {}

  async request(path: string, init: RequestInit = {}): Promise<Page> {
    const headers = new Headers(init.headers);
    if (this.cookies.size) headers.set('Cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    const res = await fetch(new URL(path, this.baseUrl), { ...init, headers, redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) this.storeCookie(line);
    const location = res.headers.get('location');
    return {
      status: res.status,
      headers: res.headers,
      location: location ? location.replace(this.baseUrl, '') : null,
      text: await res.text(),
    };
  }

  private storeCookie(line: string) {
    const [pair, ...attrs] = line.split(';');
    const eq = pair!.indexOf('=');
    const name = pair!.slice(0, eq).trim();
    const value = pair!.slice(eq + 1).trim();
    const expired = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a) || (/^\s*expires=/i.test(a) && Date.parse(a.split('=')[1]!) < Date.now()));
    if (expired || value === '') this.cookies.delete(name);
    else this.cookies.set(name, value);
  }

  get(path: string): Promise<Page> {
    return this.request(path);
  }

  /** Follows redirects like a browser (GET), returning the final page and the paths visited. */
  async follow(path: string, max = 5): Promise<Page & { path: string }> {
    let current = path;
    for (let i = 0; i <= max; i++) {
      const page = await this.get(current);
      if (page.status < 300 || page.status >= 400 || !page.location) return { ...page, path: current };
      current = page.location;
    }
    throw new Error(`too many redirects from ${path}`);
  }

  /** POSTs url-encoded fields exactly as given (no CSRF token added). */
  post(path: string, fields: Record<string, string>): Promise<Page> {
    return this.request(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
  }

  /**
   * Loads `from` (default: `path`) like a user opening the form, takes the CSRF token from
   * its HTML and POSTs the fields with it.
   */
  async submit(path: string, fields: Record<string, string>, opts: { from?: string } = {}): Promise<Page> {
    const form = await this.follow(opts.from ?? path);
    const token = csrfToken(form.text);
    if (!token) throw new Error(`no CSRF token on ${form.path} (status ${form.status})`);
    return this.post(path, { csrf: token, ...fields });
  }

  /**
   * Like `submit`, as multipart/form-data with files (a browser's file upload); fetch writes the
   * boundary into the Content-Type itself.
   */
  async upload(path: string, fields: Record<string, string>, files: Record<string, { name: string; content: string | Buffer; type?: string }>, opts: { from?: string } = {}): Promise<Page> {
    const form = await this.follow(opts.from ?? path);
    const token = csrfToken(form.text);
    if (!token) throw new Error(`no CSRF token on ${form.path} (status ${form.status})`);
    const body = new FormData();
    body.set('csrf', token);
    for (const [k, v] of Object.entries(fields)) body.set(k, v);
    for (const [k, f] of Object.entries(files)) body.set(k, new Blob([typeof f.content === 'string' ? f.content : new Uint8Array(f.content)], { type: f.type ?? 'text/csv' }), f.name);
    return this.request(path, { method: 'POST', body });
  }

  /** Signs in; returns the login POST's answer (302 on success). */
  login(username: string, password: string): Promise<Page> {
    return this.submit('/login', { username, password });
  }

  async logout(): Promise<Page> {
    return this.submit('/logout', {}, { from: '/leads' });
  }
}

export function csrfToken(html: string): string | null {
  return /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? null;
}

/** Lead ids linked from a page, in page order, without repeats. */
export function leadIds(html: string): string[] {
  const ids = [...html.matchAll(/href="\/leads\/([0-9a-f-]{36})"/g)].map((m) => m[1]!);
  return [...new Set(ids)];
}

/** Text content roughly as a user reads it: tags and React's comment markers removed, entities decoded. */
export function visibleText(html: string): string {
  return html
    .replace(/<script[\s\S]*?<\/script>/g, ' ')
    .replace(/<!-- -->/g, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/&#x27;|&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/\s+/g, ' ')
    .trim();
}

export const TEST_SESSION_SECRET = 'test-session-secret-0123456789abcdef';

/** The real web server (development mode, Vite middleware) against a test database. */
export function startTestWebServer(db: TestDatabase, opts: { smtpUrl?: string } = {}): Promise<RunningWebServer> {
  return startWebServer({ port: 0, host: '127.0.0.1', databaseUrl: db.url, sessionSecret: TEST_SESSION_SECRET, smtpUrl: opts.smtpUrl, mode: 'development' });
}

/** A server-sent event stream read as it arrives (a browser's EventSource, signed in as `client`). */
export async function listenToStream(client: WebClient, path: string) {
  const controller = new AbortController();
  const res = await fetch(new URL(path, client.baseUrl), {
    headers: { Cookie: [...client.cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
    redirect: 'manual',
    signal: controller.signal,
  });
  let text = '';
  const reader = res.body?.getReader();
  const decoder = new TextDecoder();
  const reading = (async () => {
    try {
      for (;;) {
        const chunk = await reader!.read();
        if (chunk.done) return;
        text += decoder.decode(chunk.value, { stream: true });
      }
    } catch {
      // Aborted by the test.
    }
  })();
  return {
    res,
    text: () => text,
    async until(pattern: string, timeoutMs = 8_000) {
      const deadline = Date.now() + timeoutMs;
      while (!text.includes(pattern)) {
        if (Date.now() > deadline) throw new Error(`no "${pattern}" in the stream: ${text}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async close() {
      controller.abort();
      await reading;
    },
  };
}
