/**
 * The V8 settings a worker applies to itself (src/worker/v8-flags.ts) are in effect in a
 * real worker process, where the app runs.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { startServer } from './helpers/server';
import { uwsgiRequest } from './helpers/uwsgi-client';

// A young-generation GC collects about 32 MiB of dead ArrayBuffers here; freed in the
// pause they leave Node's count in one step (32.00 MiB in every round measured). Swept
// on a helper thread, the largest step measured 0.2-0.5 MiB, except in the first round
// right after start-up (4.4-32 MiB), which is why every round must pass
// (test/fixtures/apps/sweep-probe.js).
const SWEPT_IN_PAUSE_MIN_DROP_MIB = 16;

test('dead ArrayBuffers are freed inside the GC that finds them, not later on a helper thread', async () => {
  const server = await startServer({ app: 'sweep-probe.js' });
  try {
    const r = await uwsgiRequest(server.socketPath, 'GET', '/');
    assert.equal(r.status, 200);
    const { drops } = JSON.parse(r.body.toString()) as { drops: number[] };
    for (const [round, drop] of drops.entries()) {
      assert.ok(drop >= SWEPT_IN_PAUSE_MIN_DROP_MIB, `round ${round}: largest one-step drop ${drop.toFixed(2)} MiB (all: ${drops.map((d) => d.toFixed(2)).join(', ')})`);
    }
  } finally {
    await server.stop();
  }
});
