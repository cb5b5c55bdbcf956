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
import * as net from 'node:net';
import { probeVerdict } from '../src/supervisor/sockets';
import { unusedSocketFileOptions } from '../src/supervisor/process-setup';

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

test('--socket takes the names the log gives sockets (tcp:HOST:PORT, unix:PATH) and means the same sockets', async () => {
  const port = await freePort();
  const dir = tempDir();
  const unixPath = path.join(dir, 'b.sock');
  const server = await startServer({ app: 'echo.js', args: ['--socket', `tcp:127.0.0.1:${port}`, '--socket', `unix:${unixPath}`] });
  try {
    assert.equal((await uwsgiRequest({ host: '127.0.0.1', port }, 'GET', '/hello')).status, 200);
    assert.equal((await uwsgiRequest(unixPath, 'GET', '/hello')).status, 200);
    assert.match(server.output(), new RegExp(`sockets=.*tcp:127\\.0\\.0\\.1:${port}.*unix:${unixPath.replace(/[.]/g, '\\.')}`));
  } finally {
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
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

test('probeVerdict: only a refused connection makes a socket file stale', () => {
  assert.deepEqual(probeVerdict('ECONNREFUSED'), { stale: true });
  assert.deepEqual(probeVerdict('ENOENT'), { stale: true });
  assert.equal(probeVerdict('connected').stale, false);
  assert.match((probeVerdict('EAGAIN') as { reason: string }).reason, /listen queue is full/);
  assert.match((probeVerdict('EACCES') as { reason: string }).reason, /failed with EACCES, so it may be in use/);
});

/** Opens connections to `file` until one is refused with EAGAIN (the queue is full). */
async function fillBacklog(file: string, most = 200): Promise<net.Socket[]> {
  const open: net.Socket[] = [];
  for (let i = 0; i < most; i++) {
    const outcome = await new Promise<string>((resolve) => {
      const socket = net.connect({ path: file }, () => resolve('connected'));
      socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
      open.push(socket);
    });
    if (outcome === 'EAGAIN') return open;
    assert.equal(outcome, 'connected');
  }
  throw new Error(`the listen queue never filled after ${most} connections`);
}

test('a live server whose listen queue is full is not taken for a stale one', async () => {
  const server = await startServer({ app: 'echo.js', args: ['--listen', '2'] });
  const worker = Number(/worker_ready slot=\d+ pid=(\d+)/.exec(server.output())![1]);
  let waiting: net.Socket[] = [];
  try {
    process.kill(worker, 'SIGSTOP');
    try {
      waiting = await fillBacklog(server.socketPath);
      const clash = await startServer({ app: 'echo.js', waitReady: 0, args: ['--socket', server.socketPath] });
      try {
        assert.equal((await clash.waitExit()).code, 5);
        assert.match(clash.output(), /socket_failed code=UWSGI_TS_SOCKET_IN_USE error=".*app\.sock: another server is listening on it \(its listen queue is full\)/);
      } finally {
        await clash.stop('SIGKILL');
      }
    } finally {
      process.kill(worker, 'SIGCONT');
      for (const socket of waiting) socket.destroy();
    }
    // The resumed worker first drains the full queue; until then a connect may still get EAGAIN.
    let status = 0;
    for (let attempt = 0; attempt < 100 && status !== 200; attempt++) {
      status = await uwsgiRequest(server.socketPath, 'GET', '/hello').then((r) => r.status, () => 0);
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(status, 200, 'the first server lost its socket');
  } finally {
    await server.stop();
  }
});

test('a TCP port in use and a missing socket directory are refused with exit code 5 and the reason', async () => {
  const busy = net.createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  const port = (busy.address() as net.AddressInfo).port;
  const dir = tempDir();
  try {
    for (const [socket, pattern] of [
      [`127.0.0.1:${port}`, new RegExp(`cannot bind tcp:127\\.0\\.0\\.1:${port}: EADDRINUSE, the address is in use: another server listens there`)],
      [path.join(dir, 'missing', 'app.sock'), /cannot bind unix:.*missing\/app\.sock: ENOENT, the directory of the socket path does not exist/],
    ] as const) {
      const server = await startServer({ app: 'echo.js', waitReady: 0, args: ['--socket', socket] });
      assert.equal((await server.waitExit()).code, 5);
      assert.match(server.output(), pattern);
      await server.stop();
    }
  } finally {
    busy.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('--chmod-socket/--chown-socket without a unix socket file of ours are reported as having no effect', () => {
  const tcp = [{ kind: 'tcp' as const, host: '127.0.0.1', port: 3031 }, { kind: 'fd' as const, fd: 3 }];
  assert.deepEqual(unusedSocketFileOptions({ chmodSocket: 0o660, chownSocket: undefined }, tcp), [
    '--chmod-socket has no effect: this master creates no unix socket file (an inherited socket keeps the mode and owner it was given)',
  ]);
  assert.equal(unusedSocketFileOptions({ chmodSocket: 0o660, chownSocket: { group: 'www-data' } }, tcp).length, 2);
  assert.deepEqual(unusedSocketFileOptions({ chmodSocket: 0o660, chownSocket: undefined }, [...tcp, { kind: 'unix', path: '/run/a.sock' }]), []);
  assert.deepEqual(unusedSocketFileOptions({ chmodSocket: undefined, chownSocket: undefined }, tcp), []);
});
