import { strict as assert } from 'node:assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, ConfigErrorCode, type ConfigErrorCodeValue } from '../src/config/errors';
import { InfoRequested, resolveConfig } from '../src/config/load';
import { OPTION_LIST } from '../src/config/options';

const FIXTURES = resolve(__dirname, '..', '..', 'test', 'fixtures', 'config');
const fixture = (name: string) => resolve(FIXTURES, name);
const CWD = '/srv/cwd';
/** The minimum for a valid config, on the command line. */
const BASE = ['--socket', '/run/app.sock', 'app.js'];

function fails(argv: string[], env: NodeJS.ProcessEnv, code: ConfigErrorCodeValue, message: RegExp | string): void {
  assert.throws(
    () => resolveConfig(argv, env, CWD),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError, String(error));
      assert.equal(error.code, code, error.message);
      if (typeof message === 'string') assert.equal(error.message, message);
      else assert.match(error.message, message);
      return true;
    },
  );
}

function tempFile(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'uwsgi-ts-config-'));
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

describe('resolveConfig: precedence default < file (--ini, then --config) < env < cli', () => {
  const ini = tempFile('uwsgi.ini', '[uwsgi]\nprocesses = 2\nsocket = /run/ini.sock\n');
  const config = tempFile('app.ini', '[uwsgi-ts]\nworkers = 3\nsocket = /run/config.sock\napp = from-file.js\n');

  it('each source overrides the ones below it', () => {
    const cases: [string[], NodeJS.ProcessEnv, number, string][] = [
      [['app.js', '-s', 'x.sock'], {}, 1, 'default'],
      [['app.js', '-s', 'x.sock', '--ini', ini], {}, 2, `file ${ini} [uwsgi] processes`],
      [['app.js', '-s', 'x.sock', '--ini', ini, '--config', config], {}, 3, `file ${config}`],
      [['app.js', '-s', 'x.sock', '--ini', ini, '--config', config], { UWSGI_TS_WORKERS: '4' }, 4, 'env UWSGI_TS_WORKERS'],
      [['app.js', '-s', 'x.sock', '--ini', ini, '--config', config, '--workers', '5'], { UWSGI_TS_WORKERS: '4' }, 5, 'cli --workers'],
      [['app.js', '-s', 'x.sock', '--ini', ini, '--config', config, '-w', '6'], { UWSGI_TS_WORKERS: '4' }, 6, 'cli --workers'],
    ];
    for (const [argv, env, workers, source] of cases) {
      const resolved = resolveConfig(argv, env, CWD);
      assert.equal(resolved.config.workers, workers, argv.join(' '));
      assert.equal(resolved.sources.workers, source);
    }
  });

  it('config and ini paths come from env or cli (cli wins), resolved against cwd', () => {
    const fromEnv = resolveConfig(BASE, { UWSGI_TS_CONFIG: config, UWSGI_TS_INI: ini }, CWD);
    assert.equal(fromEnv.config.workers, 3);
    assert.equal(fromEnv.config.config, config);
    assert.equal(fromEnv.sources.config, 'env UWSGI_TS_CONFIG');
    assert.equal(fromEnv.sources.ini, 'env UWSGI_TS_INI');

    const cliWins = resolveConfig([...BASE, '--config', config], { UWSGI_TS_CONFIG: '/nonexistent.ini' }, CWD);
    assert.equal(cliWins.config.workers, 3);
    assert.equal(cliWins.sources.config, 'cli --config');

    const relative = resolveConfig([...BASE, '-c', 'app.ini'], {}, FIXTURES);
    assert.equal(relative.config.config, fixture('app.ini'));
    assert.equal(relative.sources.workers, `file ${fixture('app.ini')}`);
  });

  it('a list from a higher source replaces the lower one; within a source occurrences add up', () => {
    const fromFiles = resolveConfig(['--ini', ini, '--config', config], {}, CWD);
    assert.deepEqual(fromFiles.config.socket, [{ kind: 'unix', path: '/run/config.sock' }]);
    const fromEnv = resolveConfig(['--config', config], { UWSGI_TS_SOCKET: '/run/e1.sock, 127.0.0.1:3031' }, CWD);
    assert.deepEqual(fromEnv.config.socket, [
      { kind: 'unix', path: '/run/e1.sock' },
      { kind: 'tcp', host: '127.0.0.1', port: 3031 },
    ]);
    assert.equal(fromEnv.sources.socket, 'env UWSGI_TS_SOCKET');
    const fromCli = resolveConfig(['--config', config, '-s', '/run/c1.sock', '--socket', 'fd://3,[::1]:9000'], { UWSGI_TS_SOCKET: '/run/e.sock' }, CWD);
    assert.deepEqual(fromCli.config.socket, [
      { kind: 'unix', path: '/run/c1.sock' },
      { kind: 'fd', fd: 3 },
      { kind: 'tcp', host: '::1', port: 9000 },
    ]);
    assert.equal(fromCli.sources.socket, 'cli --socket');
  });

  it('the app comes from any source too', () => {
    assert.equal(resolveConfig(['--config', config], {}, CWD).config.app, 'from-file.js');
    assert.equal(resolveConfig(['--config', config], { UWSGI_TS_APP: 'env.js' }, CWD).config.app, 'env.js');
    const cli = resolveConfig(['--config', config, 'cli.js'], { UWSGI_TS_APP: 'env.js' }, CWD);
    assert.equal(cli.config.app, 'cli.js');
    assert.equal(cli.sources.app, 'cli <app>');
  });

  it('defaults fill the rest; optional options stay unset', () => {
    const resolved = resolveConfig(BASE, {}, CWD);
    assert.deepEqual(resolved.config, {
      socket: [{ kind: 'unix', path: '/run/app.sock' }],
      chmodSocket: undefined,
      chownSocket: undefined,
      allowFrom: [
        { family: 'ipv4', address: '127.0.0.0', prefix: 8 },
        { family: 'ipv6', address: '::1', prefix: 128 },
      ],
      listen: 1024,
      socketTimeout: 60,
      bufferSize: 65535,
      maxVars: 1024,
      limitPost: 0,
      maxConnections: 1024,
      workers: 1,
      gracefulTimeout: 30,
      bootTimeout: 60,
      minWorkers: undefined,
      idle: undefined,
      maxRequests: undefined,
      maxRequestsJitter: 0,
      maxRecycling: 1,
      reloadOnRss: undefined,
      harakiri: undefined,
      harakiriGrace: 5,
      touchReload: undefined,
      parser: 'auto',
      io: 'auto',
      vacuum: true,
      pidfile: undefined,
      uid: undefined,
      gid: undefined,
      chdir: undefined,
      env: undefined,
      app: 'app.js',
      metrics: undefined,
      logto: undefined,
      logFormat: { kind: 'text' },
      disableLogging: false,
      appListenTimeout: 30,
      config: undefined,
      ini: undefined,
      printConfig: false,
    });
    for (const option of OPTION_LIST) {
      const expected = option.name === 'socket' ? 'cli --socket' : option.name === 'app' ? 'cli <app>' : 'default';
      assert.equal(resolved.sources[option.name], expected, option.name);
    }
    assert.deepEqual(resolved.warnings, []);
  });

  it('a single-value flag repeated on the command line: the last wins', () => {
    assert.equal(resolveConfig([...BASE, '-w', '2', '--workers', '7'], {}, CWD).config.workers, 7);
  });

  it('validates every value, even one a higher source overrides', () => {
    fails([...BASE, '-w', '2'], { UWSGI_TS_WORKERS: 'many' }, ConfigErrorCode.INVALID_VALUE, /^invalid value "many" for UWSGI_TS_WORKERS: expected/);
    fails([...BASE, '-w', 'x', '-w', '2'], {}, ConfigErrorCode.INVALID_VALUE, /for --workers/);
  });

  it('keeps relative paths as written (relative to the working directory, as in uWSGI)', () => {
    const resolved = resolveConfig(['--config', fixture('app.ini')], {}, CWD);
    assert.equal(resolved.config.app, 'my app.js');
    assert.deepEqual(resolved.config.socket[0], { kind: 'unix', path: '/run/app/a.sock' });
    const relative = resolveConfig(['-s', 'run/app.sock', 'lib/app.js'], {}, CWD);
    assert.deepEqual(relative.config.socket, [{ kind: 'unix', path: 'run/app.sock' }]);
    assert.equal(relative.config.app, 'lib/app.js');
  });

  it('--help and --version are not configurations', () => {
    assert.throws(() => resolveConfig(['--help'], {}, CWD), (error: unknown) => error instanceof InfoRequested && error.kind === 'help');
    assert.throws(() => resolveConfig(['--version'], {}, CWD), (error: unknown) => error instanceof InfoRequested && error.kind === 'version');
  });
});

describe('resolveConfig: config files', () => {
  it('reads an INI [uwsgi-ts] section', () => {
    const file = fixture('app.ini');
    const resolved = resolveConfig(['--config', file], {}, CWD);
    assert.deepEqual(resolved.config.socket, [
      { kind: 'unix', path: '/run/app/a.sock' },
      { kind: 'tcp', host: '127.0.0.1', port: 3031 },
    ]);
    assert.equal(resolved.config.chmodSocket, 0o660);
    assert.equal(resolved.config.workers, 3);
    assert.equal(resolved.config.parser, 'js');
    for (const name of ['socket', 'chmodSocket', 'workers', 'parser', 'app'] as const) assert.equal(resolved.sources[name], `file ${file}`);
  });

  it('reads a JSON object', () => {
    const file = fixture('app.json');
    const resolved = resolveConfig(['--config', file], {}, CWD);
    assert.deepEqual(resolved.config.socket, [
      { kind: 'unix', path: '/run/app/a.sock' },
      { kind: 'tcp', host: '::1', port: 3031 },
    ]);
    assert.equal(resolved.config.chmodSocket, 0o660);
    assert.equal(resolved.config.workers, 4);
    assert.equal(resolved.config.parser, 'native');
    assert.equal(resolved.config.app, 'app.js');
    assert.equal(resolved.sources.workers, `file ${file}`);
  });

  it('detects JSON by content too', () => {
    const file = tempFile('app.conf', ' {"app": "a.js", "socket": "/run/a.sock,/run/b.sock", "workers": "auto"}');
    const resolved = resolveConfig(['--config', file], {}, CWD);
    assert.equal(resolved.config.socket.length, 2);
    assert.ok(resolved.config.workers >= 1);
  });

  it('JSON values are validated like any other', () => {
    const bad = tempFile('bad.json', '{"app": "a.js", "socket": "/run/a.sock", "workers": true}');
    fails(['--config', bad], {}, ConfigErrorCode.INVALID_VALUE, `invalid value true for 'workers' in ${bad}: a JSON boolean is not accepted here (expected an integer from 1 to 1024, or "auto" (one per CPU))`);
  });

  it('one file can serve --ini ([uwsgi]) and --config ([uwsgi-ts])', () => {
    const file = fixture('both.ini');
    const resolved = resolveConfig(['--ini', file, '--config', file], {}, CWD);
    assert.deepEqual(resolved.config.socket, [{ kind: 'unix', path: '/run/from-uwsgi.sock' }]);
    assert.equal(resolved.config.workers, 6);
    assert.equal(resolved.sources.socket, `file ${file} [uwsgi] socket`);
    assert.equal(resolved.sources.workers, `file ${file}`);
  });

  it('returns the uWSGI warnings', () => {
    const file = fixture('uwsgi.ini');
    const resolved = resolveConfig(['--ini', file, 'app.js'], {}, CWD);
    assert.equal(resolved.config.workers, 4);
    assert.equal(resolved.config.chmodSocket, 0o660);
    assert.ok(resolved.warnings.includes(`ignoring uWSGI option 'plugins' at ${file}:6 (uwsgi-ts has no plugins: Node support is built in)`));
    assert.equal(resolved.config.harakiri, 30, 'harakiri means the same in uWSGI');
    assert.equal(resolved.config.vacuum, true);
    assert.equal(resolved.sources.vacuum, `file ${file} [uwsgi] vacuum`);
    assert.equal(resolved.config.logto, `${dirname(file)}/uwsgi.log`, 'logto means the same in uWSGI');
    assert.equal(resolved.warnings.length, 4);
  });

  it('rejects unknown keys, naming the key and the file', () => {
    fails(['--config', fixture('unknown-key.ini')], {}, ConfigErrorCode.UNKNOWN_KEY,
      `unknown key 'worker' in ${fixture('unknown-key.ini')}:3 (did you mean 'workers'?); known keys: ${OPTION_LIST.flatMap((o) => (o.configKey ? [o.configKey] : [])).join(', ')}`);
    fails(['--config', fixture('unknown-key.json')], {}, ConfigErrorCode.UNKNOWN_KEY,
      new RegExp(`^unknown key 'sockets' in ${fixture('unknown-key.json')} \\(did you mean 'socket'\\?\\)`));
    fails(['--config', fixture('uwsgi-key-in-config.ini')], {}, ConfigErrorCode.UNKNOWN_KEY,
      /unknown key 'processes' in .*uwsgi-key-in-config\.ini:2: 'processes' is the uWSGI name of 'workers' \(uWSGI keys belong in a \[uwsgi\] section read with --ini\)/);
    fails(['--config', fixture('forbidden-key.ini')], {}, ConfigErrorCode.UNKNOWN_KEY,
      /key 'config' in .*forbidden-key\.ini:2 cannot be set in a config file; use --config or UWSGI_TS_CONFIG/);
  });

  it('reports values, repeats and bare keys with file and line', () => {
    fails(['-s', 'a.sock', '--config', fixture('invalid-value.ini')], {}, ConfigErrorCode.INVALID_VALUE,
      new RegExp(`^invalid value "lots" for 'workers' in ${fixture('invalid-value.ini')}:3: expected an integer from 1 to 1024`));
    fails(['-s', 'a.sock', '--config', fixture('repeated.ini')], {}, ConfigErrorCode.INVALID_VALUE,
      `'workers' is set 2 times in ${fixture('repeated.ini')} (lines 2, 4); it takes one value`);
    fails(['--config', fixture('bare-value.ini')], {}, ConfigErrorCode.INVALID_VALUE,
      /^missing value for 'workers' in .*bare-value\.ini:2: write workers = VALUE/);
  });

  it('reports syntax errors with file and line', () => {
    fails(['--config', fixture('bad-syntax.ini')], {}, ConfigErrorCode.FILE_SYNTAX, `${fixture('bad-syntax.ini')}:4: unterminated quoted value (missing closing ")`);
    fails(['--config', fixture('bad.json')], {}, ConfigErrorCode.FILE_SYNTAX, new RegExp(`^${fixture('bad.json')}:3:\\d+: invalid JSON`));
    fails(['--config', fixture('not-object.json')], {}, ConfigErrorCode.FILE_SYNTAX, /must hold one object of config keys/);
    fails(['--config', fixture('no-section.ini')], {}, ConfigErrorCode.FILE_SYNTAX, /no-section\.ini:2: 'workers' is outside any section; put options under \[uwsgi-ts\]/);
    fails(['--config', fixture('no-uwsgi-ts-section.ini')], {}, ConfigErrorCode.FILE_SYNTAX,
      /no \[uwsgi-ts\] section \(it has a \[uwsgi\] section: read uWSGI ini files with --ini\)/);
    fails(['--ini', fixture('uwsgi-bad-placeholder.ini')], {}, ConfigErrorCode.INVALID_VALUE, /uWSGI magic variable %k/);
  });

  it('reports unreadable files with the option that named them', () => {
    fails([...BASE, '--config', '/nonexistent/app.ini'], {}, ConfigErrorCode.FILE_UNREADABLE,
      'cannot read config file /nonexistent/app.ini (given by --config): no such file');
    fails(BASE, { UWSGI_TS_INI: 'missing.ini' }, ConfigErrorCode.FILE_UNREADABLE,
      'cannot read config file /srv/cwd/missing.ini (given by UWSGI_TS_INI): no such file');
    fails([...BASE, '--config', FIXTURES], {}, ConfigErrorCode.FILE_UNREADABLE, /it is a directory/);
  });
});

describe('resolveConfig: required values and the environment', () => {
  it('reports a missing app and a missing socket clearly', () => {
    fails([], {}, ConfigErrorCode.MISSING,
      "no socket given: use --socket (-s), set UWSGI_TS_SOCKET, set 'socket' in a config file or 'socket' in a uWSGI ini; " +
        "no app given: pass it as the <app> argument (uwsgi-ts [options] <app>), set UWSGI_TS_APP or set 'app' in a config file");
    fails(['app.js'], {}, ConfigErrorCode.MISSING, /^no socket given: use --socket \(-s\)/);
    fails(['--config', fixture('socket-only.ini')], {}, ConfigErrorCode.MISSING, /^no app given: pass it as the <app> argument/);
  });

  it('warns about unknown UWSGI_TS_* variables, suggesting the closest', () => {
    const resolved = resolveConfig(BASE, { UWSGI_TS_WORKER: '3', UWSGI_TS_ZZZ: '1', UWSGI_TS_PRINT_CONFIG: '1', PATH: '/bin', UWSGI_SOCKET: 'x' }, CWD);
    assert.deepEqual(resolved.warnings, [
      'ignoring unknown environment variable UWSGI_TS_PRINT_CONFIG',
      'ignoring unknown environment variable UWSGI_TS_WORKER (did you mean UWSGI_TS_WORKERS?)',
      'ignoring unknown environment variable UWSGI_TS_ZZZ',
    ]);
    assert.equal(resolved.config.workers, 1);
  });

  it('does not warn about reserved variables read elsewhere', () => {
    assert.deepEqual(resolveConfig(BASE, { UWSGI_TS_DEBUG: '1' }, CWD).warnings, []);
  });

  it('treats an empty variable as unset', () => {
    const resolved = resolveConfig(BASE, { UWSGI_TS_WORKERS: '', UWSGI_TS_CONFIG: '' }, CWD);
    assert.equal(resolved.config.workers, 1);
    assert.equal(resolved.sources.workers, 'default');
  });

  it('reads every env var of the table', () => {
    const env: NodeJS.ProcessEnv = {
      UWSGI_TS_SOCKET: '/run/e.sock',
      UWSGI_TS_CHMOD_SOCKET: '600',
      UWSGI_TS_WORKERS: '9',
      UWSGI_TS_PARSER: 'native',
      UWSGI_TS_APP: 'env-app.js',
    };
    const resolved = resolveConfig([], env, CWD);
    assert.equal(resolved.config.chmodSocket, 0o600);
    assert.equal(resolved.config.workers, 9);
    assert.equal(resolved.config.parser, 'native');
    assert.equal(resolved.config.app, 'env-app.js');
    for (const option of OPTION_LIST) {
      if (option.env !== undefined && env[option.env] !== undefined) assert.equal(resolved.sources[option.name], `env ${option.env}`);
    }
  });
});
