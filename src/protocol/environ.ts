/**
 * The request's uwsgi vars as the app and the worker see them: a snapshot of one parse,
 * read lazily.
 *
 * fromParser copies two things out of the parser's shared tables: the block as one latin1
 * string, and the result table (knownIndex + pairs) into a shared arena
 * (snapshot-arena.ts). Values are cut from the string with substring only when asked for;
 * known keys map to constant strings (KNOWN_KEYS), so a lookup by known id neither
 * compares nor copies a key.
 *
 * Repeated keys merge as var-merge.ts says: HTTP_* with ", " (HTTP_COOKIE with "; "),
 * unknown keys with ", ", and singletons (known CGI vars, HTTP_HOST, HTTP_CONTENT_LENGTH)
 * keep their first value; a singleton repeated with a different value is reported by
 * conflictingKey() so the worker can answer 400 (never first-wins here, last-wins there).
 *
 * Values are latin1: byte 0x00-0xFF becomes U+0000-U+00FF, as node:http does for headers.
 */
import { KNOWN_KEYS, KNOWN_KEY_COUNT, KNOWN_KEY_IDS } from './known-keys';
import { COMMA_SEPARATOR, COOKIE_SEPARATOR, KNOWN_MERGE_RULES, MergeRule } from './var-merge';
import type { VarsParser } from './vars-parser';
import {
  META_DUPLICATES,
  META_PAIR_COUNT,
  PAIR_KEY_ID,
  PAIR_KEY_START,
  PAIR_STRIDE,
  PAIR_VALUE_END,
  PAIR_VALUE_START,
  UNKNOWN_KEY_ID,
  VALUE_LENGTH_SIZE,
} from './vars-tables';
import { objectKeyByKey, ROOT_SHAPE, type ShapeNode } from './environ-shapes';
import { MAX_ARENA_SNAPSHOT_INTS, SnapshotArena } from './snapshot-arena';
import { latin1Slice } from './latin1';

/** In a snapshot table, knownIndex comes first and the pairs follow. */
const PAIRS_BASE = KNOWN_KEY_COUNT;

/**
 * Up to this many distinct unknown keys are deduplicated by comparing strings directly; a
 * Map costs ~80 ns per fresh key string (it hashes every one), a length check and compare
 * a few ns. nginx packets carry 0-5 unknown keys.
 */
const LINEAR_UNKNOWN_KEYS = 8;

/** The unknown (not in KNOWN_KEYS) keys of one Environ, indexed on first use. */
class UnknownKeyIndex {
  /** Per pair index, for unknown pairs: the key, one string object per distinct key. */
  readonly names: (string | undefined)[] = [];
  /** Per pair index, for unknown pairs: the first pair index with the same key. */
  readonly firstOf: number[] = [];
  /** First pair index of each distinct unknown key, in block order. */
  readonly distinct: number[] = [];
  /** First pair index → every pair index of that key, for keys that repeat (rare). */
  readonly repeats = new Map<number, number[]>();
  /** Unknown pairs, repeats included. */
  pairCount = 0;
  /** Key → first pair index, once there are more than LINEAR_UNKNOWN_KEYS distinct keys. */
  private byName: Map<string, number> | undefined;

  /** First pair index of key, or -1. */
  find(key: string): number {
    if (this.byName !== undefined) return this.byName.get(key) ?? -1;
    for (const first of this.distinct) {
      const name = this.names[first] as string;
      if (name.length === key.length && name === key) return first;
    }
    return -1;
  }

  add(i: number, key: string): void {
    this.pairCount++;
    const first = this.find(key);
    if (first < 0) {
      this.names[i] = key;
      this.firstOf[i] = i;
      this.distinct.push(i);
      if (this.byName !== undefined) this.byName.set(key, i);
      else if (this.distinct.length > LINEAR_UNKNOWN_KEYS) {
        this.byName = new Map(this.distinct.map((d) => [this.names[d] as string, d]));
      }
      return;
    }
    this.names[i] = this.names[first];
    this.firstOf[i] = first;
    const all = this.repeats.get(first);
    if (all === undefined) this.repeats.set(first, [first, i]);
    else all.push(i);
  }
}

const ARENA = new SnapshotArena();

/** The last all-known, repeat-free key sequence toObject() built, and its shape. */
let lastKnownIds = new Int32Array(0);
let lastKnownShape: ShapeNode | null = null;

/** Per parser (keyed by its knownIndex): views of [knownIndex + count pairs] by count. */
type ResultViews = (Int32Array | undefined)[];
const resultViewsByParser = new WeakMap<Int32Array, ResultViews | null>();
/** One process normally has one parser: remember it without a WeakMap lookup. */
let lastKnownIndex: Int32Array | undefined;
let lastViews: ResultViews | null = null;

/**
 * A view of the parser's knownIndex followed by its first `count` pairs, or null when the
 * two tables are not back to back in one buffer (a parser made elsewhere than
 * vars-tables.ts). Views are made once per count and reused, so this allocates nothing.
 */
function resultView(p: VarsParser, count: number): Int32Array | null {
  const knownIndex = p.knownIndex;
  let views: ResultViews | null | undefined;
  if (knownIndex === lastKnownIndex) {
    views = lastViews;
  } else {
    views = resultViewsByParser.get(knownIndex);
    if (views === undefined) {
      const { pairs } = p;
      const contiguous =
        knownIndex.buffer === pairs.buffer &&
        knownIndex.length === KNOWN_KEY_COUNT &&
        pairs.byteOffset === knownIndex.byteOffset + KNOWN_KEY_COUNT * Int32Array.BYTES_PER_ELEMENT;
      views = contiguous ? [] : null;
      resultViewsByParser.set(knownIndex, views);
    }
    lastKnownIndex = knownIndex;
    lastViews = views;
  }
  if (views === null) return null;
  return (views[count] ??= new Int32Array(knownIndex.buffer, knownIndex.byteOffset, PAIRS_BASE + count * PAIR_STRIDE));
}

/** A copy of knownIndex and the first `count` pairs in an array of their own. */
function separateCopy(p: VarsParser, count: number): Int32Array {
  const table = new Int32Array(PAIRS_BASE + count * PAIR_STRIDE);
  table.set(p.knownIndex.subarray(0, KNOWN_KEY_COUNT));
  table.set(p.pairs.subarray(0, count * PAIR_STRIDE), PAIRS_BASE);
  return table;
}

export class Environ {
  /** Raw pair count (repeats included). */
  readonly size: number;
  /** The vars block as a latin1 string; pair offsets index into it. */
  private readonly block: string;
  /**
   * The snapshot: from `known`, KNOWN_KEY_COUNT entries of first pair index per known id
   * (-1: absent); from `pairs`, 4 ints per pair. Usually a window of a shared arena.
   */
  private readonly table: Int32Array;
  private readonly known: number;
  private readonly pairs: number;
  /** Later occurrences of already-seen known keys (the parser's meta[1]). */
  private readonly knownDuplicates: number;
  /** Built on first use: most requests only ever look up known keys. */
  private unknownKeys: UnknownKeyIndex | undefined;
  /** Per known id, how many pairs have it; counted on first use, only when knownDuplicates > 0. */
  private knownCounts: number[] | undefined;
  private conflict: string | null | undefined;

  private constructor(block: string, table: Int32Array, base: number, size: number, knownDuplicates: number) {
    this.block = block;
    this.table = table;
    this.known = base;
    this.pairs = base + PAIRS_BASE;
    this.size = size;
    this.knownDuplicates = knownDuplicates;
    this.unknownKeys = undefined;
    this.knownCounts = undefined;
    this.conflict = undefined;
  }

  /**
   * Snapshots the parser's last result for buf[start, end). Call it only after
   * p.parse(buf, start, end) returned a count >= 0; the Environ stays valid after the
   * parser moves on to other packets and after buf is reused.
   */
  static fromParser(p: VarsParser, buf: Uint8Array, start: number, end: number): Environ {
    return Environ.fromParsedBlock(p, latin1Slice.call(buf, start, end));
  }

  /**
   * The same snapshot, with the block already a string: what p.parseBlock() returned
   * (call it right after that parse).
   */
  static fromParsedBlock(p: VarsParser, block: string): Environ {
    const size = p.meta[META_PAIR_COUNT];
    const duplicates = p.meta[META_DUPLICATES];
    const view = resultView(p, size);
    if (view === null) return new Environ(block, separateCopy(p, size), 0, size, duplicates);
    if (view.length > MAX_ARENA_SNAPSHOT_INTS) return new Environ(block, view.slice(), 0, size, duplicates);
    const base = ARENA.copy(view);
    return new Environ(block, ARENA.current, base, size, duplicates);
  }

  /** The merged value of a key, or undefined when absent. */
  get(name: string): string | undefined {
    const id = KNOWN_KEY_IDS.get(name);
    if (id !== undefined) return this.getKnown(id);
    const index = this.unknownIndex();
    const first = index.find(name);
    return first < 0 ? undefined : this.mergedUnknown(index, first);
  }

  /** The merged value of a known key by id (K.REQUEST_METHOD, …), or undefined. */
  getKnown(id: number): string | undefined {
    if (id >>> 0 !== id || id >= KNOWN_KEY_COUNT) return undefined;
    const first = this.table[this.known + id];
    if (first < 0) return undefined;
    if (this.knownDuplicates !== 0) return this.mergedKnown(id, first);
    return this.valueAt(first);
  }

  has(name: string): boolean {
    const id = KNOWN_KEY_IDS.get(name);
    if (id !== undefined) return this.table[this.known + id] >= 0;
    return this.unknownIndex().find(name) >= 0;
  }

  /** Every raw value of a key, in block order. */
  getAll(name: string): string[] {
    const id = KNOWN_KEY_IDS.get(name);
    if (id === undefined) {
      const index = this.unknownIndex();
      const first = index.find(name);
      if (first < 0) return [];
      return (index.repeats.get(first) ?? [first]).map((i) => this.valueAt(i));
    }
    const first = this.table[this.known + id];
    if (first < 0) return [];
    const values = [this.valueAt(first)];
    if (this.knownDuplicates !== 0 && this.knownCount(id) > 1) {
      for (let i = first + 1; i < this.size; i++) {
        if (this.keyIdAt(i) === id) values.push(this.valueAt(i));
      }
    }
    return values;
  }

  /** Distinct keys, in order of first occurrence. */
  keys(): string[] {
    const keys: string[] = [];
    const t = this.table;
    for (let i = 0; i < this.size; i++) {
      const id = t[this.pairs + i * PAIR_STRIDE + PAIR_KEY_ID];
      if (id >= 0) {
        if (t[this.known + id] === i) keys.push(KNOWN_KEYS[id]);
      } else {
        const index = this.unknownIndex();
        if (index.firstOf[i] === i) keys.push(index.names[i] as string);
      }
    }
    return keys;
  }

  /**
   * Every distinct key with its merged value, keys in first-occurrence order. A key named
   * "__proto__" becomes an own data property (the prototype is never touched).
   */
  toObject(): Record<string, string> {
    const t = this.table;
    const size = this.size;
    // nginx sends the same all-known key sequence on every request of a location: when
    // this one is the last such sequence again, take its shape without walking the trie.
    if (this.knownDuplicates === 0 && lastKnownShape !== null && lastKnownIds.length === size && this.hasKnownIds(lastKnownIds)) {
      const values = new Array<string>(size);
      for (let i = 0; i < size; i++) values[i] = this.valueAt(i);
      return lastKnownShape.build(values, () => this.keys());
    }
    const values: string[] = [];
    let shape: ShapeNode | null = ROOT_SHAPE;
    let allKnown = this.knownDuplicates === 0;
    for (let i = 0; i < this.size; i++) {
      const id = t[this.pairs + i * PAIR_STRIDE + PAIR_KEY_ID];
      if (id >= 0) {
        if (t[this.known + id] !== i) continue;
        values.push(this.knownDuplicates === 0 ? this.valueAt(i) : this.mergedKnown(id, i));
        if (shape !== null) shape = shape.next(id, undefined);
      } else {
        allKnown = false;
        const index = this.unknownIndex();
        if (index.firstOf[i] !== i) continue;
        values.push(this.mergedUnknown(index, i));
        if (shape !== null) shape = shape.next(UNKNOWN_KEY_ID, index.names[i]);
      }
    }
    if (shape === null) return objectKeyByKey(this.keys(), values);
    if (allKnown) {
      const ids = new Int32Array(size);
      for (let i = 0; i < size; i++) ids[i] = t[this.pairs + i * PAIR_STRIDE + PAIR_KEY_ID];
      lastKnownIds = ids;
      lastKnownShape = shape;
    }
    return shape.build(values, () => this.keys());
  }

  /** Whether the pairs are exactly these known ids, in this order (size already equal). */
  private hasKnownIds(ids: Int32Array): boolean {
    const t = this.table;
    for (let i = 0, at = this.pairs + PAIR_KEY_ID; i < ids.length; i++, at += PAIR_STRIDE) {
      if (t[at] !== ids[i]) return false;
    }
    return true;
  }

  /** Every raw pair in block order; keyId is the known id or -1. */
  forEach(cb: (value: string, key: string, keyId: number) => void): void {
    const t = this.table;
    for (let i = 0; i < this.size; i++) {
      const id = t[this.pairs + i * PAIR_STRIDE + PAIR_KEY_ID];
      cb(this.valueAt(i), id >= 0 ? KNOWN_KEYS[id] : this.keyAt(i), id);
    }
  }

  /** Whether any key, known or not, appears more than once. */
  get hasDuplicates(): boolean {
    if (this.knownDuplicates !== 0) return true;
    if (this.unknownKeys === undefined) {
      // Fewer than two unknown pairs cannot repeat: answer without making key strings.
      let unknownPairs = 0;
      for (let i = 0; i < this.size && unknownPairs < 2; i++) if (this.keyIdAt(i) < 0) unknownPairs++;
      if (unknownPairs < 2) return false;
    }
    const index = this.unknownIndex();
    return index.distinct.length < index.pairCount;
  }

  /**
   * The first singleton key (block order of the repeat) that is repeated with a different
   * value, or null. The worker answers 400 when this is not null. Only known keys are
   * singletons, so this is O(1) when no known key repeats.
   */
  conflictingKey(): string | null {
    if (this.conflict === undefined) this.conflict = this.findConflict();
    return this.conflict;
  }

  // ---- internals ----

  /** Known id of pair i (block order, repeats included; i < size), or -1 for an unknown key. */
  keyIdAt(i: number): number {
    return this.table[this.pairs + i * PAIR_STRIDE + PAIR_KEY_ID];
  }

  /** Key string of pair i (a constant for known keys). */
  keyAt(i: number): string {
    const b = this.pairs + i * PAIR_STRIDE;
    const id = this.table[b + PAIR_KEY_ID];
    if (id >= 0) return KNOWN_KEYS[id];
    return this.block.substring(this.table[b + PAIR_KEY_START], this.table[b + PAIR_VALUE_START] - VALUE_LENGTH_SIZE);
  }

  /** Raw value of pair i (not merged with repeats). */
  valueAt(i: number): string {
    const b = this.pairs + i * PAIR_STRIDE;
    return this.block.substring(this.table[b + PAIR_VALUE_START], this.table[b + PAIR_VALUE_END]);
  }

  private mergedKnown(id: number, first: number): string {
    const rule = KNOWN_MERGE_RULES[id];
    let merged = this.valueAt(first);
    if (rule === MergeRule.SINGLETON || this.knownCount(id) === 1) return merged;
    const separator = rule === MergeRule.SEMICOLON ? COOKIE_SEPARATOR : COMMA_SEPARATOR;
    for (let i = first + 1; i < this.size; i++) {
      if (this.keyIdAt(i) === id) merged += separator + this.valueAt(i);
    }
    return merged;
  }

  /** Pairs with known id `id` (used only when some known key repeats). */
  private knownCount(id: number): number {
    if (this.knownCounts === undefined) {
      const counts = new Array<number>(KNOWN_KEY_COUNT).fill(0);
      for (let i = 0; i < this.size; i++) {
        const pairId = this.keyIdAt(i);
        if (pairId >= 0) counts[pairId]++;
      }
      this.knownCounts = counts;
    }
    return this.knownCounts[id];
  }

  private joinValues(indices: readonly number[], separator: string): string {
    let joined = this.valueAt(indices[0]);
    for (let k = 1; k < indices.length; k++) joined += separator + this.valueAt(indices[k]);
    return joined;
  }

  private mergedUnknown(index: UnknownKeyIndex, first: number): string {
    const all = index.repeats.get(first);
    return all === undefined ? this.valueAt(first) : this.joinValues(all, COMMA_SEPARATOR);
  }

  private unknownIndex(): UnknownKeyIndex {
    if (this.unknownKeys !== undefined) return this.unknownKeys;
    const index = new UnknownKeyIndex();
    for (let i = 0; i < this.size; i++) {
      if (this.keyIdAt(i) < 0) index.add(i, this.keyAt(i));
    }
    this.unknownKeys = index;
    return index;
  }

  private findConflict(): string | null {
    if (this.knownDuplicates === 0) return null;
    const t = this.table;
    for (let i = 0; i < this.size; i++) {
      const id = this.keyIdAt(i);
      if (id < 0 || KNOWN_MERGE_RULES[id] !== MergeRule.SINGLETON) continue;
      const first = t[this.known + id];
      if (first !== i && this.valueAt(first) !== this.valueAt(i)) return KNOWN_KEYS[id];
    }
    return null;
  }
}
