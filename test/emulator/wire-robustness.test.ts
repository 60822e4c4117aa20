// The gRPC layer below the SDK: what a misbehaving client (or a different SDK) can send.
// These use raw HTTP/2 because the SDK never sends malformed frames.
import http2 from 'node:http2';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createLocalEnv } from '../support/temporal.ts';
import { parseArgs } from '../../emulator/src/cli.ts';
import { GrpcServer } from '../../emulator/src/rpc.ts';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await createLocalEnv();
});
afterAll(async () => {
  await env?.teardown();
});

function frame(body: Uint8Array, compressed = false) {
  const out = Buffer.alloc(5 + body.length);
  out[0] = compressed ? 1 : 0;
  out.writeUInt32BE(body.length, 1);
  out.set(body, 5);
  return out;
}

async function rawCall(method: string, payload: Buffer, headers: Record<string, string> = {}, address = env.address) {
  const session = http2.connect(`http://${address}`);
  try {
    return await new Promise<{ status: number; message: string; body: Buffer }>((resolve, reject) => {
      const req = session.request({ ':method': 'POST', ':path': method, 'content-type': 'application/grpc', te: 'trailers', ...headers });
      const chunks: Buffer[] = [];
      let status = -1;
      let message = '';
      const take = (h: http2.IncomingHttpHeaders) => {
        if (h['grpc-status'] !== undefined) {
          status = Number(h['grpc-status']);
          message = decodeURIComponent(String(h['grpc-message'] ?? ''));
        }
      };
      req.on('response', take);
      req.on('trailers', take);
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => resolve({ status, message, body: Buffer.concat(chunks) }));
      req.on('error', reject);
      req.end(payload);
    });
  } finally {
    session.close();
  }
}

const WS = '/temporal.api.workflowservice.v1.WorkflowService';

describe('wire robustness', () => {
  it('answers a request that is not valid protobuf with INVALID_ARGUMENT', async () => {
    const res = await rawCall(`${WS}/StartWorkflowExecution`, frame(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x01])));
    expect(res.status).toBe(3);
    expect(res.message).toMatch(/malformed StartWorkflowExecution request/);
  });

  it('answers a truncated frame with INVALID_ARGUMENT', async () => {
    const res = await rawCall(`${WS}/GetSystemInfo`, Buffer.from([0, 0, 0, 0, 9, 1]));
    expect(res.status).toBe(3);
  });

  it('answers an unknown method with UNIMPLEMENTED', async () => {
    const res = await rawCall(`${WS}/NoSuchMethod`, frame(Buffer.alloc(0)));
    expect(res.status).toBe(12);
  });

  it('answers a known but unsupported method with UNIMPLEMENTED naming it', async () => {
    const res = await rawCall(`${WS}/ResetWorkflowExecution`, frame(Buffer.alloc(0)));
    expect(res.status).toBe(12);
    expect(res.message).toMatch(/ResetWorkflowExecution is not supported/);
  });

  it('accepts gzip-compressed requests, as the SDK Core sends them', async () => {
    const res = await rawCall(`${WS}/GetSystemInfo`, frame(zlib.gzipSync(Buffer.alloc(0)), true), { 'grpc-encoding': 'gzip' });
    expect(res.status).toBe(0);
    expect(res.body.length).toBeGreaterThan(5);
  });

  it('keeps serving the SDK after malformed calls', async () => {
    for (let i = 0; i < 5; i++) await rawCall(`${WS}/SignalWorkflowExecution`, frame(Buffer.from('garbage!')));
    const info = await env.connection.workflowService.getSystemInfo({});
    expect(info.capabilities?.signalAndQueryHeader).toBe(true);
  });
});

describe('handler failures', () => {
  it('turns an exception in one handler into INTERNAL for that call only', async () => {
    const server = new GrpcServer(() => {});
    server.addService('temporal.api.workflowservice.v1.WorkflowService', {
      GetSystemInfo: () => ({ serverVersion: 'ok' }),
      DescribeNamespace: () => {
        throw new TypeError('boom');
      },
      ListNamespaces: async () => {
        throw new Error('async boom');
      },
    });
    const port = await server.listen('127.0.0.1', 0);
    try {
      const address = `127.0.0.1:${port}`;
      const sync = await rawCall(`${WS}/DescribeNamespace`, frame(Buffer.alloc(0)), {}, address);
      expect(sync.status).toBe(13);
      expect(sync.message).toMatch(/internal error in DescribeNamespace: boom/);
      const async_ = await rawCall(`${WS}/ListNamespaces`, frame(Buffer.alloc(0)), {}, address);
      expect(async_.status).toBe(13);
      const ok = await rawCall(`${WS}/GetSystemInfo`, frame(Buffer.alloc(0)), {}, address);
      expect(ok.status).toBe(0);
    } finally {
      await server.close();
    }
  });
});

describe('command line', () => {
  it('reads the time-skipping shape: a port and extra arguments', () => {
    const o = parseArgs(['41234', '--search-attribute', 'LeadStatus=Keyword']);
    expect(o).toMatchObject({ timeSkipping: true, port: 41234, searchAttributes: [{ name: 'LeadStatus', type: 'Keyword' }] });
  });

  it('reads the dev-server shape the SDK spawns, ignoring the official CLI flags it does not need', () => {
    const o = parseArgs([
      'server', 'start-dev', '--port', '7244', '--namespace', 'default', '--namespace', 'leads', '--ip', '127.0.0.1',
      '--log-format', 'pretty', '--log-level', 'warn', '--dynamic-config-value', 'x=1', '--headless', '--db-filename', '/tmp/t.db',
      '--search-attribute', 'Score=Int',
    ]);
    expect(o).toMatchObject({
      timeSkipping: false,
      port: 7244,
      host: '127.0.0.1',
      namespaces: ['default', 'leads'],
      dbFile: '/tmp/t.db',
      searchAttributes: [{ name: 'Score', type: 'Int' }],
    });
  });

  it('refuses a search attribute with an unknown type, naming the valid ones', () => {
    expect(() => parseArgs(['server', 'start-dev', '--search-attribute', 'X=Blob'])).toThrow(/Keyword, Int/);
  });
});
