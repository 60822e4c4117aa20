// Which addresses an outbound call (eAgent) may reach: pure checks, and the resolver guard that
// makes the connection use the very address that was checked.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type dns from 'node:dns';
import { describe, expect, it } from 'vitest';
import { checkOutboundUrl, checkOutboundUrlResolving, guardedLookup, nonPublicReason, OutboundAddressRefused, allowPrivateFromEnv } from '../../activities/outbound-url.ts';

type Answer = dns.LookupAddress[];
const fakeDns = (answers: Record<string, Answer>) => (host: string, _o: dns.LookupAllOptions, cb: (err: NodeJS.ErrnoException | null, a: Answer) => void) => {
  const a = answers[host];
  if (!a) return cb(Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' }), []);
  cb(null, a);
};

describe('nonPublicReason', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.1.2', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['100.64.0.1', 'shared (CGNAT)'],
    ['100.127.255.254', 'shared (CGNAT)'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.251', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['fd12:3456::1', 'unique local'],
    ['fc00::1', 'unique local'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['64:ff9b::10.0.0.1', 'private'],
    ['2002:c0a8:0101::1', 'private'],
    ['2001:db8::1', 'documentation'],
    ['not-an-ip', 'not an IP address'],
  ])('refuses %s (%s)', (ip, why) => {
    expect(nonPublicReason(ip)).toBe(why);
  });

  it.each(['93.184.216.34', '8.8.8.8', '172.32.0.1', '100.128.0.1', '192.169.0.1', '2606:4700:4700::1111', '2a00:1450:4001:82a::200e', '::ffff:8.8.8.8', '64:ff9b::808:808'])('allows the public address %s', (ip) => {
    expect(nonPublicReason(ip)).toBeNull();
  });
});

describe('checkOutboundUrl', () => {
  const strict = { allowPrivate: false };
  it('accepts https to a public name or address', () => {
    expect(checkOutboundUrl('https://eagent.example.com/leads', strict)).toMatchObject({ ok: true });
    expect(checkOutboundUrl('https://93.184.216.34/leads', strict)).toMatchObject({ ok: true });
  });

  it('refuses plain http', () => {
    expect(checkOutboundUrl('http://eagent.example.com/leads', strict)).toMatchObject({ ok: false, problem: 'not-https', message: 'The address must be https' });
  });

  it.each([
    'https://127.0.0.1:8080/x',
    'https://[::1]/x',
    'https://[::ffff:127.0.0.1]/x',
    'https://2130706433/x', // 127.0.0.1 as one number
    'https://0x7f.1/x',
    'https://169.254.169.254/latest/meta-data',
    'https://localhost/x',
    'https://db.internal/x',
    'https://printer.local./x',
  ])('refuses %s as a private address', (url) => {
    expect(checkOutboundUrl(url, strict)).toMatchObject({ ok: false, problem: 'private-address' });
  });

  it('refuses what is not an http(s) URL, and credentials in it', () => {
    expect(checkOutboundUrl('not a url', strict)).toMatchObject({ ok: false, problem: 'invalid' });
    expect(checkOutboundUrl('ftp://eagent.example.com/', strict)).toMatchObject({ ok: false, problem: 'invalid' });
    expect(checkOutboundUrl('https://user:pw@eagent.example.com/', strict)).toMatchObject({ ok: false, problem: 'invalid' });
  });

  it('allows http and private addresses when the operator allows them', () => {
    expect(checkOutboundUrl('http://127.0.0.1:8080/x', { allowPrivate: true })).toMatchObject({ ok: true });
  });
});

describe('checkOutboundUrlResolving', () => {
  it('refuses a name that resolves to a private address, and one answer among public ones is enough', async () => {
    const resolve = fakeDns({ 'evil.example.com': [{ address: '93.184.216.34', family: 4 }, { address: '10.0.0.5', family: 4 }] });
    expect(await checkOutboundUrlResolving('https://evil.example.com/', { allowPrivate: false, resolve })).toMatchObject({ ok: false, problem: 'private-address' });
  });

  it('lets through a public name and one this machine cannot resolve (the worker checks again at send)', async () => {
    const resolve = fakeDns({ 'eagent.example.com': [{ address: '93.184.216.34', family: 4 }] });
    expect(await checkOutboundUrlResolving('https://eagent.example.com/', { allowPrivate: false, resolve })).toMatchObject({ ok: true });
    expect(await checkOutboundUrlResolving('https://unknown.example.com/', { allowPrivate: false, resolve })).toMatchObject({ ok: true });
  });
});

describe('guardedLookup', () => {
  it('fails the connection when the name resolves to a private address, before any byte is sent', async () => {
    let hits = 0;
    const server = http.createServer((_req, res) => {
      hits++;
      res.end('ok');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    try {
      // The name "rebinds" to the loopback listener: without the guard this request would reach it.
      const lookup = guardedLookup(fakeDns({ 'eagent.example.com': [{ address: '127.0.0.1', family: 4 }] }));
      const err = await new Promise<unknown>((resolve) => {
        const req = http.request({ host: 'eagent.example.com', port, path: '/', method: 'POST', lookup }, () => resolve(null));
        req.on('error', resolve);
        req.end('{}');
      });
      expect(err).toBeInstanceOf(OutboundAddressRefused);
      expect(hits).toBe(0);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('hands the checked public address to the connection', async () => {
    const lookup = guardedLookup(fakeDns({ 'eagent.example.com': [{ address: '93.184.216.34', family: 4 }] }));
    const one = await new Promise((resolve) => lookup('eagent.example.com', { family: 0 }, (err, address, family) => resolve({ err, address, family })));
    expect(one).toEqual({ err: null, address: '93.184.216.34', family: 4 });
    const all = await new Promise((resolve) => lookup('eagent.example.com', { all: true }, (err, addresses) => resolve({ err, addresses })));
    expect(all).toEqual({ err: null, addresses: [{ address: '93.184.216.34', family: 4 }] });
  });
});

describe('allowPrivateFromEnv', () => {
  it('is off unless EAGENT_ALLOW_PRIVATE says true', () => {
    expect(allowPrivateFromEnv({})).toBe(false);
    expect(allowPrivateFromEnv({ EAGENT_ALLOW_PRIVATE: 'false' })).toBe(false);
    expect(allowPrivateFromEnv({ EAGENT_ALLOW_PRIVATE: 'true' })).toBe(true);
  });
});
