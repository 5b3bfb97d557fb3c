// Who may read /metrics. Metrics name tools, servers' error rates and pending approvals: useful to an
// attacker mapping a tenant, so they are served to loopback (or the operator's scrape network) and,
// when GATEWAY_METRICS_TOKEN is set, to a bearer of that token from anywhere. Everyone else gets 404,
// as if the endpoint did not exist.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import net from 'node:net';

/** Parses `address/prefix` ranges (a bare address is a single host); throws a sentence naming the bad entry. */
export function parseCidrList(entries: readonly string[], setting = 'GATEWAY_METRICS_ALLOW'): net.BlockList {
  const list = new net.BlockList();
  for (const entry of entries) {
    const [address = '', prefixText, extra] = entry.split('/');
    const family = net.isIP(address);
    const max = family === 4 ? 32 : 128;
    const prefix = prefixText === undefined ? max : Number(prefixText);
    if (family === 0 || extra !== undefined || !/^\d{1,3}$/.test(prefixText ?? String(max)) || prefix > max) {
      throw new Error(
        `${setting}: ${JSON.stringify(entry)} is not an address range; write it as address/prefix, e.g. 10.0.0.0/8 or fd00::/8`,
      );
    }
    list.addSubnet(address, prefix, family === 4 ? 'ipv4' : 'ipv6');
  }
  return list;
}

export function createMetricsAccess(
  allow: readonly string[],
  token: string | undefined,
): (req: IncomingMessage) => boolean {
  const ranges = parseCidrList(allow);
  const tokenDigest = token ? digest(token) : undefined;
  return (req) => {
    if (tokenDigest) {
      const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
      if (bearer && timingSafeEqual(digest(bearer[1]!), tokenDigest)) return true;
    }
    const remote = req.socket.remoteAddress ?? '';
    // A dual-stack socket reports IPv4 clients as ::ffff:a.b.c.d; check those as the IPv4 address they are.
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(remote);
    if (mapped) return ranges.check(mapped[1]!, 'ipv4');
    const family = net.isIP(remote);
    return family !== 0 && ranges.check(remote, family === 4 ? 'ipv4' : 'ipv6');
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
