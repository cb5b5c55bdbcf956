/**
 * Listen queue depth and maximum of a listening socket: connections the kernel accepted
 * that no worker has taken yet. A full queue is a 502 in nginx, so it is the first
 * capacity signal. The native reader asks Linux sock_diag netlink (native/sock_diag.cc),
 * the only source of the figure for unix sockets. The TypeScript twin has the same
 * contract within what /proc offers: Node cannot open a netlink socket, /proc/net/unix
 * has no queue column and /proc/net/tcp shows a listener's depth but not its maximum; so
 * the twin reads TCP depth from /proc/net/tcp{,6}, reports max as -1 (unknown) and answers
 * NEEDS_NETLINK for unix sockets.
 */
import * as fs from 'node:fs';
import type { NativeAddon } from '../addon';

/** Same numbers as native/sock_diag.h (a test compares the files); never renumber. */
export const ListenQueueStatus = Object.freeze({
  OK: 0,
  BAD_ARGUMENTS: 1,
  NOT_A_SOCKET: 2,
  UNSUPPORTED_FAMILY: 3,
  NOT_LISTENING: 4,
  NETLINK_FAILED: 5,
  BAD_REPLY: 6,
  NEEDS_NETLINK: 7,
} as const);
export type ListenQueueStatus = (typeof ListenQueueStatus)[keyof typeof ListenQueueStatus];

/** Stable codes for logs and /stats. */
export const LISTEN_QUEUE_STATUS_CODES: Readonly<Record<ListenQueueStatus, string>> = Object.freeze({
  [ListenQueueStatus.OK]: 'ok',
  [ListenQueueStatus.BAD_ARGUMENTS]: 'bad_arguments',
  [ListenQueueStatus.NOT_A_SOCKET]: 'not_a_socket',
  [ListenQueueStatus.UNSUPPORTED_FAMILY]: 'unsupported_family',
  [ListenQueueStatus.NOT_LISTENING]: 'not_listening',
  [ListenQueueStatus.NETLINK_FAILED]: 'netlink_failed',
  [ListenQueueStatus.BAD_REPLY]: 'bad_reply',
  [ListenQueueStatus.NEEDS_NETLINK]: 'needs_netlink',
});

/** Output table layout of listenQueue(fd, out): [depth, max, errno]. */
export const LISTEN_QUEUE_OUT_LENGTH = 3;

/** One reader contract, two implementations: fills out[0..2] with depth, max (-1 when
 * the source cannot tell), errno; returns a ListenQueueStatus. Never throws. */
export type ListenQueueReader = (fd: number, out: Int32Array) => ListenQueueStatus;

export interface ListenQueueReading {
  status: ListenQueueStatus;
  code: string;
  depth: number;
  /** -1: the reader cannot tell (the TypeScript twin for TCP). */
  max: number;
  errno: number;
}

export function nativeListenQueueReader(addon: NativeAddon): ListenQueueReader {
  return (fd, out) => addon.listenQueue(fd, out) as ListenQueueStatus;
}

/** /proc/net/tcp socket state of a listener (TCP_LISTEN, hex). */
const PROC_TCP_LISTEN_STATE = '0A';
const PROC_TCP_TABLES = ['/proc/net/tcp', '/proc/net/tcp6'];
const PROC_UNIX_TABLE = '/proc/net/unix';

function readProc(file: string): string[] {
  try {
    return fs.readFileSync(file, 'latin1').split('\n');
  } catch {
    return [];
  }
}

/** /proc/net/tcp line: "sl local rem st tx_queue:rx_queue tr:tm retrnsmt uid timeout inode ...";
 * for a listener rx_queue is the accept queue's length. */
function findTcpListener(inode: number): number | null {
  const wanted = String(inode);
  for (const table of PROC_TCP_TABLES) {
    const lines = readProc(table);
    for (let i = 1; i < lines.length; i++) {
      const f = lines[i]!.trim().split(/\s+/);
      if (f.length < 10 || f[9] !== wanted) continue;
      if (f[3] !== PROC_TCP_LISTEN_STATE) return -1;
      const queues = f[4]!.split(':');
      return parseInt(queues[1] ?? '', 16);
    }
  }
  return null;
}

/** /proc/net/unix line: "Num RefCount Protocol Flags Type St Inode Path". */
function isUnixSocket(inode: number): boolean {
  const wanted = String(inode);
  const lines = readProc(PROC_UNIX_TABLE);
  for (let i = 1; i < lines.length; i++) {
    const f = lines[i]!.trim().split(/\s+/);
    if (f[6] === wanted) return true;
  }
  return false;
}

export const tsListenQueueReader: ListenQueueReader = (fd, out) => {
  if (!Number.isInteger(fd) || fd < 0 || !(out instanceof Int32Array) || out.length < LISTEN_QUEUE_OUT_LENGTH) {
    return ListenQueueStatus.BAD_ARGUMENTS;
  }
  out.fill(0, 0, LISTEN_QUEUE_OUT_LENGTH);
  let st: fs.Stats;
  try {
    st = fs.fstatSync(fd);
  } catch (err) {
    out[2] = -((err as NodeJS.ErrnoException).errno ?? 0);
    return ListenQueueStatus.NOT_A_SOCKET;
  }
  if (!st.isSocket()) return ListenQueueStatus.NOT_A_SOCKET;
  const depth = findTcpListener(st.ino);
  if (depth === -1) return ListenQueueStatus.NOT_LISTENING;
  if (depth !== null && Number.isFinite(depth)) {
    out[0] = depth;
    out[1] = -1;
    return ListenQueueStatus.OK;
  }
  if (isUnixSocket(st.ino)) return ListenQueueStatus.NEEDS_NETLINK;
  return ListenQueueStatus.NOT_LISTENING;
};

export function readListenQueue(reader: ListenQueueReader, fd: number): ListenQueueReading {
  const out = new Int32Array(LISTEN_QUEUE_OUT_LENGTH);
  const status = reader(fd, out);
  return { status, code: LISTEN_QUEUE_STATUS_CODES[status] ?? `status_${status}`, depth: out[0]!, max: out[1]!, errno: out[2]! };
}
