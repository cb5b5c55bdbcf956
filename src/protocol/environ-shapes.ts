/**
 * Environ.toObject()'s object factories, one per key sequence.
 *
 * An object built key by key with computed names drops into V8's slow dictionary mode past
 * ~16 properties (a request has 15-40), which makes building it ~6x slower and every later
 * read slower too. An object literal with the names written out is built from a
 * boilerplate in one step (measured: ~50 ns for 22 keys against ~300-800 ns key by key).
 * nginx sends the same key sequence for every request of a location, so a literal compiled
 * once per sequence serves nearly every request.
 *
 * Sequences are kept in a trie: known keys are matched by id, unknown keys by string.
 * Both the trie and the number of compiled literals are bounded, because clients choose
 * which headers (hence which unknown keys) arrive; past the bounds, objects are built key by
 * key, which is slower but the same result.
 */

/** Builds the object of one key sequence from its values, in sequence order. */
type ObjectFactory = (values: readonly string[]) => Record<string, string>;

/**
 * Compiled literals per process. An app has a handful of nginx locations, each with a
 * stable sequence (plus variants for optional headers); 64 covers that many times over.
 */
export const MAX_COMPILED_SHAPES = 64;
/** Trie nodes per process: 64 shapes of ~40 keys with room to spare, a few hundred KiB at most. */
export const MAX_SHAPE_NODES = 4096;
/** Longer sequences are built key by key: a literal of hundreds of keys is slow to compile. */
export const MAX_SHAPE_KEYS = 128;

const PROTO_KEY = '__proto__';

let nodeCount = 1;
let compiledCount = 0;
/** Set when code generation is not allowed (--disallow-code-generation-from-strings). */
let codegenUnavailable = false;

export class ShapeNode {
  private readonly childIds: number[] = [];
  private readonly childKeys: (string | undefined)[] = [];
  private readonly children: ShapeNode[] = [];
  private factory: ObjectFactory | undefined;

  constructor(private readonly depth: number) {}

  /**
   * The node after one more key (id >= 0 for a known key, -1 and the key string for an
   * unknown one), or null when the sequence is not cached and the budget is spent.
   */
  next(id: number, key: string | undefined): ShapeNode | null {
    const ids = this.childIds;
    for (let j = 0; j < ids.length; j++) {
      if (ids[j] === id && (id >= 0 || this.childKeys[j] === key)) return this.children[j];
    }
    if (nodeCount >= MAX_SHAPE_NODES || this.depth >= MAX_SHAPE_KEYS) return null;
    nodeCount++;
    const child = new ShapeNode(this.depth + 1);
    ids.push(id);
    this.childKeys.push(id >= 0 ? undefined : key);
    this.children.push(child);
    return child;
  }

  /** The object for this node's sequence; keys() is called only to compile it. */
  build(values: readonly string[], keys: () => readonly string[]): Record<string, string> {
    if (this.factory !== undefined) return this.factory(values);
    if (compiledCount >= MAX_COMPILED_SHAPES || codegenUnavailable) return objectKeyByKey(keys(), values);
    const factory = compileFactory(keys());
    if (factory === undefined) return objectKeyByKey(keys(), values);
    compiledCount++;
    this.factory = factory;
    return factory(values);
  }
}

/** The empty sequence. */
export const ROOT_SHAPE = new ShapeNode(0);

function compileFactory(keys: readonly string[]): ObjectFactory | undefined {
  // JSON.stringify makes a valid JS string literal of any key. A plain "__proto__": x
  // entry would set the prototype, so that one key is written as a computed name, which
  // defines an own property.
  const entries = keys.map((key, i) => `${key === PROTO_KEY ? '["__proto__"]' : JSON.stringify(key)}: v[${i}]`);
  try {
    return new Function('v', `"use strict"; return {${entries.join(', ')}};`) as ObjectFactory;
  } catch {
    codegenUnavailable = true;
    return undefined;
  }
}

/** The uncached path: same object, built one key at a time. */
export function objectKeyByKey(keys: readonly string[], values: readonly string[]): Record<string, string> {
  const object: Record<string, string> = {};
  for (let i = 0; i < keys.length; i++) {
    if (keys[i] === PROTO_KEY) {
      Object.defineProperty(object, PROTO_KEY, { value: values[i], writable: true, enumerable: true, configurable: true });
    } else {
      object[keys[i]] = values[i];
    }
  }
  return object;
}
