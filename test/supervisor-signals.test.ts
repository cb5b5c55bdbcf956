/**
 * The master's signals and its death, with real processes: kill -9 of the master leaves
 * no worker behind (also one whose loop is blocked), TTIN/TTOU add and remove a worker,
 * USR1 reopens logs without disturbing anyone, a crash loop backs off with its reason.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { startServer } from './helpers/server';
import { nginxVars, packet, rawExchange, uwsgiRequest } from './helpers/uwsgi-client';
import { count, isAlive, servingPids, sleep, waitGone } from './helpers/pool-log';

test('kill -9 of the master: no worker survives', async () => {
  const server = await startServer({ app: 'lifecycle-app.js', workers: 2 });
  try {
    const workers = servingPids(server.output());
    assert.equal(workers.length, 2);
    // One of them is busy with a request: it finishes it, then exits.
    const slow = rawExchange(server.socketPath, packet(nginxVars('GET', '/slow?ms=300')), { timeoutMs: 10_000 });
    await sleep(100);
    process.kill(server.pid, 'SIGKILL');
    const answer = await slow;
    assert.match(answer.data.toString(), /^HTTP\/1\.1 200 /, 'the in-flight request was cut off');
    assert.deepEqual(await waitGone(workers, 10_000), [], 'orphaned workers');
  } finally {
    await server.stop();
  }
});

// A worker stuck in while(true) cannot run its own orphan handling: with --harakiri its
// watchdog thread ends it, without it the native parent watch does.
for (const [how, args] of [
  ['with --harakiri (the watchdog thread ends it)', ['--harakiri', '60']],
  ['without --harakiri (the parent watch ends it)', ['--graceful-timeout', '1']],
] as const) {
  test(`kill -9 of the master while a worker is blocked in while(true), ${how}`, async () => {
    const server = await startServer({ app: 'lifecycle-app.js', workers: 1, args: [...args] });
    try {
      const [worker] = servingPids(server.output());
      void rawExchange(server.socketPath, packet(nginxVars('GET', '/spin')), { timeoutMs: 100 });
      await sleep(300);
      process.kill(server.pid, 'SIGKILL');
      assert.deepEqual(await waitGone([worker], 10_000), [], 'the blocked worker outlived its master');
    } finally {
      await server.stop();
    }
  });
}

test('SIGTTIN adds a worker, SIGTTOU removes one, never the last', async () => {
  const server = await startServer({ app: 'lifecycle-app.js', workers: 1 });
  try {
    process.kill(server.pid, 'SIGTTIN');
    await server.waitForOutput(/scale reason=SIGTTIN workers=2/);
    await server.waitForOutput(/worker_ready slot=2 /);
    assert.equal(servingPids(server.output()).length, 2);
    process.kill(server.pid, 'SIGTTOU');
    await server.waitForOutput(/worker_retire slot=2 pid=\d+ reason=scale-down/);
    await server.waitForOutput(/worker_exited slot=2 /);
    assert.equal(servingPids(server.output()).length, 1);
    process.kill(server.pid, 'SIGTTOU');
    await server.waitForOutput(/scale_refused reason=SIGTTOU workers=1/);
    assert.equal((await uwsgiRequest(server.socketPath, 'GET', '/')).status, 200);
    assert.equal(servingPids(server.output()).length, 1);
  } finally {
    await server.stop();
  }
});

test('SIGUSR1 reopens logs: master and workers keep running, no inspector is started', async () => {
  const server = await startServer({ app: 'lifecycle-app.js', workers: 2 });
  try {
    const workers = servingPids(server.output());
    process.kill(server.pid, 'SIGUSR1');
    await server.waitForOutput(/reopen_logs reason=SIGUSR1/);
    // Forwarded: each worker reopened its files too.
    for (let i = 0; i < 100 && count(server.output(), /\[worker \d\] reopen_logs failed=0/) < 2; i++) await sleep(50);
    assert.equal(count(server.output(), /\[worker \d\] reopen_logs failed=0/), 2);
    await sleep(500);
    assert.ok(workers.every(isAlive));
    assert.doesNotMatch(server.output(), /Debugger listening/);
    assert.equal((await uwsgiRequest(server.socketPath, 'GET', '/')).status, 200);
    assert.equal(count(server.output(), /worker_exited/), 0);
  } finally {
    await server.stop();
  }
});

test('a crash loop after start-up is logged with its exit reason and backs off', async () => {
  const server = await startServer({ app: 'lifecycle-app.js', workers: 1 });
  try {
    const delays: number[] = [];
    for (let i = 0; i < 3; i++) {
      const from = server.output().length;
      await rawExchange(server.socketPath, packet(nginxVars('GET', '/crash')), { timeoutMs: 5000 });
      const m = await server.waitForOutput(/worker_exited slot=1 pid=\d+ code=42 signal=null reason="exited with code 42" uptime_ms=\d+ respawn_in_ms=(\d+)/, 15_000, from);
      delays.push(Number(m[1]));
      await server.waitForOutput(/worker_ready/, 15_000, from);
    }
    assert.equal(delays[0], 0, 'a first crash is respawned at once');
    assert.ok(delays[1] > 0 && delays[2] > delays[1], `no back-off: ${delays}`);
    assert.equal(server.child.exitCode, null, 'the master keeps running');
  } finally {
    await server.stop();
  }
});

test('SIGTERM: connections waiting in the listen queue are served before the workers stop', async () => {
  const server = await startServer({ app: 'lifecycle-app.js', workers: 1 });
  try {
    const [worker] = servingPids(server.output());
    // The worker is frozen, so these connections wait in the listen queue, requests sent.
    process.kill(worker, 'SIGSTOP');
    const queued = Array.from({ length: 20 }, () =>
      rawExchange(server.socketPath, packet(nginxVars('GET', '/')), { timeoutMs: 15_000 }),
    );
    await sleep(300);
    process.kill(server.pid, 'SIGTERM');
    await server.waitForOutput(/stopping mode=graceful reason=SIGTERM/);
    await sleep(200);
    process.kill(worker, 'SIGCONT');
    const answers = await Promise.all(queued);
    const statuses = answers.map((a) => (a.data.length > 0 ? Number(a.data.toString('latin1').slice(9, 12)) : 0));
    assert.deepEqual(statuses, Array(20).fill(200), 'queued connections were dropped');
    assert.equal((await server.waitExit()).code, 0);
  } finally {
    await server.stop();
  }
});
