import { strict as assert } from 'node:assert';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { resolveConfig } from '../src/config/load';
import { OPTION_LIST } from '../src/config/options';
import { NOT_SET, printName, renderPrintConfig } from '../src/config/print-config';
import { loadConfig } from '../src/config/startup';

const FIXTURES = resolve(__dirname, '..', '..', 'test', 'fixtures', 'config');

describe('--print-config', () => {
  const config = resolve(FIXTURES, 'app.ini');
  const argv = ['--config', config, '--workers', '2', '--print-config'];
  const env = { UWSGI_TS_PARSER: 'native' };

  it('prints every option with its value and source, in aligned columns', () => {
    const text = renderPrintConfig(resolveConfig(argv, env, '/srv'));
    const sockets = '/run/app/a.sock,127.0.0.1:3031';
    // The value column is as wide as the widest value: here the socket list or the fixture's path.
    const width = Math.max(sockets.length, config.length);
    const row = (key: string, value: string, source: string) => `${key.padEnd(19)}  ${value.padEnd(width)}  ${source}`;
    assert.equal(
      text,
      [
        row('key', 'value', 'source'),
        row('socket', sockets, `file ${config}`),
        row('chmod-socket', '0660', `file ${config}`),
        row('chown-socket', NOT_SET, 'default'),
        row('allow-from', '127.0.0.0/8,::1/128', 'default'),
        row('listen', '1024', 'default'),
        row('socket-timeout', '60', 'default'),
        row('buffer-size', '65535', 'default'),
        row('max-vars', '1024', 'default'),
        row('limit-post', '0', 'default'),
        row('max-connections', '1024', 'default'),
        row('workers', '2', 'cli --workers'),
        row('graceful-timeout', '30', 'default'),
        row('boot-timeout', '60', 'default'),
        row('min-workers', NOT_SET, 'default'),
        row('idle', NOT_SET, 'default'),
        row('max-requests', NOT_SET, 'default'),
        row('max-requests-jitter', '0', 'default'),
        row('max-recycling', '1', 'default'),
        row('reload-on-rss', NOT_SET, 'default'),
        row('harakiri', NOT_SET, 'default'),
        row('harakiri-grace', '5', 'default'),
        row('touch-reload', NOT_SET, 'default'),
        row('parser', 'native', 'env UWSGI_TS_PARSER'),
        row('io', 'auto', 'default'),
        row('vacuum', 'true', 'default'),
        row('pidfile', NOT_SET, 'default'),
        row('uid', NOT_SET, 'default'),
        row('gid', NOT_SET, 'default'),
        row('chdir', NOT_SET, 'default'),
        row('env', NOT_SET, 'default'),
        row('app', 'my app.js', `file ${config}`),
        row('app-listen-timeout', '30', 'default'),
        row('metrics', NOT_SET, 'default'),
        row('logto', NOT_SET, 'default'),
        row('log-format', 'text', 'default'),
        row('disable-logging', 'false', 'default'),
        row('config', config, 'cli --config'),
        row('ini', NOT_SET, 'default'),
        row('print-config', 'true', 'cli --print-config'),
        '',
      ].join('\n'),
    );
  });

  it('has one row per table option, columns aligned whatever the values', () => {
    const resolved = resolveConfig(['-s', '/run/a-much-longer-socket-path-than-usual.sock', 'app.js'], {}, '/');
    const lines = renderPrintConfig(resolved).trimEnd().split('\n');
    assert.equal(lines.length, OPTION_LIST.length + 1);
    OPTION_LIST.forEach((option, index) => {
      const line = lines[index + 1]!;
      assert.ok(line.startsWith(printName(option) + ' '), line);
      assert.ok(line.endsWith(`  ${resolved.sources[option.name]}`), line);
    });
    const valueColumn = lines[0]!.indexOf('value');
    const sourceColumn = lines[0]!.indexOf('source');
    for (const line of lines) {
      assert.equal(line[valueColumn - 1], ' ');
      assert.notEqual(line[valueColumn], ' ', line);
      assert.equal(line.slice(sourceColumn - 2, sourceColumn), '  ', line);
      assert.notEqual(line[sourceColumn], ' ', line);
    }
  });

  it('shows the sockets systemd activation brings when no --socket is given', () => {
    const activation = { LISTEN_PID: String(process.pid), LISTEN_FDS: '2', LISTEN_FDNAMES: 'web:admin' };
    const text = renderPrintConfig(resolveConfig(['app.js'], activation, '/srv'));
    assert.match(text, /^socket +fd:\/\/3,fd:\/\/4 +env LISTEN_FDS$/m);
    // Activation meant for another process (LISTEN_PID) brings none: --socket is required then.
    assert.throws(() => resolveConfig(['app.js'], { ...activation, LISTEN_PID: '1' }, '/srv'), /--socket/);
  });

  it('exits 0 with the table on stdout and warnings on stderr', () => {
    const outcome = loadConfig([...argv, '--ini', resolve(FIXTURES, 'uwsgi.ini')], { ...env, UWSGI_TS_NOPE: 'x' }, '/srv');
    assert.equal(outcome.action, 'exit');
    if (outcome.action !== 'exit') return;
    assert.equal(outcome.exitCode, 0);
    assert.match(outcome.stdout, /^key +value +source\n/);
    assert.match(outcome.stdout, /\nsocket +\/run\/app\/a\.sock,127\.0\.0\.1:3031 +file /);
    assert.match(outcome.stderr, /^uwsgi-ts: warning: ignoring uWSGI option 'master' at /m);
    assert.match(outcome.stderr, /^uwsgi-ts: warning: ignoring unknown environment variable UWSGI_TS_NOPE$/m);
  });
});
