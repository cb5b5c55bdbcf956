/**
 * Unit tests of the supervisor's smaller pieces, with fakes: the per-request harakiri
 * deadline on a fake exchange and a fake clock, request counting for --max-requests,
 * the heartbeat period, per-worker request limits, and --touch-reload change detection.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FakeExchange } from './helpers/fake-exchange';
import { tempDir } from './helpers/server';
import { RequestDeadlines, RequestDeadlineError, type RequestTracker } from '../src/worker/request-deadline';
import { DeadlineSweeper } from '../src/worker/deadline-sweeper';
import { RequestCounter } from '../src/worker/request-counter';
import { heartbeatIntervalMs, HEARTBEAT_INTERVAL_MS, HEARTBEATS_PER_HARAKIRI } from '../src/worker/heartbeat';
import { requestLimit } from '../src/supervisor/request-limit';
import { touched, TouchReloadWatcher } from '../src/supervisor/touch-reload';
import type { Exchange, ExchangeEvents } from '../src/worker/exchange';
import type { Logger, LogFields } from '../src/log';
import { keepDraining, BACKLOG_DRAIN_MAX_MS, BACKLOG_DRAIN_BLIND_MS } from '../src/worker/backlog-drain';
import { loadAddon } from '../src/addon';
import * as net from 'node:net';
import { openSocket } from '../src/supervisor/sockets';

class FakeLog implements Logger {
  lines: { level: string; event: string; fields?: LogFields }[] = [];
  debug = (event: string, fields?: LogFields) => this.lines.push({ level: 'debug', event, fields });
  info = (event: string, fields?: LogFields) => this.lines.push({ level: 'info', event, fields });
  warn = (event: string, fields?: LogFields) => this.lines.push({ level: 'warn', event, fields });
  error = (event: string, fields?: LogFields) => this.lines.push({ level: 'error', event, fields });
}

class AppEvents implements ExchangeEvents {
  aborts: Error[] = [];
  closes = 0;
  onDrain() {}
  onAbort(err: Error) {
    this.aborts.push(err);
  }
  onClose() {
    this.closes++;
  }
}

function harness(limitMs = 1000) {
  let now = 10_000;
  const clock = () => now;
  const sweeper = new DeadlineSweeper(1_000_000, clock);
  const log = new FakeLog();
  const tracked: string[] = [];
  const tracker: RequestTracker = {
    started: (method, uri) => (tracked.push(`start ${method} ${uri}`), tracked.length),
    settled: (token) => void tracked.push(`settle ${token}`),
  };
  let expired = 0;
  const deadlines = new RequestDeadlines(limitMs, log, tracker, clock, sweeper, () => expired++);
  let seen: Exchange | null = null;
  const handler = deadlines.wrap((ex) => {
    seen = ex;
  });
  return {
    log,
    tracked,
    expired: () => expired,
    sweeper,
    advance(ms: number) {
      now += ms;
      sweeper.sweep();
    },
    serve(ex: FakeExchange) {
      handler(ex);
      const events = new AppEvents();
      seen!.setEvents(events);
      return { app: seen!, events };
    },
  };
}

test('harakiri deadline: nothing sent yet → 504, the app sees an abort, one log line with method, URI, duration', () => {
  const h = harness(1000);
  const inner = new FakeExchange('GET', '/slow?x=1');
  const { app, events } = h.serve(inner);
  h.advance(999);
  assert.equal(inner.calls.length, 0);
  h.advance(1);
  assert.match(inner.output(), /^HTTP\/1\.1 504 Gateway Timeout\r\n/);
  assert.equal(inner.calls.at(-1)!.op, 'end');
  assert.equal(events.aborts.length, 1);
  assert.ok(events.aborts[0] instanceof RequestDeadlineError);
  assert.equal(app.aborted, true);
  const line = h.log.lines.find((l) => l.event === 'harakiri')!;
  assert.deepEqual([line.fields!.method, line.fields!.uri, line.fields!.duration_ms], ['GET', '/slow?x=1', 1000]);
  // Late writes from the app go nowhere.
  const before = inner.calls.length;
  app.write('late', undefined);
  app.end();
  assert.equal(inner.calls.length, before);
  assert.deepEqual(h.tracked, ['start GET /slow?x=1', 'settle 1']);
  assert.equal(h.expired(), 1, 'the master is told, for the metrics');
});

test('harakiri deadline: a response that has started is cut (destroy), not answered twice', () => {
  const h = harness(1000);
  const inner = new FakeExchange('GET', '/stream');
  const { events, app } = h.serve(inner);
  app.write('HTTP/1.1 200 OK\r\n\r\npart', undefined);
  h.advance(1500);
  assert.equal(inner.calls.at(-1)!.op, 'destroy');
  assert.doesNotMatch(inner.output(), /504/);
  assert.equal(events.aborts.length, 1);
});

test('harakiri deadline: a request that ends in time is never touched, and its deadline is disarmed', () => {
  const h = harness(1000);
  const inner = new FakeExchange('GET', '/fast');
  const { app, events } = h.serve(inner);
  app.write('HTTP/1.1 200 OK\r\n\r\n', undefined);
  app.end();
  assert.equal(h.sweeper.size, 0);
  h.advance(5000);
  assert.equal(events.aborts.length, 0);
  assert.equal(h.log.lines.length, 0);
  assert.equal(h.expired(), 0);
  assert.deepEqual(h.tracked, ['start GET /fast', 'settle 1']);
});

test('harakiri deadline: a client abort reaches the app once and disarms the deadline', () => {
  const h = harness(1000);
  const inner = new FakeExchange('GET', '/x');
  const { events } = h.serve(inner);
  inner.events!.onAbort(new Error('client went away'));
  inner.events!.onClose();
  assert.equal(events.aborts.length, 1);
  assert.equal(events.closes, 1);
  assert.equal(h.sweeper.size, 0);
  h.advance(5000);
  assert.equal(events.aborts.length, 1);
});

test('request counter: onLimit runs once, exactly at the limit; 0 means no limit', () => {
  let fired = 0;
  const served: number[] = [];
  const counter = new RequestCounter(3, () => fired++);
  const handler = counter.wrap(() => served.push(counter.count));
  for (let i = 0; i < 5; i++) handler(new FakeExchange('GET', '/'));
  assert.equal(fired, 1);
  assert.equal(counter.limitReached, true);
  assert.deepEqual(served, [1, 2, 3, 4, 5], 'the worker keeps serving past its limit until replaced');
  const unlimited = new RequestCounter(0, () => fired++);
  const h2 = unlimited.wrap(() => {});
  for (let i = 0; i < 100; i++) h2(new FakeExchange('GET', '/'));
  assert.equal(fired, 1);
  assert.equal(unlimited.limitReached, false);
});

test('heartbeat period: one second, or a quarter of the harakiri limit when shorter', () => {
  assert.equal(heartbeatIntervalMs(null), HEARTBEAT_INTERVAL_MS);
  assert.equal(heartbeatIntervalMs(60_000), HEARTBEAT_INTERVAL_MS);
  assert.equal(heartbeatIntervalMs(2000), 2000 / HEARTBEATS_PER_HARAKIRI);
  assert.ok(heartbeatIntervalMs(1) >= 1);
});

test('per-worker request limit: max plus 0..jitter, spread over the whole range', () => {
  assert.equal(requestLimit(100, 0, () => 0.99), 100);
  assert.equal(requestLimit(100, 10, () => 0), 100);
  assert.equal(requestLimit(100, 10, () => 0.999999), 110);
  const seen = new Set<number>();
  let x = 0;
  for (let i = 0; i < 1000; i++) seen.add(requestLimit(100, 10, () => ((x = (x + 0.0937) % 1))));
  assert.deepEqual([...seen].sort((a, b) => a - b), [100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110]);
});

test('touch-reload: a new mtime or a file that appears is a touch; a file that vanishes is not', () => {
  assert.equal(touched(1000, 1000), false);
  assert.equal(touched(1000, 2000), true);
  assert.equal(touched(null, 2000), true);
  assert.equal(touched(1000, null), false);
  assert.equal(touched(null, null), false);
});

test('touch-reload watcher: reports each change of a real file once', () => {
  const dir = tempDir('uwsgi-ts-touch-');
  const file = path.join(dir, 'touch-me');
  const seen: string[] = [];
  const watcher = new TouchReloadWatcher([file], (f) => seen.push(f), 1_000_000);
  try {
    watcher.start();
    watcher.check();
    assert.deepEqual(seen, [], 'a missing file is no change');
    fs.writeFileSync(file, '');
    watcher.check();
    assert.deepEqual(seen, [file]);
    watcher.check();
    assert.equal(seen.length, 1);
    const later = new Date(Date.now() + 10_000);
    fs.utimesSync(file, later, later);
    watcher.check();
    assert.equal(seen.length, 2);
    fs.rmSync(file);
    watcher.check();
    assert.equal(seen.length, 2);
  } finally {
    watcher.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('backlog drain: keep accepting while a queue holds a connection, within the bound; blind without a probe', () => {
  assert.equal(keepDraining([1, 0], 0, true), true);
  assert.equal(keepDraining([0, 0], 0, true), false);
  assert.equal(keepDraining([-9], 0, true), false, 'an fd that cannot be probed counts as empty');
  assert.equal(keepDraining([1], BACKLOG_DRAIN_MAX_MS, true), false, 'bounded under steady traffic');
  assert.equal(keepDraining([], BACKLOG_DRAIN_BLIND_MS - 1, false), true);
  assert.equal(keepDraining([], BACKLOG_DRAIN_BLIND_MS, false), false);
});

test('hasPending (addon): 1 with a connection in the queue, 0 without, a negative errno for a bad fd', async () => {
  const addon = loadAddon();
  assert.ok(addon.ok, addon.ok ? '' : addon.reason);
  const { hasPending } = addon.addon;
  assert.equal(hasPending(-1), -22);
  assert.equal(hasPending('3' as unknown as number), -22);
  const dir = tempDir('uwsgi-ts-pending-');
  const sockPath = path.join(dir, 's.sock');
  // A listening socket as the master makes it: nobody in this process accepts on it.
  const socket = await openSocket({ kind: 'unix', path: sockPath }, { backlog: 16, listenFd: addon.addon.listenFd });
  try {
    assert.equal(hasPending(socket.fd), 0);
    const client = net.connect(sockPath);
    await new Promise((r) => client.once('connect', r));
    assert.equal(hasPending(socket.fd), 1);
    client.destroy();
  } finally {
    socket.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
