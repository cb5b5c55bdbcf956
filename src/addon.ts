/**
 * Loads the native addon once. Callers get either the addon or the reason it is not
 * available, so they can fall back to the TS implementation and say why in one log line.
 */
import * as path from 'node:path';

/** The addon's exported functions; each part adds its own (see native/addon.h). */
export interface NativeAddon extends NativeIo {
  /** Registers the tables used by parse (once; a later call replaces them). */
  parserInit(pairs: Int32Array, knownIndex: Int32Array, meta: Int32Array): void;
  /** Parses buf[start, end) into the parserInit tables: pair count or a negative ParseStatus; never throws. */
  parse(buf: Uint8Array, start: number, end: number): number;
  /** A parse function of its own, bound to these tables (one per VarsParser instance). */
  parserBind(pairs: Int32Array, knownIndex: Int32Array, meta: Int32Array): (buf: Uint8Array, start: number, end: number) => number;
  /** Like parserBind; the function returns the block as a latin1 string when it parsed,
   * else the negative ParseStatus. */
  parserBindBlock(pairs: Int32Array, knownIndex: Int32Array, meta: Int32Array): (buf: Uint8Array, start: number, end: number) => string | number;
  knownKeys(): string[];
  /** listen(2) on an already bound socket fd; 0 or a negative errno. */
  listenFd(fd: number, backlog: number): number;
  /** Listen queue of a listening socket via sock_diag: a ListenQueueStatus; fills out[0..2] with depth, max, errno. */
  listenQueue(fd: number, out: Int32Array): number;
  /** dup(2) (close-on-exec) of a socket fd: the new fd, or a negative errno. */
  dupFd(fd: number): number;
  /** Whether a connection waits in a listening socket's queue: 1, 0, or a negative errno. */
  hasPending(fd: number): number;
  /** Ends this process with SIGKILL exitAfterMs after its parent is no longer masterPid, from an
   * OS thread that runs whatever the event loop does: 0 or a negative errno. */
  watchParent(masterPid: number, exitAfterMs: number): number;
}

/** The native connection path (native/connection_path.cc; layout: src/worker/native-io-layout.ts). */
export interface NativeIo {
  ioInit(
    arena: Uint8Array,
    record: Int32Array,
    pairs: Int32Array,
    knownIndex: Int32Array,
    meta: Int32Array,
    onRequest: (varsBlock: string) => void,
    onEvent: (type: number, index: number, gen: number, a: number, b: number) => void,
    limits: Float64Array,
  ): void;
  /** Accepts on a listening fd; allowFrom ("addr/prefix") applies to TCP peers. 0 or a negative error. */
  ioListen(fd: number, allowFrom: string[]): number;
  /** Stops accepting; returns the open connection count (an IDLE event follows when it reaches 0). */
  ioStop(): number;
  ioOpen(): number;
  /** Bytes still queued (>= 0), or WRITE_GONE / WRITE_CLOSED. */
  /** data: bytes, null, or a string encoded natively as UTF-8 (latin1 when `latin1`). */
  ioWrite(index: number, gen: number, data: Uint8Array | string | null, end: boolean, drainLimit: number, latin1?: boolean, tail?: Uint8Array | null): number;
  /** Where request body for the app is read from now on (see BODY_SLAB_BYTES). */
  ioBodySlab(slab: Uint8Array): void;
  /** The connection's next body reads go straight into target[offset...] (BODY_TARGET
   * events) until it is full or the body complete: 0, or -1 when there is nothing left to
   * read into it (the connection gone, its response ended, its body complete). */
  ioBodyTarget(index: number, gen: number, target: Uint8Array, offset: number): number;
  ioPause(index: number, gen: number): void;
  ioResume(index: number, gen: number): void;
  ioDestroy(index: number, gen: number): void;
  ioDestroyAll(): void;
  listenFd(fd: number, backlog: number): number;
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
