/**
 * The contract between the native connection path (native/connection_path.cc,
 * native/packet_frame.h) and native-transport.ts: the request record's fields, the
 * event codes, the reject and abort reasons, ioWrite's results. The numbers cross the
 * N-API boundary as plain numbers: keep both sides in step, never renumber.
 */

/** Int32 fields of the request record native code fills before each onRequest(). */
export const enum Rec {
  INDEX = 0,
  GEN = 1,
  VARS_START = 2,
  VARS_END = 3,
  BODY_START = 4,
  BODY_LENGTH = 5,
  MODIFIER2 = 6,
  BODY_COMPLETE = 7,
  PAIR_COUNT = 8,
  /** Set by ioWrite: the bytes it took (a string's encoded length), for the byte counts. */
  WRITTEN = 9,
  /** Set before a BODY_SLAB event: where in the body slab the chunk starts. */
  BODY_OFFSET = 10,
  LENGTH = 11,
}

/** onEvent(type, index, gen, a, b). */
export const enum IoEvent {
  /** a: body bytes at arena[0, a); b: 1 when the body is complete. */
  BODY = 1,
  /** The response bytes native code kept went out. */
  DRAIN = 2,
  /** Closed after the response; a: 1 when every byte was sent; b: body bytes discarded. */
  CLOSE = 3,
  /** The peer went away before the response ended; a: AbortReason, b: detail. */
  ABORT = 4,
  /** Closed before dispatch; index: RejectReason, a: detail, b: parse status (for
   * PEER_NOT_ALLOWED, gen is the length of the peer address text at arena[0, gen)). */
  REJECT = 5,
  /** No connection is left after ioStop(). */
  IDLE = 6,
  /** a: body bytes left unread when the drain before the close gave up. */
  DRAIN_GAVE_UP = 7,
  /** Accepting paused at --max-connections; a: open connections, b: the limit. */
  ACCEPT_PAUSED = 8,
  /** a: body bytes at slab[record[BODY_OFFSET], +a) (the slab given to ioBodySlab), not
   * copied; b: 1 when the body is complete. */
  BODY_SLAB = 9,
  /** a: bytes read straight into the connection's body target (ioBodyTarget); b: 1 when the body is complete. */
  BODY_TARGET = 10,
}

/** native/packet_frame.h RejectReason. */
export const enum RejectReason {
  UNSUPPORTED_MODIFIER = 1,
  VARS_TOO_LARGE = 2,
  VARS_MALFORMED = 3,
  HEADER_TRUNCATED = 4,
  VARS_TRUNCATED = 5,
  HEAD_TIMEOUT = 6,
  PEER_NOT_ALLOWED = 9,
}

export const enum AbortReason {
  /** Reset or closed while the app works on the response. */
  RESET = 1,
  /** Reset while the body was being read. */
  BODY_RESET = 2,
  /** Closed with body bytes missing; detail: how many. */
  BODY_TRUNCATED = 3,
  /** The body was silent for longer than the body idle timeout. */
  BODY_TIMEOUT = 4,
}

/** ioWrite results other than a count of bytes still queued (>= 0). */
export const WRITE_GONE = -1;
export const WRITE_CLOSED = -2;

/** Indexes of the limits Float64Array given to ioInit. */
export const enum Limit {
  MAX_VARS_BLOCK = 0,
  LIMIT_POST = 1,
  INLINE_BODY_MAX = 2,
  HEAD_DEADLINE_MS = 3,
  BODY_IDLE_MS = 4,
  DRAIN_TIMEOUT_MS = 5,
  DRAIN_MAX_BYTES = 6,
  MAX_CONNECTIONS = 7,
  /** Native code reads into the body slab only while it has this much free. */
  BODY_SLAB_MIN_FREE = 8,
  LENGTH = 9,
}
