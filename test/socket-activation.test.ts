/**
 * systemd socket activation and inherited fds: the variable protocol and the matching
 * (pure, with fakes), the /proc lookup of an fd's address (real sockets), and a real
 * activation by systemd-socket-activate (Debian's systemd package), which binds the
 * sockets, sets LISTEN_FDS/LISTEN_PID/LISTEN_FDNAMES and execs the master in its own pid.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { BIN, FIXTURE_APPS, tempDir } from './helpers/server';
import { freePort } from './helpers/nginx';
import { nginxVars, packet, parseResponse, rawExchange, uwsgiRequest } from './helpers/uwsgi-client';

/** The request that triggers the exec: it waits in the backlog while the master boots. */
async function firstRequest(file: string) {
  return parseResponse((await rawExchange(file, packet(nginxVars('GET', '/')), { timeoutMs: 30_000 })).data);
}
import { assignActivatedSockets, clearActivationEnv, parseActivation } from '../src/supervisor/systemd-activation';
import { parseProcNetTcp, parseProcNetUnix, socketAddressOfFd } from '../src/supervisor/fd-address';
import type { SocketSpec } from '../src/supervisor/sockets';

test('parseActivation follows sd_listen_fds: only for our pid, fds from 3, names optional', () => {
  assert.deepEqual(parseActivation({}, 42), { ok: true, sockets: [], warnings: [] });
  assert.deepEqual(parseActivation({ LISTEN_PID: '41', LISTEN_FDS: '2' }, 42), { ok: true, sockets: [], warnings: [] });
  assert.deepEqual(parseActivation({ LISTEN_PID: '42', LISTEN_FDS: '2' }, 42), { ok: true, sockets: [{ fd: 3 }, { fd: 4 }], warnings: [] });
  assert.deepEqual(parseActivation({ LISTEN_PID: '42', LISTEN_FDS: '2', LISTEN_FDNAMES: 'web:' }, 42), {
    ok: true,
    sockets: [{ fd: 3, name: 'web' }, { fd: 4 }],
    warnings: [],
  });
  const mismatch = parseActivation({ LISTEN_PID: '42', LISTEN_FDS: '2', LISTEN_FDNAMES: 'web' }, 42);
  assert.ok(mismatch.ok);
  assert.deepEqual(mismatch.sockets, [{ fd: 3 }, { fd: 4 }]);
  assert.match(mismatch.warnings[0]!, /1 names for 2 sockets/);
  assert.deepEqual(parseActivation({ LISTEN_PID: 'x', LISTEN_FDS: '1' }, 42), { ok: false, reason: 'LISTEN_PID="x" is not a process id' });
  const bad = parseActivation({ LISTEN_PID: '42', LISTEN_FDS: '-1' }, 42);
  assert.ok(!bad.ok && /LISTEN_FDS="-1" is not a number of sockets/.test(bad.reason));
  const env: NodeJS.ProcessEnv = { LISTEN_PID: '1', LISTEN_FDS: '1', LISTEN_FDNAMES: 'a', OTHER: 'x' };
  clearActivationEnv(env);
  assert.deepEqual(env, { OTHER: 'x' });
});

test('assignActivatedSockets: addresses map to activated fds, fd://N is kept, unnamed ones are added', () => {
  const addresses: Record<number, SocketSpec> = {
    3: { kind: 'unix', path: '/run/app.sock' },
    4: { kind: 'tcp', host: '127.0.0.1', port: 3031 },
    5: { kind: 'tcp', host: '::1', port: 3032 },
  };
  const activated = [{ fd: 3, name: 'web' }, { fd: 4 }, { fd: 5 }];
  const specs: SocketSpec[] = [
    { kind: 'tcp', host: '127.0.0.1', port: 3031 },
    { kind: 'unix', path: '/run/other.sock' },
    { kind: 'unix', path: '/run/../run/app.sock' },
  ];
  assert.deepEqual(assignActivatedSockets(specs, activated, (fd) => addresses[fd] ?? null), [
    { kind: 'fd', fd: 4, via: 'systemd tcp:127.0.0.1:3031' },
    { kind: 'unix', path: '/run/other.sock' },
    { kind: 'fd', fd: 3, via: 'systemd web unix:/run/app.sock' },
    { kind: 'fd', fd: 5, via: 'systemd tcp:[::1]:3032' },
  ]);
  assert.deepEqual(assignActivatedSockets([{ kind: 'fd', fd: 5 }], activated, () => null), [
    { kind: 'fd', fd: 5, via: 'systemd' },
    { kind: 'fd', fd: 3, via: 'systemd web' },
    { kind: 'fd', fd: 4, via: 'systemd' },
  ]);
  assert.deepEqual(assignActivatedSockets([{ kind: 'fd', fd: 7 }], [], () => null), [{ kind: 'fd', fd: 7 }]);
});

test('the /proc/net tables parse (paths with spaces, IPv4 and IPv6 in kernel byte order)', () => {
  const unix = parseProcNetUnix(
    'Num       RefCount Protocol Flags    Type St Inode Path\n' +
      '0000000000000000: 00000002 00000000 00010000 0001 01 1001 /run/my app.sock\n' +
      '0000000000000000: 00000003 00000000 00000000 0001 03 1002\n',
  );
  assert.deepEqual([...unix], [[1001, '/run/my app.sock']]);
  const tcp = parseProcNetTcp(
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n' +
      '   0: 0100007F:0BD7 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2001 1 0 100 0 0 10 0\n',
    4,
  );
  assert.deepEqual([...tcp], [[2001, { host: '127.0.0.1', port: 3031 }]]);
  const tcp6 = parseProcNetTcp(
    '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n' +
      '   0: 00000000000000000000000001000000:0BD8 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 3001 1 0 100 0 0 10 0\n',
    6,
  );
  assert.deepEqual([...tcp6], [[3001, { host: '::1', port: 3032 }]]);
});

/** The fd of a listening net.Server (Node keeps it on the handle). */
function serverFd(server: net.Server): number {
  return (server as unknown as { _handle: { fd: number } })._handle.fd;
}

function listen(server: net.Server, options: net.ListenOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options, resolve);
  });
}

test('socketAddressOfFd finds real unix, IPv4 and IPv6 listeners; null for a non-socket', async () => {
  const dir = tempDir();
  const servers: net.Server[] = [];
  try {
    const file = path.join(dir, 'probe.sock');
    const unix = net.createServer();
    servers.push(unix);
    await listen(unix, { path: file });
    assert.deepEqual(socketAddressOfFd(serverFd(unix)), { kind: 'unix', path: file });
    const v4 = net.createServer();
    servers.push(v4);
    await listen(v4, { host: '127.0.0.1', port: 0 });
    assert.deepEqual(socketAddressOfFd(serverFd(v4)), { kind: 'tcp', host: '127.0.0.1', port: (v4.address() as net.AddressInfo).port });
    const v6 = net.createServer();
    servers.push(v6);
    await listen(v6, { host: '::1', port: 0 });
    assert.deepEqual(socketAddressOfFd(serverFd(v6)), { kind: 'tcp', host: '::1', port: (v6.address() as net.AddressInfo).port });
    const fd = fs.openSync(file + '.txt', 'w');
    assert.equal(socketAddressOfFd(fd), null);
    fs.closeSync(fd);
  } finally {
    for (const server of servers) server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

const ACTIVATE = '/usr/bin/systemd-socket-activate';

/** Runs the master under systemd-socket-activate: it binds `listen`, waits for the first
 * connection, then execs node (same pid) with LISTEN_* set. */
function activated(listen: string[], args: string[], fdnames?: string) {
  assert.ok(fs.existsSync(ACTIVATE), 'systemd-socket-activate is missing: apt-get install -y systemd');
  const child = spawn(
    ACTIVATE,
    [...listen.flatMap((address) => ['-l', address]), ...(fdnames ? [`--fdname=${fdnames}`] : []), process.execPath, BIN, ...args, path.join(FIXTURE_APPS, 'identity.js')],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d));
  child.stderr!.on('data', (d: Buffer) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => out,
    async waitFor(pattern: RegExp, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(out)) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no ${pattern} in:\n${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

test('systemd activation: --socket addresses use the activated fds, unnamed ones are served too, LISTEN_* do not reach the app', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'app.sock');
  const port = await freePort();
  const run = activated([file, `127.0.0.1:${port}`], ['--socket', file], 'web:api');
  try {
    await run.waitFor(/Listening on .* as 4/);
    // The first connection makes systemd-socket-activate exec the master; it waits in the backlog.
    const first = await firstRequest(file);
    assert.equal(first.status, 200);
    const seen = JSON.parse(first.body.toString()) as { env: Record<string, string> };
    for (const name of ['LISTEN_PID', 'LISTEN_FDS', 'LISTEN_FDNAMES']) assert.equal(seen.env[name], undefined, name);
    assert.match(run.output(), new RegExp(`sockets="fd:3\\(systemd web unix:${file.replace(/[.]/g, '\\.')}\\),fd:4\\(systemd api tcp:127\\.0\\.0\\.1:${port}\\)"`));
    assert.equal((await uwsgiRequest({ host: '127.0.0.1', port }, 'GET', '/')).status, 200);
    assert.equal(await run.stop(), 0);
    assert.ok(fs.lstatSync(file).isSocket(), "the master removed systemd's socket file: it is not ours");
  } finally {
    await run.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('systemd activation without any --socket serves the activated socket', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'only.sock');
  const run = activated([file], []);
  try {
    await run.waitFor(/Listening on .* as 3/);
    assert.equal((await firstRequest(file)).status, 200);
    assert.match(run.output(), /sockets="fd:3\(systemd unix:.*only\.sock\)"/);
  } finally {
    await run.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('fd://N names an inherited socket; a missing or non-socket fd is refused with exit code 5', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'fd.sock');
  const run = activated([file], ['--socket', 'fd://3']);
  try {
    await run.waitFor(/Listening on .* as 3/);
    assert.equal((await firstRequest(file)).status, 200);
    assert.match(run.output(), /sockets="fd:3\(systemd unix:/);
  } finally {
    await run.stop();
  }
  try {
    // Low fds that were not inherited may be Node's own (libuv's epoll fd): a high one is surely absent.
    for (const [fd, stdio, pattern] of [
      [900, ['ignore', 'pipe', 'pipe'], /fd:\/\/900: no such open file descriptor was inherited/],
      [3, ['ignore', 'pipe', 'pipe', fs.openSync(path.join(dir, 'plain'), 'w')], /fd:\/\/3: the inherited file descriptor is not a socket/],
    ] as const) {
      const result = spawnSync(process.execPath, [BIN, '--socket', `fd://${fd}`, path.join(FIXTURE_APPS, 'identity.js')], {
        stdio: [...stdio],
        encoding: 'utf8',
        timeout: 15_000,
      });
      assert.equal(result.status, 5, result.stderr);
      assert.match(result.stderr, pattern);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
