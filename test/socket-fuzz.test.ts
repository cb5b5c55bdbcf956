/**
 * Fuzz and stress over real sockets: a running worker gets thousands of connections that
 * send random bytes, mutated packets, valid packets split at random points, and that
 * close early at random moments. Whatever arrives, each connection ends (answered or
 * closed) within the read deadline, valid requests are answered correctly, and the worker
 * neither crashes nor keeps fds. The PRNG is seeded; a failure prints the seed, and
 * UWSGI_TS_FUZZ_SEED=N replays it (UWSGI_TS_FUZZ_CONNECTIONS=N runs longer).
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as net from 'node:net';
import { startServer } from './helpers/server';
import { fdCount } from './helpers/load';
import { nginxVars, packet, uwsgiRequest } from './helpers/uwsgi-client';
import { seededRandom } from './vars-test-support';
import { MODIFIER1_PING, PING_REPLY } from '../src/protocol/limits';

type Kind = 'random' | 'mutated' | 'split-valid' | 'valid-post' | 'early-close' | 'truncated-body';
const KINDS: Kind[] = ['random', 'mutated', 'split-valid', 'valid-post', 'early-close', 'truncated-body'];

interface Plan {
  kind: Kind;
  chunks: Buffer[];
  delayMs: number;
  /** Close our side (destroy) after this many chunks; -1 = half-close after all and read. */
  closeAfter: number;
  /** A valid request whose answer must be exactly this body. */
  expectBody: string | null;
}

const SOCKET_TIMEOUT_S = 2;

function splitAt(bytes: Buffer, rand: () => number, pieces: number): Buffer[] {
  const cuts = Array.from({ length: pieces - 1 }, () => Math.floor(rand() * (bytes.length + 1))).sort((a, b) => a - b);
  const out: Buffer[] = [];
  let at = 0;
  for (const cut of [...cuts, bytes.length]) {
    out.push(bytes.subarray(at, cut));
    at = cut;
  }
  return out;
}

function makePlan(rand: () => number): Plan {
  const kind = KINDS[Math.floor(rand() * KINDS.length)];
  const valid = packet(nginxVars('GET', `/hello?r=${Math.floor(rand() * 1e6)}`));
  const pieces = 1 + Math.floor(rand() * 6);
  const delayMs = rand() < 0.3 ? Math.floor(rand() * 20) : 0;
  switch (kind) {
    case 'random': {
      const bytes = Buffer.alloc(Math.floor(rand() * 400));
      for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(rand() * 256);
      // Half the time a plausible header (modifier1 0, small datasize) in front of the noise.
      if (bytes.length >= 4 && rand() < 0.5) {
        bytes[0] = 0;
        bytes.writeUInt16LE(Math.min(bytes.length - 4 + Math.floor(rand() * 8), 65535), 1);
      }
      return { kind, chunks: splitAt(bytes, rand, pieces), delayMs, closeAfter: rand() < 0.5 ? -1 : pieces, expectBody: null };
    }
    case 'mutated': {
      const bytes = Buffer.from(valid);
      const flips = 1 + Math.floor(rand() * 4);
      for (let i = 0; i < flips; i++) bytes[Math.floor(rand() * bytes.length)] = Math.floor(rand() * 256);
      return { kind, chunks: splitAt(bytes, rand, pieces), delayMs, closeAfter: -1, expectBody: null };
    }
    case 'split-valid':
      return { kind, chunks: splitAt(valid, rand, pieces), delayMs, closeAfter: -1, expectBody: 'hello world\n' };
    case 'valid-post': {
      // Bodies from empty to well past any inline buffer, so both body paths are hit.
      const size = rand() < 0.7 ? Math.floor(rand() * 4096) : Math.floor(rand() * 300_000);
      const body = Buffer.alloc(size);
      for (let i = 0; i < size; i += 97) body[i] = Math.floor(rand() * 256);
      const digest = JSON.stringify({ length: size, sha256: crypto.createHash('sha256').update(body).digest('hex') });
      const bytes = packet(nginxVars('POST', '/digest', {}, String(size)), body);
      return { kind, chunks: splitAt(bytes, rand, pieces), delayMs, closeAfter: -1, expectBody: digest };
    }
    case 'early-close':
      return { kind, chunks: splitAt(valid, rand, pieces), delayMs, closeAfter: Math.floor(rand() * pieces), expectBody: null };
    case 'truncated-body': {
      const full = packet(nginxVars('POST', '/digest', {}, '5000'), Buffer.alloc(Math.floor(rand() * 5000), 7));
      return { kind, chunks: splitAt(full, rand, pieces), delayMs, closeAfter: rand() < 0.5 ? -1 : pieces, expectBody: null };
    }
  }
}

interface Outcome {
  data: Buffer;
  elapsedMs: number;
  ended: boolean;
}

function run(socketPath: string, plan: Plan, giveUpMs: number): Promise<Outcome> {
  const started = Date.now();
  return new Promise((resolve) => {
    const s = net.connect({ path: socketPath });
    const received: Buffer[] = [];
    let done = false;
    const finish = (ended: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.destroy();
      resolve({ data: Buffer.concat(received), elapsedMs: Date.now() - started, ended });
    };
    const timer = setTimeout(() => finish(false), giveUpMs);
    s.on('data', (d) => received.push(d));
    s.on('error', () => finish(true));
    s.on('close', () => finish(true));
    s.on('end', () => finish(true));
    s.on('connect', async () => {
      for (let i = 0; i < plan.chunks.length; i++) {
        if (done) return;
        if (i === plan.closeAfter) {
          finish(true);
          return;
        }
        if (plan.chunks[i].length > 0) s.write(plan.chunks[i]);
        if (plan.delayMs > 0) await new Promise((r) => setTimeout(r, plan.delayMs));
      }
      if (plan.closeAfter >= plan.chunks.length) finish(true);
      else if (!done) s.end();
    });
  });
}

test('random bytes, mutated and split packets, early closes over real sockets: no crash, no hang, no fd left', async () => {
  const seed = Number(process.env.UWSGI_TS_FUZZ_SEED ?? Date.now() % 2 ** 31);
  const total = Number(process.env.UWSGI_TS_FUZZ_CONNECTIONS ?? 5000);
  const concurrency = 40;
  const rand = seededRandom(seed);
  const server = await startServer({ app: 'echo.js', args: ['--socket-timeout', String(SOCKET_TIMEOUT_S)] });
  try {
    // Which I/O path took the beating (the suite runs once per path, UWSGI_TS_IO).
    const transport = /\[worker 1\] ready .*transport=(\w+)/.exec(server.output())?.[1];
    const wanted = process.env.UWSGI_TS_IO;
    if (wanted === 'native' || wanted === 'js') assert.equal(transport, wanted);
    const context = `transport ${transport}, seed ${seed} (UWSGI_TS_FUZZ_SEED=${seed} replays it)`;
    const pid = Number(/worker_ready slot=1 pid=(\d+)/.exec(server.output())![1]);
    // The baseline after some traffic: the first requests open fds that stay (lazily
    // created handles), which are not a leak.
    for (let i = 0; i < 20; i++) assert.equal((await uwsgiRequest(server.socketPath, 'GET', '/hello')).status, 200);
    const fds0 = fdCount(pid);
    const plans = Array.from({ length: total }, () => makePlan(rand));
    const failures: string[] = [];
    let next = 0;
    const lane = async () => {
      while (next < plans.length) {
        const plan = plans[next++];
        // Every connection must end within the read deadline (plus slack for a busy machine).
        const r = await run(server.socketPath, plan, (SOCKET_TIMEOUT_S + 8) * 1000);
        if (!r.ended) failures.push(`${plan.kind}: still open after ${r.elapsedMs} ms`);
        const text = r.data.toString('latin1');
        // A packet whose modifier1 came out as 100 (random bytes, a mutated header) is a
        // uWSGI ping, and the ping's answer is the right one for it.
        const isPingAnswer = plan.chunks.find((c) => c.length > 0)?.[0] === MODIFIER1_PING && r.data.equals(PING_REPLY);
        if (r.data.length > 0 && !isPingAnswer && !/^HTTP\/1\.1 [1-5]\d\d /.test(text)) failures.push(`${plan.kind}: not a response: ${JSON.stringify(text.slice(0, 60))}`);
        if (plan.expectBody !== null && !(text.startsWith('HTTP/1.1 200 ') && text.endsWith(`\r\n\r\n${plan.expectBody}`))) {
          failures.push(`${plan.kind}: wrong answer ${JSON.stringify(text.slice(0, 80))}`);
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, lane));
    assert.deepEqual(failures.slice(0, 10), [], `${failures.length} failures; ${context}`);
    // The worker is the same process, still serves, and holds no more fds than before.
    assert.equal((await uwsgiRequest(server.socketPath, 'GET', '/hello')).status, 200);
    assert.doesNotMatch(server.output(), /uncaught_exception|unhandled_rejection|worker_exited|worker_failed/, context);
    for (let i = 0; i < 100 && fdCount(pid) > fds0; i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(fdCount(pid) <= fds0, `worker fds ${fds0} -> ${fdCount(pid)}; ${context}`);
  } finally {
    await server.stop();
  }
});
