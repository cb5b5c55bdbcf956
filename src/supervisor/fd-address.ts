/**
 * The address an inherited socket fd is bound to, without touching the socket: Node has
 * no getsockname for an fd, but Linux lists every socket of the network namespace in
 * /proc/net/{unix,tcp,tcp6} by inode, and fstat(fd) gives the fd's socket inode. Used to
 * match systemd-activated sockets to --socket addresses. The table parsers are pure.
 */
import * as fs from 'node:fs';
import type { SocketSpec } from './sockets';

/** `/proc/net/unix` → inode → bound path (sockets without a path are left out). */
export function parseProcNetUnix(text: string): Map<number, string> {
  const byInode = new Map<number, string>();
  for (const line of text.split('\n').slice(1)) {
    // Num RefCount Protocol Flags Type St Inode [Path] — the path may contain spaces.
    const match = /^\s*[0-9a-f]+:\s+\S+\s+\S+\s+\S+\s+\S+\s+\S+\s+(\d+)(?: (.+))?$/i.exec(line);
    if (match && match[2] !== undefined) byInode.set(Number(match[1]), match[2]);
  }
  return byInode;
}

/** Kernel hex of an IPv4 address: one 32-bit word in host (little-endian) byte order. */
function ipv4FromHex(hex: string): string {
  const bytes = Buffer.from(hex, 'hex').reverse();
  return [...bytes].join('.');
}

/** Kernel hex of an IPv6 address: four 32-bit words, each in host (little-endian) byte order. */
function ipv6FromHex(hex: string): string {
  const bytes = Buffer.concat([0, 8, 16, 24].map((at) => Buffer.from(hex.slice(at, at + 8), 'hex').reverse()));
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  // The URL parser writes the canonical (compressed, RFC 5952) form.
  return new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1);
}

/** `/proc/net/tcp` (family 4) or `/proc/net/tcp6` (family 6) → inode → local address. */
export function parseProcNetTcp(text: string, family: 4 | 6): Map<number, { host: string; port: number }> {
  const byInode = new Map<number, { host: string; port: number }>();
  for (const line of text.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode …
    if (fields.length < 10) continue;
    const [hostHex, portHex] = fields[1]!.split(':');
    if (hostHex === undefined || portHex === undefined) continue;
    const host = family === 4 ? ipv4FromHex(hostHex) : ipv6FromHex(hostHex);
    byInode.set(Number(fields[9]), { host, port: parseInt(portHex, 16) });
  }
  return byInode;
}

function readTable(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** The address the socket on `fd` is bound to, or null (not a socket, not found, not Linux). */
export function socketAddressOfFd(fd: number, procNet = '/proc/net'): SocketSpec | null {
  let inode: number;
  try {
    const st = fs.fstatSync(fd);
    if (!st.isSocket()) return null;
    inode = st.ino;
  } catch {
    return null;
  }
  const unix = parseProcNetUnix(readTable(`${procNet}/unix`)).get(inode);
  if (unix !== undefined) return { kind: 'unix', path: unix };
  for (const family of [4, 6] as const) {
    const tcp = parseProcNetTcp(readTable(`${procNet}/${family === 4 ? 'tcp' : 'tcp6'}`), family).get(inode);
    if (tcp !== undefined) return { kind: 'tcp', ...tcp };
  }
  return null;
}
