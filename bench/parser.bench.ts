/**
 * Vars parser micro benchmark: native vs TS parser on three packet sizes, three workloads.
 *
 *   npm run bench:parser -- [--rounds 7] [--seconds 0.5]
 *   (after npm ci, which builds the addon; or node dist/bench/parser.bench.js once built)
 *
 * Workloads (per packet): "parseBlock only" (the parse and the block string, nothing shared);
 * "lazy-5" = parseBlock + Environ.fromParsedBlock + getKnown of 5 keys
 * (REQUEST_METHOD, REQUEST_URI, HTTP_HOST, CONTENT_LENGTH, HTTP_USER_AGENT); "toObject" =
 * parse + Environ + toObject(). Native and TS rounds are interleaved so drift on a shared VM
 * hits both alike; the table reports the median packets/s over the rounds.
 *
 * Each case cycles through VARIANTS packets that differ where consecutive requests to one
 * location differ (URI and query, client address and port, user agent, referer, cookies,
 * tokens, request ids), so nothing that depends on a value repeating, in either parser or
 * in the code they share, gets a packet that repeats exactly.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Environ } from '../src/protocol/environ';
import { K } from '../src/protocol/known-keys';
import { createJsVarsParser, createNativeVarsParser, type VarsParser } from '../src/protocol/vars-parser';
import { DEFAULT_MAX_VARS } from '../src/protocol/limits';
import { median } from './e2e/report';
import { arg, positiveInt } from './args';
import { hostLines } from './host';

/** dist/bench/parser.bench.js → the package root is two levels up. */
const PACKAGE_ROOT = path.resolve(__dirname, '..', '..');
const BROWSER_PACKET = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'packets', 'nginx-get-browser.bin');

/** Iterations between clock reads: enough to make the clock's cost negligible. */
const BATCH = 2000;

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return b;
}

function packet(vars: [string, string][]): Buffer {
  const block = Buffer.concat(
    vars.flatMap(([k, v]) => [u16(k.length), Buffer.from(k, 'latin1'), u16(v.length), Buffer.from(v, 'latin1')]),
  );
  return Buffer.concat([Buffer.from([0, block.length & 0xff, block.length >> 8, 0]), block]);
}

function varsOf(packetBytes: Buffer): [string, string][] {
  const vars: [string, string][] = [];
  const end = 4 + packetBytes.readUInt16LE(1);
  for (let pos = 4; pos < end; ) {
    const kl = packetBytes.readUInt16LE(pos);
    const key = packetBytes.toString('latin1', pos + 2, pos + 2 + kl);
    const vl = packetBytes.readUInt16LE(pos + 2 + kl);
    vars.push([key, packetBytes.toString('latin1', pos + 4 + kl, pos + 4 + kl + vl)]);
    pos += 4 + kl + vl;
  }
  return vars;
}

interface Case {
  name: string;
  /** VARIANTS packets of about the same size, measured in turn. */
  packets: Buffer[];
}

/** Packets per case: more than a client or a cache of recent values would make repeat. */
const VARIANTS = 64;

/** A decimal number of exactly `digits` digits, different for each variant. */
function digitsOf(variant: number, digits: number): string {
  return String(10 ** (digits - 1) + ((variant * 7919) % (9 * 10 ** (digits - 1))));
}

/** A hex string of `length` characters, different for each variant. */
function hexOf(variant: number, length: number): string {
  let out = '';
  for (let i = 0; out.length < length; i++) out += ((variant * 2654435761 + i * 40503) >>> 0).toString(16).padStart(8, '0');
  return out.slice(0, length);
}

/**
 * How each per-request key varies; keys not listed (server name, document root, protocol,
 * Accept headers, ...) keep their value, as they do between requests to one location.
 */
const PER_REQUEST: Record<string, (value: string, variant: number) => string> = {
  REQUEST_URI: (v, n) => v.replace(/\d+/, digitsOf(n, 3)),
  QUERY_STRING: (v, n) => v.replace(/\d+/, digitsOf(n, 3)),
  PATH_INFO: (v, n) => `${v}/${digitsOf(n, 4)}`,
  REMOTE_ADDR: (_v, n) => `10.${n % 7}.${(n * 37) % 250}.${(n * 91) % 250}`,
  REMOTE_PORT: (_v, n) => digitsOf(n, 5),
  HTTP_USER_AGENT: (v, n) => v.replace(/\d+\.\d+\.\d+/, `${digitsOf(n, 3)}.0.${digitsOf(n + 1, 4)}`),
  HTTP_REFERER: (v, n) => `${v}?from=${digitsOf(n, 4)}`,
  HTTP_COOKIE: (v, n) => v.replace(/[0-9a-f]{16,}/g, (hex) => hexOf(n, hex.length)),
  HTTP_AUTHORIZATION: (v, n) => `Bearer ${hexOf(n, v.length - 7)}`,
  HTTP_X_REQUEST_ID: (v, n) => hexOf(n, v.length),
  HTTP_X_CLIENT_TRACE: (v, n) => hexOf(n + 1, v.length),
  HTTP_X_FORWARDED_FOR: (_v, n) => `203.0.${n % 250}.${(n * 13) % 250}, 198.51.100.23`,
};

function variantsOf(vars: [string, string][]): Buffer[] {
  return Array.from({ length: VARIANTS }, (_, n) =>
    packet(vars.map(([k, v]): [string, string] => [k, PER_REQUEST[k] ? PER_REQUEST[k](v, n) : v])),
  );
}

function cases(): Case[] {
  const small: [string, string][] = [
    ['REQUEST_METHOD', 'GET'],
    ['REQUEST_URI', '/api/items?id=42'],
    ['PATH_INFO', '/api/items'],
    ['QUERY_STRING', 'id=42'],
    ['CONTENT_LENGTH', ''],
    ['SERVER_PROTOCOL', 'HTTP/1.1'],
    ['REMOTE_ADDR', '127.0.0.1'],
    ['HTTP_HOST', 'api.example'],
    ['HTTP_USER_AGENT', 'curl/7.88.1'],
  ];
  const browser = fs.readFileSync(BROWSER_PACKET);
  // ~5 KB the way real ones get there: a big cookie jar and a bearer token, a few extra
  // known headers, and some app-specific (unknown) ones.
  const big = varsOf(browser);
  big.push(
    ['HTTP_AUTHORIZATION', `Bearer ${'eyJhbGciOiJSUzI1NiJ9'.repeat(64)}`],
    ['HTTP_X_FORWARDED_FOR', '203.0.113.7, 198.51.100.23'],
    ['HTTP_X_REQUEST_ID', '5c0b1f0e-8f53-4c1d-9f0a-2b1c3d4e5f60'],
    ['HTTP_X_API_VERSION', '2024-05-01'],
    ['HTTP_X_CLIENT_TRACE', 'a'.repeat(64)],
    ['HTTP_X_TENANT', 'acme-corp'],
  );
  const size = (p: Buffer): string => `${p.length - 4}`;
  const cookie = Array.from({ length: 50 }, (_, i) => `pref_${i}=${hexOf(i, 40)}`).join('; ');
  big[big.findIndex(([k]) => k === 'HTTP_COOKIE')][1] = `session=${hexOf(0, 32)}; ${cookie}`;
  return [
    { name: `${size(packet(small))} B`, packets: variantsOf(small) },
    { name: `${size(browser)} B (nginx browser GET)`, packets: variantsOf(varsOf(browser)) },
    { name: `~${size(packet(big))} B (cookies, bearer token)`, packets: variantsOf(big) },
  ];
}

type Workload = (parser: VarsParser, buf: Buffer, end: number) => number;

const WORKLOADS: [string, Workload][] = [
  [
    // Not one of the targets: shows how much of the two workloads below is the parse itself
    // and how much the Environ and string building that both parsers share.
    'parseBlock only',
    (parser, buf, end) => {
      const block = parser.parseBlock(buf, 4, end);
      if (typeof block !== 'string') throw new Error('parse failed');
      return block.length;
    },
  ],
  [
    'parse + Environ + 5 lazy gets',
    (parser, buf, end) => {
      const block = parser.parseBlock(buf, 4, end);
      if (typeof block !== 'string') throw new Error('parse failed');
      const env = Environ.fromParsedBlock(parser, block);
      return (
        (env.getKnown(K.REQUEST_METHOD)?.length ?? 0) +
        (env.getKnown(K.REQUEST_URI)?.length ?? 0) +
        (env.getKnown(K.HTTP_HOST)?.length ?? 0) +
        (env.getKnown(K.CONTENT_LENGTH)?.length ?? 0) +
        (env.getKnown(K.HTTP_USER_AGENT)?.length ?? 0)
      );
    },
  ],
  [
    'parse + Environ + toObject()',
    (parser, buf, end) => {
      const block = parser.parseBlock(buf, 4, end);
      if (typeof block !== 'string') throw new Error('parse failed');
      const object = Environ.fromParsedBlock(parser, block).toObject();
      return object.REQUEST_METHOD.length;
    },
  ],
];

let sink = 0;

/** Packets per second of one workload over `seconds`, cycling through the packets. */
function measure(workload: Workload, parser: VarsParser, packets: readonly Buffer[], seconds: number): number {
  const ends = packets.map((buf) => 4 + buf.readUInt16LE(1));
  const budget = BigInt(Math.round(seconds * 1e9));
  let iterations = 0;
  let next = 0;
  const started = process.hrtime.bigint();
  let elapsed = 0n;
  while (elapsed < budget) {
    for (let i = 0; i < BATCH; i++) {
      sink += workload(parser, packets[next], ends[next]);
      next = next + 1 === packets.length ? 0 : next + 1;
    }
    iterations += BATCH;
    elapsed = process.hrtime.bigint() - started;
  }
  return iterations / (Number(elapsed) / 1e9);
}

function main(): void {
  const rounds = positiveInt('rounds', 7);
  const seconds = Number(arg('seconds', '0.5'));
  const parsers: VarsParser[] = [createNativeVarsParser(DEFAULT_MAX_VARS), createJsVarsParser(DEFAULT_MAX_VARS)];
  const all = cases();
  const results = new Map<string, number[]>();
  const key = (c: number, w: number, p: number): string => `${c}/${w}/${p}`;

  // Warm-up: let both parsers' code reach the optimising tier before measuring.
  for (const { packets } of all) for (const [, workload] of WORKLOADS) for (const p of parsers) measure(workload, p, packets, 0.2);

  for (let round = 0; round < rounds; round++) {
    all.forEach(({ packets }, c) => {
      WORKLOADS.forEach(([, workload], w) => {
        // Alternate which parser goes first so neither always runs on a warmer cache.
        const order = round % 2 === 0 ? [0, 1] : [1, 0];
        for (const p of order) {
          const list = results.get(key(c, w, p)) ?? [];
          list.push(measure(workload, parsers[p], packets, seconds));
          results.set(key(c, w, p), list);
        }
      });
    });
    process.stderr.write(`round ${round + 1}/${rounds} done\n`);
  }

  const fmt = (pps: number): string => `${(pps / 1e6).toFixed(3)} M/s`;
  const range = (list: number[]): string => `${(Math.min(...list) / 1e6).toFixed(2)}–${(Math.max(...list) / 1e6).toFixed(2)}`;
  const lines = [
    ...hostLines(),
    `- ${rounds} interleaved rounds × ${seconds} s, ${VARIANTS} packet variants per case; median packets/s (min–max over rounds)`,
    '',
    '| packet (vars block) | workload | native | TS | native/TS |',
    '|---|---|---:|---:|---:|',
  ];
  all.forEach(({ name }, c) => {
    WORKLOADS.forEach(([workloadName], w) => {
      const nativeList = results.get(key(c, w, 0)) ?? [];
      const jsList = results.get(key(c, w, 1)) ?? [];
      const native = median(nativeList);
      const js = median(jsList);
      lines.push(
        `| ${name} | ${workloadName} | ${fmt(native)} (${range(nativeList)}) | ${fmt(js)} (${range(jsList)}) | ${(native / js).toFixed(2)}× |`,
      );
    });
  });
  process.stdout.write(lines.join('\n') + `\n\n(sink ${sink % 10})\n`);
}

main();
