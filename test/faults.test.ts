/**
 * Faults and load: a worker killed under load, a crowd of idle connections, a soak,
 * and thousands of client aborts. Everything through real processes (and nginx where a
 * front server is part of the story); bounded loops only.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as net from 'node:net';
import { startServer, type ServerProcess } from './helpers/server';
import { startNginx } from './helpers/nginx';
import { runLoad, rssBytes, fdCount } from './helpers/load';
import { nginxVars, packet, rawExchange, uwsgiRequest } from './helpers/uwsgi-client';

function workerPids(server: ServerProcess): number[] {
  return [...server.output().matchAll(/worker_ready slot=\d+ pid=(\d+)/g)].map((m) => Number(m[1]));
}

function logTime(line: string): number {
  return Date.parse(line.slice(0, 24));
}

test('kill -9 of a worker under load: only its in-flight requests fail, a replacement serves within a second', async () => {
  const server = await startServer({ app: 'echo.js', workers: 2 });
  const nginx = await startNginx({ upstream: `unix:${server.socketPath}` });
  try {
    const [victim] = workerPids(server);
    const concurrency = 16;
    let killed = false;
    const load = runLoad(nginx.url, {
      requests: 6000,
      concurrency,
      path: '/slow?ms=5',
      onProgress: (done) => {
        if (!killed && done === 1500) {
          killed = true;
          process.kill(victim, 'SIGKILL');
        }
      },
    });
    const r = await load;
    assert.ok(killed);
    // Requests the victim had accepted (at most one per connection in flight) may fail;
    // nothing else may.
    assert.ok(r.non2xx + r.errors <= concurrency, `failures ${r.non2xx + r.errors}: ${JSON.stringify([...r.statuses])}`);
    assert.equal(r.ok + r.non2xx + r.errors, 6000);
    const exited = server.output().split('\n').find((l) => l.includes(`worker_exited`) && l.includes(`pid=${victim}`))!;
    const lines = server.output().split('\n');
    const spawned = lines.filter((l) => l.includes('worker_spawned')).slice(2)[0];
    const readyAfter = lines.filter((l) => l.includes('worker_ready')).slice(2)[0];
    assert.ok(spawned && readyAfter, 'no replacement worker became ready');
    // The master starts the replacement at once (after the crash back-off it logged, which a
    // worker younger than the stable uptime gets); it serves as soon as Node has booted it.
    const backoff = Number(/respawn_in_ms=(\d+)/.exec(exited)?.[1] ?? 0);
    const spawnDelay = logTime(spawned) - logTime(exited);
    assert.ok(spawnDelay < backoff + 250, `the replacement was spawned ${spawnDelay} ms after the exit (back-off ${backoff} ms)`);
    const gap = logTime(readyAfter) - logTime(exited);
    // Within a second; on a machine so loaded that booting Node alone takes longer (boot_ms,
    // measured by the master), no later than that boot allows.
    const bootMs = Number(/boot_ms=(\d+)/.exec(readyAfter)?.[1]);
    assert.ok(gap < Math.max(1000, spawnDelay + bootMs + 150), `the replacement took ${gap} ms (its boot ${bootMs} ms)`);
  } finally {
    await nginx.stop();
    await server.stop();
  }
});

test('1000 idle connections: normal requests keep being served, the idle ones close at the read deadline', async () => {
  const server = await startServer({ app: 'echo.js', args: ['--socket-timeout', '2'] });
  const idle: net.Socket[] = [];
  try {
    let closed = 0;
    // In batches: a unix socket refuses connect() with EAGAIN while its backlog is full.
    for (let batch = 0; batch < 10; batch++) {
      await Promise.all(
        Array.from({ length: 100 }, () => {
          return new Promise<void>((resolve, reject) => {
            const s = net.connect({ path: server.socketPath }, () => resolve());
            s.on('error', reject);
            s.on('close', () => closed++);
            idle.push(s);
          });
        }),
      );
    }
    const started = Date.now();
    for (let i = 0; i < 50; i++) {
      assert.equal((await uwsgiRequest(server.socketPath, 'GET', '/hello')).status, 200);
    }
    assert.ok(Date.now() - started < 5000, 'requests were held up by the idle connections');
    for (let i = 0; i < 100 && closed < 1000; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(closed, 1000, `${1000 - closed} idle connections still open`);
    assert.match(server.output(), /connection_rejected reason=head_timeout/);
  } finally {
    for (const s of idle) s.destroy();
    await server.stop();
  }
});

test('soak: 200 000 requests through nginx without a failure; worker RSS flat, no fd growth', async () => {
  const server = await startServer({ app: 'echo.js' });
  const nginx = await startNginx({ upstream: `unix:${server.socketPath}` });
  try {
    const [pid] = workerPids(server);
    const warm = await runLoad(nginx.url, { requests: 20_000, concurrency: 32, path: '/hello' });
    assert.equal(warm.ok, 20_000);
    const rssWarm = rssBytes(pid);
    const fdsWarm = fdCount(pid);
    const soak = await runLoad(nginx.url, { requests: 180_000, concurrency: 32, path: '/hello' });
    assert.equal(soak.ok, 180_000, JSON.stringify({ statuses: [...soak.statuses], errors: [...soak.errorMessages] }));
    const rssEnd = rssBytes(pid);
    assert.ok(rssEnd < rssWarm * 1.1, `worker RSS grew from ${rssWarm} to ${rssEnd}`);
    assert.ok(fdCount(pid) <= fdsWarm + 2, `worker fds grew from ${fdsWarm} to ${fdCount(pid)}`);
  } finally {
    await nginx.stop();
    await server.stop();
  }
});

test('thousands of client aborts mid-request and mid-response leave nothing behind', async () => {
  const server = await startServer({ app: 'echo.js' });
  try {
    const [pid] = workerPids(server);
    const fds0 = fdCount(pid);
    // [bytes, close after the first response bytes (mid-response) or at once (mid-request)]
    const requests: [Buffer, boolean][] = [
      [packet(nginxVars('GET', '/hang')), false],
      [packet(nginxVars('GET', '/stream')), true],
      [packet(nginxVars('GET', '/big?size=1000000')), true],
      [packet(nginxVars('GET', '/big?size=1000000')), false],
      [packet(nginxVars('POST', '/digest', {}, '100000'), Buffer.alloc(1000)), false],
      [packet(nginxVars('POST', '/echo', {}, '5000'), Buffer.alloc(5000)), true],
    ];
    for (let round = 0; round < 500; round++) {
      await Promise.all(
        requests.map(
          ([bytes, midResponse]) =>
            new Promise<void>((resolve) => {
              const s = net.connect({ path: server.socketPath }, () => {
                s.write(bytes);
                if (!midResponse) s.destroy();
              });
              s.once('data', () => s.destroy());
              s.on('error', () => {});
              s.on('close', () => resolve());
            }),
        ),
      );
    }
    const rss = rssBytes(pid);
    for (let i = 0; i < 50 && fdCount(pid) > fds0; i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(fdCount(pid) <= fds0, `fds ${fds0} -> ${fdCount(pid)}`);
    assert.equal((await uwsgiRequest(server.socketPath, 'GET', '/hello')).status, 200);
    const aborts = JSON.parse((await uwsgiRequest(server.socketPath, 'GET', '/aborts')).body.toString()).aborts;
    assert.ok(aborts >= 500, `the app saw ${aborts} aborts of /hang`);
    assert.ok(rss < 200 * 1024 * 1024, `worker RSS ${rss}`);
    assert.doesNotMatch(server.output(), /uncaught_exception|worker_exited/);
  } finally {
    await server.stop();
  }
});

test('raw mid-body aborts are counted as client aborts, not crashes', async () => {
  const server = await startServer({ app: 'echo.js' });
  try {
    for (let i = 0; i < 200; i++) {
      await rawExchange(server.socketPath, packet(nginxVars('POST', '/digest', {}, '1000'), Buffer.alloc(10)), { endAfter: true, timeoutMs: 2000 });
    }
    assert.equal((await uwsgiRequest(server.socketPath, 'GET', '/hello')).status, 200);
    assert.doesNotMatch(server.output(), /uncaught_exception|worker_exited/);
  } finally {
    await server.stop();
  }
});
