// The HTTP/2 server side (RFC 9113) the emulator's gRPC layer runs on, over a plain TCP
// socket (h2c with prior knowledge, as gRPC clients connect). It replaces node:http2, whose
// per-stream objects (a Duplex stream, header objects in and out, events, a nghttp2 round
// trip per call) cost more CPU than the emulator's workflow engine for the many small unary
// calls a Temporal worker makes. What a unary gRPC server needs is small: frames in, header
// blocks decoded (hpack.ts), a request body per stream, and per answer one HEADERS, the DATA
// and the trailers, under the client's flow-control windows. Everything written in one turn
// of the event loop leaves in one socket write.
import type net from 'node:net';
import { HpackDecoder, HpackError } from './hpack.ts';
import { log } from './log.ts';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

const DATA = 0;
const HEADERS = 1;
const RST_STREAM = 3;
const SETTINGS = 4;
const PUSH_PROMISE = 5;
const PING = 6;
const GOAWAY = 7;
const WINDOW_UPDATE = 8;
const CONTINUATION = 9;

const END_STREAM = 0x1;
const ACK = 0x1;
const END_HEADERS = 0x4;
const PADDED = 0x8;
const PRIORITY_FLAG = 0x20;

const NO_ERROR = 0;
const PROTOCOL_ERROR = 1;
const INTERNAL_ERROR = 2;
const FLOW_CONTROL_ERROR = 3;
const FRAME_SIZE_ERROR = 6;
const COMPRESSION_ERROR = 9;

const SETTINGS_MAX_CONCURRENT_STREAMS = 3;
const SETTINGS_INITIAL_WINDOW_SIZE = 4;
const SETTINGS_MAX_FRAME_SIZE = 5;

/** What this side receives: frames of the default size, 4 MiB per stream before a window update. */
const MAX_FRAME_SIZE = 16_384;
const STREAM_WINDOW = 4 * 1024 * 1024;
const CONNECTION_WINDOW = 16 * 1024 * 1024;
const MAX_STREAMS = 10_000;

class H2ProtocolError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** What the gRPC layer attaches to a stream to hear about it. */
export interface StreamHandler {
  onData(chunk: Buffer): void;
  onEnd(): void;
  /** The stream was reset by the client or the connection went away before the answer. */
  onReset(): void;
}

export class H2Stream {
  handler?: StreamHandler;
  /** The client sent END_STREAM. */
  remoteEnded = false;
  /** This side's answer is given (sent, or waiting for window), or the stream was reset. */
  localEnded = false;
  sendWindow: number;
  recvUnacked = 0;
  /** DATA not yet sent for lack of window, then the trailers' block. */
  pendingData?: Buffer;
  pendingTrailers?: Buffer;

  constructor(
    readonly conn: H2Connection,
    readonly id: number,
  ) {
    this.sendWindow = conn.peerInitialWindow;
  }

  /** HEADERS, then the body in DATA frames, then the trailers (END_STREAM). */
  respond(headerBlock: Buffer, body: Buffer, trailerBlock: Buffer) {
    if (this.localEnded) return;
    this.conn.respond(this, headerBlock, body, trailerBlock);
  }

  /** One HEADERS frame that ends the stream (a trailers-only answer). */
  respondHeadersOnly(headerBlock: Buffer) {
    if (this.localEnded) return;
    this.conn.respondHeadersOnly(this, headerBlock);
  }
}

export interface H2Listener {
  /** A new request stream with its decoded headers. */
  onStream(stream: H2Stream, headers: Record<string, string>): void;
}

export class H2Connection {
  private readonly streams = new Map<number, H2Stream>();
  private readonly decoder = new HpackDecoder();
  private input: Buffer | undefined;
  private prefaceSeen = false;
  private lastStreamId = 0;
  /** A header block spread over HEADERS and CONTINUATION frames. */
  private headerBlock: { streamId: number; flags: number; parts: Buffer[] } | undefined;
  private connRecvUnacked = 0;
  private connSendWindow = 65_535;
  peerInitialWindow = 65_535;
  private peerMaxFrame = 16_384;
  /** Streams waiting for window to send the rest of their answer, in order. */
  private readonly blocked = new Set<H2Stream>();
  private out: Buffer = Buffer.allocUnsafe(16_384);
  private outLen = 0;
  private flushQueued = false;
  private closed = false;
  private readonly flushBound = () => this.flush();

  constructor(
    private readonly socket: net.Socket,
    private readonly listener: H2Listener,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onSocketData(chunk));
    socket.on('error', (err) => log.debug('http2 connection error', err));
    socket.on('close', () => this.onSocketClose());
    // This side's settings, then a larger connection window than the default 64 KiB.
    this.frameHeader(18, SETTINGS, 0, 0);
    this.u16(SETTINGS_MAX_CONCURRENT_STREAMS);
    this.u32(MAX_STREAMS);
    this.u16(SETTINGS_INITIAL_WINDOW_SIZE);
    this.u32(STREAM_WINDOW);
    this.u16(SETTINGS_MAX_FRAME_SIZE);
    this.u32(MAX_FRAME_SIZE);
    this.windowUpdate(0, CONNECTION_WINDOW - 65_535);
    this.queueFlush();
  }

  destroy() {
    this.socket.destroy();
  }

  // ------------------------------------------------------------ reading

  private onSocketData(chunk: Buffer) {
    if (this.closed) return;
    let buf = this.input ? Buffer.concat([this.input, chunk]) : chunk;
    this.input = undefined;
    try {
      if (!this.prefaceSeen) {
        if (buf.length < PREFACE.length) {
          if (!PREFACE.subarray(0, buf.length).equals(buf)) throw new H2ProtocolError(PROTOCOL_ERROR, 'not an HTTP/2 connection preface');
          this.input = buf;
          return;
        }
        if (!PREFACE.equals(buf.subarray(0, PREFACE.length))) throw new H2ProtocolError(PROTOCOL_ERROR, 'not an HTTP/2 connection preface');
        this.prefaceSeen = true;
        buf = buf.subarray(PREFACE.length);
      }
      let pos = 0;
      while (buf.length - pos >= 9) {
        const len = (buf[pos]! << 16) | (buf[pos + 1]! << 8) | buf[pos + 2]!;
        if (len > MAX_FRAME_SIZE) throw new H2ProtocolError(FRAME_SIZE_ERROR, `frame of ${len} bytes`);
        if (buf.length - pos < 9 + len) break;
        const type = buf[pos + 3]!;
        const flags = buf[pos + 4]!;
        const streamId = buf.readUInt32BE(pos + 5) & 0x7fffffff;
        this.onFrame(type, flags, streamId, buf.subarray(pos + 9, pos + 9 + len));
        if (this.closed) return;
        pos += 9 + len;
      }
      if (pos < buf.length) this.input = buf.subarray(pos);
    } catch (err) {
      if (err instanceof H2ProtocolError) this.goAway(err.code, err.message);
      else if (err instanceof HpackError) this.goAway(COMPRESSION_ERROR, err.message);
      else {
        // A fault of this server's: the frames after it are lost, so the connection cannot go
        // on. The client sees its calls end and connects again.
        log.error('http2 connection: internal error', err);
        this.goAway(INTERNAL_ERROR, `internal error: ${(err as Error)?.message ?? String(err)}`);
      }
    }
  }

  private onFrame(type: number, flags: number, streamId: number, payload: Buffer) {
    if (this.headerBlock && type !== CONTINUATION) throw new H2ProtocolError(PROTOCOL_ERROR, 'expected CONTINUATION');
    switch (type) {
      case DATA:
        return this.onData(flags, streamId, payload);
      case HEADERS:
        return this.onHeaders(flags, streamId, payload);
      case CONTINUATION: {
        const hb = this.headerBlock;
        if (!hb || hb.streamId !== streamId) throw new H2ProtocolError(PROTOCOL_ERROR, 'unexpected CONTINUATION');
        hb.parts.push(payload);
        if (flags & END_HEADERS) {
          this.headerBlock = undefined;
          this.onHeaderBlock(streamId, hb.flags, Buffer.concat(hb.parts));
        }
        return;
      }
      case RST_STREAM: {
        if (streamId === 0 || payload.length !== 4) throw new H2ProtocolError(PROTOCOL_ERROR, 'bad RST_STREAM');
        const s = this.streams.get(streamId);
        if (!s) return;
        this.streams.delete(streamId);
        this.blocked.delete(s);
        s.localEnded = true;
        s.remoteEnded = true;
        s.handler?.onReset();
        return;
      }
      case SETTINGS:
        return this.onSettings(flags, streamId, payload);
      case PING:
        if (streamId !== 0 || payload.length !== 8) throw new H2ProtocolError(PROTOCOL_ERROR, 'bad PING');
        if (!(flags & ACK)) {
          this.frameHeader(8, PING, ACK, 0);
          this.bytes(payload);
          this.queueFlush();
        }
        return;
      case GOAWAY:
        // The client stops opening streams; those it opened are still answered.
        return;
      case WINDOW_UPDATE: {
        if (payload.length !== 4) throw new H2ProtocolError(FRAME_SIZE_ERROR, 'bad WINDOW_UPDATE');
        const inc = payload.readUInt32BE(0) & 0x7fffffff;
        if (streamId === 0) {
          if (inc === 0) throw new H2ProtocolError(PROTOCOL_ERROR, 'window update of 0');
          this.connSendWindow += inc;
          if (this.connSendWindow > 0x7fffffff) throw new H2ProtocolError(FLOW_CONTROL_ERROR, 'connection window overflow');
          this.pumpBlocked();
        } else {
          const s = this.streams.get(streamId);
          if (!s) return;
          s.sendWindow += inc;
          if (this.blocked.has(s)) this.pumpBlocked();
        }
        return;
      }
      case PUSH_PROMISE:
        throw new H2ProtocolError(PROTOCOL_ERROR, 'PUSH_PROMISE from a client');
      default:
        // PRIORITY, and frame types this side does not know: ignored, as the protocol asks.
        return;
    }
  }

  private onData(flags: number, streamId: number, payload: Buffer) {
    if (streamId === 0) throw new H2ProtocolError(PROTOCOL_ERROR, 'DATA on stream 0');
    // Flow control counts the whole frame, padding included, whatever becomes of it.
    this.connRecvUnacked += payload.length;
    if (this.connRecvUnacked >= CONNECTION_WINDOW / 4) {
      this.windowUpdate(0, this.connRecvUnacked);
      this.connRecvUnacked = 0;
      this.queueFlush();
    }
    const s = this.streams.get(streamId);
    if (!s || s.remoteEnded) return;
    let data = payload;
    if (flags & PADDED) {
      const pad = payload[0] ?? 0;
      if (pad >= payload.length) throw new H2ProtocolError(PROTOCOL_ERROR, 'padding longer than the frame');
      data = payload.subarray(1, payload.length - pad);
    }
    if (data.length > 0) s.handler?.onData(data);
    if (flags & END_STREAM) {
      this.remoteEnd(s);
    } else {
      s.recvUnacked += payload.length;
      if (s.recvUnacked >= STREAM_WINDOW / 4) {
        this.windowUpdate(s.id, s.recvUnacked);
        s.recvUnacked = 0;
        this.queueFlush();
      }
    }
  }

  private onHeaders(flags: number, streamId: number, payload: Buffer) {
    if (streamId === 0) throw new H2ProtocolError(PROTOCOL_ERROR, 'HEADERS on stream 0');
    let start = 0;
    let end = payload.length;
    if (flags & PADDED) {
      const pad = payload[0] ?? 0;
      start = 1;
      end -= pad;
    }
    if (flags & PRIORITY_FLAG) start += 5;
    if (start > end) throw new H2ProtocolError(PROTOCOL_ERROR, 'bad HEADERS padding');
    const fragment = payload.subarray(start, end);
    if (flags & END_HEADERS) this.onHeaderBlock(streamId, flags, fragment);
    else this.headerBlock = { streamId, flags, parts: [Buffer.from(fragment)] };
  }

  private onHeaderBlock(streamId: number, flags: number, block: Buffer) {
    // Decoded even for a stream that is gone: the block updates the connection's table.
    const headers = this.decoder.decode(block);
    const existing = this.streams.get(streamId);
    if (existing) {
      // Trailers from the client (gRPC clients send none): they end the request.
      if (flags & END_STREAM) this.remoteEnd(existing);
      return;
    }
    if (streamId % 2 === 0 || streamId <= this.lastStreamId) return; // a stream already closed
    this.lastStreamId = streamId;
    const s = new H2Stream(this, streamId);
    this.streams.set(streamId, s);
    this.listener.onStream(s, headers);
    if (flags & END_STREAM) this.remoteEnd(s);
  }

  private remoteEnd(s: H2Stream) {
    if (s.remoteEnded) return;
    s.remoteEnded = true;
    // A stream whose answer still waits for window stays, to hear the client's window updates.
    if (s.localEnded && !s.pendingTrailers) this.streams.delete(s.id);
    s.handler?.onEnd();
  }

  private onSettings(flags: number, streamId: number, payload: Buffer) {
    if (streamId !== 0) throw new H2ProtocolError(PROTOCOL_ERROR, 'SETTINGS on a stream');
    if (flags & ACK) return;
    if (payload.length % 6 !== 0) throw new H2ProtocolError(FRAME_SIZE_ERROR, 'bad SETTINGS');
    for (let i = 0; i < payload.length; i += 6) {
      const id = payload.readUInt16BE(i);
      const value = payload.readUInt32BE(i + 2);
      if (id === SETTINGS_INITIAL_WINDOW_SIZE) {
        if (value > 0x7fffffff) throw new H2ProtocolError(FLOW_CONTROL_ERROR, 'initial window too large');
        const delta = value - this.peerInitialWindow;
        this.peerInitialWindow = value;
        for (const s of this.streams.values()) s.sendWindow += delta;
      } else if (id === SETTINGS_MAX_FRAME_SIZE) {
        if (value < 16_384 || value > 16_777_215) throw new H2ProtocolError(PROTOCOL_ERROR, 'bad max frame size');
        this.peerMaxFrame = value;
      }
      // SETTINGS_HEADER_TABLE_SIZE concerns the encoder, which never indexes; the rest needs nothing.
    }
    this.frameHeader(0, SETTINGS, ACK, 0);
    this.queueFlush();
    this.pumpBlocked();
  }

  private onSocketClose() {
    this.closed = true;
    const streams = [...this.streams.values()];
    this.streams.clear();
    this.blocked.clear();
    for (const s of streams) {
      if (s.localEnded) continue;
      s.localEnded = true;
      s.handler?.onReset();
    }
  }

  private goAway(code: number, message: string) {
    log.debug(`http2 connection error ${code}: ${message}`);
    this.frameHeader(8, GOAWAY, 0, 0);
    this.u32(this.lastStreamId);
    this.u32(code);
    this.flush();
    this.closed = true;
    this.socket.end();
    this.socket.destroySoon?.();
  }

  // ------------------------------------------------------------ writing

  respond(s: H2Stream, headerBlock: Buffer, body: Buffer, trailerBlock: Buffer) {
    this.headers(s.id, headerBlock, false);
    s.pendingData = body;
    s.pendingTrailers = trailerBlock;
    s.localEnded = true;
    this.pump(s);
    if (s.pendingTrailers) this.blocked.add(s);
    this.queueFlush();
  }

  respondHeadersOnly(s: H2Stream, headerBlock: Buffer) {
    this.headers(s.id, headerBlock, true);
    s.localEnded = true;
    this.closeAnswered(s);
    this.queueFlush();
  }

  /** Sends what the windows allow of the stream's answer; the trailers once the data is out. */
  private pump(s: H2Stream) {
    let data = s.pendingData;
    while (data && data.length > 0) {
      const n = Math.min(data.length, s.sendWindow, this.connSendWindow, this.peerMaxFrame);
      if (n <= 0) {
        s.pendingData = data;
        return;
      }
      this.frameHeader(n, DATA, 0, s.id);
      this.bytes(n === data.length ? data : data.subarray(0, n));
      s.sendWindow -= n;
      this.connSendWindow -= n;
      data = n === data.length ? undefined : data.subarray(n);
    }
    s.pendingData = undefined;
    const trailers = s.pendingTrailers;
    if (trailers) {
      s.pendingTrailers = undefined;
      this.headers(s.id, trailers, true);
      this.blocked.delete(s);
      this.closeAnswered(s);
    }
  }

  /** Forgets a stream whose whole answer is sent; one answered before its request ended is reset (too large, unknown method: the rest is not wanted). */
  private closeAnswered(s: H2Stream) {
    if (!s.remoteEnded) this.resetFrame(s.id, NO_ERROR);
    this.streams.delete(s.id);
  }

  private pumpBlocked() {
    if (this.blocked.size === 0) return;
    for (const s of [...this.blocked]) {
      if (this.connSendWindow <= 0) break;
      this.pump(s);
    }
    this.queueFlush();
  }

  private headers(streamId: number, block: Buffer, endStream: boolean) {
    const max = this.peerMaxFrame;
    if (block.length <= max) {
      this.frameHeader(block.length, HEADERS, END_HEADERS | (endStream ? END_STREAM : 0), streamId);
      this.bytes(block);
      return;
    }
    this.frameHeader(max, HEADERS, endStream ? END_STREAM : 0, streamId);
    this.bytes(block.subarray(0, max));
    for (let pos = max; pos < block.length; pos += max) {
      const part = block.subarray(pos, pos + max);
      this.frameHeader(part.length, CONTINUATION, pos + max >= block.length ? END_HEADERS : 0, streamId);
      this.bytes(part);
    }
  }

  private resetFrame(streamId: number, code: number) {
    this.frameHeader(4, RST_STREAM, 0, streamId);
    this.u32(code);
  }

  private windowUpdate(streamId: number, inc: number) {
    this.frameHeader(4, WINDOW_UPDATE, 0, streamId);
    this.u32(inc);
  }

  private ensure(n: number) {
    if (this.outLen + n <= this.out.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.out.length * 2, this.outLen + n));
    this.out.copy(next, 0, 0, this.outLen);
    this.out = next;
  }

  private frameHeader(len: number, type: number, flags: number, streamId: number) {
    this.ensure(9);
    const o = this.out;
    let p = this.outLen;
    o[p++] = len >>> 16;
    o[p++] = (len >>> 8) & 0xff;
    o[p++] = len & 0xff;
    o[p++] = type;
    o[p++] = flags;
    o.writeUInt32BE(streamId, p);
    this.outLen = p + 4;
  }

  private u16(v: number) {
    this.ensure(2);
    this.out.writeUInt16BE(v, this.outLen);
    this.outLen += 2;
  }

  private u32(v: number) {
    this.ensure(4);
    this.out.writeUInt32BE(v >>> 0, this.outLen);
    this.outLen += 4;
  }

  private bytes(b: Uint8Array) {
    this.ensure(b.length);
    this.out.set(b, this.outLen);
    this.outLen += b.length;
  }

  private queueFlush() {
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(this.flushBound);
  }

  /** Everything written since the last flush leaves in one socket write. */
  private flush() {
    this.flushQueued = false;
    if (this.outLen === 0) return;
    if (!this.socket.writable) {
      this.outLen = 0;
      return;
    }
    if (this.outLen < 4096) {
      // A small write is copied out (into Node's shared pool) and the buffer reused.
      this.socket.write(Buffer.from(this.out.subarray(0, this.outLen)));
    } else {
      // The socket keeps a large chunk until it is written: later writes go to a fresh buffer.
      this.socket.write(this.out.subarray(0, this.outLen));
      this.out = Buffer.allocUnsafe(16_384);
    }
    this.outLen = 0;
  }
}
