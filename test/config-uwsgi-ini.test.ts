import { strict as assert } from 'node:assert';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, ConfigErrorCode } from '../src/config/errors';
import { parseIni, sectionEntries } from '../src/config/ini';
import { OPTION_LIST, OPTIONS } from '../src/config/options';
import type { RawSetting } from '../src/config/setting';
import { mapUwsgiEntries, parseUwsgiIni, readUwsgiIni, UWSGI_MEANINGLESS } from '../src/config/uwsgi-ini';

const FIXTURES = resolve(__dirname, '..', '..', 'test', 'fixtures', 'config');
const VIA = { kind: 'cli', flag: '--ini' } as const;

function texts(settings: readonly RawSetting[]): [string, string][] {
  return settings.map((setting) => [setting.name, 'text' in setting ? setting.text : JSON.stringify(setting.json)]);
}

function map(body: string, env: NodeJS.ProcessEnv = {}, file = '/etc/uwsgi/app.ini') {
  return parseUwsgiIni(`[uwsgi]\n${body}\n`, file, env, '/work/dir');
}

describe('uWSGI ini mapping (--ini)', () => {
  it("maps logto to a log file, and refuses uWSGI's UDP form of it by name", () => {
    assert.deepEqual(texts(map('logto = /var/log/app/uwsgi.log').settings), [['logto', '/var/log/app/uwsgi.log']]);
    assert.deepEqual(texts(map('logto = %dapp.log').settings), [['logto', '/etc/uwsgi/app.log']]);
    assert.throws(
      () => map('logto = 127.0.0.1:1717'),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.code === ConfigErrorCode.INVALID_VALUE &&
        error.message.includes("[uwsgi] 'logto' in /etc/uwsgi/app.ini:2") &&
        error.message.includes('not to a UDP address'),
    );
  });

  it('reads a buffer-size above the protocol maximum, which uWSGI takes, as that maximum with a warning', () => {
    for (const [value, expected] of [['65536', '65535'], ['1m', '65535'], ['100000', '65535']] as const) {
      const result = map(`buffer-size = ${value}`);
      assert.deepEqual(texts(result.settings), [['bufferSize', expected]]);
      assert.deepEqual(result.warnings, [
        `'buffer-size' at /etc/uwsgi/app.ini:2: buffer-size ${value} is above the uwsgi protocol's 65535-byte vars block, the most a request can carry: using 65535`,
      ]);
      assert.equal(OPTIONS.bufferSize.type.parse(expected, VIA), 65535);
    }
    // In range, or not a size at all: left as written (a bad value is refused as usual).
    for (const value of ['32768', '65535', '64x']) {
      const result = map(`buffer_size = ${value}`);
      assert.deepEqual(texts(result.settings), [['bufferSize', value]]);
      assert.deepEqual(result.warnings, []);
    }
  });

  it('maps a typical uWSGI file and names every unsupported key in a warning', () => {
    const file = resolve(FIXTURES, 'uwsgi.ini');
    const result = readUwsgiIni(file, VIA, {}, '/work/dir');
    assert.deepEqual(texts(result.settings), [
      ['socket', '/srv/app/run/app.sock'],
      ['chmodSocket', '660'],
      ['workers', '4'],
      ['harakiri', '30'],
      ['vacuum', 'true'],
      // %d is the file's directory with a trailing slash, %n its name without extension.
      ['logto', `${resolve(FIXTURES)}/uwsgi.log`],
    ]);
    // Only [uwsgi] is read: the other section's processes = 99 is not.
    assert.deepEqual(result.warnings, [
      `ignoring uWSGI option 'master' at ${file}:4 (uwsgi-ts always runs a master process)`,
      `ignoring uWSGI option 'module' at ${file}:5 (${UWSGI_MEANINGLESS.module})`,
      `ignoring uWSGI option 'plugins' at ${file}:6 (uwsgi-ts has no plugins: Node support is built in)`,
      `ignoring uWSGI option 'die-on-term' at ${file}:10 (uwsgi-ts always stops gracefully on SIGTERM)`,
    ]);
    // `base` is only a %(base) variable: not warned about.
    assert.ok(!result.warnings.some((warning) => warning.includes("'base'")));
    const origin = result.settings[1]!.origin;
    assert.deepEqual(origin, { kind: 'file', path: file, key: 'chmod_socket', line: 8, format: 'uwsgi' });
  });

  it('maps every uwsgiKey and alias of the table, with _ for -', () => {
    for (const option of OPTION_LIST) {
      for (const key of [option.uwsgiKey, ...(option.uwsgiAliases ?? [])]) {
        if (key === undefined) continue;
        const sample = option.name === 'socket' ? '/run/a.sock' : option.name === 'workers' ? '2' : '660';
        for (const spelling of [key, key.replace(/-/g, '_'), key.toUpperCase()]) {
          const result = map(`${spelling} = ${sample}`);
          assert.deepEqual(texts(result.settings), [[option.name, sample]], spelling);
          assert.deepEqual(result.warnings, []);
        }
      }
    }
  });

  it('keeps repeated socket keys in order (uwsgi-socket is an alias)', () => {
    const result = map('socket = /run/a.sock\nuwsgi-socket = 127.0.0.1:3031\nsocket = /run/b.sock');
    assert.deepEqual(texts(result.settings), [
      ['socket', '/run/a.sock'],
      ['socket', '127.0.0.1:3031'],
      ['socket', '/run/b.sock'],
    ]);
  });

  it("a bare chmod-socket means 666, as in uWSGI; bare booleans mean true", () => {
    assert.deepEqual(texts(map('chmod-socket').settings), [['chmodSocket', '666']]);
    assert.equal(OPTIONS.chmodSocket.uwsgiBareValue, '666');
    assert.deepEqual(map('master').warnings, ["ignoring uWSGI option 'master' at /etc/uwsgi/app.ini:2 (uwsgi-ts always runs a master process)"]);
  });

  it('expands uWSGI magic variables from the file path', () => {
    const result = map('socket = %d%n.sock\nsocket = %p|%s|%e|%c|%v|100%%', {}, '/etc/uwsgi/vassals/myapp.ini');
    assert.deepEqual(texts(result.settings), [
      ['socket', '/etc/uwsgi/vassals/myapp.sock'],
      ['socket', '/etc/uwsgi/vassals/myapp.ini|myapp.ini|ini|vassals|/work/dir|100%'],
    ]);
  });

  it('expands %(name) from earlier keys and $(VAR) from the environment', () => {
    const result = map('dir = /run/$(APP)\nname = web\nsocket = %(dir)/%(name).sock\nprocesses = $(NPROC)', { APP: 'shop', NPROC: '3' });
    assert.deepEqual(texts(result.settings), [['socket', '/run/shop/web.sock'], ['workers', '3']]);
    assert.deepEqual(result.warnings, [], 'keys used as %(name) variables are not warned about');
  });

  it('an unset $(VAR) expands to empty, with a warning', () => {
    const result = map('socket = /run/app$(SUFFIX).sock');
    assert.deepEqual(texts(result.settings), [['socket', '/run/app.sock']]);
    assert.deepEqual(result.warnings, [
      "environment variable SUFFIX used in 'socket' at /etc/uwsgi/app.ini:2 is not set; using an empty string",
    ]);
  });

  it('refuses placeholders it cannot expand, naming them and the line', () => {
    const cases: [string, RegExp][] = [
      ['socket = /run/%k.sock', /uWSGI magic variable %k in 'socket' at \/etc\/uwsgi\/app\.ini:2 is not supported/],
      ['socket = %(nowhere)/a.sock', /placeholder %\(nowhere\) in 'socket' at .*:2 names no key set earlier/],
      ['socket = @(exec://hostname)', /@\(exec:\/\/hostname\) in 'socket' at .*:2 is not supported/],
      ['base = %h\nsocket = %(base)/a.sock', /uWSGI magic variable %h in 'base' at .*:2/],
    ];
    for (const [body, message] of cases) {
      assert.throws(() => map(body), (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.equal(error.code, ConfigErrorCode.INVALID_VALUE);
        assert.match(error.message, message);
        return true;
      });
    }
    // An unsupported key whose value cannot be expanded is only warned about.
    assert.deepEqual(map('daemonize = %h.log').warnings, ["ignoring uWSGI option 'daemonize' at /etc/uwsgi/app.ini:2 (not supported by uwsgi-ts)"]);
  });

  it('requires a [uwsgi] section', () => {
    assert.throws(
      () => readUwsgiIni(resolve(FIXTURES, 'app.ini'), VIA, {}, '/'),
      (error: unknown) => error instanceof ConfigError && error.code === ConfigErrorCode.FILE_SYNTAX && /no \[uwsgi\] section/.test(error.message),
    );
  });

  it('reports an unreadable file with the option that named it', () => {
    assert.throws(
      () => readUwsgiIni('/nonexistent/uwsgi.ini', VIA, {}, '/'),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.code === ConfigErrorCode.FILE_UNREADABLE &&
        error.message === 'cannot read config file /nonexistent/uwsgi.ini (given by --ini): no such file',
    );
  });

  it('maps entries of an already parsed document', () => {
    const doc = parseIni('[uwsgi]\nworkers = 5\n', '/x.ini');
    assert.deepEqual(texts(mapUwsgiEntries(sectionEntries(doc, 'uwsgi')!, '/x.ini', {}, '/').settings), [['workers', '5']]);
  });
});
