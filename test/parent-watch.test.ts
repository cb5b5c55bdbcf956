/**
 * watchParent, native and JS twin, through one test body: a grandchild process starts the
 * watch on its parent and the test kills that parent with SIGKILL; the grandchild must be
 * gone once the watch's delay has passed. The native watch must also end a grandchild
 * whose event loop is stuck.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { loadAddon } from '../src/addon';
import { watchParentJs } from '../src/worker/parent-watch';
import { isAlive as alive, waitGone } from './helpers/pool-log';

const addonPath = path.join(__dirname, '..', 'src', 'addon.js');
const watchPath = path.join(__dirname, '..', 'src', 'worker', 'parent-watch.js');

async function waitFor(check: () => boolean, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}

/** A parent that spawns the grandchild and prints its pid; the grandchild prints 'watching'. */
function grandchildScript(impl: 'native' | 'js', blockLoop: boolean): string {
  const watch =
    impl === 'native'
      ? `require(${JSON.stringify(addonPath)}).loadAddon().addon.watchParent(process.ppid, 300)`
      : `require(${JSON.stringify(watchPath)}).watchParentJs(process.ppid, 300)`;
  const after = blockLoop ? 'for (;;);' : 'setInterval(() => {}, 1000);';
  return `const s = ${watch}; process.stdout.write('watching ' + s + '\\n'); ${after}`;
}

async function orphanOutcome(impl: 'native' | 'js', blockLoop: boolean): Promise<{ status: string; gone: boolean }> {
  const parentCode = `
    const { spawn } = require('node:child_process');
    const c = spawn(process.execPath, ['-e', ${JSON.stringify(grandchildScript(impl, blockLoop))}], { stdio: ['ignore', 'pipe', 'inherit'] });
    c.stdout.on('data', (d) => process.stdout.write(c.pid + ' ' + d));
    setInterval(() => {}, 1000);`;
  const parent = spawn(process.execPath, ['-e', parentCode], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  parent.stdout.on('data', (d: Buffer) => (out += d.toString()));
  try {
    assert.ok(await waitFor(() => /watching/.test(out), 15_000), `the grandchild never started: ${out}`);
    const [pidText, , status] = out.trim().split(/\s+/);
    const pid = Number(pidText);
    assert.ok(alive(pid));
    parent.kill('SIGKILL');
    const gone = (await waitGone([pid], 10_000)).length === 0;
    if (!gone) process.kill(pid, 'SIGKILL');
    return { status, gone };
  } finally {
    if (parent.exitCode === null) parent.kill('SIGKILL');
  }
}

const addon = loadAddon();
const impls = [
  ['native', addon.ok ? addon.addon.watchParent : null],
  ['js', watchParentJs],
] as const;

for (const [name, watch] of impls) {
  test(`watchParent (${name}): bad arguments give -EINVAL, never a throw`, () => {
    if (!watch) return assert.fail('the addon did not load');
    assert.equal(watch(0, 100), -22);
    assert.equal(watch(1, -1), -22);
    assert.equal((watch as unknown as (a: unknown, b: unknown) => number)('x', 100), -22);
  });

  test(`watchParent (${name}): the process ends after its parent is killed`, async () => {
    const { status, gone } = await orphanOutcome(name, false);
    assert.equal(status, '0');
    assert.ok(gone, 'the orphan is still running');
  });
}

test('watchParent (native): ends a process whose event loop is stuck', async () => {
  const { status, gone } = await orphanOutcome('native', true);
  assert.equal(status, '0');
  assert.ok(gone, 'the stuck orphan is still running');
});
