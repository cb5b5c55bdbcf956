/**
 * Listening sockets with real processes: IPv6 TCP, a path that is not a socket, and the
 * vacuum's check that a socket file is still this master's before removing it.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startServer, tempDir } from './helpers/server';
import { freePort } from './helpers/nginx';
import { uwsgiRequest } from './helpers/uwsgi-client';

test('TCP on [::1]:PORT', async () => {
  const port = await freePort();
  const server = await startServer({ app: 'echo.js', args: ['--socket', `[::1]:${port}`] });
  try {
    assert.equal((await uwsgiRequest({ host: '::1', port }, 'GET', '/hello')).status, 200);
    assert.match(server.output(), new RegExp(`sockets=.*tcp:\\[::1\\]:${port}`));
  } finally {
    await server.stop();
  }
});

test('a path that exists and is not a socket is refused with exit code 5 and left alone', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'notes.txt');
  fs.writeFileSync(file, 'keep me');
  try {
    const server = await startServer({ app: 'echo.js', waitReady: 0, args: ['--socket', file] });
    assert.equal((await server.waitExit()).code, 5);
    assert.match(server.output(), /socket_failed code=UWSGI_TS_SOCKET_NOT_A_SOCKET error=".*notes\.txt exists and is not a socket/);
    assert.equal(fs.readFileSync(file, 'utf8'), 'keep me');
    await server.stop();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('vacuum removes only its own socket file: a newer master on the same path keeps its socket', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'shared.sock');
  try {
    const old = await startServer({ app: 'echo.js', args: ['--socket', file] });
    // An operator removes the file and starts a new master on the path (the old one still runs).
    fs.unlinkSync(file);
    const fresh = await startServer({ app: 'echo.js', args: ['--socket', file] });
    try {
      assert.equal((await old.stop()).code, 0);
      assert.ok(fs.lstatSync(file).isSocket(), "the old master's vacuum removed the new master's socket");
      assert.equal((await uwsgiRequest(file, 'GET', '/hello')).status, 200);
    } finally {
      await fresh.stop();
    }
    assert.equal(fs.existsSync(file), false, 'the new master left its socket behind');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
