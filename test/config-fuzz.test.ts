/**
 * Random configuration input, from every source, gets a ConfigError with a stable code
 * and an operator-facing message, or a value; never another exception (which would stop
 * the master with a stack trace instead of a message and exit code 2).
 *
 * Inputs are random and mutated-valid texts: option values (each option's type, text and
 * JSON), INI and JSON config files, uWSGI ini files, command lines and environments through
 * resolveConfig. A value that parses must print (format) as text that parses back to the
 * same value, since --print-config output is meant to be pasted back. The PRNG is seeded; a
 * failure names the seed, and UWSGI_TS_FUZZ_SEED=N replays it.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as os from 'node:os';
import { ConfigError, ConfigErrorCode } from '../src/config/errors';
import { OPTION_LIST, type OptionDefinition } from '../src/config/options';
import { describeOrigin, type ValueOrigin } from '../src/config/origin';
import { parseIni } from '../src/config/ini';
import { parseUwsgiIni } from '../src/config/uwsgi-ini';
import { parseConfigFile } from '../src/config/config-file';
import { InfoRequested, resolveConfig } from '../src/config/load';
import { seededRandom } from './vars-test-support';

const SEED = Number(process.env.UWSGI_TS_FUZZ_SEED ?? Date.now() % 1_000_000);
/** Inputs per property: enough to reach every type's branches, fast (pure functions). */
const ROUNDS = 1500;

const CODES = new Set<string>(Object.values(ConfigErrorCode));

/** Pieces random texts are made of: what values, units, lists, addresses and INI lines hold. */
const PIECES = [
  ...'0123456789',
  ...'kmgKMGsmhd',
  '-', '+', '.', ',', ':', '/', '=', ';', '#', '[', ']', '{', '}', '"', "'", '\\', '%', '@', '*',
  ' ', '  ', '\t', '\n', '\r\n', '\r', '\u0000', '\uFEFF', 'é', '💥', '\uD800',
  'auto', 'true', 'false', 'on', 'off', 'yes', 'no', 'unix:', 'tcp:', 'fd:', '127.0.0.1', '::1', '[::1]', '0.0.0.0/0',
  '/tmp/x.sock', 'ms', 'MiB', '0x1f', '1e309', 'NaN', 'Infinity', '-0', '999999999999999999999', '0777', '0o17',
  '[uwsgi]', '[uwsgi-ts]', 'workers', 'socket', 'processes', 'http-socket', '%(x)', '$(HOME)',
];

function text(rand: () => number, maxPieces = 8): string {
  const n = Math.floor(rand() * (maxPieces + 1));
  let out = '';
  for (let i = 0; i < n; i++) out += PIECES[Math.floor(rand() * PIECES.length)];
  return out;
}

/** A valid text with one to three random edits: reaches the checks past the first character. */
function mutate(rand: () => number, valid: string): string {
  let out = valid;
  const edits = 1 + Math.floor(rand() * 3);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(rand() * (out.length + 1));
    const r = rand();
    if (r < 0.4) out = out.slice(0, at) + text(rand, 2) + out.slice(at);
    else if (r < 0.7) out = out.slice(0, at) + out.slice(at + 1);
    else out = out.slice(0, at) + text(rand, 1) + out.slice(at + 1);
  }
  return out;
}

/** Valid texts of an option: its default as printed, and values that commonly parse. */
function validTexts(option: OptionDefinition): string[] {
  const texts = ['1', '0', '16', '1s', '30', 'auto', 'true', '/tmp/x.sock', '127.0.0.1:3031', '0660', 'www-data', 'app.js'];
  if (option.presence === 'default') texts.push(option.type.format(option.default));
  return texts;
}

function optionText(rand: () => number, option: OptionDefinition): string {
  const valid = validTexts(option);
  const pick = valid[Math.floor(rand() * valid.length)]!;
  const r = rand();
  if (r < 0.3) return pick;
  if (r < 0.7) return mutate(rand, pick);
  return text(rand);
}

function jsonValue(rand: () => number, option: OptionDefinition, depth = 0): unknown {
  const r = rand();
  if (r < 0.3) return optionText(rand, option);
  if (r < 0.5) return [0, -1, 1.5, 1e21, -1e-7, 65536, 2 ** 53, Number.MAX_VALUE][Math.floor(rand() * 8)];
  if (r < 0.6) return rand() < 0.5;
  if (r < 0.7) return null;
  if (r < 0.85 && depth < 2) return Array.from({ length: Math.floor(rand() * 3) }, () => jsonValue(rand, option, depth + 1));
  if (depth < 2) return { [text(rand, 2)]: jsonValue(rand, option, depth + 1) };
  return text(rand);
}

/** Runs fn; a thrown ConfigError must carry a known code and a one-line message. */
function refusedOrDone<T>(what: string, input: unknown, fn: () => T): T | ConfigError {
  try {
    return fn();
  } catch (err) {
    if (err instanceof InfoRequested) throw err;
    assert.ok(err instanceof ConfigError, `seed ${SEED}: ${what} threw ${(err as Error)?.stack ?? String(err)}\n  for ${JSON.stringify(input)}`);
    assert.ok(CODES.has(err.code), `seed ${SEED}: ${what}: unknown code ${err.code}`);
    assert.ok(err.message.length > 0 && err.message.length < 2000, `seed ${SEED}: ${what}: message ${JSON.stringify(err.message)}`);
    return err;
  }
}

test(`every option's type: random and mutated values parse or are refused naming the option; what parses prints back to itself (seed ${SEED})`, () => {
  const rand = seededRandom(SEED);
  let parsed = 0;
  let refused = 0;
  for (const option of OPTION_LIST) {
    const origin: ValueOrigin = option.flag !== undefined ? { kind: 'cli', flag: option.flag } : { kind: 'env', name: 'UWSGI_TS_X' };
    for (let i = 0; i < ROUNDS / 4; i++) {
      const raw = optionText(rand, option);
      const result: unknown = refusedOrDone(`${option.name}.parse`, raw, () => option.type.parse(raw, origin));
      if (result instanceof ConfigError) {
        refused++;
        assert.equal(result.code, ConfigErrorCode.INVALID_VALUE, `seed ${SEED}: ${option.name} ${JSON.stringify(raw)}: ${result.message}`);
        assert.ok(result.message.includes(describeOrigin(origin)), `seed ${SEED}: ${result.message} does not name ${describeOrigin(origin)}`);
        continue;
      }
      parsed++;
      const printed = option.type.format(result);
      const again: unknown = refusedOrDone(`${option.name} round trip`, printed, () => option.type.parse(printed, origin));
      assert.deepEqual(again, result, `seed ${SEED}: ${option.name}: ${JSON.stringify(raw)} parsed, printed as ${JSON.stringify(printed)}, which parses differently`);

      const json = jsonValue(rand, option);
      refusedOrDone(`${option.name}.parseJson`, json, () => option.type.parseJson(json, origin));
    }
  }
  // Both outcomes happen, or the generator is not reaching the parsers' branches.
  assert.ok(parsed > OPTION_LIST.length && refused > OPTION_LIST.length, `parsed ${parsed}, refused ${refused}`);
});

/** INI-looking text: sections, key = value lines, comments, bare keys and junk. */
function iniText(rand: () => number): string {
  const lines: string[] = [];
  const n = Math.floor(rand() * 12);
  for (let i = 0; i < n; i++) {
    const option = OPTION_LIST[Math.floor(rand() * OPTION_LIST.length)]!;
    const key = rand() < 0.5 ? (option.configKey ?? option.uwsgiKey ?? option.name) : (option.uwsgiKey ?? text(rand, 2));
    const r = rand();
    if (r < 0.15) lines.push(['[uwsgi]', '[uwsgi-ts]', `[${text(rand, 2)}]`, '['][Math.floor(rand() * 4)]!);
    else if (r < 0.65) lines.push(`${key} = ${optionText(rand, option)}`);
    else if (r < 0.75) lines.push(key);
    else if (r < 0.85) lines.push(`; ${text(rand, 3)}`);
    else lines.push(text(rand, 4));
  }
  return lines.join(rand() < 0.8 ? '\n' : '\r\n');
}

test(`config files: random INI, JSON and uWSGI ini texts give settings or a ConfigError (seed ${SEED})`, () => {
  const rand = seededRandom(SEED + 1);
  const outcomes = { ok: 0, refused: 0 };
  const count = (r: unknown): void => {
    if (r instanceof ConfigError) outcomes.refused++;
    else outcomes.ok++;
  };
  for (let i = 0; i < ROUNDS; i++) {
    const ini = rand() < 0.7 ? `[uwsgi-ts]\n${iniText(rand)}` : iniText(rand);
    count(refusedOrDone('parseIni', ini, () => parseIni(ini, '/etc/app.ini')));
    count(refusedOrDone('parseConfigFile (ini)', ini, () => parseConfigFile(ini, '/etc/app.ini')));
    const option = OPTION_LIST[Math.floor(rand() * OPTION_LIST.length)]!;
    const object: Record<string, unknown> = {};
    for (let k = Math.floor(rand() * 4); k > 0; k--) object[rand() < 0.8 ? (option.configKey ?? option.name) : text(rand, 2)] = jsonValue(rand, option);
    const json = rand() < 0.8 ? JSON.stringify(object) : mutate(rand, JSON.stringify(object));
    count(refusedOrDone('parseConfigFile (json)', json, () => parseConfigFile(json, '/etc/app.json')));
    const uwsgi = rand() < 0.8 ? `[uwsgi]\n${iniText(rand)}` : iniText(rand);
    count(refusedOrDone('parseUwsgiIni', uwsgi, () => parseUwsgiIni(uwsgi, '/etc/uwsgi.ini', { HOME: '/root' }, '/srv')));
  }
  assert.ok(outcomes.ok > 0 && outcomes.refused > 0, JSON.stringify(outcomes));
});

test(`resolveConfig: random command lines and environments resolve, ask for help, or give a ConfigError (seed ${SEED})`, () => {
  const rand = seededRandom(SEED + 2);
  const outcomes = { resolved: 0, info: 0, refused: 0 };
  const flagged = OPTION_LIST.filter((o) => o.flag !== undefined);
  const withEnv = OPTION_LIST.filter((o) => o.env !== undefined);
  for (let i = 0; i < ROUNDS; i++) {
    // Mostly with a socket, which every run needs, so resolving gets past that check.
    const argv: string[] = rand() < 0.8 ? ['--socket', '/tmp/fuzz.sock'] : [];
    for (let k = Math.floor(rand() * 6); k > 0; k--) {
      const option = flagged[Math.floor(rand() * flagged.length)]!;
      const r = rand();
      if (r < 0.7) argv.push(option.flag!, optionText(rand, option));
      else if (r < 0.8) argv.push(option.flag!);
      else if (r < 0.9) argv.push(`${option.flag}=${optionText(rand, option)}`);
      else argv.push(text(rand, 3));
    }
    if (rand() < 0.8) argv.push(rand() < 0.8 ? 'app.js' : text(rand, 2));
    const env: NodeJS.ProcessEnv = { HOME: '/root' };
    for (let k = Math.floor(rand() * 3); k > 0; k--) {
      const option = withEnv[Math.floor(rand() * withEnv.length)]!;
      env[option.env!] = optionText(rand, option);
    }
    if (rand() < 0.1) env.UWSGI_TS_NOT_AN_OPTION = text(rand, 2);
    if (rand() < 0.1) Object.assign(env, { LISTEN_FDS: text(rand, 2), LISTEN_PID: String(process.pid) });
    try {
      const r = refusedOrDone('resolveConfig', { argv, env }, () => resolveConfig(argv, env, os.tmpdir()));
      if (r instanceof ConfigError) outcomes.refused++;
      else outcomes.resolved++;
    } catch (err) {
      assert.ok(err instanceof InfoRequested, String(err));
      outcomes.info++;
    }
  }
  assert.ok(outcomes.resolved > 0 && outcomes.refused > 0, JSON.stringify(outcomes));
});
