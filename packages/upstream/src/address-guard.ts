// Refuses upstream connections to private, loopback and link-local addresses (SSRF from a
// registered server URL into the operator's network). The check runs inside the socket's DNS
// lookup, on every address actually connected to, so DNS rebinding between check and use is moot.
import dns from 'node:dns';
import net from 'node:net';

const blocked = new net.BlockList();
for (const [prefix, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 3],
] as const) {
  blocked.addSubnet(prefix, bits, 'ipv4');
}
for (const [prefix, bits] of [
  // unspecified, loopback, discard-only, NAT64 local-use (its IPv4 mapping is the operator's own),
  // documentation, unique-local, link-local, site-local (deprecated, still routed by some), multicast
  ['::', 128],
  ['::1', 128],
  ['100::', 64],
  ['64:ff9b:1::', 48],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const) {
  blocked.addSubnet(prefix, bits, 'ipv6');
}

/** The 16 bytes of an IPv6 address (already known to be valid), including forms with a dotted IPv4 tail. */
function ipv6Bytes(address: string): number[] {
  let text = address.toLowerCase().replace(/%.*$/, '');
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::') as [string, string | undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups =
    tail === undefined
      ? left
      : [...left, ...new Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return groups.flatMap((group) => {
    const value = parseInt(group, 16);
    return [value >> 8, value & 255];
  });
}

function ipv4At(bytes: number[], offset: number, xor = 0): string {
  return bytes
    .slice(offset, offset + 4)
    .map((b) => b ^ xor)
    .join('.');
}

/**
 * IPv4 addresses an IPv6 address carries, for the translation schemes that deliver to them:
 * IPv4-mapped ::ffff:a.b.c.d, IPv4-compatible ::a.b.c.d, NAT64 64:ff9b::a.b.c.d, 6to4 2002:AABB:CCDD::,
 * and Teredo 2001:0::/32 (server address, and the client address stored inverted).
 */
function embeddedIpv4(bytes: number[]): string[] {
  const zeros = (from: number, to: number) => bytes.slice(from, to).every((b) => b === 0);
  if (zeros(0, 10) && bytes[10] === 0xff && bytes[11] === 0xff) return [ipv4At(bytes, 12)];
  if (zeros(0, 12)) return [ipv4At(bytes, 12)];
  if (bytes[0] === 0x00 && bytes[1] === 0x64 && bytes[2] === 0xff && bytes[3] === 0x9b && zeros(4, 12))
    return [ipv4At(bytes, 12)];
  if (bytes[0] === 0x20 && bytes[1] === 0x02) return [ipv4At(bytes, 2)];
  if (bytes[0] === 0x20 && bytes[1] === 0x01 && bytes[2] === 0 && bytes[3] === 0)
    return [ipv4At(bytes, 4), ipv4At(bytes, 12, 0xff)];
  return [];
}

/** True for addresses an upstream URL must not reach unless private networks are allowed. */
export function isPrivateAddress(address: string): boolean {
  const family = net.isIP(address);
  if (family === 4) return blocked.check(address, 'ipv4');
  if (family !== 6) return true;
  if (blocked.check(address, 'ipv6')) return true;
  return embeddedIpv4(ipv6Bytes(address)).some((ipv4) => blocked.check(ipv4, 'ipv4'));
}

export class PrivateAddressError extends Error {
  constructor(host: string, address: string) {
    super(
      `Upstream ${host} resolves to ${address}, a private, loopback or link-local address; ` +
        'the operator can allow its exact origin with UPSTREAM_PRIVATE_ORIGINS',
    );
    this.name = 'PrivateAddressError';
  }
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | dns.LookupAddress[],
  family?: number,
) => void;

/** A `net` lookup function that fails when any resolved address is private. */
export function guardedLookup(hostname: string, options: dns.LookupOptions, callback: LookupCallback): void {
  dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, '');
    const list = addresses as dns.LookupAddress[];
    const bad = list.find((a) => isPrivateAddress(a.address));
    if (bad)
      return callback(
        Object.assign(new PrivateAddressError(hostname, bad.address), { code: 'EPRIVATE' }),
        '',
      );
    if (options.all) return callback(null, list);
    const first = list[0];
    if (!first)
      return callback(Object.assign(new Error(`No address for ${hostname}`), { code: 'ENOTFOUND' }), '');
    callback(null, first.address, first.family);
  });
}

/** Checks a URL's host up front (IP literals never go through DNS lookup, so they are checked here). */
export async function assertPublicUrl(url: URL): Promise<void> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (net.isIP(host)) {
    if (isPrivateAddress(host)) throw new PrivateAddressError(host, host);
    return;
  }
  const addresses = await dns.promises.lookup(host, { all: true });
  const bad = addresses.find((a) => isPrivateAddress(a.address));
  if (bad) throw new PrivateAddressError(host, bad.address);
}
