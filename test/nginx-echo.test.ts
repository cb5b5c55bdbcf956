/**
 * The foundation end to end: a real nginx in front of a real uwsgi-ts serving a plain
 * (req, res) app over a unix socket.
 */
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as http from 'node:http';
import { startNginx, type Nginx } from './helpers/nginx';
import { startServer, type ServerProcess } from './helpers/server';
import { httpRequest } from './helpers/http';

let server: ServerProcess;
let nginx: Nginx;

before(async () => {
  server = await startServer({ app: 'echo.js', workers: 2 });
  nginx = await startNginx({ upstream: `unix:${server.socketPath}` });
});

after(async () => {
  await nginx?.stop();
  await server?.stop();
});

test('GET with a query string reaches the app with the raw URL and the headers', async () => {
  const r = await httpRequest(`${nginx.url}/info?a=1&b=%2F%20x`, { headers: { 'x-custom': 'yes', 'user-agent': 'test-agent' } });
  assert.equal(r.status, 200);
  const info = JSON.parse(r.body.toString());
  assert.equal(info.method, 'GET');
  assert.equal(info.url, '/info?a=1&b=%2F%20x');
  assert.equal(info.httpVersion, '1.1');
  assert.equal(info.headers['x-custom'], 'yes');
  assert.equal(info.headers['user-agent'], 'test-agent');
  // Debian's uwsgi_params sends HTTP_HOST as $host (no port), a guard against Host spoofing.
  assert.equal(info.headers.host, '127.0.0.1');
  assert.equal(info.remoteAddress, '127.0.0.1');
  assert.equal(info.headers['content-length'], undefined, 'nginx sends CONTENT_LENGTH "" on GET');
  assert.equal(info.pathInfo, '/info');
});

test('POST of 1 MiB is echoed back byte-exact', async () => {
  const body = crypto.randomBytes(1024 * 1024);
  const r = await httpRequest(`${nginx.url}/echo-buffered`, { method: 'POST', body, headers: { 'content-type': 'application/x-test' } });
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-type'], 'application/x-test');
  assert.equal(r.body.length, body.length);
  assert.equal(r.headers['content-length'], String(body.length));
  assert.ok(r.body.equals(body), 'echoed body differs');
});

test('a body streamed straight back (req.pipe(res)) arrives byte-exact when it fits in flight', async () => {
  const body = crypto.randomBytes(64 * 1024);
  const r = await httpRequest(`${nginx.url}/echo`, { method: 'POST', body });
  assert.equal(r.status, 200);
  assert.ok(r.body.equals(body), 'echoed body differs');
});

test('a chunked upload (nginx de-chunks it) is framed by CONTENT_LENGTH', async () => {
  const body = crypto.randomBytes(200_000);
  const r = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request(`${nginx.url}/digest`, { method: 'POST', agent: false });
    req.on('error', reject);
    req.on('response', (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, body: text }));
    });
    // Written in pieces without a length: the request goes out chunked.
    for (let i = 0; i < body.length; i += 50_000) req.write(body.subarray(i, i + 50_000));
    req.end();
  });
  assert.equal(r.status, 200);
  const digest = JSON.parse(r.body);
  assert.equal(digest.length, body.length);
  assert.equal(digest.sha256, crypto.createHash('sha256').update(body).digest('hex'));
});

test('a 16 KiB cookie arrives whole', async () => {
  const cookie = 'c=' + 'x'.repeat(16 * 1024 - 2);
  const r = await httpRequest(`${nginx.url}/cookie-len`, { headers: { cookie } });
  assert.equal(r.status, 200);
  assert.equal(JSON.parse(r.body.toString()).cookie, 16 * 1024);
});

test('a vars block over 60 KB is accepted', async () => {
  const headers: Record<string, string> = {};
  for (let i = 0; i < 4; i++) headers[`x-big-${i}`] = String(i).repeat(15_500);
  const r = await httpRequest(`${nginx.url}/info`, { headers });
  assert.equal(r.status, 200, nginx.errorLog().slice(-2000));
  const info = JSON.parse(r.body.toString());
  for (let i = 0; i < 4; i++) assert.equal(info.headers[`x-big-${i}`], String(i).repeat(15_500));
});

test('duplicate request headers are all reachable, joined like node:http does', async () => {
  const r = await httpRequest(`${nginx.url}/info`, {
    headers: [['host', 'dup.test'], ['x-dup', 'one'], ['x-dup', 'two'], ['cookie', 'a=1'], ['cookie', 'b=2']],
  });
  const info = JSON.parse(r.body.toString());
  assert.equal(info.headers['x-dup'], 'one, two');
  assert.equal(info.headers.cookie, 'a=1; b=2');
  const raw: string[] = info.rawHeaders;
  assert.deepEqual(raw.filter((_, i) => i % 2 === 0 && raw[i] === 'x-dup').length, 2);
});

test('HEAD gets the head and no body', async () => {
  const r = await httpRequest(`${nginx.url}/hello`, { method: 'HEAD' });
  assert.equal(r.status, 200);
  assert.equal(r.body.length, 0);
  assert.equal(r.headers['content-type'], 'text/plain');
});

test('204 and 304 carry no body', async () => {
  for (const code of [204, 304]) {
    const r = await httpRequest(`${nginx.url}/status/${code}`);
    assert.equal(r.status, code);
    assert.equal(r.body.length, 0);
    assert.equal(r.headers['x-status'], String(code));
  }
});

test('other status codes pass through with their reason', async () => {
  const r = await httpRequest(`${nginx.url}/status/418`);
  assert.equal(r.status, 418);
  assert.equal(r.body.toString(), 'status 418\n');
});

test('a streamed response with uwsgi_buffering off arrives piece by piece', async () => {
  const arrivals: number[] = [];
  const started = Date.now();
  const text = await new Promise<string>((resolve, reject) => {
    http.get(`${nginx.url}/stream/x`, { agent: false }, (res) => {
      let t = '';
      res.on('data', (c) => {
        arrivals.push(Date.now() - started);
        t += c;
      });
      res.on('end', () => resolve(t));
    }).on('error', reject);
  });
  assert.equal(text, [0, 1, 2, 3, 4].map((i) => `chunk ${i}\n`).join(''));
  assert.ok(arrivals.length >= 3, `expected several pieces, got ${arrivals.length}`);
  assert.ok(arrivals.at(-1)! - arrivals[0] >= 400, `pieces arrived together: ${arrivals}`);
});

test('an app that sets Transfer-Encoding: chunked gets no chunk framing on the wire', async () => {
  const r = await httpRequest(`${nginx.url}/te`);
  assert.equal(r.status, 200);
  assert.equal(r.body.toString(), 'part one,part two');
});

test('an app that throws gets a 500 and the worker keeps serving', async () => {
  for (const path of ['/throw', '/throw-async']) {
    const r = await httpRequest(`${nginx.url}${path}`);
    assert.equal(r.status, 500);
  }
  const ok = await httpRequest(`${nginx.url}/hello`);
  assert.equal(ok.status, 200);
  assert.match(server.output(), /app_error .*boom \(sync\)/);
  assert.match(server.output(), /app_error .*boom \(async\)/);
});

test('an invalid status or a CR/LF in a header value becomes a 500, never reaches the wire', async () => {
  for (const path of ['/bad-status', '/bad-header']) {
    const r = await httpRequest(`${nginx.url}${path}`);
    assert.equal(r.status, 500, path);
    assert.equal(r.headers.injected, undefined);
  }
});

test('the app answering without reading a large body still gets its answer through (case 27)', async () => {
  const body = crypto.randomBytes(3 * 1024 * 1024);
  const r = await httpRequest(`${nginx.url}/ignore-body`, { method: 'POST', body });
  assert.equal(r.status, 200);
  assert.equal(r.body.toString(), 'not reading your body\n');
});

test('case 28: a client that disconnects mid-response: the app sees the abort, the worker keeps serving', async () => {
  const before = JSON.parse((await httpRequest(`${nginx.url}/aborts`)).body.toString()).aborts as number;
  // Two workers: abort enough requests that each worker sees some.
  for (let i = 0; i < 4; i++) {
    await new Promise<void>((resolve) => {
      const req = http.get(`${nginx.url}/hang`, { agent: false });
      req.on('error', () => resolve());
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 150);
    });
    await new Promise<void>((resolve) => {
      const req = http.get(`${nginx.url}/stream/abort`, { agent: false }, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', () => resolve());
    });
  }
  let aborts = before;
  for (let i = 0; i < 40 && aborts < before + 4; i++) {
    await new Promise((r) => setTimeout(r, 50));
    // Ask both workers: the count is per worker, so sum two answers is not possible;
    // keep asking until the total seen by whichever answers has grown.
    aborts = Math.max(aborts, JSON.parse((await httpRequest(`${nginx.url}/aborts`)).body.toString()).aborts);
  }
  assert.ok(aborts > before, `no abort seen by the app (${before} -> ${aborts})`);
  const ok = await httpRequest(`${nginx.url}/hello`);
  assert.equal(ok.status, 200);
  assert.doesNotMatch(server.output(), /uncaught_exception|worker_exited/);
});

test('many concurrent requests all succeed', async () => {
  const results = await Promise.all(Array.from({ length: 200 }, (_, i) => httpRequest(`${nginx.url}/info?i=${i}`)));
  for (const [i, r] of results.entries()) {
    assert.equal(r.status, 200);
    assert.equal(JSON.parse(r.body.toString()).url, `/info?i=${i}`);
  }
});
