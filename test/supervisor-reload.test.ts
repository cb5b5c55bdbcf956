/**
 * Rolling reloads with real processes: SIGHUP under continuous load through a real
 * nginx, a reload to an app that fails to boot, and --touch-reload.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startServer, tempDir } from './helpers/server';
import { startNginx } from './helpers/nginx';
import { runLoad } from './helpers/load';
import { uwsgiRequest } from './helpers/uwsgi-client';
import { count, readyPids, servingPids, sleep } from './helpers/pool-log';

function versionFile(content: string): string {
  const file = path.join(tempDir('uwsgi-ts-version-'), 'version');
  fs.writeFileSync(file, content);
  return file;
}

async function version(socketPath: string): Promise<string> {
  const r = await uwsgiRequest(socketPath, 'GET', '/');
  assert.equal(r.status, 200);
  return /v=(\S+)/.exec(r.body.toString())![1];
}

for (const io of ['native', 'js']) {
  test(`SIGHUP three times under continuous load through nginx (--io ${io}): zero non-2xx, zero socket errors`, async (t) => {
    const file = versionFile('1');
    const server = await startServer({ app: 'lifecycle-app.js', workers: 2, env: { LIFECYCLE_VERSION_FILE: file }, args: ['--io', io] });
    const nginx = await startNginx({ upstream: `unix:${server.socketPath}` });
    try {
      let stop = false;
      const load = runLoad(nginx.url, { requests: 1_000_000, concurrency: 8, path: '/slow?ms=3', stop: () => stop });
      assert.match(server.output(), new RegExp(`\\] ready .*transport=${io}`), 'the transport under test');
      const firstWorkers = servingPids(server.output());
      const durations: number[] = [];
      for (let round = 1; round <= 3; round++) {
        fs.writeFileSync(file, String(round + 1));
        const from = server.output().length;
        process.kill(server.pid, 'SIGHUP');
        const done = await server.waitForOutput(/reload_done .*duration_ms=(\d+)/, 30_000, from);
        durations.push(Number(done[1]));
      }
      stop = true;
      const r = await load;
      t.diagnostic(`${r.ok} requests through nginx during 3 rolling reloads of 2 workers (${durations.join(', ')} ms each)`);
      assert.ok(r.ok > 100, `only ${r.ok} requests completed during the reloads`);
      assert.equal(r.non2xx, 0, `non-2xx: ${JSON.stringify([...r.statuses])}; nginx: ${nginx.errorLog().slice(-2000)}`);
      assert.equal(r.errors, 0, `errors: ${JSON.stringify([...r.errorMessages])}`);
      // Every worker was replaced each time: 2 at start + 2 per reload, and only the last two
      // serve once the retired ones have drained and exited.
      assert.equal(readyPids(server.output()).length, 8);
      for (let i = 0; i < 200 && count(server.output(), /worker_exited/) < 6; i++) await sleep(50);
      const serving = servingPids(server.output());
      assert.equal(serving.length, 2);
      assert.ok(serving.every((pid) => !firstWorkers.includes(pid)));
      assert.equal(await version(server.socketPath), '4');
      assert.doesNotMatch(nginx.errorLog(), /\[(error|crit|alert)\]/);
    } finally {
      await nginx.stop();
      await server.stop();
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
    }
  });
}

test('a reload to an app that fails to boot: the reload stops, the old app keeps answering', async () => {
  const file = versionFile('good-1');
  const server = await startServer({ app: 'lifecycle-app.js', workers: 2, env: { LIFECYCLE_VERSION_FILE: file } });
  try {
    const before = servingPids(server.output());
    fs.writeFileSync(file, 'broken');
    const from = server.output().length;
    process.kill(server.pid, 'SIGHUP');
    await server.waitForOutput(/reload_failed .*reason="the app failed to load"/, 20_000, from);
    for (let i = 0; i < 20; i++) assert.equal(await version(server.socketPath), 'good-1');
    assert.deepEqual(servingPids(server.output()).sort(), before.sort(), 'the old workers were stopped');
    assert.equal(count(server.output().slice(from), /worker_spawned/), 1, 'one failed boot, no retry storm');
    assert.ok(!server.output().includes('stopping mode='), 'the master must not stop');
    // A fixed deploy reloads normally afterwards.
    fs.writeFileSync(file, 'good-2');
    const again = server.output().length;
    process.kill(server.pid, 'SIGHUP');
    await server.waitForOutput(/reload_done/, 30_000, again);
    assert.equal(await version(server.socketPath), 'good-2');
  } finally {
    await server.stop();
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  }
});

test('a reload to an app that never finishes loading: killed at --boot-timeout, the old app keeps answering', async () => {
  const file = versionFile('steady');
  const server = await startServer({
    app: 'lifecycle-app.js',
    workers: 1,
    env: { LIFECYCLE_VERSION_FILE: file },
    args: ['--boot-timeout', '2', '--app-listen-timeout', '0.5'],
  });
  try {
    fs.writeFileSync(file, 'hang');
    const from = server.output().length;
    process.kill(server.pid, 'SIGHUP');
    await server.waitForOutput(/worker_boot_timeout slot=1 pid=\d+ boot_ms=\d+ limit_ms=2000/, 20_000, from);
    await server.waitForOutput(/reload_failed .*reason="not ready within the boot timeout \(2000 ms\)"/, 20_000, from);
    assert.equal(await version(server.socketPath), 'steady');
    assert.equal(servingPids(server.output()).length, 1);
  } finally {
    await server.stop();
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  }
});

test('--touch-reload: touching the file starts a rolling reload, and so does creating a watched file', async () => {
  const file = versionFile('a');
  const touch = path.join(path.dirname(file), 'reload.touch');
  const absent = path.join(path.dirname(file), 'not-yet.touch');
  fs.writeFileSync(touch, '');
  const server = await startServer({
    app: 'lifecycle-app.js',
    workers: 1,
    env: { LIFECYCLE_VERSION_FILE: file },
    args: ['--touch-reload', touch, '--touch-reload', absent],
  });
  try {
    assert.match(server.output(), /info \[master\] touch_reload_watching file=\S*reload\.touch exists=true/);
    assert.match(server.output(), /warn \[master\] touch_reload_watching file=\S*not-yet\.touch exists=false note="creating the file starts a reload"/);
    assert.equal(await version(server.socketPath), 'a');
    fs.writeFileSync(file, 'b');
    const from = server.output().length;
    const later = new Date(Date.now() + 5000);
    fs.utimesSync(touch, later, later);
    await server.waitForOutput(/reload_started reason="touched .*reload\.touch"/, 15_000, from);
    await server.waitForOutput(/reload_done/, 30_000, from);
    assert.equal(await version(server.socketPath), 'b');
    fs.writeFileSync(file, 'c');
    const beforeCreate = server.output().length;
    fs.writeFileSync(absent, '');
    await server.waitForOutput(/reload_started reason="touched .*not-yet\.touch"/, 15_000, beforeCreate);
    await server.waitForOutput(/reload_done/, 30_000, beforeCreate);
    assert.equal(await version(server.socketPath), 'c');
  } finally {
    await server.stop();
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  }
});
