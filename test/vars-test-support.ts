/**
 * What the vars parser and Environ tests share: both parser kinds (the native one must be
 * available here: a missing addon fails these tests, it does not skip them) and a seeded
 * PRNG.
 */
import * as assert from 'node:assert/strict';
import { loadAddon, type NativeAddon } from '../src/addon';
import { createJsVarsParser, createNativeVarsParser, type VarsParser } from '../src/protocol/vars-parser';

export function requireAddon(): NativeAddon {
  const load = loadAddon();
  assert.ok(load.ok, `the native addon must be built for these tests (npx node-gyp rebuild): ${load.ok ? '' : load.reason}`);
  return load.addon;
}

export type ParserFactory = { kind: 'js' | 'native'; create: (maxVars: number) => VarsParser };

export const PARSER_FACTORIES: readonly ParserFactory[] = [
  { kind: 'js', create: createJsVarsParser },
  { kind: 'native', create: createNativeVarsParser },
];

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** UWSGI_TS_TEST_SEED replays a failing run; otherwise a fresh seed each run. */
export function testSeed(): number {
  const fromEnv = process.env.UWSGI_TS_TEST_SEED;
  return fromEnv === undefined ? (Math.random() * 0x100000000) >>> 0 : Number(fromEnv) >>> 0;
}
