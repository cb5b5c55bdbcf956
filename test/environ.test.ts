import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Environ } from '../src/protocol/environ';
import { objectKeyByKey } from '../src/protocol/environ-shapes';
import { K, KNOWN_KEY_COUNT, KNOWN_KEY_IDS, KNOWN_KEYS } from '../src/protocol/known-keys';
import { mergeRuleOf, MergeRule } from '../src/protocol/var-merge';
import { type VarsParser } from '../src/protocol/vars-parser';
import { DEFAULT_MAX_VARS } from '../src/protocol/limits';
import { parseVarsJs } from '../src/protocol/vars-parser-js';
import { type Bytes, encodeVars, fromFixtureBytes, loadFixtures } from './fixtures/packet-fixtures';
import { PARSER_FACTORIES, requireAddon, seededRandom, testSeed } from './vars-test-support';
import { ARENA_INTS } from '../src/protocol/snapshot-arena';

requireAddon();

type Vars = (readonly [Bytes, Bytes])[];

function environOf(parser: VarsParser, vars: Vars): Environ {
  const block = encodeVars(vars);
  // Somewhere inside a larger buffer, as in a real read buffer.
  const buf = Buffer.concat([Buffer.from('junk'), block, Buffer.from('body')]);
  const count = parser.parse(buf, 4, 4 + block.length);
  assert.ok(count >= 0, `parse failed: ${count}`);
  return Environ.fromParser(parser, buf, 4, 4 + block.length);
}

/** The merge rules written out plainly, as the reference for Environ. */
function referenceMerge(pairs: [string, string][]): { merged: Map<string, string>; conflict: string | null } {
  const values = new Map<string, string[]>();
  for (const [key, value] of pairs) {
    const list = values.get(key);
    if (list === undefined) values.set(key, [value]);
    else list.push(value);
  }
  const merged = new Map<string, string>();
  let conflict: string | null = null;
  let conflictAt = Infinity;
  for (const [key, list] of values) {
    const rule = mergeRuleOf(key);
    if (rule === MergeRule.SINGLETON) {
      merged.set(key, list[0]);
      const at = pairs.findIndex(([k, v]) => k === key && v !== list[0]);
      if (at >= 0 && at < conflictAt) {
        conflict = key;
        conflictAt = at;
      }
    } else {
      merged.set(key, list.join(rule === MergeRule.SEMICOLON ? '; ' : ', '));
    }
  }
  return { merged, conflict };
}

for (const { kind, create } of PARSER_FACTORIES) {
  describe(`Environ (${kind} parser)`, () => {
    const parser = create(DEFAULT_MAX_VARS);

    it('merges repeated HTTP_* keys with ", " and HTTP_COOKIE with "; "', () => {
      const env = environOf(parser, [
        ['REQUEST_METHOD', 'GET'],
        ['HTTP_ACCEPT', 'text/html'],
        ['HTTP_COOKIE', 'a=1'],
        ['HTTP_ACCEPT', 'application/json'],
        ['HTTP_X_CUSTOM', 'one'],
        ['HTTP_COOKIE', 'b=2'],
        ['HTTP_X_CUSTOM', 'two'],
        ['OTHER', 'x'],
        ['OTHER', 'y'],
      ]);
      assert.equal(env.get('HTTP_ACCEPT'), 'text/html, application/json');
      assert.equal(env.getKnown(K.HTTP_ACCEPT), 'text/html, application/json');
      assert.equal(env.get('HTTP_COOKIE'), 'a=1; b=2');
      assert.equal(env.get('HTTP_X_CUSTOM'), 'one, two');
      assert.equal(env.get('OTHER'), 'x, y');
      assert.deepEqual(env.getAll('HTTP_ACCEPT'), ['text/html', 'application/json']);
      assert.deepEqual(env.getAll('HTTP_X_CUSTOM'), ['one', 'two']);
      assert.deepEqual(env.getAll('REQUEST_METHOD'), ['GET']);
      assert.deepEqual(env.getAll('MISSING'), []);
      assert.deepEqual(env.getAll('HTTP_HOST'), []);
      assert.equal(env.size, 9);
      assert.equal(env.hasDuplicates, true);
      assert.equal(env.conflictingKey(), null);
      assert.deepEqual(env.keys(), ['REQUEST_METHOD', 'HTTP_ACCEPT', 'HTTP_COOKIE', 'HTTP_X_CUSTOM', 'OTHER']);
      assert.deepEqual(env.toObject(), {
        REQUEST_METHOD: 'GET',
        HTTP_ACCEPT: 'text/html, application/json',
        HTTP_COOKIE: 'a=1; b=2',
        HTTP_X_CUSTOM: 'one, two',
        OTHER: 'x, y',
      });
    });

    it('singletons: the same value twice is that value; different values are a conflict', () => {
      const same = environOf(parser, [
        ['CONTENT_LENGTH', '5'],
        ['HTTP_HOST', 'a'],
        ['CONTENT_LENGTH', '5'],
        ['HTTP_HOST', 'a'],
      ]);
      assert.equal(same.get('CONTENT_LENGTH'), '5');
      assert.equal(same.get('HTTP_HOST'), 'a');
      assert.equal(same.conflictingKey(), null);
      assert.equal(same.hasDuplicates, true);

      for (const key of ['CONTENT_LENGTH', 'REQUEST_METHOD', 'PATH_INFO', 'HTTP_HOST', 'HTTP_CONTENT_LENGTH', 'HTTPS']) {
        const env = environOf(parser, [
          [key, 'first'],
          ['HTTP_ACCEPT', 'a'],
          [key, 'second'],
        ]);
        assert.equal(env.conflictingKey(), key);
        assert.equal(env.get(key), 'first', 'a lookup returns the first value');
        assert.equal(env.getKnown(KNOWN_KEY_IDS.get(key)!), 'first');
        assert.deepEqual(env.getAll(key), ['first', 'second']);
        assert.equal(env.toObject()[key], 'first');
      }
    });

    it('conflictingKey names the first conflict in block order', () => {
      const env = environOf(parser, [
        ['PATH_INFO', '/a'],
        ['REQUEST_METHOD', 'GET'],
        ['REQUEST_METHOD', 'POST'],
        ['PATH_INFO', '/b'],
      ]);
      assert.equal(env.conflictingKey(), 'REQUEST_METHOD');
      assert.equal(env.conflictingKey(), 'REQUEST_METHOD', 'cached, same answer');
    });

    it('hasDuplicates: none, a known repeat, an unknown repeat', () => {
      assert.equal(environOf(parser, [['A', '1'], ['B', '1'], ['REQUEST_METHOD', 'GET']]).hasDuplicates, false);
      assert.equal(environOf(parser, [['A', '1'], ['A', '2']]).hasDuplicates, true);
      assert.equal(environOf(parser, [['HTTP_DNT', '1'], ['HTTP_DNT', '1']]).hasDuplicates, true);
      assert.equal(environOf(parser, []).hasDuplicates, false);
    });

    it('a key named __proto__ is an own data property; the prototype is untouched', () => {
      const env = environOf(parser, [
        ['__proto__', 'polluted'],
        ['constructor', 'c'],
        ['toString', 't'],
        ['REQUEST_METHOD', 'GET'],
      ]);
      for (let round = 0; round < 3; round++) {
        // Round 0 compiles the shape, later rounds reuse it.
        const object = env.toObject();
        assert.equal(Object.getPrototypeOf(object), Object.prototype);
        assert.ok(Object.prototype.hasOwnProperty.call(object, '__proto__'));
        assert.equal(Object.getOwnPropertyDescriptor(object, '__proto__')?.value, 'polluted');
        assert.deepEqual(Object.keys(object), ['__proto__', 'constructor', 'toString', 'REQUEST_METHOD']);
        assert.equal(object.toString, 't');
        assert.equal(({} as Record<string, unknown>).polluted, undefined);
      }
      assert.equal(env.get('__proto__'), 'polluted');
      assert.equal(env.has('__proto__'), true);
      assert.equal(env.get('constructor'), 'c');
      assert.equal(env.has('hasOwnProperty'), false);
      const slow = objectKeyByKey(['__proto__', 'a'], ['p', 'b']);
      assert.equal(Object.getPrototypeOf(slow), Object.prototype);
      assert.equal(Object.getOwnPropertyDescriptor(slow, '__proto__')?.value, 'p');
    });

    it('latin1: every byte value round-trips in keys and values; NUL never truncates', () => {
      const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      const key = Buffer.concat([Buffer.from('K'), all]);
      const env = environOf(parser, [
        [key, all],
        ['HTTP_USER_AGENT', Buffer.from([0x00, 0x41, 0x00, 0xe9, 0xff])],
      ]);
      const keyString = key.toString('latin1');
      const value = env.get(keyString);
      assert.equal(value?.length, 256);
      for (let i = 0; i < 256; i++) assert.equal(value!.charCodeAt(i), i);
      assert.deepEqual(Buffer.from(value!, 'latin1'), all);
      assert.equal(env.getKnown(K.HTTP_USER_AGENT), '\x00A\x00\xe9\xff');
      assert.deepEqual(env.keys(), [keyString, 'HTTP_USER_AGENT']);
    });

    it('keys(), forEach() and toObject() follow block order', () => {
      const env = environOf(parser, [
        ['Z_UNKNOWN', '1'],
        ['REQUEST_URI', '/x'],
        ['A_UNKNOWN', '2'],
        ['Z_UNKNOWN', '3'],
        ['HTTP_HOST', 'h'],
      ]);
      assert.deepEqual(env.keys(), ['Z_UNKNOWN', 'REQUEST_URI', 'A_UNKNOWN', 'HTTP_HOST']);
      assert.deepEqual(Object.keys(env.toObject()), env.keys());
      const seen: [string, string, number][] = [];
      env.forEach((value, key, keyId) => seen.push([value, key, keyId]));
      assert.deepEqual(seen, [
        ['1', 'Z_UNKNOWN', -1],
        ['/x', 'REQUEST_URI', K.REQUEST_URI],
        ['2', 'A_UNKNOWN', -1],
        ['3', 'Z_UNKNOWN', -1],
        ['h', 'HTTP_HOST', K.HTTP_HOST],
      ]);
      // Known key strings are the table's constants.
      env.forEach((_, key, keyId) => {
        if (keyId >= 0) assert.ok(key === KNOWN_KEYS[keyId]);
      });
    });

    it('toObject results do not mix up key sequences', () => {
      const ab = environOf(parser, [['REQUEST_METHOD', 'GET'], ['PATH_INFO', '/']]).toObject();
      const ba = environOf(parser, [['PATH_INFO', '/'], ['REQUEST_METHOD', 'GET']]).toObject();
      assert.deepEqual(Object.keys(ab), ['REQUEST_METHOD', 'PATH_INFO']);
      assert.deepEqual(Object.keys(ba), ['PATH_INFO', 'REQUEST_METHOD']);
      const x = environOf(parser, [['REQUEST_METHOD', 'GET'], ['X', '1']]).toObject();
      const y = environOf(parser, [['REQUEST_METHOD', 'GET'], ['Y', '1']]).toObject();
      assert.deepEqual(x, { REQUEST_METHOD: 'GET', X: '1' });
      assert.deepEqual(y, { REQUEST_METHOD: 'GET', Y: '1' });
      // Many distinct sequences (past the compiled-shape budget) still give right objects.
      for (let i = 0; i < 300; i++) {
        const name = `HTTP_X_H${i}`;
        assert.deepEqual(environOf(parser, [['REQUEST_METHOD', 'GET'], [name, String(i)]]).toObject(), {
          REQUEST_METHOD: 'GET',
          [name]: String(i),
        });
      }
    });

    it('getKnown: invalid ids are undefined, absent keys too', () => {
      const env = environOf(parser, [['REQUEST_METHOD', 'GET']]);
      for (const bad of [-1, KNOWN_KEY_COUNT, KNOWN_KEY_COUNT + 3, 1.5, NaN, Infinity]) assert.equal(env.getKnown(bad), undefined);
      assert.equal(env.getKnown(K.HTTP_HOST), undefined);
      assert.equal(env.get('HTTP_HOST'), undefined);
      assert.equal(env.has('HTTP_HOST'), false);
      assert.equal(env.get('NOPE'), undefined);
      assert.equal(env.getKnown(K.REQUEST_METHOD), 'GET');
    });

    it('an empty block', () => {
      const env = environOf(parser, []);
      assert.equal(env.size, 0);
      assert.deepEqual(env.keys(), []);
      assert.deepEqual(env.toObject(), {});
      assert.equal(env.get('REQUEST_METHOD'), undefined);
      assert.equal(env.conflictingKey(), null);
    });

    it('is a snapshot: later parses and buffer reuse do not change it', () => {
      const block = encodeVars([
        ['REQUEST_METHOD', 'GET'],
        ['X_KEY', 'first'],
      ]);
      const buf = Buffer.from(block);
      parser.parse(buf, 0, buf.length);
      const env = Environ.fromParser(parser, buf, 0, buf.length);
      buf.fill(0);
      const other = encodeVars([['PATH_INFO', '/other']]);
      parser.parse(other, 0, other.length);
      assert.equal(env.get('REQUEST_METHOD'), 'GET');
      assert.equal(env.get('X_KEY'), 'first');
      assert.equal(env.get('PATH_INFO'), undefined);
      assert.deepEqual(env.toObject(), { REQUEST_METHOD: 'GET', X_KEY: 'first' });
    });

    it('snapshots stay intact across arena boundaries', () => {
      const vars = (i: number): Vars => [
        ['REQUEST_METHOD', `M${i}`],
        ['HTTP_X_N', String(i)],
        ...Array.from({ length: 20 }, (_, k) => [`HTTP_X_K${k}`, `${i}-${k}`] as const),
      ];
      const perEnviron = KNOWN_KEY_COUNT + 22 * 4;
      const count = Math.ceil((3 * ARENA_INTS) / perEnviron);
      const envs = Array.from({ length: count }, (_, i) => environOf(parser, vars(i)));
      envs.forEach((env, i) => {
        assert.equal(env.getKnown(K.REQUEST_METHOD), `M${i}`);
        assert.equal(env.get('HTTP_X_N'), String(i));
        assert.equal(env.get('HTTP_X_K19'), `${i}-19`);
      });
    });

    it('matches the plain merge rules on random var lists', () => {
      const seed = testSeed();
      const random = seededRandom(seed);
      const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
      const keyPool = ['REQUEST_METHOD', 'CONTENT_LENGTH', 'PATH_INFO', 'HTTP_HOST', 'HTTP_CONTENT_LENGTH', 'HTTP_ACCEPT',
        'HTTP_COOKIE', 'HTTP_X_FORWARDED_FOR', 'HTTP_X_APP', 'OTHER', 'other', '__proto__', 'HTTP_', 'A=B', 'k\x00\xff'];
      const valuePool = ['', 'a', 'b', 'GET', 'POST', '5', '\x00\x80\xff'];
      for (let n = 0; n < 500; n++) {
        const count = Math.floor(random() * 12);
        const pairs: [string, string][] = Array.from({ length: count }, () => [pick(keyPool), pick(valuePool)]);
        const env = environOf(parser, pairs);
        const { merged, conflict } = referenceMerge(pairs);
        const label = `seed ${seed} (UWSGI_TS_TEST_SEED=${seed}) case ${n}: ${JSON.stringify(pairs)}`;
        assert.equal(env.conflictingKey(), conflict, label);
        assert.equal(env.hasDuplicates, merged.size < pairs.length, label);
        assert.deepEqual(env.keys(), [...merged.keys()], label);
        assert.deepEqual(Object.entries(env.toObject()), [...merged.entries()], label);
        for (const key of keyPool) {
          assert.equal(env.get(key), merged.get(key), `${label}: get(${key})`);
          assert.equal(env.has(key), merged.has(key), `${label}: has(${key})`);
          assert.deepEqual(env.getAll(key), pairs.filter(([k]) => k === key).map(([, v]) => v), `${label}: getAll(${key})`);
        }
      }
    });

    it('matches the plain merge rules on every valid fixture', () => {
      for (const fixture of loadFixtures()) {
        if (fixture.expect.status !== 'ok') continue;
        const p = create(fixture.expect.maxVars ?? DEFAULT_MAX_VARS);
        assert.ok(p.parse(fixture.packet, fixture.blockStart, fixture.blockEnd) >= 0);
        const env = Environ.fromParser(p, fixture.packet, fixture.blockStart, fixture.blockEnd);
        const pairs = (fixture.expect.pairs ?? []).map(
          ([k, v]) => [fromFixtureBytes(k).toString('latin1'), fromFixtureBytes(v).toString('latin1')] as [string, string],
        );
        const { merged, conflict } = referenceMerge(pairs);
        assert.equal(env.size, pairs.length, fixture.name);
        assert.equal(env.conflictingKey(), conflict, fixture.name);
        assert.deepEqual(env.keys(), [...merged.keys()], fixture.name);
        assert.deepEqual(Object.entries(env.toObject()), [...merged.entries()], fixture.name);
        assert.equal(env.hasDuplicates, merged.size < pairs.length, fixture.name);
        for (const [key, value] of merged) {
          assert.equal(env.get(key), value, `${fixture.name}: ${key}`);
          assert.ok(env.has(key));
        }
        for (let id = 0; id < KNOWN_KEY_COUNT; id++) {
          assert.equal(env.getKnown(id), env.get(KNOWN_KEYS[id]), `${fixture.name}: getKnown(${KNOWN_KEYS[id]})`);
        }
        const raw: [string, string][] = [];
        env.forEach((value, key) => raw.push([key, value]));
        assert.deepEqual(raw, pairs, fixture.name);
      }
    });
  });
}

describe('Environ.fromParser with tables in separate buffers', () => {
  it('copies them all the same', () => {
    const pairs = new Int32Array(16);
    const knownIndex = new Int32Array(KNOWN_KEY_COUNT);
    const meta = new Int32Array(3);
    const parser: VarsParser = {
      kind: 'js',
      pairs,
      knownIndex,
      meta,
      parse: (buf, start, end) => parseVarsJs(buf, start, end, pairs, 4, knownIndex, meta),
      parseBlock: () => {
        throw new Error('not used here');
      },
    };
    const block = encodeVars([
      ['REQUEST_METHOD', 'PUT'],
      ['HTTP_ACCEPT', 'a'],
      ['HTTP_ACCEPT', 'b'],
    ]);
    assert.equal(parser.parse(block, 0, block.length), 3);
    const env = Environ.fromParser(parser, block, 0, block.length);
    assert.deepEqual(env.toObject(), { REQUEST_METHOD: 'PUT', HTTP_ACCEPT: 'a, b' });
  });
});
