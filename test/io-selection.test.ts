/**
 * Which connection path the workers use (--io): native by default when the addon is
 * built, js on request, js with one log line when the addon cannot load, and a refusal
 * to start when native is forced without the addon.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { startServer } from './helpers/server';
import { assertServesEcho } from './helpers/serves-echo';
import { ExitCode } from '../src/exit-codes';

test('the native connection path is the default when the addon is built', async () => {
  const server = await startServer({ app: 'echo.js', env: { UWSGI_TS_IO: 'auto' } });
  try {
    assert.match(server.output(), /\] ready .*transport=native parser=native/);
    await assertServesEcho(server.socketPath);
  } finally {
    await server.stop();
  }
});

test('--io js serves the same requests over node:net sockets', async () => {
  const server = await startServer({ app: 'echo.js', args: ['--io', 'js'], env: { UWSGI_TS_IO: 'native' } });
  try {
    assert.match(server.output(), /\] ready .*transport=js/);
    await assertServesEcho(server.socketPath);
  } finally {
    await server.stop();
  }
});

test('--io native with --parser js: native connections, vars parsed by the TS parser', async () => {
  const server = await startServer({ app: 'echo.js', args: ['--io', 'native', '--parser', 'js'] });
  try {
    assert.match(server.output(), /\] ready .*transport=native parser=js/);
    await assertServesEcho(server.socketPath);
  } finally {
    await server.stop();
  }
});

test('without the addon the workers fall back to the js path, saying why in one line', async () => {
  const server = await startServer({ app: 'echo.js', env: { UWSGI_TS_NO_ADDON: '1', UWSGI_TS_IO: 'auto' } });
  try {
    await assertServesEcho(server.socketPath);
    const fallbacks = server.output().match(/warn \[worker 1\] io_fallback io=js reason="UWSGI_TS_NO_ADDON=1 is set"/g) ?? [];
    assert.equal(fallbacks.length, 1);
    assert.match(server.output(), /\] ready .*transport=js/);
  } finally {
    await server.stop();
  }
});

test('--io native without the addon refuses to start, naming the option', async () => {
  const server = await startServer({ app: 'echo.js', args: ['--io', 'native'], env: { UWSGI_TS_NO_ADDON: '1' }, waitReady: 0 });
  const { code } = await server.waitExit();
  assert.equal(code, ExitCode.USAGE);
  assert.match(server.output(), /config_error option=--io value=native .*UWSGI_TS_NO_ADDON=1 is set/);
  await server.stop();
});
