/**
 * Worker recycling and limits with real processes: --max-requests under load through
 * nginx, --reload-on-rss, --harakiri (the request deadline and the blocked loop) and
 * --idle scale-down.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { startServer } from './helpers/server';
import { freePort, startNginx } from './helpers/nginx';
import { httpRequest } from './helpers/http';
import { runLoad } from './helpers/load';
import { nginxVars, packet, parseResponse, rawExchange, uwsgiRequest } from './helpers/uwsgi-client';
import { count, readyPids, servingPids, sleep } from './helpers/pool-log';

function logTime(output: string, pattern: RegExp): number {
  const line = output.split('\n').find((l) => pattern.test(l));
  assert.ok(line, `no log line matches ${pattern}`);
  return Date.parse(line.slice(0, 24));
}

test('--max-requests recycles workers under load through nginx with no failed request', async () => {
  const server = await startServer({
    app: 'lifecycle-app.js',
    workers: 2,
    args: ['--max-requests', '150', '--max-requests-jitter', '50'],
  });
  const nginx = await startNginx({ upstream: `unix:${server.socketPath}` });
  try {
    const r = await runLoad(nginx.url, { requests: 3000, concurrency: 8, path: '/slow?ms=2' });
    assert.equal(r.non2xx, 0, `non-2xx: ${JSON.stringify([...r.statuses])}`);
    assert.equal(r.errors, 0, `errors: ${JSON.stringify([...r.errorMessages])}`);
    assert.equal(r.ok, 3000);
    await server.waitForOutput(/(worker_retire slot=\d pid=\d+ reason=max-requests replaced_by=\d+[^]*){3}/, 30_000);
    const out = server.output();
    assert.ok(count(out, /worker_recycle slot=\d pid=\d+ reason=max-requests/) >= 3, out);
    // --max-recycling 1 (the default): replacement spawns and retirements alternate, one
    // recycle at a time.
    const afterBoot = out.indexOf('worker_recycle');
    const steps = [...out.slice(afterBoot).matchAll(/worker_spawned|worker_retire/g)].map((m) => m[0]);
    steps.forEach((step, i) => assert.equal(step, i % 2 === 0 ? 'worker_spawned' : 'worker_retire', steps.join(' ')));
    // No limit below 150 or above 200.
    for (const m of out.matchAll(/max_requests_reached requests=(\d+)/g)) {
      assert.ok(Number(m[1]) >= 150 && Number(m[1]) <= 200, m[0]);
    }
  } finally {
    await nginx.stop();
    await server.stop();
  }
});

test('--reload-on-rss: a worker above the limit is replaced, and its in-flight request completes', async () => {
  const server = await startServer({ app: 'lifecycle-app.js', workers: 1, args: ['--reload-on-rss', '150'] });
  try {
    const [old] = servingPids(server.output());
    assert.equal((await uwsgiRequest(server.socketPath, 'GET', '/grow?mb=200')).status, 200);
    const slow = rawExchange(server.socketPath, packet(nginxVars('GET', '/slow?ms=2500')), { timeoutMs: 15_000 });
    await server.waitForOutput(new RegExp(`worker_recycle slot=1 pid=${old} reason=rss`));
    await server.waitForOutput(new RegExp(`worker_retire slot=1 pid=${old} reason=rss`));
    const response = parseResponse((await slow).data);
    assert.equal(response.status, 200);
    assert.match(response.body.toString(), new RegExp(`pid=${old}`));
    await server.waitForOutput(new RegExp(`worker_exited slot=1 pid=${old} code=0`));
    const [fresh] = servingPids(server.output());
    assert.notEqual(fresh, old);
    assert.match((await uwsgiRequest(server.socketPath, 'GET', '/')).body.toString(), new RegExp(`pid=${fresh}`));
  } finally {
    await server.stop();
  }
});

test('--harakiri: a request past the deadline gets 504, the app sees the abort, the log names it', async () => {
  const server = await startServer({ app: 'lifecycle-app.js', workers: 1, args: ['--harakiri', '1'] });
  try {
    const r = await rawExchange(server.socketPath, packet(nginxVars('GET', '/hang?x=1')), { timeoutMs: 10_000 });
    const response = parseResponse(r.data);
    assert.equal(response.status, 504);
    assert.ok(r.elapsedMs >= 900 && r.elapsedMs < 5000, `answered after ${r.elapsedMs} ms`);
    await server.waitForOutput(/harakiri method=GET uri="?\/hang\?x=1"? duration_ms=\d+ limit_ms=1000 action="answered 504/);
    await server.waitForOutput(/\/hang saw close, ended=false/);
    // A response that has started is cut instead: the client sees the connection close.
    assert.equal((await uwsgiRequest(server.socketPath, 'GET', '/slow?ms=100')).status, 200, 'fast requests are untouched');
  } finally {
    await server.stop();
  }
});

test('--harakiri: a worker stuck in while(true) is killed within harakiri + grace; the log names the request and the stack', async (t) => {
  const server = await startServer({ app: 'lifecycle-app.js', workers: 1, args: ['--harakiri', '2', '--harakiri-grace', '1'] });
  try {
    const [stuck] = servingPids(server.output());
    const started = Date.now();
    const r = await rawExchange(server.socketPath, packet(nginxVars('GET', '/spin?case=loop')), { timeoutMs: 20_000 });
    const elapsed = Date.now() - started;
    assert.ok(r.closed, 'the connection was not closed');
    await server.waitForOutput(new RegExp(`worker_exited slot=1 pid=${stuck} code=null signal=SIGKILL`));
    const out = server.output();
    // harakiri 2 s + heartbeat slack 0.5 s + grace 1 s, plus scheduling slack on a busy machine.
    const killedAfter = logTime(out, new RegExp(`worker_exited slot=1 pid=${stuck}`)) - started;
    assert.ok(killedAfter < 2000 + 500 + 1000 + 2500, `killed ${killedAfter} ms after the request (${elapsed} ms for the client)`);
    assert.ok(killedAfter >= 2000, `killed too early: ${killedAfter} ms`);
    t.diagnostic(`--harakiri 2 --harakiri-grace 1: the stuck worker was gone ${killedAfter} ms after its request started`);
    assert.match(out, /harakiri_loop_blocked blocked_ms=\d+ limit_ms=2000 request="GET \/spin\?case=loop" request_ms=\d+ pid=\d+ stack="spinForever \(file:\/\/.*lifecycle-app\.js:\d+:\d+\)/);
    assert.match(out, new RegExp(`harakiri slot=1 pid=${stuck} reason="event loop blocked"`));
    // A replacement serves.
    await server.waitForOutput(/worker_ready/, 15_000, out.indexOf('harakiri slot=1'));
    assert.equal((await uwsgiRequest(server.socketPath, 'GET', '/')).status, 200);
  } finally {
    await server.stop();
  }
});

test('--idle: idle workers stop down to --min-workers, and the rest keep serving', async () => {
  const server = await startServer({ app: 'lifecycle-app.js', workers: 3, args: ['--idle', '1', '--min-workers', '1'] });
  try {
    for (let i = 0; i < 2; i++) await server.waitForOutput(new RegExp(`scale reason=idle idle_ms=\\d+ workers=${2 - i}`), 20_000);
    for (let i = 0; i < 100 && servingPids(server.output()).length > 1; i++) await sleep(100);
    assert.equal(servingPids(server.output()).length, 1);
    assert.equal(count(server.output(), /worker_retire slot=\d pid=\d+ reason=scale-down/), 2);
    assert.equal((await uwsgiRequest(server.socketPath, 'GET', '/')).status, 200);
    await sleep(2500);
    assert.equal(servingPids(server.output()).length, 1, 'never below the minimum');
    assert.equal(readyPids(server.output()).length, 3, 'nothing respawned');
  } finally {
    await server.stop();
  }
});

test('--idle: a worker is added back when every worker is busy, up to --workers', async () => {
  const server = await startServer({ app: 'lifecycle-app.js', workers: 2, args: ['--idle', '1', '--min-workers', '1'] });
  try {
    await server.waitForOutput(/scale reason=idle idle_ms=\d+ workers=1/, 20_000);
    for (let i = 0; i < 100 && servingPids(server.output()).length > 1; i++) await sleep(100);
    assert.equal(servingPids(server.output()).length, 1);
    const readyBefore = readyPids(server.output()).length;
    // Keep the one worker's loop saturated (two requests in flight at all times) until the
    // master sees it busy and adds a worker; bounded.
    let scaled = false;
    const until = Date.now() + 30_000;
    const load = async () => {
      while (!scaled && Date.now() < until) await uwsgiRequest(server.socketPath, 'GET', '/burn?ms=150');
    };
    const loaders = [load(), load()];
    for (; Date.now() < until && !scaled; await sleep(100)) scaled = /scale reason="every worker busy" workers=2/.test(server.output());
    scaled = true;
    await Promise.all(loaders);
    assert.match(server.output(), /scale reason="every worker busy" workers=2/);
    for (let i = 0; i < 200 && readyPids(server.output()).length === readyBefore; i++) await sleep(100);
    assert.equal(readyPids(server.output()).length, readyBefore + 1, 'a worker was added and became ready');
    assert.doesNotMatch(server.output(), /workers=3/, 'never above --workers');
  } finally {
    await server.stop();
  }
});

test('--metrics counts what the supervisor does: harakiri by kind, reloads, restarts by reason', async () => {
  const port = await freePort();
  const server = await startServer({
    app: 'lifecycle-app.js',
    workers: 1,
    args: ['--harakiri', '1', '--metrics', `127.0.0.1:${port}`],
  });
  const metric = async (pattern: RegExp) => {
    const r = await httpRequest(`http://127.0.0.1:${port}/metrics`);
    const m = pattern.exec(r.body.toString());
    return m === null ? null : Number(m[1]);
  };
  try {
    assert.equal(parseResponse((await rawExchange(server.socketPath, packet(nginxVars('GET', '/hang')), { timeoutMs: 10_000 })).data).status, 504);
    let timedOut: number | null = null;
    for (let i = 0; i < 50 && timedOut !== 1; i++) {
      timedOut = await metric(/^uwsgi_ts_harakiri_total\{worker="1",kind="request"\} (\d+)/m);
      if (timedOut !== 1) await sleep(100);
    }
    assert.equal(timedOut, 1);
    const from = server.output().length;
    process.kill(server.pid, 'SIGHUP');
    await server.waitForOutput(/reload_done/, 30_000, from);
    assert.equal(await metric(/^uwsgi_ts_reloads_total (\d+)/m), 1);
    assert.equal(await metric(/^uwsgi_ts_worker_restarts_total\{reason="reload"\} (\d+)/m), 1);
  } finally {
    await server.stop();
  }
});

test('an app using the worker IPC channel for its own messages is not taken for the worker: no recycle, no harakiri counted', async () => {
  const port = await freePort();
  const server = await startServer({ app: 'lifecycle-app.js', workers: 1, args: ['--max-requests', '1000', '--metrics', `127.0.0.1:${port}`] });
  try {
    const [pid] = servingPids(server.output());
    // The app sends a beat saying it reached --max-requests, a harakiri and a ready, as
    // plain { type } objects, then answers.
    assert.match((await uwsgiRequest(server.socketPath, 'GET', '/ipc')).body.toString(), new RegExp(`sent pid=${pid}`));
    // Two heartbeats later the master has read all of it, and the worker's own beats too.
    await sleep(2500);
    const out = server.output();
    assert.doesNotMatch(out, /worker_recycle/);
    assert.equal(count(out, /worker_spawned/), 1, out);
    assert.match((await uwsgiRequest(server.socketPath, 'GET', '/')).body.toString(), new RegExp(`pid=${pid}`));
    const metrics = (await httpRequest(`http://127.0.0.1:${port}/metrics`)).body.toString();
    assert.doesNotMatch(metrics, /^uwsgi_ts_harakiri_total\{[^}]*\} [1-9]/m, metrics);
  } finally {
    await server.stop();
  }
});
