/**
 * Which peers may talk to a TCP socket. The uwsgi vars are trusted input (REMOTE_ADDR,
 * HTTPS, SERVER_NAME come from the front server, and the app believes them), so a TCP
 * socket accepts only the front servers it is told about: loopback unless --allow-from
 * names others. Unix sockets rely on file permissions (--chmod-socket) instead.
 */
import * as net from 'node:net';

export interface Cidr {
  family: 'ipv4' | 'ipv6';
  address: string;
  prefix: number;
}

/** What a TCP socket accepts when --allow-from is not given. */
export const LOOPBACK_CIDRS: readonly Cidr[] = Object.freeze([
  { family: 'ipv4', address: '127.0.0.0', prefix: 8 },
  { family: 'ipv6', address: '::1', prefix: 128 },
]);

const MAX_PREFIX = { ipv4: 32, ipv6: 128 } as const;

/** `10.0.0.0/8`, `192.168.1.5` (a /32), `fd00::/8`, `::1`; null with the reason otherwise. */
export function parseCidr(text: string): { ok: true; cidr: Cidr } | { ok: false; reason: string } {
  const slash = text.indexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  const version = net.isIP(address);
  if (version === 0) return { ok: false, reason: `${JSON.stringify(address)} is not an IPv4 or IPv6 address` };
  const family = version === 4 ? 'ipv4' : 'ipv6';
  let prefix: number = MAX_PREFIX[family];
  if (slash >= 0) {
    const bits = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(bits) || Number(bits) > MAX_PREFIX[family]) {
      return { ok: false, reason: `the prefix length must be 0-${MAX_PREFIX[family]} for ${family}` };
    }
    prefix = Number(bits);
  }
  return { ok: true, cidr: { family, address, prefix } };
}

export function formatCidr(cidr: Cidr): string {
  return `${cidr.address}/${cidr.prefix}`;
}

export class PeerAllowList {
  private readonly blockList = new net.BlockList();

  constructor(readonly cidrs: readonly Cidr[]) {
    for (const c of cidrs) this.blockList.addSubnet(c.address, c.prefix, c.family);
  }

  /** IPv4-mapped IPv6 peers (::ffff:10.0.0.1) match IPv4 entries. */
  allows(address: string | undefined): boolean {
    if (address === undefined) return false;
    const version = net.isIP(address);
    if (version === 0) return false;
    return this.blockList.check(address, version === 4 ? 'ipv4' : 'ipv6');
  }
}

/** Whether binding this host can only ever be reached from this machine. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || new PeerAllowList(LOOPBACK_CIDRS).allows(host);
}
