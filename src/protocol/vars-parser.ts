/**
 * Picks the vars-block parser: the native one (the addon) or the TS one, which share one
 * contract (native/vars_parser.h) and one table layout (vars-tables.ts).
 *
 * Several parsers may live in one process (each worker has one; tests make many). Each
 * native parser registers its own tables with the addon through parserBind and gets a
 * native parse function bound to them, so parsers never share or steal each other's
 * tables, and parse is that native function itself: no JS wrapper on the hot path.
 */
import { loadAddon, type NativeAddon } from '../addon';
import type { Logger } from '../log';
import { parseVarsJs } from './vars-parser-js';
import { createVarsTables, PAIR_STRIDE } from './vars-tables';
import { latin1Slice } from './latin1';

export interface VarsParser {
  readonly kind: 'native' | 'js';
  /** Shared result tables, the same objects for the parser's life (layout: vars-tables.ts). */
  readonly pairs: Int32Array;
  readonly knownIndex: Int32Array;
  readonly meta: Int32Array;
  /** Parses buf[start, end): the pair count (>= 0) or a negative ParseStatus. */
  parse(buf: Uint8Array, start: number, end: number): number;
  /** The same parse; returns buf[start, end) as a latin1 string (what Environ keeps) when
   * it parsed, else the negative ParseStatus. */
  parseBlock(buf: Uint8Array, start: number, end: number): string | number;
}


export type ParserPreference = 'auto' | 'native' | 'js';

/** The values of --parser (UWSGI_TS_PARSER). */
export const PARSER_PREFERENCES = ['auto', 'native', 'js'] as const satisfies readonly ParserPreference[];

export function createJsVarsParser(maxVars: number): VarsParser {
  const { pairs, knownIndex, meta } = createVarsTables(maxVars);
  const maxPairs = pairs.length / PAIR_STRIDE;
  const parse = (buf: Uint8Array, start: number, end: number): number =>
    parseVarsJs(buf, start, end, pairs, maxPairs, knownIndex, meta);
  return Object.freeze({
    kind: 'js' as const,
    pairs,
    knownIndex,
    meta,
    parse,
    parseBlock: (buf: Uint8Array, start: number, end: number): string | number => {
      const status = parse(buf, start, end);
      return status < 0 ? status : latin1Slice.call(buf, start, end);
    },
  });
}

/** The addon, or why it cannot run the native parser. */
function nativeAddon(): { ok: true; addon: NativeAddon } | { ok: false; reason: string } {
  const load = loadAddon();
  if (!load.ok) return load;
  if (typeof load.addon.parserBind !== 'function' || typeof load.addon.parserBindBlock !== 'function') {
    return { ok: false, reason: 'the loaded addon has no parserBind (a stale build: rebuild it with node-gyp)' };
  }
  return load;
}

function nativeParser(addon: NativeAddon, maxVars: number): VarsParser {
  const { pairs, knownIndex, meta } = createVarsTables(maxVars);
  return Object.freeze({
    kind: 'native' as const,
    pairs,
    knownIndex,
    meta,
    parse: addon.parserBind(pairs, knownIndex, meta),
    parseBlock: addon.parserBindBlock(pairs, knownIndex, meta),
  });
}

/** Throws an Error saying why when the addon is unavailable. */
export function createNativeVarsParser(maxVars: number): VarsParser {
  const load = nativeAddon();
  if (!load.ok) throw new Error(`the native vars parser is unavailable: ${load.reason}`);
  return nativeParser(load.addon, maxVars);
}

/**
 * 'auto': native, or js with one warn line saying why the addon is unavailable.
 * 'native': throws if unavailable. 'js': js. Reads nothing from the environment itself.
 */
export function selectVarsParser(pref: ParserPreference, maxVars: number, log: Logger): VarsParser {
  if (pref === 'js') return createJsVarsParser(maxVars);
  const load = nativeAddon();
  if (load.ok) return nativeParser(load.addon, maxVars);
  if (pref === 'native') throw new Error(`the native vars parser was requested but is unavailable: ${load.reason}`);
  log.warn('vars_parser_fallback', { parser: 'js', reason: load.reason });
  return createJsVarsParser(maxVars);
}
