/**
 * Which vars parser the workers use: native by default, the TS twin on request, and the
 * TS twin with one log line when the addon cannot load.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { startServer } from './helpers/server';
import { assertServesEcho } from './helpers/serves-echo';
import { ExitCode } from '../src/exit-codes';

test('the native parser is the default when the addon is built', async () => {
  const server = await startServer({ app: 'echo.js' });
  try {
    assert.match(server.output(), /\] ready .*parser=native/);
    await assertServesEcho(server.socketPath);
  } finally {
    await server.stop();
  }
});

test('--parser js serves the same requests with the TS parser', async () => {
  const server = await startServer({ app: 'echo.js', args: ['--parser', 'js'] });
  try {
    assert.match(server.output(), /\] ready .*parser=js/);
    await assertServesEcho(server.socketPath);
  } finally {
    await server.stop();
  }
});

test('without the addon the workers fall back to the TS parser, saying why in one line', async () => {
  const server = await startServer({ app: 'echo.js', workers: 1, env: { UWSGI_TS_NO_ADDON: '1', UWSGI_TS_IO: 'auto' } });
  try {
    await assertServesEcho(server.socketPath);
    const fallbacks = server.output().match(/warn \[worker 1\] vars_parser_fallback .*reason="UWSGI_TS_NO_ADDON=1 is set"/g) ?? [];
    assert.equal(fallbacks.length, 1);
    assert.match(server.output(), /\] ready .*parser=js/);
  } finally {
    await server.stop();
  }
});

test('--parser native without the addon refuses to start, naming the option', async () => {
  const server = await startServer({ app: 'echo.js', args: ['--parser', 'native'], env: { UWSGI_TS_NO_ADDON: '1' }, waitReady: 0 });
  const { code } = await server.waitExit();
  assert.equal(code, ExitCode.USAGE);
  assert.match(server.output(), /config_error option=--parser value=native .*UWSGI_TS_NO_ADDON=1 is set/);
  await server.stop();
});
