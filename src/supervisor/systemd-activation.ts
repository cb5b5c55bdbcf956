/**
 * systemd socket activation: a .socket unit binds the sockets and starts us with them
 * open from fd 3 on, announced by LISTEN_FDS (how many), LISTEN_PID (for which process:
 * variables meant for a parent are not ours) and optionally LISTEN_FDNAMES (their
 * FileDescriptorName=, colon-separated). The protocol is sd_listen_fds(3)'s.
 *
 * How they meet --socket: a unix or TCP --socket whose address is that of an activated
 * socket uses the activated fd instead of binding (so one config works with and without
 * the .socket unit, as in uWSGI); fd://N names one directly; activated sockets no
 * --socket names are served as well, since the unit opened them for this service. The
 * variables are removed from the environment once read, so the workers (and the app)
 * never take them for their own.
 */
import * as path from 'node:path';
import { socketName, type SocketSpec } from './sockets';

/** sd_listen_fds(3): the first passed fd (after stdin, stdout, stderr). */
export const SD_LISTEN_FDS_START = 3;
/** More than any unit declares; a larger LISTEN_FDS is a corrupt environment, not sockets. */
export const MAX_ACTIVATED_FDS = 1024;
export const ACTIVATION_ENV_VARS = ['LISTEN_PID', 'LISTEN_FDS', 'LISTEN_FDNAMES'] as const;

export interface ActivatedSocket {
  readonly fd: number;
  /** FileDescriptorName= of the socket unit, when LISTEN_FDNAMES gives one. */
  readonly name?: string;
}

export type ActivationParse =
  | { ok: true; sockets: ActivatedSocket[]; warnings: string[] }
  | { ok: false; reason: string };

/** Reads the activation variables for process `pid`; no variables (or another pid's) → no sockets. */
export function parseActivation(env: NodeJS.ProcessEnv, pid: number): ActivationParse {
  const listenPid = env.LISTEN_PID;
  const listenFds = env.LISTEN_FDS;
  if (listenPid === undefined || listenFds === undefined) return { ok: true, sockets: [], warnings: [] };
  if (!/^\d{1,10}$/.test(listenPid)) return { ok: false, reason: `LISTEN_PID=${JSON.stringify(listenPid)} is not a process id` };
  if (Number(listenPid) !== pid) return { ok: true, sockets: [], warnings: [] };
  if (!/^\d{1,10}$/.test(listenFds) || Number(listenFds) > MAX_ACTIVATED_FDS) {
    return { ok: false, reason: `LISTEN_FDS=${JSON.stringify(listenFds)} is not a number of sockets from 0 to ${MAX_ACTIVATED_FDS}` };
  }
  const count = Number(listenFds);
  const warnings: string[] = [];
  let names: string[] | undefined = env.LISTEN_FDNAMES?.split(':');
  if (names !== undefined && names.length !== count) {
    warnings.push(`LISTEN_FDNAMES has ${names.length} names for ${count} sockets: the names are ignored`);
    names = undefined;
  }
  const sockets = Array.from({ length: count }, (_, i): ActivatedSocket => {
    const name = names?.[i];
    return name === undefined || name === '' ? { fd: SD_LISTEN_FDS_START + i } : { fd: SD_LISTEN_FDS_START + i, name };
  });
  return { ok: true, sockets, warnings };
}

/** Removes the activation variables, so that processes started from here do not read them. */
export function clearActivationEnv(env: NodeJS.ProcessEnv): void {
  for (const name of ACTIVATION_ENV_VARS) delete env[name];
}

/** The address a socket is bound to (see fd-address.ts), or null when unknown. */
export type AddressOf = (fd: number) => SocketSpec | null;

function sameAddress(a: SocketSpec, b: SocketSpec): boolean {
  if (a.kind === 'unix' && b.kind === 'unix') return path.resolve(a.path) === path.resolve(b.path);
  if (a.kind === 'tcp' && b.kind === 'tcp') return a.port === b.port && a.host === b.host;
  return false;
}

/** For logs: `systemd web.socket unix:/run/app.sock`. */
function describe(socket: ActivatedSocket, address: SocketSpec | null | undefined): string {
  return ['systemd', socket.name, address ? socketName(address) : undefined].filter((part) => part !== undefined).join(' ');
}

/**
 * The sockets to open: each --socket, with the activated fd in place of one whose address
 * it has, then the activated sockets no --socket named. Pure given `addressOf`.
 */
export function assignActivatedSockets(specs: readonly SocketSpec[], activated: readonly ActivatedSocket[], addressOf: AddressOf): SocketSpec[] {
  const addresses = new Map(activated.map((socket) => [socket.fd, addressOf(socket.fd)] as const));
  const used = new Set<number>();
  const result: SocketSpec[] = specs.map((spec) => {
    if (spec.kind === 'fd') {
      used.add(spec.fd);
      const socket = activated.find((candidate) => candidate.fd === spec.fd);
      return socket === undefined ? spec : { kind: 'fd', fd: spec.fd, via: describe(socket, addresses.get(spec.fd)) };
    }
    const match = activated.find((socket) => {
      const address = addresses.get(socket.fd);
      return !used.has(socket.fd) && address !== null && address !== undefined && sameAddress(spec, address);
    });
    if (match === undefined) return spec;
    used.add(match.fd);
    return { kind: 'fd', fd: match.fd, via: describe(match, addresses.get(match.fd)) };
  });
  for (const socket of activated) {
    if (!used.has(socket.fd)) result.push({ kind: 'fd', fd: socket.fd, via: describe(socket, addresses.get(socket.fd)) });
  }
  return result;
}
