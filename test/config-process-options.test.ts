/**
 * The process options (--vacuum/--no-vacuum, --pidfile, --uid, --gid, --chown-socket,
 * --chdir, --env) through every source: values, validation messages and sources.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, ConfigErrorCode } from '../src/config/errors';
import { resolveConfig } from '../src/config/load';
import { renderHelp } from '../src/config/cli';

const BASE = ['--socket', '/run/app.sock', 'app.js'];
const CWD = '/srv';

function invalid(argv: string[], env: NodeJS.ProcessEnv, message: RegExp): void {
  assert.throws(
    () => resolveConfig(argv, env, CWD),
    (error: unknown) => error instanceof ConfigError && error.code === ConfigErrorCode.INVALID_VALUE && message.test(error.message),
  );
}

function withFile<T>(name: string, text: string, use: (file: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'uwsgi-ts-config-'));
  try {
    const file = join(dir, name);
    writeFileSync(file, text);
    return use(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('process options', () => {
  it('under systemd socket activation (LISTEN_PID = this process) --socket may be left out', () => {
    const activation = { LISTEN_PID: String(process.pid), LISTEN_FDS: '1' };
    const resolved = resolveConfig(['app.js'], activation, CWD);
    // The activated fds, named as fd://N (what --print-config shows; served as before).
    assert.deepEqual(resolved.config.socket, [{ kind: 'fd', fd: 3 }]);
    assert.equal(resolved.sources.socket, 'env LISTEN_FDS');
    assert.deepEqual(resolveConfig(BASE, activation, CWD).config.socket, [{ kind: 'unix', path: '/run/app.sock' }]);
    for (const env of [{ ...activation, LISTEN_PID: String(process.pid + 1) }, { ...activation, LISTEN_FDS: '0' }, {}]) {
      assert.throws(
        () => resolveConfig(['app.js'], env, CWD),
        (error: unknown) => error instanceof ConfigError && error.code === ConfigErrorCode.MISSING && /no socket given/.test(error.message),
      );
    }
  });

  it('vacuum is on by default; --no-vacuum, the env var or a file turn it off; the last flag wins', () => {
    assert.equal(resolveConfig(BASE, {}, CWD).config.vacuum, true);
    const off = resolveConfig([...BASE, '--no-vacuum'], {}, CWD);
    assert.equal(off.config.vacuum, false);
    assert.equal(off.sources.vacuum, 'cli --no-vacuum');
    assert.equal(resolveConfig([...BASE, '--no-vacuum', '--vacuum'], {}, CWD).config.vacuum, true);
    assert.equal(resolveConfig(BASE, { UWSGI_TS_VACUUM: 'no' }, CWD).config.vacuum, false);
    withFile('app.ini', '[uwsgi-ts]\nvacuum = off\n', (file) => assert.equal(resolveConfig(['--config', file, ...BASE], {}, CWD).config.vacuum, false));
    withFile('uwsgi.ini', '[uwsgi]\nvacuum = false\n', (file) => assert.equal(resolveConfig(['--ini', file, ...BASE], {}, CWD).config.vacuum, false));
    assert.match(renderHelp('0'), /--vacuum\s+Remove the unix socket files[\s\S]*--no-vacuum\s+Turn off --vacuum\./);
  });

  it('--uid/--gid take names or ids and refuse anything else', () => {
    const config = resolveConfig([...BASE, '--uid', 'www-data', '--gid', '0033'], {}, CWD).config;
    assert.equal(config.uid, 'www-data');
    assert.equal(config.gid, '33');
    assert.equal(resolveConfig(BASE, { UWSGI_TS_UID: '1000' }, CWD).config.uid, '1000');
    invalid([...BASE, '--uid', 'bad name'], {}, /invalid value "bad name" for --uid: expected a user name \(such as www-data\) or a numeric uid/);
    invalid([...BASE, '--gid', '-1'], {}, /for --gid/);
    invalid([...BASE, '--uid', '99999999999'], {}, /for --uid/);
  });

  it('--chown-socket takes USER, USER:GROUP or :GROUP', () => {
    const owner = (text: string) => resolveConfig([...BASE, '--chown-socket', text], {}, CWD).config.chownSocket;
    assert.deepEqual(owner('www-data'), { user: 'www-data' });
    assert.deepEqual(owner('root:www-data'), { user: 'root', group: 'www-data' });
    assert.deepEqual(owner(':33'), { group: '33' });
    invalid([...BASE, '--chown-socket', ':'], {}, /neither a user nor a group is given/);
    invalid([...BASE, '--chown-socket', 'a b:c'], {}, /'a b' is not a user name or uid/);
    withFile('app.json', '{"chown-socket": 5}', (file) =>
      assert.throws(() => resolveConfig(['--config', file, ...BASE], {}, CWD), /a JSON number is not accepted here/),
    );
  });

  it('--env is repeatable, keeps commas and "=" in values, and reads JSON arrays and objects', () => {
    const env = resolveConfig([...BASE, '--env', 'A=1,2', '--env', 'B=', '--env', 'C=x=y'], {}, CWD).config.env;
    assert.deepEqual(env, [
      { name: 'A', value: '1,2' },
      { name: 'B', value: '' },
      { name: 'C', value: 'x=y' },
    ]);
    invalid([...BASE, '--env', 'NOEQUALS'], {}, /there is no "="/);
    invalid([...BASE, '--env', '1X=a'], {}, /'1X' is not a valid variable name/);
    withFile('app.ini', '[uwsgi-ts]\nenv = A=1\nenv = B=2\n', (file) =>
      assert.deepEqual(resolveConfig(['--config', file, ...BASE], {}, CWD).config.env, [
        { name: 'A', value: '1' },
        { name: 'B', value: '2' },
      ]),
    );
    withFile('app.json', '{"env": {"A": "1", "B": "x,y"}}', (file) =>
      assert.deepEqual(resolveConfig(['--config', file, ...BASE], {}, CWD).config.env, [
        { name: 'A', value: '1' },
        { name: 'B', value: 'x,y' },
      ]),
    );
    withFile('app.json', '{"env": ["A=1"]}', (file) => assert.deepEqual(resolveConfig(['--config', file, ...BASE], {}, CWD).config.env, [{ name: 'A', value: '1' }]));
    withFile('app.json', '{"env": {"A": 1}}', (file) => assert.throws(() => resolveConfig(['--config', file, ...BASE], {}, CWD), /the value of A must be a JSON string/));
  });

  it('--pidfile and --chdir are paths, from any source', () => {
    const config = resolveConfig([...BASE, '--pidfile', 'run/app.pid'], { UWSGI_TS_CHDIR: '/srv/app' }, CWD).config;
    assert.equal(config.pidfile, 'run/app.pid');
    assert.equal(config.chdir, '/srv/app');
    withFile('uwsgi.ini', '[uwsgi]\npidfile = /run/%n.pid\nchdir = /srv/x\nuid = www-data\ngid = www-data\nenv = LANG=C.UTF-8\nchown-socket = www-data\n', (file) => {
      const resolved = resolveConfig(['--ini', file, ...BASE], {}, CWD);
      assert.equal(resolved.config.pidfile, '/run/uwsgi.pid');
      assert.equal(resolved.config.chdir, '/srv/x');
      assert.equal(resolved.config.uid, 'www-data');
      assert.equal(resolved.config.gid, 'www-data');
      assert.deepEqual(resolved.config.env, [{ name: 'LANG', value: 'C.UTF-8' }]);
      assert.deepEqual(resolved.config.chownSocket, { user: 'www-data' });
      assert.deepEqual(resolved.warnings, []);
    });
  });
});
