/**
 * `uwsgi-ts top`: driven in a pseudo-terminal against a running server, its screen read
 * back; the frame renderer on fixed /stats documents; argument errors.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { BIN, startServer } from './helpers/server';
import { freePort } from './helpers/nginx';
import { lastScreen, runInPty } from './helpers/pty';
import { nginxVars, packet, rawExchange } from './helpers/uwsgi-client';
import { renderFrame } from '../src/top/top-screen';
import type { Stats } from '../src/metrics/metrics-server';
import { ExitCode } from '../src/exit-codes';

test('top redraws a live view in a terminal: workers, requests, the request in flight, the queue; q quits', async () => {
  const port = await freePort();
  const server = await startServer({ app: 'echo.js', workers: 2, args: ['--metrics', String(port)] });
  try {
    for (let i = 0; i < 9; i++) await rawExchange(server.socketPath, packet(nginxVars('GET', '/hello')));
    const slow = rawExchange(server.socketPath, packet(nginxVars('GET', '/slow?ms=6000')), { timeoutMs: 15_000 });
    const pids = [...server.output().matchAll(/worker_ready slot=(\d+) pid=(\d+)/g)].map((m) => [m[1], m[2]]);
    const run = await runInPty([process.execPath, BIN, 'top', String(port), '--interval', '0.3'], {
      columns: 130,
      rows: 20,
      keys: [[3, 'q']],
      timeoutS: 20,
    });
    assert.equal(run.exitCode, 0, run.output);
    assert.ok(run.output.split('\x1b[H\x1b[2J').length >= 4, 'it redrew several times');
    const screen = lastScreen(run.output);
    assert.match(screen[0]!, new RegExp(`^uwsgi-ts top  127\\.0\\.0\\.1:${port}  master ${server.pid}  up \\d+s  workers 2/2 ready$`));
    assert.match(screen[1]!, /^req\/s \d+\.\d  avg latency (\d+\.\d\d|-) ms  in flight 1$/);
    assert.equal(screen[2], `listen queue unix:${server.socketPath} 0/1024`);
    assert.match(screen[4]!, /^SLOT +PID +STATE +UP +REQUESTS +REQ\/S +AVG MS INFLT +RSS MB +LAG MS  CURRENT REQUEST$/);
    const rows = screen.slice(5, 7);
    let requests = 0;
    for (const [slot, pid] of pids) {
      const row = rows.find((r) => r.trim().startsWith(`${slot} `));
      assert.ok(row, `a row for slot ${slot}: ${screen.join('\n')}`);
      const cells = row.trim().split(/\s+/);
      assert.equal(cells[1], pid);
      assert.equal(cells[2], 'ready');
      assert.equal(cells[3], 'yes');
      requests += Number(cells[4]);
      assert.ok(Number(cells[8]) > 10, 'RSS in MB');
    }
    assert.equal(requests, 9, 'the finished requests, over both workers');
    assert.equal(rows.filter((r) => r.includes('GET /slow?ms=6000 (')).length, 1, 'the request in flight is shown');
    assert.ok(run.output.includes('\x1b[?25h'), 'the cursor is shown again on exit');
    await slow;
  } finally {
    await server.stop();
  }
});

test('top says when the server cannot be reached, and keeps trying', async () => {
  const port = await freePort();
  const run = await runInPty([process.execPath, BIN, 'top', `127.0.0.1:${port}`, '--interval', '0.2'], { keys: [[1.5, 'q']], timeoutS: 15 });
  assert.equal(run.exitCode, 0);
  const screen = lastScreen(run.output);
  assert.match(screen.join('\n'), /cannot reach the stats listener: .*ECONNREFUSED.* \(retrying\)/);
});

test('top refuses bad arguments with a usage message', () => {
  for (const args of [[], ['--interval', '0', '9100'], ['not a port:x'], ['9100', '9101'], ['--bogus', '9100']]) {
    const r = spawnSync(process.execPath, [BIN, 'top', ...args], { encoding: 'utf8' });
    assert.equal(r.status, ExitCode.USAGE, args.join(' '));
    assert.match(r.stderr, /^uwsgi-ts top: .*\nusage: uwsgi-ts top ADDRESS/);
  }
});

function stats(time: number, requests: [number, number], durationSum: [number, number], pid2 = 202): Stats {
  const worker = (slot: number, pid: number, i: number) => ({
    slot,
    pid,
    state: 'ready' as const,
    up: true,
    status: {
      requests: requests[i]!,
      inFlight: 0,
      bytesIn: 0,
      bytesOut: 0,
      durationSum: durationSum[i]!,
      rssBytes: 50 * 1024 * 1024,
      loopLagSeconds: 0.002,
      current: null,
    },
  });
  return {
    version: 1,
    time,
    master: { pid: 100, uptimeSeconds: 3725, stopping: false, target: 2 },
    workers: [worker(1, 201, 0), worker(2, pid2, 1)],
    sockets: [{ name: 'unix:/run/app.sock', status: 'ok', depth: 3, max: 1024 }],
  };
}

test('a frame: rates from two documents, a respawned worker starts over, lines fit the width', () => {
  const a = stats(10_000, [100, 50], [1, 0.5]);
  const b = stats(12_000, [300, 60], [2, 0.6]);
  const frame = renderFrame(a, b, 'x:1', 200, 50).lines;
  assert.equal(frame[0], 'uwsgi-ts top  x:1  master 100  up 1h02m  workers 2/2 ready');
  // (200 + 10) requests in 2 s; (1 + 0.1) s over 210 requests.
  assert.equal(frame[1], `req/s 105.0  avg latency ${((1.1 / 210) * 1000).toFixed(2)} ms  in flight 0`);
  assert.equal(frame[2], 'listen queue unix:/run/app.sock 3/1024');
  assert.deepEqual(frame[5]!.trim().split(/\s+/), ['1', '201', 'ready', 'yes', '300', '100.0', '5.00', '0', '50.0', '2.0']);
  const respawned = renderFrame(a, stats(12_000, [300, 5], [2, 0.01], 999), 'x:1', 200, 50).lines;
  assert.deepEqual(respawned[6]!.trim().split(/\s+/).slice(0, 7), ['2', '999', 'ready', 'yes', '5', '-', '-']);
  assert.ok(renderFrame(a, b, 'x:1', 30, 50).lines.every((l) => l.length <= 30));
  assert.equal(renderFrame(a, b, 'x:1', 200, 4).lines.length, 3, 'no more lines than the terminal has');
});
