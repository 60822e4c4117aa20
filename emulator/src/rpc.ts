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
    readonly afterCall: () => void,
    readonly maxMessageBytes = 128 * 1024 * 1024,
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
    stream.on('error', onStreamError);
    const path = headers[':path'] ?? '';
    if (headers[':method'] !== 'POST' || !String(headers['content-type'] ?? '').startsWith('application/grpc')) {
      if (!stream.headersSent) stream.respond({ ':status': 415 }, { endStream: true });
      return;
    }
    const route = this.routes.get(path);
    if (!route) {
      stream.resume();
      sendStatus(stream, Code.UNIMPLEMENTED, `unknown method ${path}`);
      return;
    }
    new UnaryCall(this, route, stream, headers);
  }
}

function onStreamError(err: Error) {
  log.debug('http2 stream error', err);
}

function sendStatus(stream: http2.ServerHttp2Stream, code: number, message: string, details?: Uint8Array) {
  if (stream.destroyed || stream.closed || stream.headersSent) return;
  const headers: http2.OutgoingHttpHeaders = { ':status': 200, 'content-type': 'application/grpc', 'grpc-status': String(code), 'grpc-message': encodeGrpcMessage(message) };
  if (details) headers['grpc-status-details-bin'] = Buffer.from(details).toString('base64');
  stream.respond(headers, RESPOND_END);
}

const OK_HEADERS = { ':status': 200, 'content-type': 'application/grpc', 'grpc-accept-encoding': 'identity,gzip,deflate' };
const OK_TRAILERS = { 'grpc-status': '0' };
// No `date` header (Node adds one by default): gRPC does not use it, and it is one more
// header to build and compress on every call.
const RESPOND_END = { endStream: true, sendDate: false } as http2.ServerStreamResponseOptions;
const RESPOND_TRAILERS = { waitForTrailers: true, sendDate: false } as http2.ServerStreamResponseOptions;

/** 'wantTrailers' listener (`this` is the stream): one shared function, not a closure per call. */
function sendOkTrailers(this: http2.ServerHttp2Stream) {
  this.sendTrailers(OK_TRAILERS);
}

// The SDK's Core gzips every request. zlib.gunzipSync builds a zlib stream object (and a
// 16 KiB output buffer) per call, which costs several times the inflating itself for these
// small messages. One gunzip handle is reset and reused instead, through the same handle
// calls gunzipSync makes (writeSync with Z_FINISH until the output stops filling the buffer).
// Anything unusual (a corrupt message, a Node without these internals) goes to gunzipSync,
// so errors read as before.
interface ZlibHandle {
  reset(): void;
  writeSync(flush: number, input: Uint8Array, inOff: number, inLen: number, out: Uint8Array, outOff: number, outLen: number): void;
}
let inflater: { stream: zlib.Gunzip; handle: ZlibHandle; state: Uint32Array } | null | undefined;
const scratch = Buffer.allocUnsafeSlow(64 * 1024);

function gunzip(msg: Buffer, maxBytes: number): Buffer {
  if (inflater === undefined) {
    const stream = zlib.createGunzip();
    stream.on('error', () => {}); // a failed inflate is retried with gunzipSync below
    const internals = stream as unknown as { _handle?: ZlibHandle; _writeState?: Uint32Array };
    inflater = typeof internals._handle?.writeSync === 'function' && internals._writeState instanceof Uint32Array ? { stream, handle: internals._handle, state: internals._writeState } : null;
  }
  if (inflater === null) return zlib.gunzipSync(msg, { maxOutputLength: maxBytes });
  const { stream, handle, state } = inflater;
  handle.reset();
  let out: Buffer | undefined;
  let parts: Buffer[] | undefined;
  let total = 0;
  let inOff = 0;
  let inLen = msg.length;
  for (;;) {
    handle.writeSync(zlib.constants.Z_FINISH, msg, inOff, inLen, scratch, 0, scratch.length);
    if ((stream as unknown as { _handle?: unknown })._handle !== handle) {
      // zlib reported an error and the stream closed its handle: start afresh next time.
      inflater = undefined;
      return zlib.gunzipSync(msg, { maxOutputLength: maxBytes });
    }
    const outLeft = state[0]!;
    const inLeft = state[1]!;
    const have = scratch.length - outLeft;
    total += have;
    if (total > maxBytes) throw new RangeError(`Cannot create a Buffer larger than ${maxBytes} bytes`);
    // Copied out of the scratch buffer: decoded bytes fields are views of the message.
    const piece = Buffer.allocUnsafe(have);
    scratch.copy(piece, 0, 0, have);
    if (out === undefined) out = piece;
    else (parts ??= [out]).push(piece);
    inOff += inLen - inLeft;
    inLen = inLeft;
    if (outLeft !== 0) break;
  }
  return parts ? Buffer.concat(parts, total) : out!;
}

const kCall = Symbol('unaryCall');
type CallStream = http2.ServerHttp2Stream & { [kCall]: UnaryCall };

function onCallData(this: CallStream, c: Buffer) {
  this[kCall].onData(c);
}

function onCallEnd(this: CallStream) {
  this[kCall].onEnd();
}

function onCallClose(this: CallStream) {
  this[kCall].onClose();
}

/**
 * One unary call: collects the request, runs the handler, sends the reply or the status.
 * A class rather than closures: the server handles thousands of these a second.
 */
class UnaryCall implements CallContext {
  private chunks: Buffer[] = [];
  private size = 0;
  private done = false;
  private wasCancelled = false;
  private cancelFns: Array<() => void> | undefined;
  readonly deadline: number;
  readonly method: string;
  private readonly encoding: string;

  constructor(
    private server: GrpcServer,
    private route: Route,
    private stream: http2.ServerHttp2Stream,
    headers: http2.IncomingHttpHeaders,
  ) {
    this.method = route.name;
    this.encoding = String(headers['grpc-encoding'] ?? 'identity');
    this.deadline = parseTimeout(headers['grpc-timeout']);
    // Shared listeners that find the call on the stream, rather than closures (and `once`
    // wrappers) per call: 'end' and 'close' come once per stream anyway.
    (stream as CallStream)[kCall] = this;
    stream.on('data', onCallData);
    stream.on('end', onCallEnd);
    stream.on('close', onCallClose);
  }

  cancelled() {
    return this.wasCancelled;
  }

  onCancelled(fn: () => void) {
    (this.cancelFns ??= []).push(fn);
  }

  onData(c: Buffer) {
    this.size += c.length;
    if (this.size > this.server.maxMessageBytes + 5) {
      this.fail(new RpcError(Code.RESOURCE_EXHAUSTED, 'request message too large'));
      this.stream.close();
      return;
    }
    this.chunks.push(c);
  }

  onClose() {
    if (this.done) return;
    this.wasCancelled = true;
    this.done = true;
    for (const fn of this.cancelFns ?? []) fn();
  }

  onEnd() {
    const body = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    this.chunks = [];
    const { route } = this;
    if (!route.handler) return this.fail(new RpcError(Code.UNIMPLEMENTED, `${route.name} is not supported by the offline Temporal server`));
    let req: unknown;
    try {
      req = route.reqType.decode(this.unframe(body));
    } catch (err) {
      return this.fail(new RpcError(Code.INVALID_ARGUMENT, `malformed ${route.name} request: ${(err as Error).message}`));
    }
    try {
      if (log.enabled('debug')) log.debug(`-> ${route.name}`);
      const out = route.handler(req, this);
      if (out && typeof (out as Promise<unknown>).then === 'function') {
        (out as Promise<unknown>).then((v) => this.reply(v), (e) => this.fail(e)).finally(this.server.afterCall);
      } else {
        this.reply(out);
      }
    } catch (e) {
      this.fail(e);
    } finally {
      this.server.afterCall();
    }
  }

  private unframe(body: Buffer): Uint8Array {
    if (body.length < 5) throw new Error('missing message frame');
    const len = body.readUInt32BE(1);
    const msg = body.subarray(5, 5 + len);
    if (msg.length !== len) throw new Error('truncated message frame');
    if (body[0] !== 1) return msg;
    const limit = { maxOutputLength: this.server.maxMessageBytes };
    if (this.encoding === 'gzip') return gunzip(msg, this.server.maxMessageBytes);
    if (this.encoding === 'deflate') return zlib.inflateSync(msg, limit);
    throw new Error(`unsupported grpc-encoding ${this.encoding}`);
  }

  private reply(value: unknown) {
    if (this.done) return;
    const { stream, route } = this;
    let frame: Buffer;
    try {
      if (value instanceof WithHistory) {
        // Protobuf lets a field follow the others: encode the rest, append the history,
        // whose events were encoded once when they were written.
        const head = route.resType.encode(value.message).finish();
        frame = Buffer.allocUnsafe(5 + head.length + value.fieldLength());
        frame.set(head, 5);
        value.writeField(frame, 5 + head.length);
      } else {
        // Handlers build messages with protobuf-ready values (numeric enums, Uint8Array
        // bytes, numbers for int64), so encode needs no fromObject conversion pass.
        const msg = route.resType.encode((value ?? {}) as Record<string, unknown>).finish();
        frame = Buffer.allocUnsafe(5 + msg.length);
        frame.set(msg, 5);
      }
    } catch (err) {
      return this.fail(err);
    }
    this.done = true;
    if (stream.destroyed || stream.closed) return;
    frame[0] = 0;
    frame.writeUInt32BE(frame.length - 5, 1);
    stream.respond(OK_HEADERS, RESPOND_TRAILERS);
    stream.on('wantTrailers', sendOkTrailers);
    stream.end(frame);
  }

  private fail(err: unknown) {
    if (this.done) return;
    this.done = true;
    if (err instanceof RpcError) {
      if (log.enabled('debug')) log.debug(`${this.route.name} -> ${err.code}: ${err.message}`);
      sendStatus(this.stream, err.code, err.message, err.details);
    } else {
      log.error(`${this.route.name}: internal error`, err);
      sendStatus(this.stream, Code.INTERNAL, `internal error in ${this.route.name}: ${(err as Error)?.message ?? String(err)}`);
    }
  }
}
