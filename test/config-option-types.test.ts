import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { ConfigError, ConfigErrorCode } from '../src/config/errors';
import {
  bool,
  bytes,
  duration,
  enumOf,
  int,
  intOrAuto,
  list,
  octalMode,
  path,
  socketAddress,
  string,
  type OptionType,
} from '../src/config/option-types';
import type { ValueOrigin } from '../src/config/origin';
import { formatSocketAddress, parseSocketAddress, UNIX_PATH_MAX_BYTES } from '../src/config/socket-address';

const CLI: ValueOrigin = { kind: 'cli', flag: '--thing' };
const ENV: ValueOrigin = { kind: 'env', name: 'UWSGI_TS_THING' };
const INI: ValueOrigin = { kind: 'file', path: '/etc/app.ini', key: 'thing', line: 7, format: 'ini' };
const JSON_FILE: ValueOrigin = { kind: 'file', path: '/etc/app.json', key: 'thing', format: 'json' };
const UWSGI: ValueOrigin = { kind: 'file', path: '/etc/uwsgi.ini', key: 'processes', line: 3, format: 'uwsgi' };

/** Asserts that parsing fails with INVALID_VALUE and a message naming the option and `mentions`. */
function rejects<T>(type: OptionType<T>, raw: string, mentions: readonly string[] = [], origin: ValueOrigin = CLI): ConfigError {
  let caught: unknown;
  try {
    type.parse(raw, origin);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof ConfigError, `expected ${JSON.stringify(raw)} to be rejected`);
  assert.equal(caught.code, ConfigErrorCode.INVALID_VALUE);
  assert.equal(caught.exitCode, 2);
  const name = origin.kind === 'cli' ? origin.flag : origin.kind === 'env' ? origin.name : origin.kind === 'file' ? origin.key : '';
  assert.ok(caught.message.includes(name), `message names the option: ${caught.message}`);
  assert.ok(caught.message.includes(JSON.stringify(raw)), `message quotes the value: ${caught.message}`);
  assert.ok(caught.message.includes(`expected ${type.expected}`), `message gives the allowed values: ${caught.message}`);
  for (const text of mentions) assert.ok(caught.message.includes(text), `message mentions ${text}: ${caught.message}`);
  return caught;
}

describe('option value types', () => {
  it('errors name the option the way it was written, for every source', () => {
    const type = int(1, 10);
    assert.match(rejects(type, 'x', [], CLI).message, /^invalid value "x" for --thing: expected an integer from 1 to 10$/);
    assert.match(rejects(type, 'x', [], ENV).message, /for UWSGI_TS_THING:/);
    assert.match(rejects(type, 'x', [], INI).message, /for 'thing' in \/etc\/app\.ini:7:/);
    assert.match(rejects(type, 'x', [], UWSGI).message, /for \[uwsgi\] 'processes' in \/etc\/uwsgi\.ini:3:/);
    assert.match(rejects(type, 'x', [], { kind: 'cli', flag: '<app>' }).message, /for the <app> argument:/);
    assert.throws(() => type.parseJson('x', JSON_FILE), /for 'thing' in \/etc\/app\.json:/);
  });

  it('string and path', () => {
    assert.equal(string().parse('hello world', CLI), 'hello world');
    rejects(string(), '');
    assert.equal(path().parse('./app.js', CLI), './app.js');
    assert.equal(path().parse('/srv/my app/app.mjs', CLI), '/srv/my app/app.mjs');
    rejects(path(), '', ['empty']);
    rejects(path(), 'a\0b', ['NUL']);
    assert.throws(() => path().parseJson(42, JSON_FILE), /a JSON number is not accepted here/);
  });

  it('int with min and max', () => {
    const type = int(1, 100);
    assert.equal(type.parse('1', CLI), 1);
    assert.equal(type.parse('100', CLI), 100);
    assert.equal(type.parse('+7', CLI), 7);
    rejects(type, '0', ['out of range']);
    rejects(type, '101', ['out of range']);
    for (const bad of ['', ' 4', '4 ', '1.5', '1e2', '0x10', 'ten', '99999999999999999999']) rejects(type, bad);
    assert.equal(type.parseJson(42, JSON_FILE), 42);
    assert.equal(type.parseJson('42', JSON_FILE), 42);
    assert.throws(() => type.parseJson(4.5, JSON_FILE), ConfigError);
    assert.throws(() => type.parseJson(true, JSON_FILE), /a JSON boolean is not accepted here/);
    assert.equal(int(0).expected, 'an integer >= 0');
    assert.equal(int(0).parse('123456789', CLI), 123456789);
    // "-0" is 0, not -0 (which prints as "0" but is not Object.is-equal to it).
    assert.ok(Object.is(int(0).parse('-0', CLI), 0));
  });

  it('bool accepts true/false, 1/0, yes/no, on/off in any case', () => {
    const type = bool();
    for (const yes of ['true', 'TRUE', '1', 'yes', 'Yes', 'on', 'ON']) assert.equal(type.parse(yes, CLI), true, yes);
    for (const no of ['false', 'False', '0', 'no', 'NO', 'off', 'Off']) assert.equal(type.parse(no, CLI), false, no);
    for (const bad of ['', 'y', 'n', '2', 'enabled', 'truee']) rejects(type, bad, ['true/false, 1/0, yes/no or on/off']);
    assert.equal(type.parseJson(true, JSON_FILE), true);
    assert.equal(type.parseJson(0, JSON_FILE), false);
    assert.equal(type.isFlag, true);
  });

  it('enum matches in any case and returns the declared spelling', () => {
    const type = enumOf(['auto', 'native', 'js']);
    assert.equal(type.parse('native', CLI), 'native');
    assert.equal(type.parse('JS', CLI), 'js');
    const error = rejects(type, 'fast', ['"auto", "native", "js"']);
    assert.match(error.message, /expected one of "auto", "native", "js"/);
    assert.equal(type.placeholder, '<auto|native|js>');
  });

  it('octal file mode: 660, 0660, 0o660; nothing above 0777, no 8 or 9', () => {
    const type = octalMode();
    assert.equal(type.parse('660', CLI), 0o660);
    assert.equal(type.parse('0660', CLI), 0o660);
    assert.equal(type.parse('0o660', CLI), 0o660);
    assert.equal(type.parse('777', CLI), 0o777);
    assert.equal(type.parse('0', CLI), 0);
    assert.equal(type.parse('600', CLI), 0o600);
    rejects(type, '1777', ['above 0777']);
    rejects(type, '7777', ['above 0777']);
    rejects(type, '668', ['8 and 9 are not octal digits']);
    rejects(type, '0690', ['not octal']);
    for (const bad of ['', 'rw-rw----', '-660', '66 0', 'u+rw']) rejects(type, bad, ['such as 660 or 0660']);
    assert.equal(type.parseJson(660, JSON_FILE), 0o660, 'a JSON number is read as octal digits, as in uWSGI');
    assert.equal(type.format(0o660), '0660');
    assert.equal(type.format(0o7), '0007');
  });

  it('duration in seconds, fractions allowed', () => {
    const type = duration(0, 3600);
    assert.equal(type.parse('30', CLI), 30);
    assert.equal(type.parse('0.5', CLI), 0.5);
    assert.equal(type.parse('.25', CLI), 0.25);
    assert.equal(type.parse('0', CLI), 0);
    rejects(type, '3601', ['out of range']);
    for (const bad of ['', '-1', '1s', '1e3', 'NaN', 'Infinity', '1.2.3', '5 ']) rejects(type, bad, ['seconds']);
    assert.equal(type.parseJson(1.5, JSON_FILE), 1.5);
    assert.equal(type.format(1.5), '1.5');
    assert.match(duration().expected, /seconds >= 0/);
  });

  it('bytes with k/m/g suffixes, any case, whole numbers only', () => {
    const type = bytes();
    assert.equal(type.parse('1048576', CLI), 1048576);
    assert.equal(type.parse('64k', CLI), 65536);
    assert.equal(type.parse('64K', CLI), 65536);
    assert.equal(type.parse('1m', CLI), 1024 ** 2);
    assert.equal(type.parse('1M', CLI), 1024 ** 2);
    assert.equal(type.parse('2g', CLI), 2 * 1024 ** 3);
    for (const bad of ['', '1.5m', '1kb', 'k', '-1', '1 k', '1t', '0x10']) rejects(type, bad, ['k, m or g']);
    rejects(bytes(0, 65535), '64k', ['out of range']);
    rejects(bytes(4096), '1k', ['out of range']);
    assert.equal(type.parseJson(4096, JSON_FILE), 4096);
    assert.equal(type.parseJson('4k', JSON_FILE), 4096);
    assert.equal(type.format(65536), '64k');
    assert.equal(type.format(1024 ** 3), '1g');
    assert.equal(type.format(1000), '1000');
  });

  it('int|auto: auto is one per CPU, clamped to the range', () => {
    assert.equal(intOrAuto(1, 1024, () => 8).parse('auto', CLI), 8);
    assert.equal(intOrAuto(1, 1024, () => 8).parse('AUTO', CLI), 8);
    assert.equal(intOrAuto(1, 4, () => 64).parse('auto', CLI), 4);
    assert.equal(intOrAuto(2, 4, () => 1).parse('auto', CLI), 2);
    const type = intOrAuto(1, 1024, () => 8);
    assert.equal(type.parse('12', CLI), 12);
    rejects(type, '0', ['or "auto"']);
    rejects(type, '1025', ['out of range']);
    rejects(type, 'many', ['an integer from 1 to 1024, or "auto"']);
    assert.equal(type.parseJson(3, JSON_FILE), 3);
    assert.equal(type.parseJson('auto', JSON_FILE), 8);
    assert.ok(intOrAuto(1, 1024).parse('auto', CLI) >= 1, 'the default uses os.availableParallelism()');
  });

  it('list: comma-separated items, combined across occurrences; JSON arrays', () => {
    const type = list(int(1, 9));
    assert.deepEqual(type.parse('1', CLI), [1]);
    assert.deepEqual(type.parse('1,2, 3', CLI), [1, 2, 3]);
    assert.deepEqual(type.combine!(type.parse('1', CLI), type.parse('2,3', CLI)), [1, 2, 3]);
    rejects(type, '1,,2', ['empty item']);
    rejects(type, '', ['empty item']);
    assert.throws(() => type.parse('1,x', CLI), /invalid value "x" for --thing/);
    assert.deepEqual(type.parseJson([1, '2'], JSON_FILE), [1, 2]);
    assert.deepEqual(type.parseJson('4,5', JSON_FILE), [4, 5]);
    assert.throws(() => type.parseJson([], JSON_FILE), /the list is empty/);
    assert.throws(() => type.parseJson({ a: 1 }, JSON_FILE), /a JSON object is not accepted here \(use an array\)/);
    assert.throws(() => type.parseJson(null, JSON_FILE), /a JSON null/);
    assert.equal(type.format([1, 2]), '1,2');
  });

  it('socket address: unix path, HOST:PORT, [IPv6]:PORT, fd://N, and the log\'s unix:, tcp:, fd: names', () => {
    const type = socketAddress();
    assert.deepEqual(type.parse('/run/app.sock', CLI), { kind: 'unix', path: '/run/app.sock' });
    assert.deepEqual(type.parse('app.sock', CLI), { kind: 'unix', path: 'app.sock' });
    assert.deepEqual(type.parse('./run/a:b.sock', CLI), { kind: 'unix', path: './run/a:b.sock' });
    assert.deepEqual(type.parse('127.0.0.1:3031', CLI), { kind: 'tcp', host: '127.0.0.1', port: 3031 });
    assert.deepEqual(type.parse('localhost:1', CLI), { kind: 'tcp', host: 'localhost', port: 1 });
    assert.deepEqual(type.parse('app.internal:65535', CLI), { kind: 'tcp', host: 'app.internal', port: 65535 });
    assert.deepEqual(type.parse(':3031', CLI), { kind: 'tcp', host: '0.0.0.0', port: 3031 }, "uWSGI's :PORT");
    assert.deepEqual(type.parse('[::1]:3031', CLI), { kind: 'tcp', host: '::1', port: 3031 });
    assert.deepEqual(type.parse('[fe80::1:2]:80', CLI), { kind: 'tcp', host: 'fe80::1:2', port: 80 });
    assert.deepEqual(type.parse('fd://3', CLI), { kind: 'fd', fd: 3 });
    assert.deepEqual(type.parse('fd://42', CLI), { kind: 'fd', fd: 42 });

    // The names the log gives sockets, and nginx's unix:PATH, mean what they say.
    assert.deepEqual(type.parse('unix:/run/app.sock', CLI), { kind: 'unix', path: '/run/app.sock' });
    assert.deepEqual(type.parse('unix:app:1.sock', CLI), { kind: 'unix', path: 'app:1.sock' });
    assert.deepEqual(type.parse('tcp:127.0.0.1:3031', CLI), { kind: 'tcp', host: '127.0.0.1', port: 3031 });
    assert.deepEqual(type.parse('tcp:[::1]:3031', CLI), { kind: 'tcp', host: '::1', port: 3031 });
    assert.deepEqual(type.parse('fd:3', CLI), { kind: 'fd', fd: 3 });

    const forms = 'PATH, HOST:PORT, [IPv6]:PORT or fd://N (or unix:PATH, tcp:HOST:PORT, fd:N)';
    rejects(type, 'localhost:0', ['port', forms]);
    rejects(type, 'localhost:65536', ['port']);
    rejects(type, 'localhost:http', ['port']);
    rejects(type, 'localhost:', ['port']);
    rejects(type, '999.1.1.1:80', ['not an IPv4 address']);
    rejects(type, 'bad_host:80', ['host name']);
    rejects(type, '::1:3031', ['brackets']);
    rejects(type, '[::1]', ['[ADDRESS]:PORT']);
    rejects(type, '[nonsense]:80', ['not an IPv6 address']);
    rejects(type, '[::1]:0', ['port']);
    rejects(type, 'fd://2', ['>= 3']);
    rejects(type, 'fd://0', ['>= 3']);
    rejects(type, 'fd://x', ['>= 3']);
    rejects(type, 'fd://', ['>= 3']);
    rejects(type, '@abstract', ['abstract']);
    rejects(type, '@abstract:80', ['abstract']);
    rejects(type, 'unix:', ['path is empty']);
    rejects(type, 'unix:@x', ['abstract']);
    rejects(type, 'tcp:/run/app.sock', ['HOST:PORT']);
    rejects(type, 'tcp:localhost', ['HOST:PORT']);
    rejects(type, 'fd:2', ['>= 3']);
    rejects(type, 'fd:x', ['>= 3']);
    rejects(type, '/run/a\0b.sock', ['NUL']);
    rejects(type, '', ['empty']);
  });

  it('unix socket paths must fit Linux sun_path (107 bytes + NUL)', () => {
    const longest = '/' + 'a'.repeat(UNIX_PATH_MAX_BYTES - 1);
    assert.equal(Buffer.byteLength(longest), 107);
    assert.deepEqual(parseSocketAddress(longest), { ok: true, address: { kind: 'unix', path: longest } });
    const tooLong = longest + 'a';
    rejects(socketAddress(), tooLong, ['at most 107 bytes', 'has 108']);
    // Bytes, not characters: 54 two-byte characters are 108 bytes.
    rejects(socketAddress(), 'é'.repeat(54), ['has 108']);
  });

  it('socket addresses format back to what was parsed', () => {
    for (const text of ['/run/app.sock', 'rel.sock', '127.0.0.1:3031', '[::1]:3031', 'fd://3', 'unix:app:1.sock', 'unix:[x]', 'unix:fd:3']) {
      const result = parseSocketAddress(text);
      assert.ok(result.ok);
      assert.equal(formatSocketAddress(result.address), text);
    }
    // The log's and nginx's spellings print in the canonical form.
    for (const [text, canonical] of [['unix:/run/app.sock', '/run/app.sock'], ['tcp:127.0.0.1:3031', '127.0.0.1:3031'], ['fd:3', 'fd://3']]) {
      const result = parseSocketAddress(text!);
      assert.ok(result.ok);
      assert.equal(formatSocketAddress(result.address), canonical);
    }
  });
});
