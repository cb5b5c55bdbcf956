/**
 * The per-worker connection limit with accept back-off (protocol-cases.md case 40): the
 * pure decision, the throttled log, and real workers that stop accepting at the limit
 * while the pending connections wait in the backlog.
 */
import { describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import { loadAddon } from '../src/addon';
import { AcceptAction, acceptAction, ACCEPT_PAUSE_LOG_INTERVAL_MS, shouldLogPause } from '../src/worker/accept-gate';
import { ProtocolCounters } from '../src/worker/protocol-counters';
import type { Logger, LogFields } from '../src/log';
import { startServer, type ServerProcess } from './helpers/server';
import { nginxVars, packet, parseResponse, rawExchange, uwsgiRequest } from './helpers/uwsgi-client';

describe('the decision', () => {
  test('pause at the limit, resume below it, never without a limit', () => {
    assert.equal(acceptAction(2, 3, false), AcceptAction.NONE);
    assert.equal(acceptAction(3, 3, false), AcceptAction.PAUSE);
    assert.equal(acceptAction(4, 3, false), AcceptAction.PAUSE);
    assert.equal(acceptAction(3, 3, true), AcceptAction.NONE);
    assert.equal(acceptAction(2, 3, true), AcceptAction.RESUME);
    assert.equal(acceptAction(5000, 0, false), AcceptAction.NONE);
    assert.equal(acceptAction(5000, 0, true), AcceptAction.RESUME);
  });

  test('pauses are logged at most once per interval, with the count since the last line', () => {
    assert.equal(shouldLogPause(1000, null), true);
    assert.equal(shouldLogPause(1000 + ACCEPT_PAUSE_LOG_INTERVAL_MS - 1, 1000), false);
    assert.equal(shouldLogPause(1000 + ACCEPT_PAUSE_LOG_INTERVAL_MS, 1000), true);
    const lines: [string, LogFields | undefined][] = [];
    const log: Logger = { debug() {}, info() {}, warn: (e, f) => lines.push([e, f]), error() {} };
    const counters = new ProtocolCounters(log);
    counters.acceptPaused(3, 3, 0);
    for (let i = 1; i <= 50; i++) counters.acceptPaused(3, 3, i);
    counters.acceptPaused(3, 3, ACCEPT_PAUSE_LOG_INTERVAL_MS + 1);
    assert.equal(counters.acceptPauses, 52);
    assert.deepEqual(
      lines.map(([e, f]) => [e, f?.pauses]),
      [
        ['accept_paused', 1],
        ['accept_paused', 51],
      ],
    );
  });
});

test('dupFd: a new fd for the same file, or a negative errno, never a throw', () => {
  const addon = loadAddon();
  assert.ok(addon.ok, addon.ok ? '' : addon.reason);
  const { dupFd } = addon.addon;
  assert.equal(dupFd(-1), -22);
  assert.equal(dupFd('4' as unknown as number), -22);
  assert.equal((dupFd as unknown as () => number)(), -22);
  assert.equal(dupFd(1_000_000), -9, 'EBADF for an fd that is not open');
  const fd = fs.openSync(os.devNull, 'r');
  try {
    const copy = dupFd(fd);
    assert.ok(copy >= 0 && copy !== fd);
    assert.equal(fs.fstatSync(copy).ino, fs.fstatSync(fd).ino);
    fs.closeSync(copy);
  } finally {
    fs.closeSync(fd);
  }
});

function idleConnection(socketPath: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ path: socketPath }, () => resolve(s));
    s.on('error', reject);
  });
}

async function closeAll(sockets: net.Socket[]): Promise<void> {
  for (const s of sockets.splice(0)) s.destroy();
}

function workerPid(server: ServerProcess, slot: number): number {
  const m = server.output().match(new RegExp(`worker_ready slot=${slot} pid=(\\d+)`));
  assert.ok(m, `no worker_ready line for slot ${slot}`);
  return Number(m[1]);
}

describe('real workers', () => {
  test('case 40: at --max-connections a worker stops accepting; the next connection waits in the backlog, not closed', async () => {
    const server = await startServer({ app: 'echo.js', args: ['--max-connections', '3', '--socket-timeout', '60'] });
    const idle: net.Socket[] = [];
    try {
      for (let i = 0; i < 3; i++) idle.push(await idleConnection(server.socketPath));
      await server.waitForOutput(/accept_paused open=3 limit=3/, 10_000);
      let settled = false;
      const pending = rawExchange(server.socketPath, packet(nginxVars('GET', '/hello')), { timeoutMs: 20_000 }).finally(() => {
        settled = true;
      });
      await new Promise((r) => setTimeout(r, 1000));
      assert.equal(settled, false, 'the connection over the limit was accepted and answered or closed');
      // One idle connection goes away: the worker accepts again and serves the waiting one.
      idle.shift()!.destroy();
      const r = await pending;
      const res = parseResponse(r.data);
      assert.equal(res.status, 200);
      assert.equal(res.body.toString(), 'hello world\n');
      assert.doesNotMatch(server.output(), /connection_rejected|uncaught_exception/);
    } finally {
      await closeAll(idle);
      await server.stop();
    }
  });

  test('case 40: a worker full of idle connections leaves the traffic to the others, which keep serving', async () => {
    const server = await startServer({ app: 'echo.js', workers: 2, args: ['--max-connections', '2', '--socket-timeout', '60'] });
    const idle: net.Socket[] = [];
    try {
      // Idle connections until one worker is full (at most 3 are needed with two workers of 2).
      let paused: RegExpMatchArray | null = null;
      for (let i = 0; i < 3 && paused === null; i++) {
        idle.push(await idleConnection(server.socketPath));
        for (let j = 0; j < 20 && paused === null; j++) {
          await new Promise((r) => setTimeout(r, 50));
          paused = server.output().match(/\[worker (\d+)\] accept_paused/);
        }
      }
      assert.ok(paused, 'no worker reached its limit');
      const fullPid = workerPid(server, Number(paused[1]));
      const started = Date.now();
      const pids = new Set<number>();
      for (let i = 0; i < 20; i++) {
        const r = await uwsgiRequest(server.socketPath, 'GET', '/aborts');
        assert.equal(r.status, 200);
        pids.add((JSON.parse(r.body.toString()) as { pid: number }).pid);
      }
      assert.ok(Date.now() - started < 10_000, `requests were held up (${Date.now() - started} ms)`);
      assert.equal(pids.has(fullPid), false, 'the full worker accepted a request');
      assert.equal(pids.size, 1);
    } finally {
      await closeAll(idle);
      await server.stop();
    }
  });

  test('case 40: without the addon the limit still holds, by closing connections over it at accept (and says so)', async () => {
    const server = await startServer({
      app: 'echo.js',
      args: ['--max-connections', '2', '--socket-timeout', '60'],
      // Without the addon there is only the js path, whichever --io the suite runs with.
      env: { UWSGI_TS_NO_ADDON: '1', UWSGI_TS_IO: 'auto' },
    });
    const idle: net.Socket[] = [];
    try {
      await server.waitForOutput(/no_accept_backoff/, 10_000);
      for (let i = 0; i < 2; i++) idle.push(await idleConnection(server.socketPath));
      // Let the worker accept both before the next one arrives.
      await new Promise((r) => setTimeout(r, 300));
      const r = await rawExchange(server.socketPath, packet(nginxVars('GET', '/hello')), { timeoutMs: 10_000 });
      assert.equal(r.closed, true);
      assert.equal(r.data.length, 0);
      await closeAll(idle);
      let ok = false;
      for (let i = 0; i < 50 && !ok; i++) {
        const res = await rawExchange(server.socketPath, packet(nginxVars('GET', '/hello')), { timeoutMs: 5000 });
        ok = res.data.length > 0 && parseResponse(res.data).status === 200;
        if (!ok) await new Promise((r2) => setTimeout(r2, 50));
      }
      assert.ok(ok, 'the worker did not serve again below the limit');
    } finally {
      await closeAll(idle);
      await server.stop();
    }
  });
});
