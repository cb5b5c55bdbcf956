import { isIPv4, isIPv6 } from 'node:net';

/**
 * A listening socket address as given by --socket: a unix socket path, a TCP HOST:PORT /
 * [IPv6]:PORT, or fd://N (a socket inherited from systemd or another parent).
 */
export type SocketAddress =
  | { readonly kind: 'unix'; readonly path: string }
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number }
  | { readonly kind: 'fd'; readonly fd: number };

/** Linux sun_path is 108 bytes including the terminating NUL, so a path may have 107. */
export const UNIX_PATH_MAX_BYTES = 107;
/** fds 0-2 are stdin/stdout/stderr; an inherited listening socket starts at 3 (systemd's SD_LISTEN_FDS_START). */
export const MIN_INHERITED_FD = 3;
/** The largest fd number accepted (a C int). */
export const MAX_FD = 2 ** 31 - 1;
/** uWSGI's `:PORT` (empty host) means every IPv4 interface; we keep that meaning. */
export const ANY_IPV4_HOST = '0.0.0.0';

/** What --help, messages and docs say a socket address may look like. */
export const SOCKET_ADDRESS_FORMS = 'PATH, HOST:PORT, [IPv6]:PORT or fd://N (or unix:PATH, tcp:HOST:PORT, fd:N)';

export type SocketAddressParse = { ok: true; address: SocketAddress } | { ok: false; reason: string };

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$/;

/**
 * The log names a socket unix:PATH, tcp:HOST:PORT or fd:N (src/supervisor/sockets.ts), and
 * nginx's uwsgi_pass says unix:PATH: each is accepted as written, so a name copied from
 * either means what it says. Unprefixed, "unix:/run/a.sock" would be a relative path and
 * "fd:3" the host "fd".
 */
const UNIX_PREFIX = 'unix:';
const TCP_PREFIX = 'tcp:';
const FD_PREFIXES = ['fd://', 'fd:'] as const;

function parsePort(text: string): number | undefined {
  if (!/^\d{1,5}$/.test(text)) return undefined;
  const port = Number(text);
  return port >= 1 && port <= 65535 ? port : undefined;
}

function parseFd(text: string): SocketAddressParse {
  const fd = /^\d{1,10}$/.test(text) ? Number(text) : NaN;
  if (!(fd >= MIN_INHERITED_FD && fd <= MAX_FD)) {
    return { ok: false, reason: `fd://N needs a file descriptor number N >= ${MIN_INHERITED_FD}` };
  }
  return { ok: true, address: { kind: 'fd', fd } };
}

/** [IPv6]:PORT, or HOST:PORT with an IPv4 address or a host name (empty: every IPv4 interface). */
function parseTcp(raw: string): SocketAddressParse {
  if (raw.startsWith('[')) {
    const match = /^\[([^\]]*)\]:(.*)$/.exec(raw);
    if (!match) return { ok: false, reason: 'an IPv6 address is written [ADDRESS]:PORT' };
    const host = match[1]!;
    if (!isIPv6(host)) return { ok: false, reason: `'${host}' is not an IPv6 address` };
    const port = parsePort(match[2]!);
    if (port === undefined) return { ok: false, reason: `port '${match[2]}' is not a number from 1 to 65535` };
    return { ok: true, address: { kind: 'tcp', host, port } };
  }
  const colon = raw.lastIndexOf(':');
  if (colon < 0) return { ok: false, reason: 'a TCP address is written HOST:PORT' };
  const hostText = raw.slice(0, colon);
  const portText = raw.slice(colon + 1);
  if (hostText.includes(':')) {
    return { ok: false, reason: 'an IPv6 address needs brackets, as in [::1]:3031' };
  }
  const host = hostText === '' ? ANY_IPV4_HOST : hostText;
  const validHost = isIPv4(host) || (HOSTNAME.test(host) && !/^[\d.]+$/.test(host));
  if (!validHost) return { ok: false, reason: `'${hostText}' is not an IPv4 address or a host name` };
  const port = parsePort(portText);
  if (port === undefined) return { ok: false, reason: `port '${portText}' is not a number from 1 to 65535` };
  return { ok: true, address: { kind: 'tcp', host, port } };
}

/** A unix socket path, absolute or relative to the working directory. */
function parseUnixPath(raw: string): SocketAddressParse {
  if (raw.length === 0) return { ok: false, reason: 'the socket path is empty' };
  if (raw.startsWith('@')) {
    return { ok: false, reason: 'abstract unix sockets (@name) are not supported; use a socket file path' };
  }
  if (raw.includes('\0')) return { ok: false, reason: 'a socket path cannot contain a NUL byte' };
  const bytes = Buffer.byteLength(raw, 'utf8');
  if (bytes > UNIX_PATH_MAX_BYTES) {
    return {
      ok: false,
      reason: `a unix socket path may be at most ${UNIX_PATH_MAX_BYTES} bytes (Linux sun_path), this one has ${bytes}`,
    };
  }
  return { ok: true, address: { kind: 'unix', path: raw } };
}

/** Parses one address; the reason of a failure is a phrase for an error message. */
export function parseSocketAddress(raw: string): SocketAddressParse {
  if (raw.length === 0) return { ok: false, reason: 'the address is empty' };
  if (raw.startsWith('@')) return parseUnixPath(raw);
  const fdPrefix = FD_PREFIXES.find((prefix) => raw.startsWith(prefix));
  if (fdPrefix !== undefined) return parseFd(raw.slice(fdPrefix.length));
  if (raw.startsWith(UNIX_PREFIX)) return parseUnixPath(raw.slice(UNIX_PREFIX.length));
  if (raw.startsWith(TCP_PREFIX)) return parseTcp(raw.slice(TCP_PREFIX.length));
  if (raw.startsWith('[')) return parseTcp(raw);
  if (!raw.includes('/') && raw.includes(':')) return parseTcp(raw);
  return parseUnixPath(raw);
}

export function formatSocketAddress(address: SocketAddress): string {
  switch (address.kind) {
    case 'unix': {
      // A path that would read as another form bare ("a:1.sock", "[x]", "fd:3"), or lose
      // the spaces around it (values are trimmed), keeps its prefix.
      const bare = parseSocketAddress(address.path);
      const same = bare.ok && bare.address.kind === 'unix' && bare.address.path === address.path && address.path.trim() === address.path;
      return same ? address.path : `${UNIX_PREFIX}${address.path}`;
    }
    case 'tcp':
      return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
    case 'fd':
      return `fd://${address.fd}`;
  }
}
