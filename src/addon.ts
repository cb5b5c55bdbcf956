/**
 * Loads the native addon once. Callers get either the addon or the reason it is not
 * available, so they can fall back to the TS implementation and say why in one log line.
 */
import * as path from 'node:path';

/** The addon's exported functions; each part adds its own (see native/addon.h). */
export interface NativeAddon {
  /** Registers the tables used by parse (once; a later call replaces them). */
  parserInit(pairs: Int32Array, knownIndex: Int32Array, meta: Int32Array): void;
  /** Parses buf[start, end) into the parserInit tables: pair count or a negative ParseStatus; never throws. */
  parse(buf: Uint8Array, start: number, end: number): number;
  /** A parse function of its own, bound to these tables (one per VarsParser instance). */
  parserBind(pairs: Int32Array, knownIndex: Int32Array, meta: Int32Array): (buf: Uint8Array, start: number, end: number) => number;
  knownKeys(): string[];
  /** listen(2) on an already bound socket fd; 0 or a negative errno. */
  listenFd(fd: number, backlog: number): number;
  /** Listen queue of a listening socket via sock_diag: a ListenQueueStatus; fills out[0..2] with depth, max, errno. */
  listenQueue(fd: number, out: Int32Array): number;
  /** dup(2) (close-on-exec) of a socket fd: the new fd, or a negative errno. */
  dupFd(fd: number): number;
  /** Whether a connection waits in a listening socket's queue: 1, 0, or a negative errno. */
  hasPending(fd: number): number;
}

export type AddonLoad = { ok: true; addon: NativeAddon } | { ok: false; reason: string };

/** dist/src/addon.js → the package root is two levels up. */
const PACKAGE_ROOT = path.resolve(__dirname, '..', '..');
const ADDON_PATH = path.join(PACKAGE_ROOT, 'build', 'Release', 'uwsgi_ts.node');

let cached: AddonLoad | undefined;

export function loadAddon(): AddonLoad {
  if (cached) return cached;
  if (process.env.UWSGI_TS_NO_ADDON === '1') {
    cached = { ok: false, reason: 'UWSGI_TS_NO_ADDON=1 is set' };
    return cached;
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    cached = { ok: true, addon: require(ADDON_PATH) as NativeAddon };
  } catch (err) {
    cached = { ok: false, reason: `cannot load ${ADDON_PATH}: ${(err as Error).message.split('\n')[0]}` };
  }
  return cached;
}
