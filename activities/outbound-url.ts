// Which outbound URLs Leadflow may call on an account's behalf (eAgent). An owner types the
// URL, and the worker posts lead data to it from inside the network, so an address that
// reaches the worker's own machine or private network (cloud metadata, the database, an admin
// port) would let any owner read or poke at it. Only https to a public address is allowed,
// unless the operator sets EAGENT_ALLOW_PRIVATE=true (an eAgent on the internal network, tests).
//
// A name is judged by what it resolves to, and the connection must go to exactly the address
// that was judged: `guardedLookup` is handed to the HTTP agent as its resolver, so the check
// and the connect share one DNS answer and a record that flips to 127.0.0.1 between the two
// (DNS rebinding) cannot slip through.
import dns from 'node:dns';
import net from 'node:net';

export type OutboundUrlCheck = { ok: true; url: URL } | { ok: false; problem: 'invalid' | 'not-https' | 'private-address'; message: string };

export class OutboundAddressRefused extends Error {
  readonly code = 'ERR_OUTBOUND_ADDRESS_REFUSED';
  constructor(
    readonly host: string,
    readonly address: string,
  ) {
    super(`${host} points at a private address (${address})`);
    this.name = 'OutboundAddressRefused';
  }
}

function ipv4Bytes(ip: string): number[] | null {
  if (!net.isIPv4(ip)) return null;
  return ip.split('.').map(Number);
}

/** The 16 bytes of an IPv6 address (zone id dropped, dotted IPv4 tail allowed), or null. */
function ipv6Bytes(input: string): number[] | null {
  let ip = input.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  if (!net.isIPv6(ip)) return null;
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(ip);
  if (tail) {
    const v4 = ipv4Bytes(tail[1]!);
    if (!v4) return null;
    ip = `${ip.slice(0, -tail[1]!.length)}${((v4[0]! << 8) | v4[1]!).toString(16)}:${((v4[2]! << 8) | v4[3]!).toString(16)}`;
  }
  let groups: string[];
  if (ip.includes('::')) {
    const [l, r] = ip.split('::') as [string, string];
    const left = l ? l.split(':') : [];
    const right = r ? r.split(':') : [];
    groups = [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  } else {
    groups = ip.split(':');
  }
  const words = groups.map((g) => parseInt(g, 16));
  if (words.length !== 8 || words.some((w) => !Number.isInteger(w) || w < 0 || w > 0xffff)) return null;
  return words.flatMap((w) => [w >> 8, w & 0xff]);
}

const inPrefix = (b: number[], prefix: number[], bits: number) => {
  for (let i = 0; i < bits; i++) {
    const byte = i >> 3;
    const mask = 0x80 >> (i & 7);
    if ((b[byte]! & mask) !== (prefix[byte]! & mask)) return false;
  }
  return true;
};

// Everything that is not the public internet: RFC 6890's special-purpose registries, with
// documentation and benchmarking ranges too (never a real eAgent).
const REFUSED_V4: Array<[number[], number, string]> = [
  [[0, 0, 0, 0], 8, 'unspecified'],
  [[10, 0, 0, 0], 8, 'private'],
  [[100, 64, 0, 0], 10, 'shared (CGNAT)'],
  [[127, 0, 0, 0], 8, 'loopback'],
  [[169, 254, 0, 0], 16, 'link-local'],
  [[172, 16, 0, 0], 12, 'private'],
  [[192, 0, 0, 0], 24, 'IETF protocol'],
  [[192, 0, 2, 0], 24, 'documentation'],
  [[192, 88, 99, 0], 24, '6to4 relay'],
  [[192, 168, 0, 0], 16, 'private'],
  [[198, 18, 0, 0], 15, 'benchmarking'],
  [[198, 51, 100, 0], 24, 'documentation'],
  [[203, 0, 113, 0], 24, 'documentation'],
  [[224, 0, 0, 0], 4, 'multicast'],
  [[240, 0, 0, 0], 4, 'reserved'],
];

const REFUSED_V6: Array<[number[], number, string]> = [
  [[0x01, 0x00, 0, 0, 0, 0, 0, 0], 64, 'discard'],
  [[0x20, 0x01, 0x00, 0x00], 32, 'Teredo'],
  [[0x20, 0x01, 0x00, 0x02, 0, 0], 48, 'benchmarking'],
  [[0x20, 0x01, 0x0d, 0xb8], 32, 'documentation'],
  [[0x20, 0x01, 0x00, 0x10], 28, 'ORCHID'],
  [[0xfc], 7, 'unique local'],
  [[0xfe, 0x80], 10, 'link-local'],
  [[0xfe, 0xc0], 10, 'site-local'],
  [[0xff], 8, 'multicast'],
];

function refusedV4(b: number[]): string | null {
  for (const [prefix, bits, why] of REFUSED_V4) if (inPrefix(b, prefix, bits)) return why;
  return null;
}

/**
 * Why an IP address is not a public internet address (loopback, private, link-local, ULA,
 * CGNAT, multicast, unspecified, ...), or null when it is public. IPv6 forms that carry an
 * IPv4 address (mapped, compatible, NAT64, 6to4) are judged by that IPv4 address. A string
 * that is not an IP address is refused too.
 */
export function nonPublicReason(ip: string): string | null {
  const v4 = ipv4Bytes(ip);
  if (v4) return refusedV4(v4);
  const b = ipv6Bytes(ip);
  if (!b) return 'not an IP address';
  const zeros = (n: number) => b.slice(0, n).every((x) => x === 0);
  if (zeros(16)) return 'unspecified';
  if (zeros(15) && b[15] === 1) return 'loopback';
  // ::ffff:a.b.c.d (mapped), ::a.b.c.d (compatible, deprecated), 64:ff9b::a.b.c.d (NAT64).
  if (zeros(10) && b[10] === 0xff && b[11] === 0xff) return refusedV4(b.slice(12));
  if (zeros(12)) return 'IPv4-compatible';
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && b.slice(4, 12).every((x) => x === 0)) return refusedV4(b.slice(12));
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && b[4] === 0x00 && b[5] === 0x01) return 'NAT64 local';
  if (b[0] === 0x20 && b[1] === 0x02) return refusedV4(b.slice(2, 6));
  for (const [prefix, bits, why] of REFUSED_V6) if (inPrefix(b, prefix, bits)) return why;
  return null;
}

/** The URL's host as an IP address when it is one (WHATWG URL already turned 0x7f.1 into 127.0.0.1), else null. */
export function ipLiteral(url: URL): string | null {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return net.isIP(host) ? host : null;
}

/**
 * The check that needs no network: a parseable http(s) URL without credentials, https unless
 * private addresses are allowed, and not an IP literal or a name that is always local.
 */
export function checkOutboundUrl(raw: string, opts: { allowPrivate: boolean }): OutboundUrlCheck {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, problem: 'invalid', message: 'Enter a full address, like https://eagent.example.com/leads' };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return { ok: false, problem: 'invalid', message: 'The address must start with https://' };
  if (url.username || url.password) return { ok: false, problem: 'invalid', message: 'The address must not contain a user name or password' };
  if (opts.allowPrivate) return { ok: true, url };
  if (url.protocol !== 'https:') return { ok: false, problem: 'not-https', message: 'The address must be https' };
  const literal = ipLiteral(url);
  const why = literal ? nonPublicReason(literal) : /(^|\.)(localhost|localdomain|local|internal|home\.arpa)\.?$/i.test(url.hostname) ? 'a local name' : null;
  if (why) return { ok: false, problem: 'private-address', message: `The address points at a private address (${why}); ask the operator to allow private eAgent addresses` };
  return { ok: true, url };
}

type LookupAll = (hostname: string, options: dns.LookupAllOptions, callback: (err: NodeJS.ErrnoException | null, addresses: dns.LookupAddress[]) => void) => void;

/**
 * A `lookup` for http(s).request / net.connect that resolves once and fails with
 * OutboundAddressRefused when any answer is not public (an attacker's DNS can mix answers), so
 * the agent connects only to an address that passed. Node skips `lookup` for IP literals:
 * callers check those with checkOutboundUrl first.
 */
export function guardedLookup(resolve: LookupAll = dns.lookup as LookupAll): net.LookupFunction {
  return ((hostname: string, options: dns.LookupOptions, callback: (err: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void) => {
    resolve(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const bad = addresses.find((a) => nonPublicReason(a.address) !== null);
      if (bad) return callback(new OutboundAddressRefused(hostname, bad.address), '', 0);
      if (addresses.length === 0) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 0);
      if (options.all) return callback(null, addresses);
      callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  }) as net.LookupFunction;
}

/**
 * The save-time check: checkOutboundUrl, then the name's current DNS answers. A name that does
 * not resolve from here is let through (the web server may not see the DNS the worker sees);
 * the worker checks again at every send.
 */
export async function checkOutboundUrlResolving(raw: string, opts: { allowPrivate: boolean; resolve?: LookupAll; timeoutMs?: number }): Promise<OutboundUrlCheck> {
  const first = checkOutboundUrl(raw, opts);
  if (!first.ok || opts.allowPrivate || ipLiteral(first.url)) return first;
  const resolve = opts.resolve ?? (dns.lookup as LookupAll);
  const addresses = await new Promise<dns.LookupAddress[]>((done) => {
    const timer = setTimeout(() => done([]), opts.timeoutMs ?? 3000);
    resolve(first.url.hostname, { all: true }, (err, found) => {
      clearTimeout(timer);
      done(err ? [] : found);
    });
  });
  const bad = addresses.find((a) => nonPublicReason(a.address) !== null);
  if (bad) return { ok: false, problem: 'private-address', message: `The address points at a private address (${bad.address}); ask the operator to allow private eAgent addresses` };
  return first;
}

/** EAGENT_ALLOW_PRIVATE=true (or 1/yes): the operator's opt-in to http and private eAgent addresses. */
export function allowPrivateFromEnv(env: Record<string, string | undefined> = process.env): boolean {
  return /^(true|1|yes)$/i.test(env.EAGENT_ALLOW_PRIVATE ?? '');
}
