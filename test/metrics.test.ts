/**
 * /metrics, /healthz, /readyz and /stats of a real master with real workers: exact counts
 * after a known sequence of requests, the listen queue of a backlog built on purpose,
 * series that survive a worker restart, scrapes that answer while workers are stuck or
 * busy.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { startServer, tempDir, type ServerProcess } from './helpers/server';
import { freePort } from './helpers/nginx';
import { connectMany } from './helpers/connections';
import { httpRequest } from './helpers/http';
import { startUwsgiLoad } from './helpers/uwsgi-load';
import { encodeVars, nginxVars, packet, rawExchange } from './helpers/uwsgi-client';
import { parseMetrics, select, seriesKey, total, type Sample } from './helpers/prometheus';
import { WORKER_COLLECT_TIMEOUT_MS } from '../src/metrics/worker-collector';
import type { Stats } from '../src/metrics/metrics-server';

async function startWithMetrics(workers: number, args: string[] = []): Promise<{ server: ServerProcess; base: string }> {
  const port = await freePort();
  const server = await startServer({ app: 'echo.js', workers, args: ['--metrics', `127.0.0.1:${port}`, ...args] });
  return { server, base: `http://127.0.0.1:${port}` };
}

async function scrape(base: string): Promise<Sample[]> {
  const r = await httpRequest(`${base}/metrics`);
  assert.equal(r.status, 200);
  assert.match(String(r.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  return parseMetrics(r.body.toString());
}

/** Scrapes until `settled` holds or about 5 s passed, and returns the last scrape. A request
 * is counted when the worker's side of its connection closes, which can come after the
 * client has read the whole response. */
async function scrapeWhen(base: string, settled: (m: Sample[]) => boolean): Promise<Sample[]> {
  let m = await scrape(base);
  for (let i = 0; i < 100 && !settled(m); i++) {
    await new Promise((res) => setTimeout(res, 50));
    m = await scrape(base);
  }
  return m;
}

function workerPids(server: ServerProcess): number[] {
  return [...server.output().matchAll(/worker_ready slot=\d+ pid=(\d+)/g)].map((m) => Number(m[1]));
}

test('a scrape after a known sequence of requests gives exact counts, bytes and malformed kinds', async () => {
  const { server, base } = await startWithMetrics(2);
  try {
    let bytesIn = 0;
    let bytesOut = 0;
    const send = async (p: Buffer) => {
      const r = await rawExchange(server.socketPath, p);
      bytesIn += p.length;
      bytesOut += r.data.length;
      return r;
    };
    for (let i = 0; i < 5; i++) await send(packet(nginxVars('GET', '/hello')));
    await send(packet(nginxVars('POST', '/status/503', {}, '3'), 'abc'));
    await send(packet(nginxVars('GET', '/throw')));
    await send(packet(nginxVars('GET', '/no-such-route')));
    await send(packet(nginxVars('DELETE', '/status/204')));
    // Parses, but has no REQUEST_METHOD: refused with 400 and counted as a bad request.
    const noMethod = await send(packet(encodeVars([['REQUEST_URI', '/x'], ['REMOTE_ADDR', '127.0.0.1']])));
    assert.match(noMethod.data.toString('latin1'), /^HTTP\/1\.1 400 /);
    // Malformed: a key length running past the vars block, and modifier1 = 9.
    const overrun = await rawExchange(server.socketPath, Buffer.from([0, 4, 0, 0, 200, 0, 65, 66]));
    assert.equal(overrun.data.length, 0);
    await rawExchange(server.socketPath, packet(nginxVars('GET', '/hello'), '', { modifier1: 9 }));

    const m = await scrapeWhen(base, (m) => total(m, 'uwsgi_ts_requests_total') >= 10 && total(m, 'uwsgi_ts_malformed_packets_total') >= 2);
    const count = (method: string, code: string) => total(m, 'uwsgi_ts_requests_total', { method, code });
    assert.equal(count('GET', '200'), 5);
    assert.equal(count('POST', '503'), 1);
    assert.equal(count('GET', '500'), 1);
    assert.equal(count('GET', '404'), 1);
    assert.equal(count('DELETE', '204'), 1);
    assert.equal(count('other', '400'), 1);
    assert.equal(total(m, 'uwsgi_ts_requests_total'), 10, 'nothing else was counted as a request');
    assert.equal(total(m, 'uwsgi_ts_request_duration_seconds_count'), 10);
    assert.equal(total(m, 'uwsgi_ts_request_duration_seconds_bucket', { le: '+Inf' }), 10);
    assert.equal(total(m, 'uwsgi_ts_request_bytes_total'), bytesIn);
    assert.equal(total(m, 'uwsgi_ts_response_bytes_total'), bytesOut);
    assert.equal(total(m, 'uwsgi_ts_requests_in_flight'), 0);
    assert.equal(total(m, 'uwsgi_ts_malformed_packets_total', { kind: 'vars_key_overrun' }), 1);
    assert.equal(total(m, 'uwsgi_ts_malformed_packets_total', { kind: 'unsupported_modifier' }), 1);
    assert.equal(total(m, 'uwsgi_ts_malformed_packets_total'), 2);
    assert.equal(total(m, 'uwsgi_ts_bad_requests_total', { code: 'missing_method' }), 1);
    // Workers are labelled by slot; master series and default metrics are there.
    assert.deepEqual([...new Set(select(m, 'uwsgi_ts_requests_in_flight').map((s) => s.labels.worker))].sort(), ['1', '2']);
    assert.equal(select(m, 'process_resident_memory_bytes').length, 2, 'prom-client default metrics per worker');
    assert.ok(select(m, 'uwsgi_ts_worker_rss_bytes').every((s) => s.value > 1e6));
    assert.equal(select(m, 'uwsgi_ts_worker_event_loop_lag_seconds').length, 2);
    assert.equal(total(m, 'uwsgi_ts_workers', { state: 'ready' }), 2);
    assert.equal(total(m, 'uwsgi_ts_workers', { state: 'starting' }), 0);
    assert.equal(total(m, 'uwsgi_ts_worker_up'), 2);
    assert.equal(select(m, 'uwsgi_ts_worker_restarts_total').length, 6, 'every restart reason is a series from the start');
    assert.equal(total(m, 'uwsgi_ts_worker_restarts_total'), 0);
    assert.equal(select(m, 'uwsgi_ts_master_process_resident_memory_bytes').length, 1);
    assert.ok(!m.some((s) => 'pid' in s.labels), 'no series is labelled by pid');
    // Each worker's counters are its own: the per-slot values add up to the totals.
    const perSlot = select(m, 'uwsgi_ts_request_duration_seconds_count').map((s) => s.value);
    assert.equal(perSlot.length, 2);
  } finally {
    await server.stop();
  }
});

test('restarting a worker does not create new series; the restart is counted with its reason', async () => {
  const { server, base } = await startWithMetrics(2);
  try {
    // Both workers must have served before the "before" scrape, or a slot's first request
    // after the restart would add its series for the first time. Which worker accepts a
    // connection is up to the kernel (one awake worker may take a whole run of them), so
    // send until both have served, within a bound.
    let before: Sample[] = [];
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 6; i++) await rawExchange(server.socketPath, packet(nginxVars('GET', '/hello')));
      before = await scrape(base);
      const served = new Set(select(before, 'uwsgi_ts_requests_total').map((s) => s.labels.worker));
      if (served.has('1') && served.has('2')) break;
    }
    const keysBefore = new Set(before.map(seriesKey));
    const [victim] = workerPids(server);
    process.kill(victim, 'SIGKILL');
    await server.waitForOutput(/worker_ready slot=\d+ pid=\d+[^]*worker_ready slot=\d+ pid=\d+[^]*worker_ready/);
    for (let i = 0; i < 6; i++) await rawExchange(server.socketPath, packet(nginxVars('GET', '/hello')));
    const after = await scrape(base);
    // The master's own default metrics (GC kinds seen for the first time) may grow; the
    // server's series must not.
    const ours = (s: Sample) => s.name.startsWith('uwsgi_ts_') && !s.name.startsWith('uwsgi_ts_master_');
    const added = after.filter(ours).map(seriesKey).filter((k) => !keysBefore.has(k));
    assert.deepEqual(added, [], 'a respawned worker reuses its slot\'s series');
    assert.deepEqual([...new Set(after.filter((s) => s.labels.worker).map((s) => s.labels.worker))].sort(), ['1', '2']);
    assert.equal(total(after, 'uwsgi_ts_worker_restarts_total', { reason: 'crash' }), 1);
    assert.equal(total(after, 'uwsgi_ts_worker_restarts_total'), 1);
  } finally {
    await server.stop();
  }
});

test('the listen queue gauge reports a backlog built on purpose, for a unix socket and for TCP; a stuck worker does not stall the scrape', async () => {
  const tcpPort = await freePort();
  const backlog = 64;
  const { server, base } = await startWithMetrics(1, ['--socket', `127.0.0.1:${tcpPort}`, '--listen', String(backlog)]);
  const unixName = `unix:${server.socketPath}`;
  const tcpName = `tcp:127.0.0.1:${tcpPort}`;
  const [worker] = workerPids(server);
  const held: net.Socket[] = [];
  try {
    const idle = await scrape(base);
    assert.equal(total(idle, 'uwsgi_ts_listen_queue_depth', { socket: unixName }), 0);
    assert.equal(total(idle, 'uwsgi_ts_listen_queue_max', { socket: unixName }), backlog);
    assert.equal(total(idle, 'uwsgi_ts_listen_queue_max', { socket: tcpName }), backlog);
    process.kill(worker, 'SIGSTOP');
    held.push(...(await connectMany({ path: server.socketPath }, 7)));
    held.push(...(await connectMany({ host: '127.0.0.1', port: tcpPort }, 5)));
    const started = Date.now();
    const m = await scrape(base);
    const elapsed = Date.now() - started;
    assert.equal(total(m, 'uwsgi_ts_listen_queue_depth', { socket: unixName }), 7);
    assert.equal(total(m, 'uwsgi_ts_listen_queue_depth', { socket: tcpName }), 5);
    assert.equal(total(m, 'uwsgi_ts_listen_queue_max', { socket: tcpName }), backlog);
    // The stopped worker cannot answer: reported, not waited for.
    assert.equal(total(m, 'uwsgi_ts_worker_up', { worker: '1' }), 0);
    const timeoutsBefore = total(idle, 'uwsgi_ts_worker_scrape_timeouts_total', { worker: '1' });
    assert.equal(total(m, 'uwsgi_ts_worker_scrape_timeouts_total', { worker: '1' }), timeoutsBefore + 1);
    assert.equal(select(m, 'uwsgi_ts_requests_total').length, 0);
    assert.ok(elapsed < WORKER_COLLECT_TIMEOUT_MS + 1000, `scrape took ${elapsed} ms with a stopped worker`);
    const stats = JSON.parse((await httpRequest(`${base}/stats`)).body.toString()) as Stats;
    assert.deepEqual(
      stats.sockets.map((s) => [s.name, s.depth, s.max]),
      [
        [unixName, 7, backlog],
        [tcpName, 5, backlog],
      ],
    );
    assert.equal(stats.workers[0]!.up, false);
  } finally {
    for (const s of held) s.destroy();
    try {
      process.kill(worker, 'SIGCONT');
    } catch {
      // already gone
    }
    await server.stop();
  }
});

// How long a scrape takes under load is measured by bench/metrics.bench.ts (a timing is a
// benchmark's business, not a test's); this checks what a scrape under load must show.
test('scrapes during load answer with the busy workers\' series, and the counts keep up with the load', async () => {
  const { server, base } = await startWithMetrics(2);
  const connections = 16;
  const load = startUwsgiLoad(server.socketPath, connections, '/hello');
  try {
    // Let the load build up before scraping.
    await load.waitServed(300, 5000);
    assert.ok(load.served() >= 300, `the load runs (${load.served()} requests)`);
    const servedBefore = load.served();
    let bothUp = 0;
    const counted: number[] = [];
    for (let i = 0; i < 15; i++) {
      const m = await scrape(base);
      if (total(m, 'uwsgi_ts_worker_up') === 2) {
        bothUp++;
        counted.push(total(m, 'uwsgi_ts_requests_total', { method: 'GET', code: '200' }));
      }
    }
    // A busy worker answers between two requests; on a machine this loaded a scheduling
    // hiccup may still make one miss the collection timeout now and then (it is then
    // reported as down for that scrape, which is the point of the timeout). A worker that
    // could not answer while serving would be down in every scrape.
    assert.ok(bothUp >= 8, `both busy workers answered only ${bothUp} of 15 scrapes`);
    // Every request the load had read an answer to is counted, less those whose close the
    // worker had not handled yet (at most one per load connection).
    assert.ok(counted[0]! >= servedBefore - connections, `the first full scrape counted ${counted[0]} of ${servedBefore} requests`);
    assert.ok(counted[counted.length - 1]! > counted[0]!, `the count did not grow under load: ${counted.join(',')}`);
    for (let i = 1; i < counted.length; i++) assert.ok(counted[i]! >= counted[i - 1]!, `a counter went down: ${counted.join(',')}`);
  } finally {
    load.child.kill('SIGKILL');
    await server.stop();
  }
});

test('/healthz and /readyz: ready while serving, not ready while shutting down; /stats names the request in flight', async () => {
  const { server, base } = await startWithMetrics(1, ['--graceful-timeout', '20']);
  try {
    assert.equal((await httpRequest(`${base}/healthz`)).status, 200);
    assert.equal((await httpRequest(`${base}/readyz`)).status, 200);
    assert.equal((await httpRequest(`${base}/nope`)).status, 404);
    const slow = rawExchange(server.socketPath, packet(nginxVars('GET', '/slow?ms=3000')), { timeoutMs: 10_000 });
    let current: Stats['workers'][number]['status'] = null;
    for (let i = 0; i < 100 && current?.current == null; i++) {
      const stats = JSON.parse((await httpRequest(`${base}/stats`)).body.toString()) as Stats;
      current = stats.workers[0]!.status;
      if (current?.current == null) await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(current?.current?.uri, '/slow?ms=3000');
    assert.equal(current?.current?.method, 'GET');
    assert.equal(current?.inFlight, 1);
    server.child.kill('SIGTERM');
    await server.waitForOutput(/stopping mode=graceful/);
    const ready = await httpRequest(`${base}/readyz`);
    assert.equal(ready.status, 503);
    assert.match(ready.body.toString(), /shutting down/);
    assert.equal((await httpRequest(`${base}/healthz`)).status, 200, 'the master is still up');
    const r = await slow;
    assert.match(r.data.toString('latin1'), /^HTTP\/1\.1 200 /);
  } finally {
    await server.stop();
  }
});

test('--metrics on a unix socket path', async () => {
  const dir = tempDir();
  const metricsPath = path.join(dir, 'metrics.sock');
  const server = await startServer({ app: 'echo.js', args: ['--metrics', metricsPath] });
  try {
    const body = await new Promise<string>((resolve, reject) => {
      const req = http.request({ socketPath: metricsPath, path: '/metrics' }, (res) => {
        let data = '';
        res.on('data', (d) => (data += d));
        res.on('end', () => resolve(data));
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(select(parseMetrics(body), 'uwsgi_ts_workers', { state: 'ready' })[0]?.value, 1);
  } finally {
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(fs.existsSync(metricsPath), false, 'the metrics socket file is removed at exit');
});

test('supervisor events in the series: a request past --harakiri, a rolling reload, max-requests recycles', async () => {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const server = await startServer({
    app: 'lifecycle-app.js',
    workers: 2,
    args: ['--metrics', String(port), '--harakiri', '1', '--max-requests', '3'],
  });
  try {
    const r = await rawExchange(server.socketPath, packet(nginxVars('GET', '/hang?x=1')), { timeoutMs: 10_000 });
    assert.match(r.data.toString('latin1'), /^HTTP\/1\.1 504 /);
    // The worker reports the harakiri over IPC; the 504 is counted when the connection closes.
    const afterHarakiri = await scrapeWhen(
      base,
      (m) => total(m, 'uwsgi_ts_harakiri_total', { kind: 'request' }) >= 1 && total(m, 'uwsgi_ts_requests_total', { code: '504' }) >= 1,
    );
    assert.equal(total(afterHarakiri, 'uwsgi_ts_harakiri_total', { kind: 'request' }), 1);
    assert.equal(total(afterHarakiri, 'uwsgi_ts_harakiri_total', { kind: 'loop' }), 0);
    assert.equal(total(afterHarakiri, 'uwsgi_ts_requests_total', { code: '504' }), 1);
    // Three more requests on each worker reach --max-requests: each slot is recycled.
    for (let i = 0; i < 8; i++) await rawExchange(server.socketPath, packet(nginxVars('GET', '/')));
    for (let i = 0; i < 200; i++) {
      if (total(await scrape(base), 'uwsgi_ts_worker_restarts_total', { reason: 'max-requests' }) >= 1) break;
      await new Promise((res) => setTimeout(res, 50));
    }
    assert.ok(total(await scrape(base), 'uwsgi_ts_worker_restarts_total', { reason: 'max-requests' }) >= 1);
    // Let the recycles settle (two ready workers, none starting or draining) before the reload.
    for (let i = 0; i < 300; i++) {
      const s = await scrape(base);
      if (total(s, 'uwsgi_ts_workers', { state: 'ready' }) === 2 && total(s, 'uwsgi_ts_workers') === 2) break;
      await new Promise((res) => setTimeout(res, 50));
    }
    process.kill(server.pid, 'SIGHUP');
    let m = await scrape(base);
    for (let i = 0; i < 300 && total(m, 'uwsgi_ts_worker_restarts_total', { reason: 'reload' }) < 2; i++) {
      await new Promise((res) => setTimeout(res, 50));
      m = await scrape(base);
    }
    assert.equal(total(m, 'uwsgi_ts_reloads_total'), 1);
    assert.equal(total(m, 'uwsgi_ts_worker_restarts_total', { reason: 'reload' }), 2, 'each of the 2 workers replaced once');
    assert.equal(total(m, 'uwsgi_ts_worker_restarts_total', { reason: 'crash' }), 0);
  } finally {
    await server.stop();
  }
});
