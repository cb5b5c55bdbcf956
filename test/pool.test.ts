import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import {
  applyEvent,
  backoffDelay,
  createPoolState,
  reconcile,
  FAST_STOP_KILL_AFTER_MS,
  RESPAWN_BACKOFF_BASE_MS,
  RESPAWN_BACKOFF_MAX_MS,
  STABLE_UPTIME_MS,
  type PoolAction,
  type PoolEvent,
  type LogAction,
  type PoolState,
} from '../src/supervisor/pool';
import { ExitCode } from '../src/exit-codes';

/** A fake master: a clock, a pid counter, and the actions the pool asked for. */
class Harness {
  now = 1_000_000;
  nextPid = 100;
  readonly state: PoolState;
  constructor(target: number, gracefulTimeoutMs = 30_000) {
    this.state = createPoolState(target, gracefulTimeoutMs);
  }
  /** The log lines the event produced (restart records are checked by actions()). */
  event(e: PoolEvent) {
    return this.actions(e).filter((a): a is LogAction => a.type === 'log');
  }
  actions(e: PoolEvent) {
    return applyEvent(this.state, e, this.now);
  }
  /** Reconcile and carry out spawns as a real master would (recording 'spawned'). */
  step(): { actions: PoolAction[]; wakeAt: number | null; spawned: number[] } {
    const d = reconcile(this.state, this.now);
    const spawned: number[] = [];
    for (const a of d.actions) {
      if (a.type === 'spawn') {
        const pid = this.nextPid++;
        spawned.push(pid);
        this.event({ type: 'spawned', slot: a.slot, pid });
      }
    }
    return { ...d, spawned };
  }
  pidsOf(state?: string) {
    return [...this.state.workers.values()].filter((w) => !state || w.state === state).map((w) => w.pid);
  }
}

test('brings the pool to its target, one spawn per slot, no double spawn before the next event', () => {
  const h = new Harness(3);
  assert.equal(h.step().spawned.length, 3);
  assert.equal(h.step().spawned.length, 0);
  assert.deepEqual([...h.state.workers.values()].map((w) => w.slot).sort(), [1, 2, 3]);
});

test('a worker that dies is respawned in its slot; quick crashes back off exponentially', () => {
  const h = new Harness(1);
  let [pid] = h.step().spawned;
  h.event({ type: 'ready', pid });
  const delays: number[] = [];
  for (let i = 0; i < 6; i++) {
    h.now += 100;
    const logs = h.event({ type: 'exited', pid, code: 1, signal: null });
    assert.equal(logs[0].event, 'worker_exited');
    const d = h.step();
    assert.equal(d.spawned.length, 0, 'not respawned before its back-off');
    assert.ok(d.wakeAt !== null);
    delays.push(d.wakeAt - h.now);
    h.now = d.wakeAt;
    [pid] = h.step().spawned;
    assert.ok(pid !== undefined);
  }
  assert.deepEqual(delays, [1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n)));
  assert.equal(delays[0], RESPAWN_BACKOFF_BASE_MS);
  assert.ok(delays.every((d, i) => i === 0 || d >= delays[i - 1]));
  assert.equal(backoffDelay(100), RESPAWN_BACKOFF_MAX_MS);
});

test('a worker that ran long enough is respawned at once', () => {
  const h = new Harness(1);
  const [pid] = h.step().spawned;
  h.event({ type: 'ready', pid });
  h.now += STABLE_UPTIME_MS + 1;
  h.event({ type: 'exited', pid, code: null, signal: 'SIGKILL' });
  assert.equal(h.step().spawned.length, 1);
});

test('an app that fails to load at start-up stops the master with the worker exit code', () => {
  const h = new Harness(2);
  const pids = h.step().spawned;
  h.now += 50;
  const logs = h.event({ type: 'exited', pid: pids[0], code: ExitCode.APP_LOAD_FAILED, signal: null });
  assert.ok(logs.some((l) => l.event === 'startup_failed'));
  const d = h.step();
  assert.deepEqual(d.actions.filter((a) => a.type === 'signal'), [{ type: 'signal', pid: pids[1], signal: 'SIGINT' }]);
  assert.equal(d.spawned.length, 0, 'no respawn storm');
  h.event({ type: 'exited', pid: pids[1], code: ExitCode.APP_LOAD_FAILED, signal: null });
  const end = h.step();
  assert.deepEqual(end.actions.at(-1), { type: 'exit', code: ExitCode.APP_LOAD_FAILED });
});

test('after a worker was ready once, a load failure is a crash loop with back-off, not a stop', () => {
  const h = new Harness(1);
  const [pid] = h.step().spawned;
  h.event({ type: 'ready', pid });
  h.now += 1000;
  h.event({ type: 'exited', pid, code: ExitCode.APP_LOAD_FAILED, signal: null });
  assert.equal(h.state.mode, 'running');
  const d = h.step();
  assert.equal(d.spawned.length, 0);
  assert.ok(d.wakeAt !== null);
});

test('graceful stop: TERM to every worker, no respawn, exit 0 when all are gone', () => {
  const h = new Harness(2);
  const pids = h.step().spawned;
  for (const pid of pids) h.event({ type: 'ready', pid });
  h.event({ type: 'stop', mode: 'graceful', reason: 'SIGTERM' });
  const d = h.step();
  assert.deepEqual(d.actions.filter((a) => a.type === 'signal').map((a) => (a as { pid: number }).pid).sort(), pids);
  assert.ok(d.actions.every((a) => a.type !== 'signal' || a.signal === 'SIGTERM'));
  h.event({ type: 'exited', pid: pids[0], code: 0, signal: null });
  assert.equal(h.step().spawned.length, 0, 'no respawn while stopping');
  h.event({ type: 'exited', pid: pids[1], code: 0, signal: null });
  assert.deepEqual(h.step().actions.at(-1), { type: 'exit', code: 0 });
});

test('graceful stop kills what is still running after the graceful timeout', () => {
  const h = new Harness(1, 2000);
  const [pid] = h.step().spawned;
  h.event({ type: 'stop', mode: 'graceful', reason: 'SIGTERM' });
  const first = h.step();
  assert.equal(first.wakeAt, h.now + 2000);
  h.now += 1999;
  assert.ok(!h.step().actions.some((a) => a.type === 'signal' && a.signal === 'SIGKILL'));
  h.now += 1;
  const kill = h.step();
  assert.ok(kill.actions.some((a) => a.type === 'signal' && a.signal === 'SIGKILL' && a.pid === pid));
});

test('a fast stop overtakes a graceful one; a graceful one never downgrades a fast one', () => {
  const h = new Harness(1);
  const [pid] = h.step().spawned;
  h.event({ type: 'stop', mode: 'graceful', reason: 'SIGTERM' });
  h.step();
  h.event({ type: 'stop', mode: 'fast', reason: 'SIGINT' });
  const d = h.step();
  assert.ok(d.actions.some((a) => a.type === 'signal' && a.signal === 'SIGINT' && a.pid === pid));
  assert.equal(d.wakeAt, h.now + FAST_STOP_KILL_AFTER_MS);
  assert.deepEqual(h.event({ type: 'stop', mode: 'graceful', reason: 'SIGTERM' }), []);
  assert.equal(h.state.stopMode, 'fast');
});

test('a failed spawn backs off like a crash', () => {
  const h = new Harness(1);
  h.event({ type: 'spawn_failed', slot: 1, error: 'EAGAIN' });
  const d = reconcile(h.state, h.now);
  assert.equal(d.actions.length, 0);
  assert.equal(d.wakeAt, h.now + RESPAWN_BACKOFF_BASE_MS);
});

test('a crash is recorded as a restart with reason crash; an exit during a stop is not', () => {
  const h = new Harness(2);
  const [a, b] = h.step().spawned;
  h.event({ type: 'ready', pid: a });
  h.event({ type: 'ready', pid: b });
  h.now += 100;
  const crash = h.actions({ type: 'exited', pid: a, code: 1, signal: null });
  assert.deepEqual(crash.filter((x) => x.type === 'restart'), [{ type: 'restart', slot: 1, reason: 'crash' }]);
  h.event({ type: 'stop', mode: 'graceful', reason: 'SIGTERM' });
  const stopped = h.actions({ type: 'exited', pid: b, code: 0, signal: null });
  assert.deepEqual(stopped.filter((x) => x.type === 'restart'), []);
});
