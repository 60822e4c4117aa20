// A small unary-only gRPC server on node:http2. The emulator does not use @grpc/grpc-js's
// server because, for the many small calls a Temporal worker makes, its per-call stream
// machinery (and a zlib stream per gzip-compressed request, which the SDK's Core sends)
// cost more CPU than the whole workflow engine. gRPC over HTTP/2 for unary calls is simple:
// a 5-byte length prefix per message, status in trailers.
//
// Every method of a registered service is routed: those without a handler answer
// UNIMPLEMENTED, a request that does not decode answers INVALID_ARGUMENT, and an exception
// in a handler becomes INTERNAL for that call only.
import http2 from 'node:http2';
import zlib from 'node:zlib';
import type protobuf from 'protobufjs';
import { root, WithHistory } from './proto.ts';
import { RpcError, Code } from './errors.ts';
import { log } from './log.ts';

export interface CallContext {
  /** Epoch ms (wall clock) at which the client gives up, or Infinity. */
  deadline: number;
  cancelled(): boolean;
  onCancelled(fn: () => void): void;
  method: string;
}

export type Handler = (req: any, ctx: CallContext) => unknown;

interface Route {
  name: string;
  reqType: protobuf.Type;
  resType: protobuf.Type;
  handler?: Handler;
}

const TIMEOUT_UNITS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 1e-3, n: 1e-6 };

function parseTimeout(v: string | string[] | undefined): number {
  if (typeof v !== 'string' || v.length < 2) return Infinity;
  const unit = TIMEOUT_UNITS[v[v.length - 1]!];
  const n = Number(v.slice(0, -1));
  return unit && Number.isFinite(n) ? Date.now() + n * unit : Infinity;
}

/** grpc-message is percent-encoded outside printable ASCII (and '%' itself). */
function encodeGrpcMessage(msg: string): string {
  return msg.replace(/[^\x20-\x24\x26-\x7e]/gu, (c) => encodeURIComponent(c));
}

export class GrpcServer {
  private routes = new Map<string, Route>();
  private server: http2.Http2Server;
  private sessions = new Set<http2.ServerHttp2Session>();

  constructor(
    /** Called after each call's handler returned (sync) or settled (async). */
    private afterCall: () => void,
    private maxMessageBytes = 128 * 1024 * 1024,
  ) {
    this.server = http2.createServer({
      settings: { maxConcurrentStreams: 10_000, initialWindowSize: 4 * 1024 * 1024 },
      maxSessionMemory: 64,
    });
    this.server.on('session', (s) => {
      this.sessions.add(s);
      s.on('close', () => this.sessions.delete(s));
      s.on('error', (err) => log.debug('http2 session error', err));
    });
    this.server.on('stream', (stream, headers) => this.onStream(stream, headers));
    this.server.on('sessionError', (err) => log.debug('http2 session error', err));
  }

  addService(serviceName: string, handlers: Record<string, Handler | undefined>) {
    const service = (root as unknown as protobuf.Root).lookupService(serviceName);
    for (const method of Object.values(service.methods)) {
      method.resolve();
      this.routes.set(`/${serviceName}/${method.name}`, {
        name: method.name,
        reqType: method.resolvedRequestType!,
        resType: method.resolvedResponseType!,
        handler: handlers[method.name],
      });
    }
  }

  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve((this.server.address() as { port: number }).port);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      for (const s of this.sessions) s.destroy();
      this.server.close(() => resolve());
    });
  }

  private onStream(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) {
    stream.on('error', (err) => log.debug('http2 stream error', err));
    const path = headers[':path'] ?? '';
    const route = this.routes.get(path);
    const finishWithStatus = (code: number, message: string) => {
      if (stream.destroyed || stream.closed || stream.headersSent) return;
      stream.respond(
        { ':status': 200, 'content-type': 'application/grpc', 'grpc-status': String(code), 'grpc-message': encodeGrpcMessage(message) },
        { endStream: true },
      );
    };
    if (headers[':method'] !== 'POST' || !String(headers['content-type'] ?? '').startsWith('application/grpc')) {
      if (!stream.headersSent) stream.respond({ ':status': 415 }, { endStream: true });
      return;
    }
    if (!route) {
      stream.resume();
      return finishWithStatus(Code.UNIMPLEMENTED, `unknown method ${path}`);
    }
    const encoding = String(headers['grpc-encoding'] ?? 'identity');
    const deadline = parseTimeout(headers['grpc-timeout']);
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (c: Buffer) => {
      size += c.length;
      if (size > this.maxMessageBytes + 5) {
        finishWithStatus(Code.RESOURCE_EXHAUSTED, 'request message too large');
        stream.close();
        return;
      }
      chunks.push(c);
    });
    stream.on('end', () => {
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      this.dispatch(route, stream, body, encoding, deadline, finishWithStatus);
    });
  }

  private dispatch(
    route: Route,
    stream: http2.ServerHttp2Stream,
    body: Buffer,
    encoding: string,
    deadline: number,
    finishWithStatus: (code: number, message: string) => void,
  ) {
    const name = route.name;
    let done = false;
    const fail = (err: unknown) => {
      if (done) return;
      done = true;
      if (err instanceof RpcError) {
        log.debug(`${name} -> ${err.code}: ${err.message}`);
        finishWithStatus(err.code, err.message);
      } else {
        log.error(`${name}: internal error`, err);
        finishWithStatus(Code.INTERNAL, `internal error in ${name}: ${(err as Error)?.message ?? String(err)}`);
      }
    };
    const reply = (value: unknown) => {
      if (done) return;
      done = true;
      if (stream.destroyed || stream.closed) return;
      let msg: Uint8Array;
      try {
        if (value instanceof WithHistory) {
          // Protobuf lets a field follow the others: encode the rest, append the history.
          const head = route.resType.encode(value.message).finish();
          const tail = value.encodeHistoryField();
          msg = Buffer.concat([head, tail]);
        } else {
          // Handlers build messages with protobuf-ready values (numeric enums, Uint8Array
          // bytes, numbers for int64), so encode needs no fromObject conversion pass.
          msg = route.resType.encode((value ?? {}) as Record<string, unknown>).finish();
        }
      } catch (err) {
        done = false;
        return fail(err);
      }
      const frame = Buffer.allocUnsafe(5 + msg.length);
      frame[0] = 0;
      frame.writeUInt32BE(msg.length, 1);
      frame.set(msg, 5);
      stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-accept-encoding': 'identity,gzip,deflate' }, { waitForTrailers: true });
      stream.once('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(frame);
    };

    if (!route.handler) return fail(new RpcError(Code.UNIMPLEMENTED, `${name} is not supported by the offline Temporal server`));
    let req: unknown;
    try {
      if (body.length < 5) throw new Error('missing message frame');
      const compressed = body[0] === 1;
      const len = body.readUInt32BE(1);
      let msg = body.subarray(5, 5 + len);
      if (msg.length !== len) throw new Error('truncated message frame');
      if (compressed) {
        if (encoding === 'gzip') msg = zlib.gunzipSync(msg, { maxOutputLength: this.maxMessageBytes });
        else if (encoding === 'deflate') msg = zlib.inflateSync(msg, { maxOutputLength: this.maxMessageBytes });
        else return fail(new RpcError(Code.UNIMPLEMENTED, `unsupported grpc-encoding ${encoding}`));
      }
      req = route.reqType.decode(msg);
    } catch (err) {
      return fail(new RpcError(Code.INVALID_ARGUMENT, `malformed ${name} request: ${(err as Error).message}`));
    }

    let cancelled = false;
    const cancelFns: Array<() => void> = [];
    stream.once('close', () => {
      if (done) return;
      cancelled = true;
      for (const fn of cancelFns) fn();
    });
    const ctx: CallContext = {
      deadline,
      cancelled: () => cancelled,
      onCancelled: (fn) => cancelFns.push(fn),
      method: name,
    };
    try {
      if (log.enabled('debug')) log.debug(`-> ${name}`);
      const out = route.handler(req, ctx);
      if (out && typeof (out as Promise<unknown>).then === 'function') {
        (out as Promise<unknown>).then(reply, fail).finally(this.afterCall);
      } else {
        reply(out);
      }
    } catch (e) {
      fail(e);
    } finally {
      this.afterCall();
    }
  }
}
