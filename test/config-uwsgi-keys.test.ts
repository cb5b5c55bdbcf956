/**
 * The uWSGI options that mean the same here are read from an ini's [uwsgi] section by
 * --ini: each maps to its option and resolves to the value uWSGI would use, without a
 * warning; an option we do not support is named in a warning, never dropped silently.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { resolveSettings } from '../src/config/load';
import { parseUwsgiIni } from '../src/config/uwsgi-ini';

const FILE = '/etc/uwsgi/apps/app.ini';

/** Every uWSGI key the operators' files carry that uwsgi-ts honours, with a value and what it resolves to. */
const SAME_MEANING: readonly [key: string, value: string, option: string, expected: unknown][] = [
  ['socket', '/run/app.sock', 'socket', [{ kind: 'unix', path: '/run/app.sock' }]],
  ['processes', '4', 'workers', 4],
  ['workers', '3', 'workers', 3],
  ['harakiri', '30', 'harakiri', 30],
  ['max-requests', '5000', 'maxRequests', 5000],
  ['reload-on-rss', '512', 'reloadOnRss', 512],
  ['chmod-socket', '660', 'chmodSocket', 0o660],
  ['vacuum', 'false', 'vacuum', false],
  ['pidfile', '/run/app.pid', 'pidfile', '/run/app.pid'],
  ['listen', '4096', 'listen', 4096],
  ['uid', 'www-data', 'uid', 'www-data'],
  ['gid', 'www-data', 'gid', 'www-data'],
  ['touch-reload', '/srv/app/reload', 'touchReload', ['/srv/app/reload']],
  ['chdir', '/srv/app', 'chdir', '/srv/app'],
  ['env', 'LANG=C.UTF-8', 'env', [{ name: 'LANG', value: 'C.UTF-8' }]],
];

function resolveIni(body: string) {
  const mapped = parseUwsgiIni(`[uwsgi]\n${body}\n`, FILE, {}, '/srv');
  const resolved = resolveSettings([...mapped.settings, { name: 'app', origin: { kind: 'cli', flag: '<app>' }, text: 'app.js' }], {}, '/srv');
  return { mapped, resolved };
}

describe('--ini: the uWSGI options that mean the same here', () => {
  for (const [key, value, option, expected] of SAME_MEANING) {
    it(`${key} = ${value}`, () => {
      const body = key === 'socket' ? `${key} = ${value}` : `socket = /run/app.sock\n${key} = ${value}`;
      const { mapped, resolved } = resolveIni(body);
      assert.deepEqual(mapped.warnings, []);
      assert.deepEqual((resolved.config as unknown as Record<string, unknown>)[option], expected);
      assert.equal((resolved.sources as Record<string, string>)[option], `file ${FILE} [uwsgi] ${key}`);
      // uWSGI accepts `_` for `-`.
      const underscored = resolveIni(body.replace(key, key.replace(/-/g, '_')));
      assert.deepEqual((underscored.resolved.config as unknown as Record<string, unknown>)[option], expected);
    });
  }

  it('names every uWSGI option it does not support, with the line', () => {
    const { mapped } = resolveIni('socket = /run/app.sock\nthunder-lock = true\ncheaper = 2\nmemory-report');
    assert.deepEqual(mapped.warnings, [
      `ignoring uWSGI option 'thunder-lock' at ${FILE}:3 (not supported by uwsgi-ts)`,
      `ignoring uWSGI option 'cheaper' at ${FILE}:4 (not supported by uwsgi-ts)`,
      `ignoring uWSGI option 'memory-report' at ${FILE}:5 (each worker's RSS is in /stats and /metrics (--metrics))`,
    ]);
  });
});
