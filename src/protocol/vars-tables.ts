/**
 * The result tables both vars parsers write into, and their layout (the same as
 * native/vars_parser.h).
 *
 * One ArrayBuffer holds knownIndex then pairs back to back, so a snapshot of a result
 * (Environ.fromParser) is one copy of [0, KNOWN_KEY_COUNT + 4 * count).
 */
import { markAsUntransferable } from 'node:worker_threads';
import { KNOWN_KEY_COUNT } from './known-keys';

/** Ints per pair in the pairs table. */
export const PAIR_STRIDE = 4;
/** Known key id, or UNKNOWN_KEY_ID. */
export const PAIR_KEY_ID = 0;
/** Key bytes are [keyStart, valueStart - VALUE_LENGTH_SIZE). */
export const PAIR_KEY_START = 1;
/** Value bytes are [valueStart, valueEnd). */
export const PAIR_VALUE_START = 2;
export const PAIR_VALUE_END = 3;
/** The u16 value length sits between a key and its value. */
export const VALUE_LENGTH_SIZE = 2;

export const UNKNOWN_KEY_ID = -1;
/** knownIndex entry of a known key that is absent. */
export const NOT_PRESENT = -1;

/** Pairs written (on an error: the complete pairs before it). */
export const META_PAIR_COUNT = 0;
/** Later occurrences of an already-seen known key. */
export const META_DUPLICATES = 1;
/** Offset (relative to the block) of the faulty length field; 0 on success. */
export const META_ERROR_OFFSET = 2;
export const META_LENGTH = 3;

/**
 * The smallest var is 5 bytes (two lengths and a 1-byte key), so a 65535-byte block holds
 * at most 13107 vars: a larger table could never fill.
 */
export const MAX_VARS_CEILING = Math.floor(0xffff / 5);

export interface VarsTables {
  readonly pairs: Int32Array;
  readonly knownIndex: Int32Array;
  readonly meta: Int32Array;
}

export function createVarsTables(maxVars: number): VarsTables {
  if (!Number.isInteger(maxVars) || maxVars < 0 || maxVars > MAX_VARS_CEILING) {
    throw new RangeError(`maxVars must be an integer in [0, ${MAX_VARS_CEILING}], got ${String(maxVars)}`);
  }
  const results = new Int32Array(KNOWN_KEY_COUNT + maxVars * PAIR_STRIDE);
  const meta = new Int32Array(META_LENGTH);
  // The native parser keeps raw pointers into these buffers: transferring one to another
  // thread would detach it under the parser's feet.
  markAsUntransferable(results.buffer);
  markAsUntransferable(meta.buffer);
  const knownIndex = results.subarray(0, KNOWN_KEY_COUNT);
  knownIndex.fill(NOT_PRESENT);
  return { pairs: results.subarray(KNOWN_KEY_COUNT), knownIndex, meta };
}
