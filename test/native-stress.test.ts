/**
 * The native connection path against hostile and broken peers over a real unix socket:
 * random bytes, valid packets cut at random points and sent in random pieces, corrupted
 * packets, bodies cut short, peers that close before, during and after the response.
 * The worker must survive (same pid, no crash logged), keep answering correctly, and
 * hold exactly as many fds afterwards as before (nothing leaks on any path).
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { startServer } from './helpers/server';
import { nginxVars, packet, parseResponse, rawExchange, uwsgiRequest } from './helpers/uwsgi-client';
import { seededRandom, testSeed } from './vars-test-support';

const ROUNDS = 1500;
const CONCURRENCY = 16;

function fdCount(pid: number): number {
  return fs.readdirSync(`/proc/${pid}/fd`).length;
}

function splitRandomly(data: Buffer, rand: () => number): Buffer[] {
  const pieces: Buffer[] = [];
  let at = 0;
  while (at < data.length) {
    const n = 1 + Math.floor(rand() * Math.min(data.length - at, rand() < 0.5 ? 8 : 4096));
    pieces.push(data.subarray(at, at + n));
    at += n;
  }
  return pieces;
}

/** Sends pieces, then closes at once (maybe before the server answered). */
function sendAndClose(socketPath: string, pieces: Buffer[], closeAfterMs: number): Promise<void> {
  return new Promise((resolve) => {
    const sock = net.connect({ path: socketPath });
    const done = () => {
      sock.destroy();
      resolve();
    };
    sock.on('error', done);
    sock.on('close', done);
    sock.on('connect', () => {
      for (const p of pieces) sock.write(p);
      setTimeout(done, closeAfterMs);
    });
  });
}

async function oneRound(socketPath: string, rand: () => number): Promise<void> {
  const kind = Math.floor(rand() * 6);
  const bodyLength = rand() < 0.5 ? 0 : Math.floor(rand() * 200_000);
  const body = Buffer.alloc(bodyLength, 0x61);
  const routes = ['/hello', '/echo', '/digest', '/echo-buffered', '/stream'];
  const route = routes[Math.floor(rand() * routes.length)];
  const valid = packet(nginxVars(bodyLength > 0 ? 'POST' : 'GET', route, {}, bodyLength > 0 ? String(bodyLength) : ''), body);
  switch (kind) {
    case 0: {
      // Random bytes.
      const junk = Buffer.alloc(Math.floor(rand() * 300));
      for (let i = 0; i < junk.length; i++) junk[i] = Math.floor(rand() * 256);
      await rawExchange(socketPath, splitRandomly(junk, rand), { endAfter: rand() < 0.5, timeoutMs: 300 });
      return;
    }
    case 1: {
      // A valid packet in random pieces: must be answered.
      const r = await rawExchange(socketPath, splitRandomly(valid, rand), { timeoutMs: 20_000 });
      assert.ok(r.closed, `no answer for ${route} (${bodyLength} body bytes)`);
      assert.match(r.data.subarray(0, 12).toString('latin1'), /^HTTP\/1\.1 200/, `status for ${route}`);
      return;
    }
    case 2: {
      // Cut at a random point, then closed.
      const cut = valid.subarray(0, Math.floor(rand() * valid.length));
      await sendAndClose(socketPath, splitRandomly(cut, rand), Math.floor(rand() * 20));
      return;
    }
    case 3: {
      // A corrupted byte somewhere in the packet.
      const bad = Buffer.from(valid);
      bad[Math.floor(rand() * Math.min(bad.length, 600))] = Math.floor(rand() * 256);
      await rawExchange(socketPath, splitRandomly(bad, rand), { endAfter: true, timeoutMs: 2000 });
      return;
    }
    case 4: {
      // Complete, then closed before (or while) the response comes.
      await sendAndClose(socketPath, [valid], Math.floor(rand() * 5));
      return;
    }
    default: {
      // Complete and answered; the client goes away as soon as the first bytes arrive.
      await new Promise<void>((resolve) => {
        const sock = net.connect({ path: socketPath });
        sock.on('connect', () => sock.write(valid));
        // Closing a unix socket with unread bytes is a reset for the server's next send.
        sock.once('data', () => sock.destroy());
        sock.on('error', () => resolve());
        sock.on('close', () => resolve());
        setTimeout(() => {
          sock.destroy();
          resolve();
        }, 5000);
      });
    }
  }
}

test('native path: random bytes, splits and early closes; the worker survives and leaks no fd', async () => {
  const server = await startServer({ app: 'echo.js', args: ['--io', 'native', '--socket-timeout', '2'] });
  try {
    const pid = Number(server.output().match(/\] ready .*transport=native .*pid=(\d+)/)![1]);
    const warm = await uwsgiRequest(server.socketPath, 'GET', '/hello');
    assert.equal(warm.status, 200);
    const before = fdCount(pid);
    const seed = testSeed();
    const rand = seededRandom(seed);
    let next = 0;
    const worker = async () => {
      while (next < ROUNDS) {
        next++;
        await oneRound(server.socketPath, rand);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    // Stalled partial packets close at the 2 s read deadline; drains give up within 5 s.
    let after = fdCount(pid);
    for (let i = 0; i < 100 && after !== before; i++) {
      await new Promise((r) => setTimeout(r, 100));
      after = fdCount(pid);
    }
    assert.equal(after, before, `fds before ${before}, after ${after} (seed ${seed})`);
    const again = parseResponse((await rawExchange(server.socketPath, packet(nginxVars('GET', '/hello')))).data);
    assert.equal(again.status, 200);
    assert.equal(again.body.toString(), 'hello world\n');
    assert.equal(Number(server.output().match(/\] ready .*pid=(\d+)/g)!.length), 1, 'the worker was never replaced');
    assert.doesNotMatch(server.output(), /uncaught_exception|unhandled_rejection|worker_exit/);
  } finally {
    await server.stop();
  }
});
