// The web server: Express serving the Remix app (through Vite's middleware in development,
// from web/build in production) and /healthz. `startWebServer` is what `npm start`, the
// docker image and the tests call; running this file directly reads the environment.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequestHandler, writeReadableStreamToWritable, type AppLoadContext, type ServerBuild } from '@remix-run/node';
import type { Client } from '@temporalio/client';
import express from 'express';
import type { ViteDevServer } from 'vite';
import { createMailer } from '../activities/mailer.ts';
import { createKnex } from '../db/knex.ts';
import type { TemporalSettings } from '../temporal.config.ts';
import type { TemporalAccess, WebServices } from './app/context.ts';
import { parseWebEnv } from './app/utils/env.server.ts';
import { BodyTooLargeError, limitBody, readAll, refuseTooLarge } from './request-body.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MAX_BODY_BYTES = 1024 * 1024;
// File uploads (CSV imports, DNC lists) need more; the routes cap each file themselves
// (utils/uploads.server.ts), this only keeps the multipart envelope within reach of that cap.
// Remix's own form submissions go to the same path with a `.data` suffix (single fetch).
const MAX_UPLOAD_BODY_BYTES = 21 * 1024 * 1024;
const UPLOAD_PATH = /^\/(imports|compliance)(\/|\.data)?$/;
// API routes read their own body type (JSON) and answer for it; every other action is a form.
const API_PATH = /^\/api\//;
const MUTATION = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const FORM_CONTENT_TYPE = /^(application\/x-www-form-urlencoded|multipart\/form-data)\s*(;|$)/i;

const TEMPORAL_RETRY_AFTER_MS = 5000;

const bodyLimit = (path: string) => (UPLOAD_PATH.test(path) ? MAX_UPLOAD_BODY_BYTES : MAX_BODY_BYTES);

export interface StartWebServerOptions {
  port: number;
  host?: string;
  databaseUrl: string;
  sessionSecret: string;
  smtpUrl?: string;
  mailFrom?: string;
  /**
   * APP_URL, the origin used in e-mailed links (default: the address the server listens on).
   * Behind a reverse proxy that address is not the public one, so deployments set it.
   */
  appUrl?: string;
  /**
   * A connected client, or settings to connect with on first use (the web app then owns and
   * closes the connection). Without it the app runs, and the support page says Temporal is off.
   */
  temporal?: { client: Client } | TemporalSettings;
  taskQueue?: string;
  temporalWebUrl?: string;
  /** Express's `trust proxy`; set it behind a reverse proxy so rate limits see the client's address. */
  trustProxy?: string | number | boolean;
  /** Default: production when NODE_ENV is production, else development. */
  mode?: 'development' | 'production';
}

export interface RunningWebServer {
  url: string;
  close(): Promise<void>;
}

export async function startWebServer(opts: StartWebServerOptions): Promise<RunningWebServer> {
  if (!opts.sessionSecret) throw new Error('startWebServer: sessionSecret is required');
  const mode = opts.mode ?? (process.env.NODE_ENV === 'production' ? 'production' : 'development');
  const host = opts.host ?? (mode === 'production' ? '0.0.0.0' : '127.0.0.1');
  const temporal = temporalAccess(opts.temporal, opts.taskQueue);
  const db = createKnex(opts.databaseUrl);
  const mailer = opts.smtpUrl ? createMailer(opts.smtpUrl) : null;
  const app = express();
  const server = http.createServer(app);
  let vite: ViteDevServer | undefined;

  const services: WebServices = {
    db,
    mode,
    sessionSecret: opts.sessionSecret,
    // Written with a trailing slash, links would get two.
    publicUrl: opts.appUrl?.replace(/\/+$/, '') ?? '', // filled in once the port is known
    mailer,
    mailFrom: opts.mailFrom ?? 'Leadflow <no-reply@leadflow.local>',
    temporal: temporal?.access ?? null,
    temporalWebUrl: opts.temporalWebUrl?.replace(/\/+$/, '') ?? null,
  };

  try {
    app.disable('x-powered-by');
    if (opts.trustProxy !== undefined) app.set('trust proxy', opts.trustProxy);
    app.use((req, res, next) => {
      res.set({
        'X-Content-Type-Options': 'nosniff',
        'X-Frame-Options': 'DENY',
        'Content-Security-Policy': "frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'",
        // Reset links carry their token in the path; it must not leak to other sites.
        'Referrer-Policy': 'same-origin',
      });
      // A declared length over the limit is refused before a byte is read; a chunked body is
      // counted as it streams (request-body.ts).
      const limit = bodyLimit(req.path);
      if (Number(req.headers['content-length'] ?? 0) > limit) {
        refuseTooLarge(req, res, limit);
        return;
      }
      next();
    });

    app.get('/healthz', async (_req, res) => {
      const database = await Promise.race([
        db.raw('select 1').then(
          () => 'ok' as const,
          () => 'unreachable' as const,
        ),
        new Promise<'timeout'>((resolve) => setTimeout(resolve, 2000, 'timeout').unref()),
      ]);
      res.status(database === 'ok' ? 200 : 503).set('Cache-Control', 'no-store').json({ status: database === 'ok' ? 'ok' : 'error', database });
    });

    let build: ServerBuild | (() => Promise<ServerBuild>);
    if (mode === 'development') {
      const { createServer } = await import('vite');
      vite = await createServer({
        configFile: path.join(repoRoot, 'web/vite.config.ts'),
        // HMR rides on this server's own port, so several dev servers (or test files) never
        // fight over Vite's default HMR port.
        server: { middlewareMode: true, hmr: { server } },
        appType: 'custom',
        logLevel: process.env.VITEST ? 'error' : 'info',
      });
      const devServer = vite;
      app.use(devServer.middlewares);
      build = () => devServer.ssrLoadModule('virtual:remix/server-build') as Promise<ServerBuild>;
    } else {
      const client = path.join(repoRoot, 'web/build/client');
      app.use('/assets', express.static(path.join(client, 'assets'), { immutable: true, maxAge: '1y' }));
      app.use(express.static(client, { maxAge: '1h', index: false }));
      const serverBuild = path.join(repoRoot, 'web/build/server/index.js');
      if (!fs.existsSync(serverBuild)) throw new Error(`Production mode needs the web build ${serverBuild}: run npx remix vite:build --config web/vite.config.ts`);
      build = (await import(pathToFileURL(serverBuild).href)) as ServerBuild;
    }

    const remix = remixHandler(
      // Always Remix's production mode: it replaces error messages and stacks with "Unexpected
      // Server Error" before they reach the browser, so a database error never leaks, even
      // in development. The server still logs the full error.
      createRequestHandler(build, 'production'),
      (req) => ({ services, clientIp: req.ip ?? req.socket.remoteAddress ?? 'unknown' }),
    );
    app.all('*', (req, res, next) => {
      // Pages carry leads' personal data: no shared cache keeps them, nor the browser after sign-out.
      res.setHeader('Cache-Control', 'private, no-store');
      return remix(req, res, next);
    });

    app.use((err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      // Express marks what the request itself got wrong (a path that does not decode: 400).
      const status = (err as { status?: unknown })?.status;
      if (typeof status === 'number' && status >= 400 && status < 500) {
        if (!res.headersSent) res.status(status).type('text/plain').send(status === 400 ? 'Bad request: the address could not be read' : 'Bad request');
        return;
      }
      console.error('[web] unhandled error', err);
      if (!res.headersSent) res.status(500).type('text/plain').send('Internal Server Error');
    });

    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await vite?.close().catch(() => {});
    await temporal?.close();
    mailer?.close?.();
    await db.destroy().catch(() => {});
    throw err;
  }

  const { port } = server.address() as AddressInfo;
  const urlHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  const url = `http://${urlHost}:${port}`;
  if (!opts.appUrl) services.publicUrl = url;

  let closing: Promise<void> | undefined;
  return {
    url,
    close: () =>
      (closing ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await vite?.close();
        await temporal?.close();
        mailer?.close?.();
        await db.destroy();
      })()),
  };
}

/**
 * Remix behind express, as @remix-run/express's handler does it, except for the body: Remix
 * reads it through limitBody, and a form action's body must be a form that parses. The adapter
 * hands Remix the raw request stream, which would be read whole whatever its size, and a body
 * that is not a form makes `request.formData()` throw in the action, a 500.
 */
function remixHandler(
  handle: (request: Request, context: AppLoadContext) => Promise<Response>,
  loadContext: (req: express.Request) => AppLoadContext,
): express.RequestHandler {
  return async (req, res, next) => {
    try {
      const controller = new AbortController();
      res.on('close', () => {
        // The answer can no longer be written: stop the loaders and actions working for it.
        if (!res.writableFinished) controller.abort();
      });
      const init: RequestInit & { duplex?: 'half' } = { method: req.method, headers: requestHeaders(req), signal: controller.signal };
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        const limit = bodyLimit(req.path);
        const body = limitBody(req, res, limit, () => controller.abort(new BodyTooLargeError(limit)));
        if (MUTATION.has(req.method) && !API_PATH.test(req.path)) {
          const contentType = req.headers['content-type'] ?? '';
          if (!FORM_CONTENT_TYPE.test(contentType)) {
            res.status(415).type('text/plain').send('Leadflow forms are sent as application/x-www-form-urlencoded or multipart/form-data; the intake API is at /api/v1/leads.');
            return;
          }
          if (!UPLOAD_PATH.test(req.path)) {
            // A form is small (the 1 MB limit): read it here and make sure it parses, so a
            // broken multipart body is a 400 at the door, not an exception in the action.
            let bytes: Uint8Array<ArrayBuffer>;
            try {
              bytes = await readAll(body.stream);
            } catch (err) {
              if (body.refused) return;
              throw err;
            }
            const parses = await new Response(bytes, { headers: { 'Content-Type': contentType } }).formData().then(
              () => true,
              () => false,
            );
            if (!parses) {
              res.status(400).type('text/plain').send('The form could not be read: its body is not valid form data.');
              return;
            }
            init.body = bytes;
          }
        }
        init.body ??= body.stream;
        init.duplex = 'half';
      }
      const url = new URL(`${req.protocol}://${requestHost(req)}${req.originalUrl}`);
      const response = await handle(new Request(url.href, init), loadContext(req));
      if (res.headersSent) {
        // Answered already (413): what Remix made of the cut-off request is not sent.
        await response.body?.cancel().catch(() => {});
        return;
      }
      res.statusMessage = response.statusText;
      res.status(response.status);
      for (const [key, value] of response.headers) res.append(key, value);
      if (response.body) await writeReadableStreamToWritable(response.body, res);
      else res.end();
    } catch (err) {
      next(err);
    }
  };
}

function requestHeaders(req: express.Request): Headers {
  const headers = new Headers();
  for (const [key, value] of Object.entries(req.headers)) {
    if (Array.isArray(value)) for (const v of value) headers.append(key, v);
    else if (value) headers.set(key, value);
  }
  return headers;
}

// As @remix-run/express builds it: the host from express (which honours `trust proxy`), the
// port from X-Forwarded-Host or Host.
function requestHost(req: express.Request): string {
  const portOf = (value: string | undefined) => Number.parseInt(value?.split(':')[1] ?? '', 10);
  const forwarded = portOf(req.get('X-Forwarded-Host'));
  const direct = portOf(req.get('host'));
  const port = Number.isSafeInteger(forwarded) ? forwarded : Number.isSafeInteger(direct) ? direct : '';
  return `${req.hostname}${port ? `:${port}` : ''}`;
}

function temporalAccess(
  given: StartWebServerOptions['temporal'],
  taskQueue: string | undefined,
): { access: TemporalAccess; close(): Promise<void> } | undefined {
  if (!given) return undefined;
  if ('client' in given) {
    const { client } = given;
    // The caller owns this client and its connection.
    return { access: { namespace: client.options.namespace, taskQueue, getClient: async () => client }, close: async () => {} };
  }
  const settings = given;
  let connecting: Promise<{ client: Client; close(): Promise<void> }> | undefined;
  // A failed connect costs the SDK's whole connect timeout; while Temporal is down every request
  // would wait that long. For a few seconds after a failure, callers get that failure at once
  // (intake then saves the lead with its workflow pending).
  let failure: { error: unknown; until: number } | undefined;
  return {
    access: {
      namespace: settings.namespace,
      taskQueue: taskQueue ?? settings.taskQueue,
      getClient: async () => {
        if (failure && Date.now() < failure.until) throw failure.error;
        // Connected on first use and retried after a failure, so the web app starts (and
        // recovers) whether or not Temporal is up yet.
        connecting ??= import('../temporal.config.ts')
          .then(({ connectClient }) => connectClient(settings))
          .then(({ connection, client }) => ({ client, close: () => connection.close() }));
        const current = connecting;
        try {
          return (await current).client;
        } catch (err) {
          if (connecting === current) {
            connecting = undefined;
            failure = { error: err, until: Date.now() + TEMPORAL_RETRY_AFTER_MS };
          }
          throw err;
        }
      },
    },
    close: async () => {
      const current = connecting;
      connecting = undefined;
      await current?.then((c) => c.close()).catch(() => {});
    },
  };
}

function parseTrustProxy(value: string | undefined): string | number | boolean | undefined {
  if (value === undefined) return undefined;
  if (/^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
  if (/^\d+$/.test(value)) return Number(value);
  return value;
}

async function main() {
  const env = parseWebEnv();
  // Only when configured: the Temporal modules are heavy and the web app runs without them.
  const temporal = env.temporalAddress ? (await import('../temporal.config.ts')).temporalSettings() : undefined;
  const web = await startWebServer({
    port: env.port,
    host: env.host,
    databaseUrl: env.databaseUrl,
    sessionSecret: env.sessionSecret,
    smtpUrl: env.smtpUrl,
    mailFrom: env.mailFrom,
    appUrl: env.appUrl,
    temporal,
    temporalWebUrl: env.temporalWebUrl,
    trustProxy: parseTrustProxy(env.trustProxy),
    mode: env.mode,
  });
  console.log(`[web] Leadflow web (${env.mode}) listening on ${web.url}`);
  const stop = async () => {
    await web.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
