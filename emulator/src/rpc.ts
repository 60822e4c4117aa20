// A small unary-only gRPC server on the emulator's own HTTP/2 layer (h2.ts). The emulator does
// not use @grpc/grpc-js's server, nor node:http2: for the many small calls a Temporal worker
// makes, their per-call stream machinery (and a zlib stream per gzip-compressed request, which
// the SDK's Core sends) cost more CPU than the whole workflow engine. gRPC over HTTP/2 for
// unary calls is simple: a 5-byte length prefix per message, status in trailers.
//
// Every method of a registered service is routed: those without a handler answer
// UNIMPLEMENTED, a request that does not decode answers INVALID_ARGUMENT, and an exception
// in a handler becomes INTERNAL for that call only.
import net from 'node:net';
import zlib from 'node:zlib';
import type protobuf from 'protobufjs';
import { H2Connection, type H2Listener, type H2Stream, type StreamHandler } from './h2.ts';
import { encodeHeaders } from './hpack.ts';
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

function parseTimeout(v: string | undefined): number {
  if (typeof v !== 'string' || v.length < 2) return Infinity;
  const unit = TIMEOUT_UNITS[v[v.length - 1]!];
  const n = Number(v.slice(0, -1));
  return unit && Number.isFinite(n) ? Date.now() + n * unit : Infinity;
}

/** grpc-message is percent-encoded outside printable ASCII (and '%' itself). */
function encodeGrpcMessage(msg: string): string {
  return msg.replace(/[^\x20-\x24\x26-\x7e]/gu, (c) => encodeURIComponent(c));
}

export class GrpcServer implements H2Listener {
  private routes = new Map<string, Route>();
  private server: net.Server;
  private connections = new Set<H2Connection>();

  constructor(
    /** Called after each call's handler returned (sync) or settled (async). */
    readonly afterCall: () => void,
    readonly maxMessageBytes = 128 * 1024 * 1024,
  ) {
    this.server = net.createServer((socket) => {
      const c = new H2Connection(socket, this);
      this.connections.add(c);
      socket.on('close', () => this.connections.delete(c));
    });
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
        resolve((this.server.address() as net.AddressInfo).port);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      for (const c of this.connections) c.destroy();
      this.server.close(() => resolve());
    });
  }

  onStream(stream: H2Stream, headers: Record<string, string>) {
    const path = headers[':path'] ?? '';
    if (headers[':method'] !== 'POST' || !(headers['content-type'] ?? '').startsWith('application/grpc')) {
      stream.respondHeadersOnly(encodeHeaders([[':status', '415']]));
      return;
    }
    const route = this.routes.get(path);
    if (!route) {
      sendStatus(stream, Code.UNIMPLEMENTED, `unknown method ${path}`);
      return;
    }
    new UnaryCall(this, route, stream, headers);
  }
}

function sendStatus(stream: H2Stream, code: number, message: string, details?: Uint8Array) {
  const headers: Array<[string, string]> = [[':status', '200'], ['content-type', 'application/grpc'], ['grpc-status', String(code)], ['grpc-message', encodeGrpcMessage(message)]];
  if (details) headers.push(['grpc-status-details-bin', Buffer.from(details).toString('base64')]);
  stream.respondHeadersOnly(encodeHeaders(headers));
}

// Encoded once: every successful answer carries the same headers and trailers.
const OK_HEADERS = encodeHeaders([[':status', '200'], ['content-type', 'application/grpc'], ['grpc-accept-encoding', 'identity,gzip,deflate']]);
const OK_TRAILERS = encodeHeaders([['grpc-status', '0']]);

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

/**
 * One unary call: collects the request, runs the handler, sends the reply or the status.
 * A class rather than closures: the server handles thousands of these a second.
 */
class UnaryCall implements CallContext, StreamHandler {
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
    private stream: H2Stream,
    headers: Record<string, string>,
  ) {
    this.method = route.name;
    this.encoding = headers['grpc-encoding'] ?? 'identity';
    this.deadline = parseTimeout(headers['grpc-timeout']);
    stream.handler = this;
  }

  cancelled() {
    return this.wasCancelled;
  }

  onCancelled(fn: () => void) {
    (this.cancelFns ??= []).push(fn);
  }

  onData(c: Buffer) {
    if (this.done) return;
    this.size += c.length;
    if (this.size > this.server.maxMessageBytes + 5) {
      this.chunks = [];
      this.fail(new RpcError(Code.RESOURCE_EXHAUSTED, 'request message too large'));
      return;
    }
    this.chunks.push(c);
  }

  onReset() {
    if (this.done) return;
    this.wasCancelled = true;
    this.done = true;
    for (const fn of this.cancelFns ?? []) fn();
  }

  onEnd() {
    if (this.done) return;
    // An uncompressed request is copied out of the socket's chunk (several frames share one):
    // decoded bytes fields are views of the request, and some outlive the call. A compressed
    // one is inflated into a buffer of its own anyway.
    const first = this.chunks[0];
    const body = this.chunks.length === 1 && first![0] === 1 ? first! : Buffer.concat(this.chunks);
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
    frame[0] = 0;
    frame.writeUInt32BE(frame.length - 5, 1);
    stream.respond(OK_HEADERS, frame, OK_TRAILERS);
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
