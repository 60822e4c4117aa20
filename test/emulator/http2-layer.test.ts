// The emulator's own HTTP/2 layer (emulator/src/h2.ts, hpack.ts) below its gRPC server: what
// the SDK's clients rely on without the conformance tests necessarily reaching it (answers and
// requests larger than the flow-control windows, every byte a header may carry, a call the
// client cancels). Driven by node:http2's client, an independent HTTP/2 implementation.
import http2 from 'node:http2';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { H2Connection } from '../../emulator/src/h2.ts';
import { HpackDecoder, huffmanEncode } from '../../emulator/src/hpack.ts';
import { v1 } from '../../emulator/src/proto.ts';
import { GrpcServer, type CallContext } from '../../emulator/src/rpc.ts';
import { eventually } from '../support/eventually.ts';

const WS = '/temporal.api.workflowservice.v1.WorkflowService';

function frame(body: Uint8Array) {
  const out = Buffer.alloc(5 + body.length);
  out.writeUInt32BE(body.length, 1);
  out.set(body, 5);
  return out;
}

let server: GrpcServer;
let address: string;
let lastSignal: { name: string; inputBytes: number } | undefined;
let deadline = 0;
let cancelled = false;
let started = false;

beforeAll(async () => {
  server = new GrpcServer(() => {});
  server.addService('temporal.api.workflowservice.v1.WorkflowService', {
    // An answer as large as the request asks (in its namespace field): several MiB.
    DescribeNamespace: (req) => ({ namespaceInfo: { name: 'big', description: 'x'.repeat(Number(req.namespace)) } }),
    SignalWorkflowExecution: (req) => {
      lastSignal = { name: req.signalName, inputBytes: req.input?.payloads?.[0]?.data?.length ?? 0 };
      return {};
    },
    GetSystemInfo: (_req, ctx: CallContext) => {
      deadline = ctx.deadline;
      return { serverVersion: 'h2' };
    },
    // A long poll that only the client's cancellation ends.
    PollActivityTaskQueue: (_req, ctx: CallContext) => {
      started = true;
      return new Promise((resolve) => ctx.onCancelled(() => {
        cancelled = true;
        resolve({});
      }));
    },
  });
  const port = await server.listen('127.0.0.1', 0);
  address = `127.0.0.1:${port}`;
});

afterAll(async () => {
  await server?.close();
});

interface Answer {
  status: number;
  body: Buffer;
}

function call(session: http2.ClientHttp2Session, method: string, body: Uint8Array, headers: Record<string, string> = {}): { done: Promise<Answer>; req: http2.ClientHttp2Stream } {
  const req = session.request({ ':method': 'POST', ':path': `${WS}/${method}`, 'content-type': 'application/grpc', te: 'trailers', ...headers });
  const done = new Promise<Answer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let status = -1;
    const take = (h: http2.IncomingHttpHeaders) => {
      if (h['grpc-status'] !== undefined) status = Number(h['grpc-status']);
    };
    req.on('response', take);
    req.on('trailers', take);
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve({ status, body: Buffer.concat(chunks) }));
    req.on('error', reject);
  });
  req.end(frame(body));
  return { done, req };
}

describe('HTTP/2 layer', () => {
  it('sends answers of several MiB whole, two at once on one connection', async () => {
    const session = http2.connect(`http://${address}`);
    try {
      const size = 3 * 1024 * 1024;
      const answers = await Promise.all(
        [1, 2].map(() => call(session, 'DescribeNamespace', v1.DescribeNamespaceRequest.encode({ namespace: String(size) }).finish()).done),
      );
      for (const a of answers) {
        expect(a.status).toBe(0);
        const res = v1.DescribeNamespaceResponse.decode(a.body.subarray(5));
        expect(res.namespaceInfo?.description).toHaveLength(size);
      }
    } finally {
      session.close();
    }
  });

  it('keeps to the client\'s stream and connection windows, and sends the rest after its WINDOW_UPDATEs', async () => {
    // A raw client: node:http2 takes more than it announces, so it cannot show the limits kept.
    const [host, port] = address.split(':');
    const sock = net.connect(Number(port), host);
    const frames: Array<{ type: number; flags: number; streamId: number; payload: Buffer }> = [];
    let input = Buffer.alloc(0);
    sock.on('data', (c: Buffer) => {
      input = Buffer.concat([input, c]);
      while (input.length >= 9 && input.length >= 9 + input.readUIntBE(0, 3)) {
        const len = input.readUIntBE(0, 3);
        frames.push({ type: input[3]!, flags: input[4]!, streamId: input.readUInt32BE(5), payload: input.subarray(9, 9 + len) });
        input = input.subarray(9 + len);
      }
    });
    const send = (type: number, flags: number, streamId: number, payload: Buffer) => {
      const head = Buffer.alloc(9);
      head.writeUIntBE(payload.length, 0, 3);
      head[3] = type;
      head[4] = flags;
      head.writeUInt32BE(streamId, 5);
      sock.write(Buffer.concat([head, payload]));
    };
    const u32 = (v: number) => {
      const b = Buffer.alloc(4);
      b.writeUInt32BE(v);
      return b;
    };
    const dataBytes = (streamId: number) => frames.filter((f) => f.type === 0 && f.streamId === streamId).reduce((n, f) => n + f.payload.length, 0);
    const ended = (streamId: number) => frames.some((f) => f.type === 1 && f.streamId === streamId && (f.flags & 1) !== 0);
    const literal = (name: string, value: string) => Buffer.concat([Buffer.from([0, name.length]), Buffer.from(name), Buffer.from([value.length]), Buffer.from(value)]);
    const request = (streamId: number, size: number) => {
      send(1, 4, streamId, Buffer.concat([Buffer.from([0x83, 0x86]), literal(':path', `${WS}/DescribeNamespace`), literal('content-type', 'application/grpc')]));
      send(0, 1, streamId, frame(v1.DescribeNamespaceRequest.encode({ namespace: String(size) }).finish()));
    };
    try {
      await new Promise((r) => sock.once('connect', r));
      sock.write('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
      const settings = Buffer.alloc(6);
      settings.writeUInt16BE(4, 0); // SETTINGS_INITIAL_WINDOW_SIZE
      settings.writeUInt32BE(1000, 2);
      send(4, 0, 0, settings);
      // Stream 1: a stream window of 1,000 bytes.
      request(1, 5000);
      await eventually(async () => dataBytes(1) === 1000, 'the first 1,000 bytes');
      await new Promise((r) => setTimeout(r, 200));
      expect(dataBytes(1)).toBe(1000);
      expect(ended(1)).toBe(false);
      send(8, 0, 1, u32(100_000));
      await eventually(async () => ended(1), 'the rest of the answer and its trailers');
      expect(dataBytes(1)).toBeGreaterThan(5000);
      // Stream 3: stream window 1 MiB now, but the connection's is 64 KiB less what stream 1 took.
      const settings2 = Buffer.alloc(6);
      settings2.writeUInt16BE(4, 0);
      settings2.writeUInt32BE(1024 * 1024, 2);
      send(4, 0, 0, settings2);
      request(3, 200_000);
      const connectionLeft = 65_535 - dataBytes(1);
      await eventually(async () => dataBytes(3) === connectionLeft, 'what the connection window allows');
      await new Promise((r) => setTimeout(r, 200));
      expect(dataBytes(3)).toBe(connectionLeft);
      send(8, 0, 0, u32(1_000_000));
      await eventually(async () => ended(3), 'the rest after the connection window update');
      expect(dataBytes(3)).toBeGreaterThan(200_000);
    } finally {
      sock.destroy();
    }
  });

  it('takes a request larger than its stream window (4 MiB) in many frames', async () => {
    const session = http2.connect(`http://${address}`);
    try {
      const data = Buffer.alloc(9 * 1024 * 1024, 7);
      const req = v1.SignalWorkflowExecutionRequest.encode({ signalName: 'big', input: { payloads: [{ data }] } }).finish();
      const a = await call(session, 'SignalWorkflowExecution', req).done;
      expect(a.status).toBe(0);
      expect(lastSignal).toEqual({ name: 'big', inputBytes: data.length });
    } finally {
      session.close();
    }
  });

  it('reads the headers of many calls on one connection (the client\'s header table fills and evicts)', async () => {
    const session = http2.connect(`http://${address}`);
    try {
      for (let i = 0; i < 200; i++) {
        const a = await call(session, 'GetSystemInfo', new Uint8Array(0), { 'grpc-timeout': `${1000 + i}m`, [`x-call-${i % 40}`]: `value ${i} ${'v'.repeat(i)}` }).done;
        expect(a.status).toBe(0);
        expect(deadline - Date.now()).toBeGreaterThan(500);
        expect(deadline - Date.now()).toBeLessThanOrEqual(1000 + i);
      }
    } finally {
      session.close();
    }
  });

  it('tells the handler when the client cancels its call', async () => {
    const session = http2.connect(`http://${address}`);
    try {
      started = false;
      cancelled = false;
      const { req, done } = call(session, 'PollActivityTaskQueue', new Uint8Array(0));
      done.catch(() => {});
      await eventually(async () => started, 'the long poll to start');
      req.close(http2.constants.NGHTTP2_CANCEL);
      await eventually(async () => cancelled, 'the handler to hear of the cancellation');
      // The connection still serves calls.
      expect((await call(session, 'GetSystemInfo', new Uint8Array(0)).done).status).toBe(0);
    } finally {
      session.close();
    }
  });

  it('answers UNIMPLEMENTED for a method with no handler and keeps the connection', async () => {
    const session = http2.connect(`http://${address}`);
    try {
      expect((await call(session, 'ListNamespaces', new Uint8Array(0)).done).status).toBe(12);
      expect((await call(session, 'GetSystemInfo', new Uint8Array(0)).done).status).toBe(0);
    } finally {
      session.close();
    }
  });
  it('closes a connection whose handling failed inside the server (GOAWAY INTERNAL_ERROR), and the server goes on', async () => {
    const raw = net.createServer((socket) => new H2Connection(socket, {
      onStream(_stream, headers) {
        if (headers[':path'] === '/fail') throw new Error('handler bug');
        _stream.respondHeadersOnly(Buffer.from([0x88]));
      },
    }));
    await new Promise<void>((r) => raw.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(raw.address() as net.AddressInfo).port}`;
    try {
      const session = http2.connect(url);
      const goaway = new Promise<number>((r) => session.once('goaway', (code) => r(code)));
      session.on('error', () => {});
      const req = session.request({ ':method': 'POST', ':path': '/fail' });
      req.on('error', () => {});
      req.end();
      expect(await goaway).toBe(http2.constants.NGHTTP2_INTERNAL_ERROR);
      session.destroy();
      // A new connection is served.
      const again = http2.connect(url);
      const status = await new Promise((resolve, reject) => {
        const r = again.request({ ':method': 'POST', ':path': '/ok' });
        r.on('response', (h) => resolve(h[':status']));
        r.on('error', reject);
        r.end();
      });
      expect(status).toBe(200);
      again.close();
    } finally {
      raw.close();
    }
  });
});

describe('HPACK', () => {
  it('decodes the RFC 7541 examples of requests with Huffman coding (C.4), table carried across blocks', () => {
    const d = new HpackDecoder();
    expect(d.decode(Buffer.from('828684418cf1e3c2e5f23a6ba0ab90f4ff', 'hex'))).toEqual({ ':method': 'GET', ':scheme': 'http', ':path': '/', ':authority': 'www.example.com' });
    expect(d.decode(Buffer.from('828684be5886a8eb10649cbf', 'hex'))).toEqual({ ':method': 'GET', ':scheme': 'http', ':path': '/', ':authority': 'www.example.com', 'cache-control': 'no-cache' });
    expect(d.decode(Buffer.from('828785bf408825a849e95ba97d7f8925a849e95bb8e8b4bf', 'hex'))).toEqual({ ':method': 'GET', ':scheme': 'https', ':path': '/index.html', ':authority': 'www.example.com', 'custom-key': 'custom-value' });
  });

  it('uses the Huffman code nghttp2 (node:http2) uses, for every byte a header value may hold', async () => {
    // Values Huffman-encoded here, decoded by node:http2's server: a wrong code length
    // anywhere in the table shifts the codes after it and garbles these.
    const bytes = [9, ...Array.from({ length: 95 }, (_, i) => 32 + i), ...Array.from({ length: 128 }, (_, i) => 128 + i)];
    const values = bytes.map((b) => `a${String.fromCharCode(b).repeat(3)}z`);
    const got = new Map<number, string>();
    const h2server = http2.createServer();
    h2server.on('stream', (s, h) => {
      got.set(Number(String(h[':path']).slice(1)), String(h['x-v']));
      s.respond({ ':status': 200 }, { endStream: true });
    });
    await new Promise<void>((r) => h2server.listen(0, '127.0.0.1', () => r()));
    const sock = net.connect((h2server.address() as net.AddressInfo).port, '127.0.0.1');
    try {
      const literal = (name: string, value: Buffer, huffman: boolean) => Buffer.concat([Buffer.from([0, name.length]), Buffer.from(name), Buffer.from([(huffman ? 0x80 : 0) | value.length]), value]);
      const frames = [Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0])];
      values.forEach((v, i) => {
        // :method POST, :scheme http, :authority x, :path /i, x-v (Huffman)
        const block = Buffer.concat([Buffer.from([0x83, 0x86, 0x01, 0x01, 0x78]), literal(':path', Buffer.from(`/${i}`), false), literal('x-v', huffmanEncode(v), true)]);
        const head = Buffer.alloc(9);
        head.writeUIntBE(block.length, 0, 3);
        head[3] = 1; // HEADERS
        head[4] = 5; // END_STREAM | END_HEADERS
        head.writeUInt32BE(2 * i + 1, 5);
        frames.push(head, block);
      });
      sock.write(Buffer.concat(frames));
      await eventually(async () => got.size === values.length, 'node:http2 to read every header block');
      values.forEach((v, i) => expect(got.get(i)).toBe(v));
    } finally {
      sock.destroy();
      h2server.close();
    }
    // And the decoder reads back what the encoder wrote, for all 256 byte values.
    const all = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join('');
    const enc = huffmanEncode(all);
    // Literal without indexing, new name 'k', Huffman value; its length (> 127) as a 7-bit prefix integer.
    const lenBytes = [0x80 | 127];
    for (let v = enc.length - 127; ; v = Math.floor(v / 128)) {
      if (v < 128) {
        lenBytes.push(v);
        break;
      }
      lenBytes.push((v % 128) | 128);
    }
    const d = new HpackDecoder();
    expect(d.decode(Buffer.concat([Buffer.from([0x00, 0x01, 0x6b]), Buffer.from(lenBytes), enc]))).toEqual({ k: all });
  });
});
