import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { createLogger, setLogSink } from '../src/log';
import {
  httpHeaderName,
  K,
  KNOWN_HEADER_NAMES,
  KNOWN_KEY_COUNT,
  KNOWN_KEY_IDS,
  KNOWN_KEYS,
} from '../src/protocol/known-keys';
import {
  PARSE_STATUS_CODES,
  PARSE_STATUS_DESCRIPTIONS,
  ParseStatus,
  parseStatusCode,
  parseStatusDescription,
} from '../src/protocol/parse-status';
import {
  createJsVarsParser,
  createNativeVarsParser,
  selectVarsParser,
  type VarsParser,
} from '../src/protocol/vars-parser';
import { DEFAULT_MAX_VARS } from '../src/protocol/limits';
import { recogniseKnownKey } from '../src/protocol/vars-parser-js';
import { MAX_VARS_CEILING, META_DUPLICATES, META_ERROR_OFFSET, META_PAIR_COUNT, PAIR_STRIDE } from '../src/protocol/vars-tables';
import { encodePacket, encodeVar, encodeVars, type Fixture, fromFixtureBytes, loadFixtures, PACKAGE_ROOT } from './fixtures/packet-fixtures';
import { PARSER_FACTORIES, requireAddon, seededRandom, testSeed } from './vars-test-support';

const addon = requireAddon();
const FIXTURES = loadFixtures();

/** Everything a parse leaves behind, for comparing two parsers. */
interface ParseOutcome {
  status: number;
  meta: number[];
  pairs: number[];
  knownIndex: number[];
}

function parseOutcome(parser: VarsParser, buf: Uint8Array, start: number, end: number): ParseOutcome {
  const status = parser.parse(buf, start, end);
  const count = parser.meta[META_PAIR_COUNT];
  return {
    status,
    meta: Array.from(parser.meta),
    pairs: Array.from(parser.pairs.subarray(0, count * PAIR_STRIDE)),
    knownIndex: Array.from(parser.knownIndex),
  };
}

function checkFixture(parser: VarsParser, fixture: Fixture, buf: Uint8Array, blockStart: number, blockEnd: number): void {
  const { expect } = fixture;
  const status = parser.parse(buf, blockStart, blockEnd);
  const label = `${fixture.name} (${parser.kind})`;
  if (expect.status === null) return;
  assert.equal(parseStatusCode(status), expect.status, `${label}: status`);
  if (expect.status !== 'ok') {
    assert.equal(parser.meta[META_ERROR_OFFSET], expect.errorOffset, `${label}: error offset`);
    assert.equal(parser.meta[META_PAIR_COUNT], expect.completePairs, `${label}: complete pairs before the error`);
    return;
  }
  const expected = expect.pairs ?? [];
  assert.equal(status, expected.length, `${label}: pair count`);
  assert.equal(parser.meta[META_PAIR_COUNT], expected.length, `${label}: meta pair count`);
  assert.equal(parser.meta[META_DUPLICATES], expect.knownDuplicates, `${label}: known duplicates`);
  assert.equal(parser.meta[META_ERROR_OFFSET], 0, `${label}: no error offset`);
  const block = buf.subarray(blockStart, blockEnd);
  const firstIndex = new Map<number, number>();
  expected.forEach(([key, value], i) => {
    const [keyId, keyStart, valueStart, valueEnd] = parser.pairs.subarray(i * PAIR_STRIDE, (i + 1) * PAIR_STRIDE);
    const keyBytes = fromFixtureBytes(key);
    assert.deepEqual(Buffer.from(block.subarray(keyStart, valueStart - 2)), keyBytes, `${label}: key of pair ${i}`);
    assert.deepEqual(Buffer.from(block.subarray(valueStart, valueEnd)), fromFixtureBytes(value), `${label}: value of pair ${i}`);
    const id = KNOWN_KEY_IDS.get(keyBytes.toString('latin1')) ?? -1;
    assert.equal(keyId, id, `${label}: key id of pair ${i}`);
    if (id >= 0 && !firstIndex.has(id)) firstIndex.set(id, i);
  });
  for (let id = 0; id < KNOWN_KEY_COUNT; id++) {
    assert.equal(parser.knownIndex[id], firstIndex.get(id) ?? -1, `${label}: knownIndex[${KNOWN_KEYS[id]}]`);
  }
}

describe('packet fixtures', () => {
  it('has the expected corpus', () => {
    const names = new Set(FIXTURES.map((f) => f.name));
    for (const name of ['nginx-get-browser', 'nginx-post-small-body', 'nginx-get-duplicate-headers', 'tiny-vars-10000', 'block-65535-one-value']) {
      assert.ok(names.has(name), `fixture ${name} is missing`);
    }
  });

  for (const fixture of FIXTURES) {
    it(`${fixture.name}: ${fixture.expect.description}`, () => {
      for (const { create } of PARSER_FACTORIES) {
        const parser = create(fixture.expect.maxVars ?? DEFAULT_MAX_VARS);
        checkFixture(parser, fixture, fixture.packet, fixture.blockStart, fixture.blockEnd);
        // The same block alone, as a plain Uint8Array at offset 0: offsets are relative.
        const alone = new Uint8Array(fixture.packet.subarray(fixture.blockStart, fixture.blockEnd));
        checkFixture(parser, fixture, alone, 0, alone.length);
      }
    });
  }
});

describe('parseBlock', () => {
  it('both parsers: the block as a latin1 string when it parsed, the same status and tables as parse otherwise', () => {
    for (const { kind, create } of PARSER_FACTORIES) {
      for (const fixture of FIXTURES) {
        const viaParse = create(fixture.expect.maxVars ?? DEFAULT_MAX_VARS);
        const viaBlock = create(fixture.expect.maxVars ?? DEFAULT_MAX_VARS);
        const { packet, blockStart, blockEnd } = fixture;
        const expected = parseOutcome(viaParse, packet, blockStart, blockEnd);
        const result = viaBlock.parseBlock(packet, blockStart, blockEnd);
        const label = `${fixture.name} (${kind})`;
        if (expected.status >= 0) assert.equal(result, packet.toString('latin1', blockStart, blockEnd), label);
        else assert.equal(result, expected.status, label);
        const count = viaBlock.meta[META_PAIR_COUNT];
        assert.deepEqual(
          { status: expected.status, meta: Array.from(viaBlock.meta), pairs: Array.from(viaBlock.pairs.subarray(0, count * PAIR_STRIDE)), knownIndex: Array.from(viaBlock.knownIndex) },
          expected,
          label,
        );
      }
      const parser = create(DEFAULT_MAX_VARS);
      assert.equal(parser.parseBlock(Buffer.alloc(4), 3, 1), ParseStatus.BAD_ARGUMENTS, `${kind}: bad offsets`);
      const oneVar = Uint8Array.of(0xff, 1, 0, 0x41, 0, 0, 0xff);
      assert.equal(parser.parseBlock(oneVar, 1, 6), '\x01\x00A\x00\x00', `${kind}: a block inside a larger buffer`);
      assert.equal(parser.meta[META_PAIR_COUNT], 1);
    }
  });
});

describe('native and TS parsers agree', () => {
  const seed = testSeed();
  const random = seededRandom(seed);
  const int = (n: number): number => Math.floor(random() * n);
  const parsers = new Map<number, [VarsParser, VarsParser]>();
  const pair = (maxVars: number): [VarsParser, VarsParser] => {
    let p = parsers.get(maxVars);
    if (p === undefined) {
      p = [createJsVarsParser(maxVars), createNativeVarsParser(maxVars)];
      parsers.set(maxVars, p);
    }
    return p;
  };

  function agree(what: string, buf: Uint8Array, start: number, end: number, maxVars: number): void {
    const [js, native] = pair(maxVars);
    const a = parseOutcome(js, buf, start, end);
    const b = parseOutcome(native, buf, start, end);
    assert.deepEqual(
      b,
      a,
      `${what}: native and TS differ (seed ${seed}; replay with UWSGI_TS_TEST_SEED=${seed}); maxVars ${maxVars}, ` +
        `bytes ${Buffer.from(buf.subarray(start, end)).toString('hex').slice(0, 400)}`,
    );
  }

  const randomKey = (): Uint8Array => {
    switch (int(5)) {
      case 0:
      case 1:
        return Buffer.from(KNOWN_KEYS[int(KNOWN_KEY_COUNT)], 'latin1');
      case 2: {
        // A near miss: a known name with one byte changed, added or removed.
        const name = Buffer.from(KNOWN_KEYS[int(KNOWN_KEY_COUNT)], 'latin1');
        const kind = int(3);
        if (kind === 0) name[int(name.length)] ^= 1 << int(8);
        if (kind === 1) return Buffer.concat([name, Buffer.from([int(256)])]);
        if (kind === 2) return name.subarray(0, Math.max(1, name.length - 1));
        return name;
      }
      default:
        return Uint8Array.from({ length: 1 + int(24) }, () => int(256));
    }
  };
  const randomBlock = (): Buffer => {
    const vars: [Uint8Array, Uint8Array][] = [];
    const count = int(40);
    for (let i = 0; i < count; i++) vars.push([randomKey(), Uint8Array.from({ length: int(3) === 0 ? int(300) : int(12) }, () => int(256))]);
    return encodeVars(vars);
  };
  const mutate = (block: Buffer): Buffer => {
    const out = Buffer.from(block);
    const flips = 1 + int(4);
    for (let i = 0; i < flips && out.length > 0; i++) {
      switch (int(4)) {
        case 0:
          out[int(out.length)] ^= 1 << int(8);
          break;
        case 1:
          out[int(out.length)] = int(256);
          break;
        case 2:
          out[int(out.length)] = [0, 1, 0xff, 0x7f, 0x80][int(5)];
          break;
        default:
          return out.subarray(0, int(out.length + 1));
      }
    }
    return out;
  };
  const randomMaxVars = (): number => (int(4) === 0 ? int(8) : int(2) === 0 ? DEFAULT_MAX_VARS : 1 + int(64));

  it('on random bytes', () => {
    for (let n = 0; n < 3000; n++) {
      const bytes = Uint8Array.from({ length: int(200) }, () => (int(3) === 0 ? int(4) : int(256)));
      agree(`random bytes #${n}`, bytes, 0, bytes.length, randomMaxVars());
    }
  });

  it('on random valid blocks, then truncated and bit-flipped', () => {
    for (let n = 0; n < 3000; n++) {
      const block = randomBlock();
      const maxVars = randomMaxVars();
      agree(`random block #${n}`, block, 0, block.length, maxVars);
      agree(`truncated block #${n}`, block, 0, int(block.length + 1), maxVars);
      agree(`mutated block #${n}`, mutate(block), 0, mutate(block).length, maxVars);
    }
  });

  it('on mutated fixtures, at random offsets inside a larger buffer', () => {
    const valid = FIXTURES.filter((f) => f.expect.status !== null && f.packet.length < 4096);
    for (let n = 0; n < 4000; n++) {
      const fixture = valid[int(valid.length)];
      const block = mutate(fixture.packet.subarray(fixture.blockStart, fixture.blockEnd));
      const before = int(16);
      const buf = Buffer.concat([Buffer.alloc(before, 0xaa), block, Buffer.alloc(int(16), 0x55)]);
      agree(`mutated ${fixture.name} #${n}`, buf, before, before + block.length, randomMaxVars());
    }
  });

  it('on every fixture with every small var limit', () => {
    for (const fixture of FIXTURES) {
      for (const maxVars of [0, 1, 2, 3, 17, DEFAULT_MAX_VARS, MAX_VARS_CEILING]) {
        agree(`${fixture.name} maxVars ${maxVars}`, fixture.packet, fixture.blockStart, fixture.blockEnd, maxVars);
      }
    }
  });

  it('on every known key and every one-byte change of it', () => {
    for (const name of KNOWN_KEYS) {
      const key = Buffer.from(name, 'latin1');
      for (let i = 0; i < key.length; i++) {
        for (const delta of [1, 0x20, 0x80]) {
          const changed = Buffer.from(key);
          changed[i] ^= delta;
          const block = encodeVar(changed, 'v');
          agree(`${name} with byte ${i} ^ ${delta}`, block, 0, block.length, 4);
          assert.equal(recogniseKnownKey(changed, 0, changed.length), -1);
        }
      }
      assert.equal(recogniseKnownKey(key, 0, key.length), KNOWN_KEY_IDS.get(name));
    }
  });
});

describe('bad arguments', () => {
  const block = encodeVars([['REQUEST_METHOD', 'GET']]);
  const badCalls: [string, unknown[]][] = [
    ['end past the buffer', [block, 0, block.length + 1]],
    ['start past the buffer', [block, block.length + 1, block.length + 1]],
    ['negative start', [block, -1, 4]],
    ['start > end', [block, 5, 4]],
    ['fractional offset', [block, 0.5, 4]],
    ['NaN offset', [block, 0, NaN]],
    ['Infinity offset', [block, 0, Infinity]],
    ['offset beyond int32', [block, 0, 2 ** 32 + 4]],
    ['string offset', [block, '0', 4]],
    ['bigint offset', [block, 0n, 4n]],
    ['missing offsets', [block]],
    ['no arguments', []],
    ['a string', ['REQUEST_METHOD', 0, 4]],
    ['an array', [Array.from(block), 0, 4]],
    ['an Int32Array', [new Int32Array(8), 0, 4]],
    ['a Uint8ClampedArray', [new Uint8ClampedArray(block), 0, 4]],
    ['a DataView', [new DataView(block.buffer, block.byteOffset, block.length), 0, 4]],
    ['an ArrayBuffer', [new ArrayBuffer(8), 0, 4]],
    ['null', [null, 0, 0]],
    ['undefined', [undefined, 0, 0]],
    ['an object', [{ length: 4 }, 0, 4]],
  ];

  for (const { kind, create } of PARSER_FACTORIES) {
    it(`${kind}: returns BAD_ARGUMENTS, never throws, and leaves an empty result`, () => {
      const parser = create(16);
      const parse = parser.parse as (...args: unknown[]) => number;
      for (const [what, args] of badCalls) {
        assert.equal(parser.parse(block, 0, block.length), 1, 'a good parse first');
        let status: number | undefined;
        assert.doesNotThrow(() => {
          status = parse(...args);
        }, what);
        assert.equal(status, ParseStatus.BAD_ARGUMENTS, what);
        assert.deepEqual(Array.from(parser.meta), [0, 0, 0], `${what}: meta`);
        assert.ok(parser.knownIndex.every((i) => i === -1), `${what}: knownIndex`);
      }
    });
  }

  it('native: a detached buffer and an empty range are not errors', () => {
    const parser = createNativeVarsParser(4);
    const detached = new Uint8Array(new ArrayBuffer(8));
    structuredClone(detached.buffer, { transfer: [detached.buffer] });
    assert.equal(parser.parse(detached, 0, 0), 0);
    assert.equal(parser.parse(detached, 0, 1), ParseStatus.BAD_ARGUMENTS);
    assert.equal(parser.parse(block, 3, 3), 0);
    assert.equal(parser.parse(new Uint8Array(0), 0, 0), 0);
  });
});

describe('native binding', () => {
  // Runs before anything in this process calls addon.parserInit.
  it('parse before parserInit returns BAD_ARGUMENTS', () => {
    const block = encodeVars([['REQUEST_METHOD', 'GET']]);
    assert.equal(addon.parse(block, 0, block.length), ParseStatus.BAD_ARGUMENTS);
  });

  it('parserInit rejects unusable tables with a TypeError', () => {
    const ok = () => [new Int32Array(8), new Int32Array(KNOWN_KEY_COUNT), new Int32Array(3)] as const;
    const [pairs, knownIndex, meta] = ok();
    const init = addon.parserInit as (...args: unknown[]) => void;
    assert.throws(() => init(), TypeError);
    assert.throws(() => init([], knownIndex, meta), TypeError);
    assert.throws(() => init(new Uint32Array(8), knownIndex, meta), TypeError);
    assert.throws(() => init(pairs, new Int32Array(KNOWN_KEY_COUNT - 1), meta), TypeError);
    assert.throws(() => init(pairs, knownIndex, new Int32Array(2)), TypeError);
    assert.throws(() => addon.parserBind(pairs, knownIndex, new Int32Array(2)), TypeError);
  });

  it('parserInit registers the tables parse writes into; a second call replaces them', () => {
    const block = encodeVars([
      ['REQUEST_METHOD', 'GET'],
      ['X', 'y'],
    ]);
    const first = { pairs: new Int32Array(8), knownIndex: new Int32Array(KNOWN_KEY_COUNT), meta: new Int32Array(3) };
    addon.parserInit(first.pairs, first.knownIndex, first.meta);
    assert.equal(addon.parse(block, 0, block.length), 2);
    assert.deepEqual(Array.from(first.meta), [2, 0, 0]);
    assert.deepEqual(Array.from(first.pairs), [0, 2, 18, 21, -1, 23, 26, 27]);
    assert.equal(first.knownIndex[K.REQUEST_METHOD], 0);
    // Room for one pair only: the second var is one too many.
    const second = { pairs: new Int32Array(4), knownIndex: new Int32Array(KNOWN_KEY_COUNT + 5), meta: new Int32Array(4) };
    addon.parserInit(second.pairs, second.knownIndex, second.meta);
    assert.equal(addon.parse(block, 0, block.length), ParseStatus.TOO_MANY_VARS);
    assert.deepEqual(Array.from(second.meta), [1, 0, 21, 0]);
    assert.deepEqual(Array.from(first.meta), [2, 0, 0], 'the old tables are left alone');
  });

  it('knownKeys() is the TS table', () => {
    assert.deepEqual(addon.knownKeys(), [...KNOWN_KEYS]);
  });

  it('parse_status.h holds the TS status values', () => {
    const header = fs.readFileSync(path.join(PACKAGE_ROOT, 'native', 'parse_status.h'), 'utf8');
    const native = Object.fromEntries([...header.matchAll(/^\s*([A-Z_]+) = (-?\d+),/gm)].map((m) => [m[1], Number(m[2])]));
    assert.deepEqual(native, { ...ParseStatus });
  });

  it('parsers made one after another keep their own tables', () => {
    const a = createNativeVarsParser(4);
    const b = createNativeVarsParser(8);
    const blockA = encodeVars([['REQUEST_METHOD', 'GET']]);
    const blockB = encodeVars([
      ['HTTP_HOST', 'h'],
      ['PATH_INFO', '/'],
    ]);
    assert.equal(a.parse(blockA, 0, blockA.length), 1);
    assert.equal(b.parse(blockB, 0, blockB.length), 2);
    assert.equal(a.meta[META_PAIR_COUNT], 1);
    assert.equal(a.knownIndex[K.REQUEST_METHOD], 0);
    assert.equal(a.knownIndex[K.HTTP_HOST], -1);
    assert.equal(b.knownIndex[K.HTTP_HOST], 0);
    assert.equal(b.knownIndex[K.PATH_INFO], 1);
    assert.equal(a.pairs.length, 4 * PAIR_STRIDE);
    assert.equal(b.pairs.length, 8 * PAIR_STRIDE);
  });

  it('survives thousands of parsers made and dropped', () => {
    const block = encodeVars([['REQUEST_METHOD', 'GET']]);
    for (let i = 0; i < 5000; i++) assert.equal(createNativeVarsParser(1).parse(block, 0, block.length), 1);
  });
});

describe('parser construction', () => {
  for (const { kind, create } of PARSER_FACTORIES) {
    it(`${kind}: tables sized from maxVars, results reuse them`, () => {
      const parser = create(10);
      assert.equal(parser.kind, kind);
      assert.equal(parser.pairs.length, 10 * PAIR_STRIDE);
      assert.equal(parser.knownIndex.length, KNOWN_KEY_COUNT);
      assert.equal(parser.meta.length, 3);
      const { pairs, knownIndex, meta } = parser;
      const packet = encodePacket(encodeVars([['REQUEST_METHOD', 'GET']]));
      parser.parse(packet, 4, packet.length);
      assert.ok(parser.pairs === pairs && parser.knownIndex === knownIndex && parser.meta === meta);
    });
    it(`${kind}: a transfer cannot detach the tables (the addon writes into them)`, () => {
      const parser = create(4);
      for (const table of [parser.pairs, parser.knownIndex, parser.meta]) {
        const length = table.length;
        try {
          structuredClone(table.buffer, { transfer: [table.buffer as ArrayBuffer] });
        } catch {
          // Refusing the transfer is as good as copying instead.
        }
        assert.equal(table.length, length);
      }
      const block = encodeVars([['REQUEST_METHOD', 'GET']]);
      assert.equal(parser.parse(block, 0, block.length), 1);
    });
    it(`${kind}: rejects a bad maxVars`, () => {
      for (const bad of [-1, 1.5, NaN, MAX_VARS_CEILING + 1]) assert.throws(() => create(bad), RangeError);
    });
  }
});

describe('known keys', () => {
  it('ids are indices', () => {
    assert.equal(K.REQUEST_METHOD, 0);
    assert.equal(K.HTTP_TRACEPARENT, KNOWN_KEY_COUNT - 1);
    KNOWN_KEYS.forEach((name, id) => assert.equal(K[name], id));
    assert.equal(KNOWN_KEY_COUNT, 57);
    assert.equal(new Set(KNOWN_KEYS).size, KNOWN_KEY_COUNT);
  });

  it('header names', () => {
    assert.equal(KNOWN_HEADER_NAMES[K.HTTP_USER_AGENT], 'user-agent');
    assert.equal(KNOWN_HEADER_NAMES[K.HTTP_UPGRADE_INSECURE_REQUESTS], 'upgrade-insecure-requests');
    assert.equal(KNOWN_HEADER_NAMES[K.HTTP_TE], 'te');
    assert.equal(KNOWN_HEADER_NAMES[K.CONTENT_LENGTH], null);
    assert.equal(KNOWN_HEADER_NAMES[K.HTTPS], null);
    assert.equal(KNOWN_HEADER_NAMES.length, KNOWN_KEY_COUNT);
    assert.equal(httpHeaderName('HTTP_X_FOO_BAR'), 'x-foo-bar');
    assert.equal(httpHeaderName('HTTP_'), null);
    assert.equal(httpHeaderName('HTTP'), null);
    assert.equal(httpHeaderName('REQUEST_METHOD'), null);
    assert.equal(httpHeaderName('http_x'), null);
    assert.equal(httpHeaderName('HTTP_X\xC4Y'), 'x\xC4y', 'non-ASCII bytes are left as they are');
  });
});

describe('parse status', () => {
  it('codes and descriptions', () => {
    assert.equal(parseStatusCode(ParseStatus.KEY_OVERRUN), 'vars_key_overrun');
    assert.equal(parseStatusCode(0), 'ok');
    assert.equal(parseStatusCode(17), 'ok');
    assert.equal(parseStatusCode(-99), 'vars_unknown_status');
    for (const code of Object.values(PARSE_STATUS_CODES)) assert.ok(PARSE_STATUS_DESCRIPTIONS[code], code);
    assert.equal(new Set(Object.values(PARSE_STATUS_CODES)).size, Object.keys(ParseStatus).length);
    assert.match(parseStatusDescription(ParseStatus.TOO_MANY_VARS), /more vars/);
  });
});

describe('selectVarsParser', () => {
  const captureLog = (): { lines: string[]; log: ReturnType<typeof createLogger> } => {
    const lines: string[] = [];
    setLogSink((line) => lines.push(line));
    return { lines, log: createLogger('test') };
  };

  it("'js' gives the TS parser, 'auto' and 'native' the addon's here, without logging", () => {
    const { lines, log } = captureLog();
    try {
      assert.equal(selectVarsParser('js', 16, log).kind, 'js');
      assert.equal(selectVarsParser('auto', 16, log).kind, 'native');
      assert.equal(selectVarsParser('native', 16, log).kind, 'native');
    } finally {
      setLogSink((line) => process.stderr.write(line));
    }
    assert.deepEqual(lines, []);
  });

  const withoutAddon = (script: string): { stdout: string; stderr: string; status: number } => {
    const modulePath = path.join(PACKAGE_ROOT, 'dist', 'src', 'protocol', 'vars-parser.js');
    const logPath = path.join(PACKAGE_ROOT, 'dist', 'src', 'log.js');
    const prelude = `const vp = require(${JSON.stringify(modulePath)}); const log = require(${JSON.stringify(logPath)}).createLogger('worker 1');`;
    try {
      const stdout = execFileSync(process.execPath, ['-e', `${prelude}\n${script}`], {
        env: { ...process.env, UWSGI_TS_NO_ADDON: '1' },
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      return { stdout, stderr: '', status: 0 };
    } catch (err) {
      const e = err as { stdout: string; stderr: string; status: number };
      return { stdout: e.stdout, stderr: e.stderr, status: e.status };
    }
  };

  it("'auto' without the addon falls back to js with one warn line naming the reason", () => {
    const run = withoutAddon(
      `const p = vp.selectVarsParser('auto', 16, log); process.stderr.write('---\\n'); process.stdout.write(p.kind);`,
    );
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout, 'js');
  });

  it("'auto' fallback log: exactly one warn line with the reason", () => {
    const run = withoutAddon(
      `const lines = []; require(${JSON.stringify(path.join(PACKAGE_ROOT, 'dist', 'src', 'log.js'))}).setLogSink((l) => lines.push(l));` +
        `vp.selectVarsParser('auto', 16, log); process.stdout.write(JSON.stringify(lines));`,
    );
    assert.equal(run.status, 0, run.stderr);
    const lines = JSON.parse(run.stdout) as string[];
    assert.equal(lines.length, 1, run.stdout);
    assert.match(lines[0], / warn \[worker 1\] vars_parser_fallback parser=js reason=.*UWSGI_TS_NO_ADDON=1 is set/);
  });

  it("'native' without the addon throws, naming the reason", () => {
    const run = withoutAddon(
      `try { vp.selectVarsParser('native', 16, log); } catch (e) { process.stdout.write('threw: ' + e.message); }` +
        `try { vp.createNativeVarsParser(16); } catch (e) { process.stdout.write('\\nthrew: ' + e.message); }`,
    );
    assert.equal(run.status, 0, run.stderr);
    const [select, create] = run.stdout.split('\n');
    assert.match(select, /^threw: .*native vars parser.*UWSGI_TS_NO_ADDON=1 is set/);
    assert.match(create, /^threw: .*native vars parser.*UWSGI_TS_NO_ADDON=1 is set/);
  });
});
