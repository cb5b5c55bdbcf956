/**
 * What the app can be (DESIGN §4): unmodified apps of every supported shape, each
 * started by a real uwsgi-ts process behind a real nginx.
 */
import { describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { startNginx } from './helpers/nginx';
import { startServer, type ServerProcess } from './helpers/server';
import { httpRequest } from './helpers/http';
import { ExitCode } from '../src/exit-codes';

async function withApp(app: string, fn: (url: string, server: ServerProcess) => Promise<void>, args: string[] = []): Promise<void> {
  const server = await startServer({ app, args });
  const nginx = await startNginx({ upstream: `unix:${server.socketPath}` });
  try {
    await fn(nginx.url, server);
  } finally {
    await nginx.stop();
    await server.stop();
  }
}

function json(body: Buffer): any {
  return JSON.parse(body.toString());
}

describe('an unmodified Express app (module.exports = app)', () => {
  test('routes, JSON bodies, req.ip/protocol/hostname, error handler', () =>
    withApp('express-app.js', async (url, server) => {
      assert.match(server.output(), /app="a request listener"/);
      const hello = await httpRequest(`${url}/hello`);
      assert.equal(hello.status, 200);
      assert.equal(hello.body.toString(), 'hello from express');
      assert.equal(hello.headers['content-length'], '18');
      const req = json((await httpRequest(`${url}/req?x=1&y=two`)).body);
      assert.deepEqual(req, { ip: '127.0.0.1', protocol: 'http', hostname: '127.0.0.1', query: { x: '1', y: 'two' }, path: '/req' });
      const posted = await httpRequest(`${url}/json`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ a: [1, 2, 3], b: 'ü' }),
      });
      assert.equal(posted.status, 201);
      assert.deepEqual(json(posted.body), { received: { a: [1, 2, 3], b: 'ü' } });
      const err = await httpRequest(`${url}/error`);
      assert.equal(err.status, 500);
      const missing = await httpRequest(`${url}/nope`);
      assert.equal(missing.status, 404);
    }));
});

describe('an unmodified Koa app (module.exports = app)', () => {
  test('is served through app.callback(), bodies included', () =>
    withApp('koa-app.js', async (url, server) => {
      assert.match(server.output(), /app="a Koa app"/);
      const hello = await httpRequest(`${url}/hello`);
      assert.equal(hello.body.toString(), 'hello from koa');
      const body = await httpRequest(`${url}/body`, { method: 'PUT', body: Buffer.alloc(100_000, 1) });
      assert.deepEqual(json(body.body), { length: 100_000, method: 'PUT' });
    }));
});

describe('a fetch handler (export default { fetch })', () => {
  test('Request in, Response out, with the uwsgi vars as env', () =>
    withApp('fetch-app.mjs', async (url, server) => {
      assert.match(server.output(), /app="a fetch handler"/);
      const hello = await httpRequest(`${url}/hello`);
      assert.equal(hello.status, 200);
      assert.equal(hello.body.toString(), 'hello from fetch\n');
      assert.equal(hello.headers['content-length'], '17', 'a body complete at once gets a Content-Length');
      const info = json((await httpRequest(`${url}/info?q=1`)).body);
      assert.equal(info.url, 'http://127.0.0.1/info?q=1');
      assert.equal(info.remoteAddr, '127.0.0.1');
    }));

  test('request and response bodies stream both ways', () =>
    withApp('fetch-app.mjs', async (url) => {
      const body = Buffer.alloc(100_000, 7);
      const echo = await httpRequest(`${url}/echo`, { method: 'POST', body });
      assert.equal(echo.status, 200);
      assert.ok(echo.body.equals(body));
      const arrivals: number[] = [];
      const started = Date.now();
      const streamed = await new Promise<string>((resolve, reject) => {
        require('node:http')
          .get(`${url}/stream/x`, { agent: false }, (res: import('node:http').IncomingMessage) => {
            let t = '';
            res.on('data', (c) => {
              arrivals.push(Date.now() - started);
              t += c;
            });
            res.on('end', () => resolve(t));
          })
          .on('error', reject);
      });
      assert.match(streamed, /^chunk 0\n/);
      assert.ok(arrivals.length >= 3 && arrivals.at(-1)! - arrivals[0] >= 400, `pieces arrived together: ${arrivals}`);
    }));

  test('several Set-Cookie headers survive; a throwing handler is a 500', () =>
    withApp('fetch-app.mjs', async (url, server) => {
      const cookies = await httpRequest(`${url}/cookies`);
      assert.deepEqual(cookies.headers['set-cookie'], ['a=1; Path=/', 'b=2; Path=/']);
      const boom = await httpRequest(`${url}/throw`);
      assert.equal(boom.status, 500);
      // The worker's log line travels its own pipe: it may land after the response.
      await server.waitForOutput(/app_error .*fetch handler error/);
      assert.equal((await httpRequest(`${url}/hello`)).status, 200);
    }));
});

describe('a uwsgi handler (exports.uwsgi)', () => {
  test('request facts in, { status, headers, body } out, on this I/O path', () =>
    withApp('uwsgi-app.js', async (url, server) => {
      assert.match(server.output(), /app="a uwsgi handler"/);
      const hello = await httpRequest(`${url}/hello`);
      assert.equal(hello.status, 200);
      assert.equal(hello.body.toString(), 'hello from uwsgi\n');
      assert.equal(hello.headers['content-length'], '17');
      assert.equal(hello.headers['content-type'], 'text/plain');
      const info = json((await httpRequest(`${url}/info?q=1`, { headers: { 'x-custom': 'yes' } })).body);
      assert.deepEqual(info, {
        method: 'GET',
        url: '/info?q=1',
        query: 'q=1',
        host: '127.0.0.1',
        custom: 'yes',
        remoteAddr: '127.0.0.1',
        scheme: 'http',
      });
      const cookies = await httpRequest(`${url}/cookies`);
      assert.deepEqual(cookies.headers['set-cookie'], ['a=1; Path=/', 'b=2; Path=/']);
      const missing = await httpRequest(`${url}/nope`);
      assert.equal(missing.status, 404);
      const failed = await httpRequest(`${url}/throw`);
      assert.equal(failed.status, 500);
      // The worker's log line travels its own pipe: it may land after the response.
      await server.waitForOutput(/app_error.*uwsgi handler error/);
    }));

  test('string bodies are sent as their UTF-8 bytes, short and long, whatever the characters', () =>
    withApp('uwsgi-app.js', async (url) => {
      // 21845 UTF-16 units is the most whose worst case (3 bytes each) fits the one-pass
      // encoding bound in native/connection_path.cc (64 KiB); one more is sized first.
      // The 3-byte cases come first, while this worker's encoding buffer is still small: a
      // bound too low for them would show as a short body, not be hidden by a buffer an
      // earlier, longer response left behind.
      const cases: [string, string][] = [['€', '€'], ['lone', '\ud800'], ['😀', '😀'], ['é', 'é'], ['a', 'a']];
      for (const [param, unit] of cases) {
        for (const units of [1, 21844, 21845, 21846, 70_000]) {
          const n = Math.ceil(units / unit.length);
          const expected = Buffer.from(unit.repeat(n));
          const r = await httpRequest(`${url}/text?c=${encodeURIComponent(param)}&n=${n}`);
          assert.equal(r.status, 200);
          assert.equal(r.headers['content-length'], String(expected.length), `${param} x${n}: length`);
          assert.ok(r.body.equals(expected), `${param} x${n}: bytes`);
        }
      }
    }));

  test('request bodies read whole or streamed, responses streamed', () =>
    withApp('uwsgi-app.js', async (url) => {
      const body = Buffer.alloc(300_000);
      for (let i = 0; i < body.length; i++) body[i] = (i * 7) & 0xff;
      const echo = await httpRequest(`${url}/echo`, { method: 'POST', body });
      assert.equal(echo.status, 200);
      assert.equal(echo.headers['content-length'], String(body.length));
      assert.ok(echo.body.equals(body), 'the whole body comes back');
      const big = Buffer.alloc(3 * 1024 * 1024 + 17, 1);
      const counted = json((await httpRequest(`${url}/count`, { method: 'POST', body: big })).body);
      assert.equal(counted.length, big.length, 'every byte of a 3 MiB body is iterated');
      assert.ok(counted.chunks > 1, 'in more than one chunk');
      // An app that transfers chunk memory to another thread: later bodies still arrive whole.
      const moved = json((await httpRequest(`${url}/transfer`, { method: 'POST', body: big })).body);
      assert.equal(moved.length, big.length);
      assert.ok(moved.transferred >= 1);
      for (let i = 0; i < 3; i++) {
        const next = json((await httpRequest(`${url}/count`, { method: 'POST', body: big })).body);
        assert.equal(next.length, big.length, 'a body after the transfer');
      }
      const echoAfter = await httpRequest(`${url}/echo`, { method: 'POST', body });
      assert.ok(echoAfter.body.equals(body), 'and its bytes are right');
      // nginx does not read the response while it still sends the request body (a 300 KB
      // streamed echo stalls here on both I/O paths): an echo that streams back while
      // reading must fit in the socket buffers.
      const small = body.subarray(0, 100_000);
      const streamed = await httpRequest(`${url}/stream-echo`, { method: 'PUT', body: small });
      assert.equal(streamed.status, 200);
      assert.ok(streamed.body.equals(small), 'the streamed body comes back');
      const slow = await httpRequest(`${url}/slow-stream`);
      assert.equal(slow.body.toString(), 'chunk 0\nchunk 1\nchunk 2\nchunk 3\n');
      assert.equal(slow.headers['content-length'], undefined);
    }));
});

describe('an unmodified Hono app (export default app)', () => {
  test('is served through its fetch()', () =>
    withApp('hono-app.mjs', async (url) => {
      assert.equal((await httpRequest(`${url}/hello`)).body.toString(), 'hello from hono');
      const posted = await httpRequest(`${url}/json`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"x":1}' });
      assert.equal(posted.status, 201);
      assert.deepEqual(json(posted.body), { received: { x: 1 } });
      assert.deepEqual(json((await httpRequest(`${url}/env`)).body), { remoteAddr: '127.0.0.1' });
    }));
});

describe('an app that starts its own server', () => {
  test('http.createServer(handler).listen(3000) is served on the uwsgi socket', () =>
    withApp('listen-app.js', async (url, server) => {
      assert.match(server.output(), /app_listen_intercepted requested="port 3000"/);
      assert.match(server.output(), /app says: listening on 3000/);
      const r = await httpRequest(`${url}/anything`);
      assert.equal(r.status, 200);
      assert.equal(r.body.toString(), 'hello from listen() on 3000\n');
    }));

  test("a Hono app started with @hono/node-server's serve()", () =>
    withApp('hono-node-server.mjs', async (url, server) => {
      await server.waitForOutput(/hono says: listening on 8787/);
      const r = await httpRequest(`${url}/hello`);
      assert.equal(r.status, 200);
      assert.equal(r.body.toString(), 'hello from hono on node-server');
    }));

  test('an unmodified Fastify app that awaits listen()', () =>
    withApp('fastify-app.js', async (url, server) => {
      await server.waitForOutput(/fastify says: listening on/);
      assert.deepEqual(json((await httpRequest(`${url}/hello`)).body), { hello: 'fastify' });
      const posted = await httpRequest(`${url}/json`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"y":2}' });
      assert.equal(posted.status, 201);
      assert.deepEqual(json(posted.body), { received: { y: 2 } });
    }));
});

describe('an app that cannot be served', () => {
  test('one that throws while loading: the log says where, the master exits 3', async () => {
    const server = await startServer({ app: 'broken-app.js', waitReady: 0 });
    const { code } = await server.waitExit();
    assert.equal(code, ExitCode.APP_LOAD_FAILED);
    assert.match(server.output(), /app_load_failed .*broken-app\.js.*this app is broken on purpose/s);
    assert.match(server.output(), /startup_failed/);
    assert.equal((server.output().match(/worker_spawned/g) ?? []).length, 1, 'no respawn storm');
    await server.stop();
  });

  test('one with nothing to serve: the log names its exports, the master exits 4', async () => {
    const server = await startServer({ app: 'no-handler.js', waitReady: 0, args: ['--app-listen-timeout', '0.5'] });
    const { code } = await server.waitExit();
    assert.equal(code, ExitCode.APP_NO_HANDLER);
    assert.match(server.output(), /app_no_handler .*answer: number/);
    await server.stop();
  });

  test('a missing app file exits 3 with the path in the message', async () => {
    const server = await startServer({ app: 'does-not-exist.js', waitReady: 0 });
    const { code } = await server.waitExit();
    assert.equal(code, ExitCode.APP_LOAD_FAILED);
    assert.match(server.output(), /does-not-exist\.js/);
    await server.stop();
  });
});
