import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import {
  applyEvent,
  backoffDelay,
  createPoolState,
  poolConfig,
  reconcile,
  MAX_WORKERS,
  SCALE_UP_LOOP_UTILIZATION,
  BOOT_TIMEOUT_MARGIN_MS,
  effectiveBootTimeout,
  FAST_STOP_KILL_AFTER_MS,
  RESPAWN_BACKOFF_BASE_MS,
  RESPAWN_BACKOFF_MAX_MS,
  STABLE_UPTIME_MS,
  type PoolAction,
  type PoolConfig,
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
  constructor(target: number, gracefulTimeoutMs = 30_000, config: Partial<PoolConfig> = {}) {
    this.state = createPoolState(poolConfig({ workers: target, gracefulTimeoutMs, ...config }));
  }
  /** Spawns the pool and makes every worker ready; returns the pids by slot order. */
  boot(): number[] {
    const pids = this.step().spawned;
    for (const pid of pids) this.event({ type: 'ready', pid });
    return pids;
  }
  beat(pid: number, fields: Partial<{ rssBytes: number; inFlight: number; requests: number; maxRequestsReached: boolean; loopUtilization: number }> = {}) {
    return this.event({ type: 'beat', pid, rssBytes: 1, inFlight: 0, requests: 0, maxRequestsReached: false, loopUtilization: 0, ...fields });
  }
  signals(actions: PoolAction[], signal?: string): number[] {
    return actions.filter((a) => a.type === 'signal' && (!signal || a.signal === signal)).map((a) => (a as { pid: number }).pid);
  }
  events(actions: PoolAction[]): string[] {
    return actions.filter((a) => a.type === 'log').map((a) => (a as { event: string }).event);
  }
  worker(pid: number) {
    return this.state.workers.get(pid)!;
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

test('a worker that dies is respawned in its slot at once; further quick crashes back off exponentially', () => {
  const h = new Harness(1);
  let [pid] = h.step().spawned;
  h.event({ type: 'ready', pid });
  h.now += 100;
  h.event({ type: 'exited', pid, code: 1, signal: null });
  [pid] = h.step().spawned;
  assert.ok(pid !== undefined, 'the first quick crash is respawned at once');
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
  assert.deepEqual(delays, [2, 3, 4, 5, 6, 7].map((n) => backoffDelay(n)));
  assert.equal(delays[0], RESPAWN_BACKOFF_BASE_MS);
  assert.ok(delays.every((d, i) => i === 0 || d > delays[i - 1]));
  assert.equal(backoffDelay(1), 0);
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

test('a worker that cannot switch identity at start-up stops the master with exit code 7, not a respawn loop', () => {
  const h = new Harness(1);
  const [pid] = h.step().spawned;
  h.now += 50;
  const logs = h.event({ type: 'exited', pid, code: ExitCode.PRIVILEGES_FAILED, signal: null });
  assert.ok(logs.some((l) => l.event === 'startup_failed' && l.fields.reason === 'the worker could not switch to --uid/--gid'));
  const end = h.step();
  assert.equal(end.spawned.length, 0);
  assert.deepEqual(end.actions.at(-1), { type: 'exit', code: ExitCode.PRIVILEGES_FAILED });
});

test('after a worker was ready once, a load failure is a crash loop with back-off, not a stop', () => {
  const h = new Harness(1);
  const [pid] = h.step().spawned;
  h.event({ type: 'ready', pid });
  h.now += 1000;
  h.event({ type: 'exited', pid, code: ExitCode.APP_LOAD_FAILED, signal: null });
  assert.equal(h.state.mode, 'running');
  const [again] = h.step().spawned;
  h.now += 100;
  h.event({ type: 'exited', pid: again, code: ExitCode.APP_LOAD_FAILED, signal: null });
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
  assert.equal(reconcile(h.state, h.now).actions.length, 1, 'the first failure is retried at once');
  h.event({ type: 'spawn_failed', slot: 1, error: 'EAGAIN' });
  const d = reconcile(h.state, h.now);
  assert.equal(d.actions.length, 0);
  assert.equal(d.wakeAt, h.now + RESPAWN_BACKOFF_BASE_MS);
});

test('rolling reload: one new worker at a time, each old one retired only once its successor is ready', () => {
  const h = new Harness(2);
  const [a, b] = h.boot();
  h.event({ type: 'reload', reason: 'SIGHUP' });
  let d = h.step();
  assert.equal(d.spawned.length, 1, 'one replacement at a time');
  assert.deepEqual(h.signals(d.actions), [], 'nobody stops before the replacement is ready');
  const [a2] = d.spawned;
  assert.equal(h.worker(a2).slot, h.worker(a).slot);
  assert.equal(h.step().spawned.length, 0, 'still waiting for the first replacement');
  h.event({ type: 'ready', pid: a2 });
  d = h.step();
  assert.deepEqual(h.signals(d.actions, 'SIGTERM'), [a]);
  assert.equal(d.spawned.length, 0, 'the second old worker waits for the first retirement step');
  d = h.step();
  assert.equal(d.spawned.length, 1);
  const [b2] = d.spawned;
  assert.equal(h.worker(b2).slot, h.worker(b).slot);
  h.event({ type: 'ready', pid: b2 });
  d = h.step();
  assert.deepEqual(h.signals(d.actions, 'SIGTERM'), [b]);
  d = h.step();
  assert.ok(h.events(d.actions).includes('reload_done'));
  assert.equal(h.state.reload, null);
  h.event({ type: 'exited', pid: a, code: 0, signal: null });
  h.event({ type: 'exited', pid: b, code: 0, signal: null });
  assert.equal(h.step().spawned.length, 0, 'retired workers are not respawned');
});

test('a reload whose new worker fails to boot stops; the old workers keep serving, and it is logged', () => {
  const h = new Harness(2);
  const [a, b] = h.boot();
  h.now += 60_000;
  h.event({ type: 'reload', reason: 'SIGHUP' });
  const [n] = h.step().spawned;
  h.now += 100;
  const logs = h.event({ type: 'exited', pid: n, code: ExitCode.APP_LOAD_FAILED, signal: null });
  assert.ok(logs.some((l) => l.event === 'reload_failed' && l.fields.reason === 'the app failed to load'));
  assert.equal(h.state.mode, 'running', 'a failed reload never stops the master');
  assert.equal(h.state.reload, null);
  const d = h.step();
  assert.deepEqual(h.signals(d.actions), []);
  assert.equal(d.spawned.length, 0, 'no further replacement attempts');
  assert.deepEqual(h.pidsOf('ready').sort(), [a, b]);
  assert.ok(h.pidsOf().every((pid) => h.worker(pid).replace === null));
});

test('a new reload after a failed one replaces every old worker', () => {
  const h = new Harness(1);
  const [a] = h.boot();
  h.event({ type: 'reload', reason: 'SIGHUP' });
  const [n] = h.step().spawned;
  h.event({ type: 'exited', pid: n, code: 1, signal: null });
  h.now += 60_000;
  h.event({ type: 'reload', reason: 'SIGHUP' });
  const [n2] = h.step().spawned;
  h.event({ type: 'ready', pid: n2 });
  assert.deepEqual(h.signals(h.step().actions, 'SIGTERM'), [a]);
});

test('max-requests: the replacement comes first, and only --max-recycling workers recycle at once', () => {
  const h = new Harness(3, 30_000, { maxRecycling: 1 });
  const pids = h.boot();
  for (const pid of pids) h.beat(pid, { requests: 100, maxRequestsReached: true });
  let d = h.step();
  assert.equal(d.spawned.length, 1, 'one recycle at a time');
  assert.deepEqual(h.signals(d.actions), []);
  const [r1] = d.spawned;
  const recycledSlot = h.worker(r1).slot;
  const old1 = pids.find((pid) => h.worker(pid).slot === recycledSlot)!;
  h.event({ type: 'ready', pid: r1 });
  d = h.step();
  assert.deepEqual(h.signals(d.actions, 'SIGTERM'), [old1]);
  assert.equal(d.spawned.length, 1, 'the next recycle starts once the previous replacement is serving');
  assert.notEqual(h.worker(d.spawned[0]).slot, recycledSlot);
});

test('--max-recycling 2 lets two recycles run together', () => {
  const h = new Harness(3, 30_000, { maxRecycling: 2 });
  const pids = h.boot();
  for (const pid of pids) h.beat(pid, { maxRequestsReached: true });
  assert.equal(h.step().spawned.length, 2);
});

test('reload-on-rss: a worker above the limit is replaced gracefully, one below it is not', () => {
  const h = new Harness(2, 30_000, { reloadOnRssBytes: 100 * 1024 * 1024 });
  const [a, b] = h.boot();
  h.beat(a, { rssBytes: 50 * 1024 * 1024 });
  assert.equal(h.step().spawned.length, 0);
  const logs = h.beat(b, { rssBytes: 150 * 1024 * 1024, inFlight: 3 });
  assert.equal(logs[0].event, 'worker_recycle');
  assert.equal(logs[0].fields.reason, 'rss');
  const d = h.step();
  assert.deepEqual(h.signals(d.actions), [], 'never killed: it keeps serving until the replacement is ready');
  h.event({ type: 'ready', pid: d.spawned[0] });
  const d2 = h.step();
  assert.deepEqual(h.signals(d2.actions, 'SIGTERM'), [b]);
  assert.equal(h.worker(b).stopKillAfterMs, 30_000, 'its in-flight requests get the graceful timeout');
});

test('harakiri: a worker silent past the limit plus one heartbeat is TERMed, replaced, and KILLed after the grace', () => {
  const h = new Harness(1, 30_000, { harakiriMs: 2000, harakiriGraceMs: 3000, heartbeatMs: 500 });
  const [a] = h.boot();
  h.now += 2000;
  h.beat(a);
  let d = h.step();
  assert.equal(d.wakeAt, h.now + 2500);
  h.now += 2499;
  assert.deepEqual(h.signals(h.step().actions), []);
  h.now += 1;
  d = h.step();
  assert.ok(h.events(d.actions).includes('harakiri'));
  assert.deepEqual(h.signals(d.actions, 'SIGTERM'), [a]);
  assert.equal(d.spawned.length, 1, 'replaced at once');
  h.now += 2999;
  assert.deepEqual(h.signals(h.step().actions, 'SIGKILL'), []);
  h.now += 1;
  assert.deepEqual(h.signals(h.step().actions, 'SIGKILL'), [a]);
});

test('harakiri off: silence is not a reason to kill', () => {
  const h = new Harness(1);
  h.boot();
  h.now += 3_600_000;
  const d = h.step();
  assert.deepEqual(h.signals(d.actions), []);
  assert.equal(d.wakeAt, null);
});

test('idle: workers idle past the limit stop down to the minimum; all busy adds one back', () => {
  const h = new Harness(3, 30_000, { idleMs: 10_000, minWorkers: 1 });
  const pids = h.boot();
  h.now += 5000;
  h.beat(pids[0], { inFlight: 1, requests: 5 });
  let d = h.step();
  assert.deepEqual(h.signals(d.actions), []);
  h.now += 5000;
  d = h.step();
  assert.equal(h.state.target, 1, 'never below the minimum');
  assert.deepEqual(h.signals(d.actions, 'SIGTERM').sort(), [pids[1], pids[2]].sort());
  h.event({ type: 'exited', pid: pids[1], code: 0, signal: null });
  h.event({ type: 'exited', pid: pids[2], code: 0, signal: null });
  assert.equal(h.step().spawned.length, 0, 'scaled-down workers are not respawned');
  h.beat(pids[0], { inFlight: 40, requests: 50, loopUtilization: SCALE_UP_LOOP_UTILIZATION - 0.01 });
  assert.equal(h.step().spawned.length, 0, 'many requests open but the loop has room: no new worker');
  h.beat(pids[0], { inFlight: 4, requests: 60, loopUtilization: 0.95 });
  d = h.step();
  assert.equal(d.spawned.length, 1, 'every worker busy: one more');
  assert.equal(h.state.target, 2);
  h.beat(pids[0], { inFlight: 4, requests: 70, loopUtilization: 0.95 });
  assert.equal(h.step().spawned.length, 0, 'no second one while the first is starting');
  h.event({ type: 'ready', pid: d.spawned[0] });
  h.beat(pids[0], { inFlight: 4, requests: 80, loopUtilization: 0.95 });
  h.beat(d.spawned[0], { inFlight: 2, requests: 3, loopUtilization: 0.9 });
  assert.equal(h.step().spawned.length, 1);
  assert.equal(h.state.target, 3);
  h.beat(pids[0], { inFlight: 4, requests: 90, loopUtilization: 0.99 });
  assert.equal(h.step().spawned.length, 0, 'never above --workers');
});

test('TTIN/TTOU add and remove one worker; never below one', () => {
  const h = new Harness(2);
  const [a, b] = h.boot();
  h.event({ type: 'scale', delta: 1, reason: 'SIGTTIN' });
  let d = h.step();
  assert.equal(d.spawned.length, 1);
  assert.equal(h.worker(d.spawned[0]).slot, 3);
  h.event({ type: 'ready', pid: d.spawned[0] });
  h.event({ type: 'scale', delta: -1, reason: 'SIGTTOU' });
  h.event({ type: 'scale', delta: -1, reason: 'SIGTTOU' });
  d = h.step();
  assert.equal(h.state.target, 1);
  assert.equal(h.signals(d.actions, 'SIGTERM').length, 2);
  assert.ok(!h.signals(d.actions).includes(a));
  void b;
  const refused = h.event({ type: 'scale', delta: -1, reason: 'SIGTTOU' });
  assert.equal(refused[0].event, 'scale_refused');
  assert.equal(h.state.target, 1);
  assert.ok(MAX_WORKERS >= 1024);
});

test('reopen_logs is recorded and logged; heartbeats of unknown workers are ignored', () => {
  const h = new Harness(1);
  h.boot();
  assert.equal(h.event({ type: 'reopen_logs', reason: 'SIGUSR1' })[0].event, 'reopen_logs');
  assert.deepEqual(h.beat(99999, { maxRequestsReached: true }), []);
});

test('a graceful stop during a reload ends the reload and stops every worker, retiring ones included', () => {
  const h = new Harness(1);
  const [a] = h.boot();
  h.event({ type: 'reload', reason: 'SIGHUP' });
  const [n] = h.step().spawned;
  h.event({ type: 'stop', mode: 'graceful', reason: 'SIGTERM' });
  const d = h.step();
  assert.deepEqual(h.signals(d.actions, 'SIGTERM').sort(), [a, n].sort());
  assert.equal(h.state.reload, null);
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

test('recycles, reloads, harakiri and scale-down are recorded as restarts with their reason', () => {
  const h = new Harness(2, 30_000, { harakiriMs: 1000, heartbeatMs: 250, reloadOnRssBytes: 10 });
  const [a, b] = h.boot();
  h.beat(a, { maxRequestsReached: true });
  let d = h.step();
  h.event({ type: 'ready', pid: d.spawned[0] });
  d = h.step();
  assert.deepEqual(d.actions.filter((x) => x.type === 'restart'), [{ type: 'restart', slot: 1, reason: 'max-requests' }]);
  h.beat(b, { rssBytes: 11 });
  d = h.step();
  h.event({ type: 'ready', pid: d.spawned[0] });
  d = h.step();
  assert.deepEqual(d.actions.filter((x) => x.type === 'restart'), [{ type: 'restart', slot: 2, reason: 'rss' }]);
  const reload = h.actions({ type: 'reload', reason: 'SIGHUP' });
  assert.ok(reload.some((x) => x.type === 'reload_started'));
  h.now += 1251;
  d = h.step();
  assert.ok(d.actions.some((x) => x.type === 'harakiri' && x.kind === 'loop'));
  assert.ok(d.actions.some((x) => x.type === 'restart' && x.reason === 'harakiri'));
  h.event({ type: 'scale', delta: -1, reason: 'SIGTTOU' });
  assert.ok(h.step().actions.some((x) => x.type === 'restart' && x.reason === 'scale'));
  assert.ok(h.actions({ type: 'reopen_logs', reason: 'SIGUSR1' }).some((x) => x.type === 'reopen_logs'));
});

test('a request past --harakiri in a worker is recorded as a harakiri of kind request', () => {
  const h = new Harness(2, 30_000, { harakiriMs: 1000 });
  const [, b] = h.boot();
  assert.deepEqual(h.actions({ type: 'request_timed_out', pid: b }), [{ type: 'harakiri', slot: 2, kind: 'request' }]);
  assert.deepEqual(h.actions({ type: 'request_timed_out', pid: 424242 }), []);
  assert.deepEqual(h.signals(h.step().actions), [], 'the worker keeps serving');
});

test('boot timeout: a worker never ready is killed; at start-up that stops the master with exit code 3', () => {
  const h = new Harness(1, 30_000, { bootTimeoutMs: 5000 });
  const [pid] = h.step().spawned;
  h.now += 4999;
  let d = h.step();
  assert.deepEqual(h.signals(d.actions), []);
  assert.equal(d.wakeAt, h.now + 1);
  h.now += 1;
  d = h.step();
  assert.ok(h.events(d.actions).includes('worker_boot_timeout'));
  assert.deepEqual(h.signals(d.actions, 'SIGKILL'), [pid]);
  assert.deepEqual(h.signals(h.step().actions), [], 'killed once');
  const logs = h.event({ type: 'exited', pid, code: null, signal: 'SIGKILL' });
  assert.ok(logs.some((l) => l.event === 'startup_failed' && l.fields.exit_code === ExitCode.APP_LOAD_FAILED));
  assert.deepEqual(h.step().actions.at(-1), { type: 'exit', code: ExitCode.APP_LOAD_FAILED });
});

test('boot timeout during a reload: the reload stops, the old worker keeps serving', () => {
  const h = new Harness(1, 30_000, { bootTimeoutMs: 5000 });
  const [old] = h.boot();
  h.event({ type: 'reload', reason: 'SIGHUP' });
  const [hung] = h.step().spawned;
  h.now += 5000;
  assert.deepEqual(h.signals(h.step().actions, 'SIGKILL'), [hung]);
  const logs = h.event({ type: 'exited', pid: hung, code: null, signal: 'SIGKILL' });
  assert.ok(logs.some((l) => l.event === 'reload_failed' && String(l.fields.reason).includes('boot timeout')));
  assert.equal(h.state.mode, 'running');
  assert.deepEqual(h.pidsOf('ready'), [old]);
  assert.equal(h.step().spawned.length, 0);
});

test('the boot timeout leaves an app that calls listen() its whole --app-listen-timeout', () => {
  assert.equal(effectiveBootTimeout(60_000, 30_000), 60_000);
  assert.equal(effectiveBootTimeout(10_000, 30_000), 30_000 + BOOT_TIMEOUT_MARGIN_MS);
});
