/**
 * The master's minimal lifecycle with real processes and real signals: workers that die
 * are replaced, SIGTERM lets in-flight requests finish and removes the socket file.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startServer } from './helpers/server';
import { freePort } from './helpers/nginx';
import { rawExchange, packet, nginxVars, parseResponse, uwsgiRequest } from './helpers/uwsgi-client';

function workerPids(output: string): number[] {
  return [...output.matchAll(/worker_ready slot=\d+ pid=(\d+)/g)].map((m) => Number(m[1]));
}

test('a worker killed with SIGKILL is replaced and service continues', async () => {
  const server = await startServer({ app: 'echo.js', workers: 2 });
  try {
    const [victim] = workerPids(server.output());
    process.kill(victim, 'SIGKILL');
    await server.waitForOutput(new RegExp(`worker_exited slot=\\d pid=${victim} code=null signal=SIGKILL`));
    await server.waitForOutput(/worker_ready/, 10_000, server.output().lastIndexOf(`pid=${victim}`));
    assert.equal(workerPids(server.output()).length, 3);
    for (let i = 0; i < 20; i++) assert.equal((await uwsgiRequest(server.socketPath, 'GET', '/hello')).status, 200);
  } finally {
    await server.stop();
  }
});

test('SIGTERM: an in-flight request completes, then the master exits 0 and removes its socket', async () => {
  const server = await startServer({ app: 'echo.js', workers: 1 });
  assert.ok(fs.existsSync(server.socketPath));
  const slow = rawExchange(server.socketPath, packet(nginxVars('GET', '/slow?ms=1000')), { timeoutMs: 10_000 });
  await new Promise((r) => setTimeout(r, 200));
  process.kill(server.pid, 'SIGTERM');
  const response = parseResponse((await slow).data);
  assert.equal(response.status, 200);
  assert.equal(response.body.toString(), 'slept 1000\n');
  const { code } = await server.waitExit();
  assert.equal(code, 0);
  assert.equal(fs.existsSync(server.socketPath), false, 'socket file left behind');
  assert.match(server.output(), /stopping mode=graceful reason=SIGTERM/);
  await server.stop();
});

test('SIGINT is a fast stop: the master exits without waiting for slow requests', async () => {
  const server = await startServer({ app: 'echo.js', workers: 1 });
  const slow = rawExchange(server.socketPath, packet(nginxVars('GET', '/slow?ms=5000')), { timeoutMs: 10_000 });
  await new Promise((r) => setTimeout(r, 200));
  const started = Date.now();
  process.kill(server.pid, 'SIGINT');
  const { code } = await server.waitExit();
  assert.equal(code, 0);
  assert.ok(Date.now() - started < 4000, 'fast stop waited for the slow request');
  assert.equal((await slow).data.length, 0);
  await server.stop();
});

test('a live socket file is refused with exit code 5', async () => {
  const first = await startServer({ app: 'echo.js' });
  try {
    const clash = await startServer({ app: 'echo.js', waitReady: 0, args: ['--socket', first.socketPath] });
    const { code } = await clash.waitExit();
    assert.equal(code, 5);
    assert.match(clash.output(), /socket_failed .*another server is listening on/);
    await clash.stop();
    assert.equal((await uwsgiRequest(first.socketPath, 'GET', '/hello')).status, 200, 'the first server lost its socket');
  } finally {
    await first.stop();
  }
});

test('a stale socket file (its server died) is replaced', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uwsgi-ts-stale-'));
  const stale = path.join(dir, 'stale.sock');
  const holder = spawnSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(stale)}, () => process.kill(process.pid, 'SIGKILL'))`]);
  assert.equal(holder.signal, 'SIGKILL');
  assert.ok(fs.lstatSync(stale).isSocket());
  const server = await startServer({ app: 'echo.js', args: ['--socket', stale] });
  try {
    assert.equal((await uwsgiRequest(stale, 'GET', '/hello')).status, 200);
  } finally {
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('TCP sockets and --chmod-socket', async () => {
  const port = await freePort();
  const server = await startServer({ app: 'echo.js', args: ['--socket', `127.0.0.1:${port}`, '--chmod-socket', '660'] });
  try {
    assert.equal((await uwsgiRequest({ host: '127.0.0.1', port }, 'GET', '/hello')).status, 200);
    assert.equal(fs.statSync(server.socketPath).mode & 0o777, 0o660);
    assert.match(server.output(), /sockets=unix:.*,tcp:127\.0\.0\.1:\d+/);
  } finally {
    await server.stop();
  }
});
