/**
 * The master creates every listening socket itself and hands the fds to the workers;
 * sockets outlive workers, so a reload replaces workers and never the sockets, and
 * connections that arrive meanwhile wait in the backlog. The master binds (and listens,
 * when the addon is there) but never accepts: it holds a bound libuv handle that is never
 * started, so no connection is ever taken by the master.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as util from 'node:util';
import * as os from 'node:os';
import * as path from 'node:path';
import { PrivilegeError, PrivilegeErrorCode } from './privileges';

export type SocketSpec =
  | { kind: 'unix'; path: string }
  | { kind: 'tcp'; host: string; port: number }
  /** `via`: where the fd came from, for logs (systemd and the unit's address). */
  | { kind: 'fd'; fd: number; via?: string };

export class SocketError extends Error {
  readonly code:
    | 'UWSGI_TS_SOCKET_IN_USE'
    | 'UWSGI_TS_SOCKET_NOT_A_SOCKET'
    | 'UWSGI_TS_SOCKET_BIND_FAILED'
    | 'UWSGI_TS_SOCKET_BAD_FD';
  constructor(code: SocketError['code'], message: string) {
    super(message);
    this.name = 'SocketError';
    this.code = code;
  }
}

export interface ListeningSocket {
  readonly spec: SocketSpec;
  readonly fd: number;
  /** For logs: unix:/run/app.sock, tcp:127.0.0.1:3031, fd:3. */
  readonly name: string;
  /** Closes the master's fd (the socket file stays: see removeFile). */
  close(): void;
  /** Removes the unix socket file this master created, if it is still that file (vacuum);
   * absent for sockets without a file of ours. Never throws. */
  removeFile?(): void;
}

interface ServerHandle {
  fd: number;
  close(): void;
  /** TCP handles: fills `out` with the bound address; returns 0 or -errno. */
  getsockname?(out: { address?: string; port?: number }): number;
}

type CreateServerHandle = (address: string | null, port: number, addressType: number, fd?: number) => ServerHandle | number;

/** net's own bind-without-listen (what node:cluster's primary uses for shared handles). */
const createServerHandle = (net as unknown as { _createServerHandle: CreateServerHandle })._createServerHandle;

export function socketName(spec: SocketSpec): string {
  switch (spec.kind) {
    case 'unix':
      return `unix:${spec.path}`;
    case 'tcp':
      return spec.host.includes(':') ? `tcp:[${spec.host}]:${spec.port}` : `tcp:${spec.host}:${spec.port}`;
    case 'fd':
      return spec.via === undefined ? `fd:${spec.fd}` : `fd:${spec.fd}(${spec.via})`;
  }
}

/**
 * What a connect() to an existing socket file says about it. Only ECONNREFUSED proves
 * that nobody listens (the server died and left its file): that file is stale and
 * replaced. EAGAIN is a live server whose listen queue is full, the very moment not to
 * take its path away; any other failure (EACCES…) cannot tell, so the file is left alone.
 */
export function probeVerdict(outcome: 'connected' | string): { stale: true } | { stale: false; reason: string } {
  switch (outcome) {
    case 'connected':
      return { stale: false, reason: 'another server is listening on it' };
    case 'ECONNREFUSED':
    case 'ENOENT':
      return { stale: true };
    case 'EAGAIN':
      return { stale: false, reason: 'another server is listening on it (its listen queue is full)' };
    default:
      return { stale: false, reason: `connecting to it to check for a server failed with ${outcome}, so it may be in use` };
  }
}

/** Connects to a unix socket path once: 'connected' or the errno code. */
function probeUnixSocket(file: string): Promise<string> {
  return new Promise((resolve) => {
    const probe = net.connect({ path: file });
    probe.once('connect', () => {
      probe.destroy();
      resolve('connected');
    });
    probe.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? String(err)));
  });
}

async function clearStaleSocketFile(file: string): Promise<void> {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(file);
  } catch {
    return;
  }
  if (!st.isSocket()) {
    throw new SocketError('UWSGI_TS_SOCKET_NOT_A_SOCKET', `${file} exists and is not a socket: refusing to replace it`);
  }
  const verdict = probeVerdict(await probeUnixSocket(file));
  if (!verdict.stale) {
    throw new SocketError('UWSGI_TS_SOCKET_IN_USE', `${file}: ${verdict.reason}: stop that server first or choose another --socket`);
  }
  fs.rmSync(file, { force: true });
}

/** What a bind/listen errno means for the operator, for the errors they can act on. */
export const BIND_ERROR_HINTS: Readonly<Record<string, string>> = {
  EADDRINUSE: 'the address is in use: another server listens there',
  EACCES: 'permission denied: ports below 1024 need root (or CAP_NET_BIND_SERVICE), a unix socket a writable directory',
  EADDRNOTAVAIL: 'no network interface of this machine has that address',
  ENOENT: 'the directory of the socket path does not exist',
};

function bindError(spec: SocketSpec, err: number): SocketError {
  const name = err < 0 ? errnoName(err) : `error ${err}`;
  const hint = BIND_ERROR_HINTS[name];
  return new SocketError('UWSGI_TS_SOCKET_BIND_FAILED', `cannot bind ${socketName(spec)}: ${hint === undefined ? name : `${name}, ${hint}`}`);
}

function errnoName(err: number): string {
  try {
    return util.getSystemErrorName(err);
  } catch {
    return String(err);
  }
}

export interface OpenOptions {
  /** Mode for a unix socket file (--chmod-socket); applied before any connection can arrive. */
  chmod?: number;
  /** Owner for a unix socket file (--chown-socket, resolved ids; -1 keeps one), applied with the mode. */
  chown?: { uid: number; gid: number };
  backlog: number;
  /** listen(2) on the fd without accepting; absent when the addon is unavailable, in which
   * case the first worker's listen() puts the socket in the listening state. */
  listenFd?: (fd: number, backlog: number) => number;
}

/** An inherited fd (fd://N, systemd): it must be open and be a socket. */
function inheritedSocket(spec: SocketSpec & { kind: 'fd' }): ListeningSocket {
  let st: fs.Stats;
  try {
    st = fs.fstatSync(spec.fd);
  } catch (err) {
    throw new SocketError('UWSGI_TS_SOCKET_BAD_FD', `fd://${spec.fd}: no such open file descriptor was inherited (${(err as NodeJS.ErrnoException).code})`);
  }
  if (!st.isSocket()) throw new SocketError('UWSGI_TS_SOCKET_BAD_FD', `fd://${spec.fd}: the inherited file descriptor is not a socket`);
  return { spec, fd: spec.fd, name: socketName(spec), close() {} };
}

/** Mode and owner of a new socket file, before listen(): no connection sees other permissions. */
function applyFileOptions(file: string, options: OpenOptions): void {
  if (options.chmod !== undefined) fs.chmodSync(file, options.chmod);
  if (options.chown !== undefined) {
    try {
      fs.chownSync(file, options.chown.uid, options.chown.gid);
    } catch (err) {
      throw new PrivilegeError(
        PrivilegeErrorCode.NOT_PERMITTED,
        `--chown-socket: cannot change the owner of ${file} to ${options.chown.uid}:${options.chown.gid}: ${(err as Error).message}`,
      );
    }
  }
}

/** Removes `file` if it is still the inode this master bound (a newer master may own the path now). */
function removeIfSame(file: string, identity: { dev: number; ino: number }): void {
  try {
    const st = fs.lstatSync(file);
    if (st.dev === identity.dev && st.ino === identity.ino) fs.unlinkSync(file);
  } catch {
    // Already gone: nothing to clean up.
  }
}

export async function openSocket(spec: SocketSpec, options: OpenOptions): Promise<ListeningSocket> {
  const name = socketName(spec);
  if (spec.kind === 'fd') return inheritedSocket(spec);
  let handle: ServerHandle | number;
  if (spec.kind === 'unix') {
    // libuv reports a missing directory as EACCES: check it first, to say what is wrong.
    if (!fs.existsSync(path.dirname(path.resolve(spec.path)))) throw bindError(spec, -os.constants.errno.ENOENT);
    await clearStaleSocketFile(spec.path);
    handle = createServerHandle(spec.path, -1, -1);
  } else {
    handle = createServerHandle(spec.host, spec.port, net.isIPv6(spec.host) ? 6 : 4);
  }
  if (typeof handle === 'number') throw bindError(spec, handle);
  const h = handle;
  if (spec.kind === 'tcp') {
    // libuv defers a bind's EADDRINUSE to its own listen(); the master listens with
    // listen(2) on the fd, which would quietly bind an unbound socket to a random port.
    const bound: { port?: number } = {};
    if (h.getsockname?.(bound) !== 0 || bound.port !== spec.port) {
      h.close();
      throw bindError(spec, -(os.constants.errno.EADDRINUSE));
    }
  }
  let file: { path: string; dev: number; ino: number } | null = null;
  try {
    if (spec.kind === 'unix') {
      const st = fs.lstatSync(spec.path);
      file = { path: spec.path, dev: st.dev, ino: st.ino };
      applyFileOptions(spec.path, options);
    }
    if (options.listenFd) {
      const rc = options.listenFd(h.fd, options.backlog);
      if (rc !== 0) throw bindError(spec, rc);
    }
  } catch (err) {
    h.close();
    if (file !== null) removeIfSame(file.path, file);
    throw err;
  }
  let closed = false;
  const socket: ListeningSocket = {
    spec,
    fd: h.fd,
    name,
    close() {
      if (closed) return;
      closed = true;
      // libuv unlinks a bound pipe's path when its handle closes, whoever owns the path by
      // then and whatever --no-vacuum says. A unix listener is therefore never closed
      // through its handle: the master drops it by exiting (the kernel closes the fd), and
      // the vacuum alone decides about the file.
      if (spec.kind !== 'unix') h.close();
    },
  };
  if (file !== null) {
    const bound = file;
    return { ...socket, removeFile: () => removeIfSame(bound.path, bound) };
  }
  return socket;
}
