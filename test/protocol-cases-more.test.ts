/**
 * protocol-cases.md, cases 24-38 (body framing, vars semantics, the response side), sent
 * raw to a running uwsgi-ts or through a real nginx. Case numbers are in the test names.
 */
import { after, before, describe, test } from 'node:test';
import * as http from 'node:http';
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT, startServer, type ServerProcess } from './helpers/server';
import { startNginx } from './helpers/nginx';
import { httpRequest } from './helpers/http';
import { nginxVars, packet, parseResponse, rawExchange, type Var } from './helpers/uwsgi-client';

let server: ServerProcess;

before(async () => {
  server = await startServer({ app: 'echo.js', args: ['--socket-timeout', '2'] });
});

after(async () => {
  await server?.stop();
});

const sha = (b: Buffer | string) => crypto.createHash('sha256').update(b).digest('hex');

async function raw(vars: Var[], body: Buffer | string = '') {
  const r = await rawExchange(server.socketPath, packet(vars, body), { timeoutMs: 5000 });
  return { ...parseResponse(r.data), closed: r.closed, bytes: r.data };
}

describe('body framing', () => {
  test('case 24: HTTP_TRANSFER_ENCODING chunked with CONTENT_LENGTH -> framed by length, never de-chunked', async () => {
    const body = '5\r\nhello\r\n0\r\n\r\n';
    const r = await raw([...nginxVars('POST', '/digest', {}, String(body.length)), ['HTTP_TRANSFER_ENCODING', 'chunked']], body);
    assert.deepEqual(JSON.parse(r.body.toString()), { length: body.length, sha256: sha(body) });
    const info = await raw([...nginxVars('POST', '/info', {}, '0'), ['HTTP_TRANSFER_ENCODING', 'chunked']]);
    assert.equal(JSON.parse(info.body.toString()).headers['transfer-encoding'], undefined, 'the app must not see chunked framing');
  });

  test('case 25: HTTP_CONTENT_LENGTH different from CONTENT_LENGTH -> CONTENT_LENGTH wins', async () => {
    const r = await raw([...nginxVars('POST', '/digest', {}, '5'), ['HTTP_CONTENT_LENGTH', '50']], 'hello');
    assert.deepEqual(JSON.parse(r.body.toString()), { length: 5, sha256: sha('hello') });
    const info = await raw([...nginxVars('POST', '/info', {}, '0'), ['HTTP_CONTENT_LENGTH', '50']]);
    assert.equal(JSON.parse(info.body.toString()).headers['content-length'], '0');
  });

  test('case 26: CONTENT_LENGTH but no body ever comes -> the app can still answer', async () => {
    const nobody = await startNginx({ upstream: `unix:${server.socketPath}`, locationExtra: 'uwsgi_pass_request_body off;' });
    try {
      const started = Date.now();
      const r = await httpRequest(`${nobody.url}/ignore-body`, { method: 'POST', body: Buffer.alloc(12, 1) });
      assert.equal(r.status, 200);
      assert.equal(r.body.toString(), 'not reading your body\n');
      assert.ok(Date.now() - started < 1500, `answer held back by the missing body (${Date.now() - started} ms)`);
    } finally {
      await nobody.stop();
    }
  });
});

describe('vars semantics', () => {
  test('case 31: no HTTP_HOST -> host from SERVER_NAME:SERVER_PORT (default port omitted)', async () => {
    const base = nginxVars('GET', '/info').filter(([k]) => k !== 'HTTP_HOST' && k !== 'SERVER_NAME' && k !== 'SERVER_PORT');
    const r = await raw([...base, ['SERVER_NAME', 'example.org'], ['SERVER_PORT', '8080']]);
    assert.equal(JSON.parse(r.body.toString()).headers.host, 'example.org:8080');
    const d = await raw([...base, ['SERVER_NAME', 'example.org'], ['SERVER_PORT', '80']]);
    assert.equal(JSON.parse(d.body.toString()).headers.host, 'example.org');
    const s = await raw([...base, ['SERVER_NAME', 'example.org'], ['SERVER_PORT', '443'], ['HTTPS', 'on']]);
    const info = JSON.parse(s.body.toString());
    assert.equal(info.headers.host, 'example.org');
    assert.equal(info.encrypted, true);
  });

  test('case 32: PATH_INFO is never decoded again; the URL is REQUEST_URI as sent', async () => {
    const vars = nginxVars('GET', '/info/a%2Fb%20c%25?x=%41').map(([k, v]): Var => (k === 'PATH_INFO' ? [k, '/info/a/b c%'] : [k, v]));
    const info = JSON.parse((await raw(vars)).body.toString());
    assert.equal(info.url, '/info/a%2Fb%20c%25?x=%41');
    assert.equal(info.pathInfo, '/info/a/b c%');
  });

  test('case 33: no var changes server behaviour (uWSGI magic vars are plain vars)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uwsgi-ts-magic-'));
    const marker = path.join(dir, 'loaded');
    const evil = path.join(dir, 'evil.js');
    fs.writeFileSync(evil, `require('fs').writeFileSync(${JSON.stringify(marker)}, 'x'); module.exports = () => {};`);
    try {
      const magic: Var[] = [
        ['UWSGI_FILE', evil],
        ['UWSGI_SCRIPT', evil],
        ['UWSGI_MODULE', evil],
        ['UWSGI_CHDIR', dir],
        ['UWSGI_SETENV', 'NODE_OPTIONS=--require=' + evil],
        ['UWSGI_APPID', 'other'],
        ['SCRIPT_NAME', '/mounted'],
      ];
      const r = await raw([...nginxVars('GET', '/info'), ...magic]);
      assert.equal(r.status, 200);
      const info = JSON.parse(r.body.toString());
      assert.equal(info.url, '/info');
      for (const [k] of magic) assert.ok(info.environKeys.includes(k), `${k} is reachable as a plain var`);
      assert.equal(fs.existsSync(marker), false, 'a var made the server load a file');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the response side', () => {
  test('case 34: an invalid status or CR/LF/NUL in a header is refused by the writer (raw)', async () => {
    for (const route of ['/bad-status', '/bad-header']) {
      const r = await raw(nginxVars('GET', route));
      assert.equal(r.status, 500, route);
      assert.doesNotMatch(r.bytes.toString('latin1'), /Injected|HTTP\/1\.1 600/);
    }
  });

  test('case 35: never Transfer-Encoding; a body of unknown length ends at the close', async () => {
    for (const route of ['/stream', '/te', '/echo']) {
      const r = await raw(nginxVars('POST', route, {}, '3'), 'abc');
      assert.equal(r.status, 200, route);
      assert.equal(r.header('transfer-encoding'), undefined, route);
      assert.equal(r.header('content-length'), undefined, `${route}: length unknown up front`);
      assert.equal(r.closed, true);
    }
  });

  test('case 36: Content-Length when known, and the connection still closes after the last byte', async () => {
    const r = await raw(nginxVars('GET', '/hello'));
    assert.equal(r.header('content-length'), '12');
    assert.equal(r.body.toString(), 'hello world\n');
    assert.equal(r.closed, true);
  });

  test('case 37: HEAD, 204 and 304 carry no body bytes', async () => {
    const head = await raw(nginxVars('HEAD', '/hello'));
    assert.equal(head.status, 200);
    assert.equal(head.body.length, 0);
    for (const code of [204, 304]) {
      const r = await raw(nginxVars('GET', `/status/${code}`));
      assert.equal(r.status, code);
      assert.equal(r.body.length, 0, `${code} carried ${r.body.length} body bytes`);
    }
  });

  test('case 38: the status line and headers arrive in one piece, before any body', async () => {
    const r = await rawExchange(server.socketPath, packet(nginxVars('GET', '/big?size=200000')), { timeoutMs: 5000 });
    const res = parseResponse(r.data);
    assert.equal(res.status, 200);
    assert.equal(res.body.length, 200000);
  });
});

describe('client aborts', () => {
  interface AbortCounts {
    aborts: number;
    lateWrites: number;
    lateWriteErrors: number;
    pid: number;
  }
  const counts = async (): Promise<AbortCounts> => JSON.parse((await raw(nginxVars('GET', '/aborts'))).body.toString()) as AbortCounts;

  /** Polls until the app has seen `aborts` aborts and `lateWrites` late writes (bounded). */
  async function waitCounts(want: { aborts: number; lateWrites: number }): Promise<AbortCounts> {
    let c = await counts();
    for (let i = 0; i < 100 && (c.aborts < want.aborts || c.lateWrites < want.lateWrites); i++) {
      await new Promise((r) => setTimeout(r, 50));
      c = await counts();
    }
    return c;
  }

  test('case 28: the client goes away while the app runs -> the app sees an abort, later writes are swallowed', async () => {
    const before = await counts();
    // Raw: the peer closes its socket while the app is still working.
    const r = await rawExchange(server.socketPath, packet(nginxVars('GET', '/late-write?ms=300')), { timeoutMs: 100 });
    assert.equal(r.data.length, 0);
    // Through nginx: the HTTP client disconnects, nginx closes our socket.
    const nginx = await startNginx({ upstream: `unix:${server.socketPath}` });
    try {
      await new Promise<void>((resolve) => {
        const req = http.get(`${nginx.url}/late-write?ms=600`, { agent: false });
        req.on('error', () => resolve());
        setTimeout(() => {
          req.destroy();
          resolve();
        }, 150);
      });
      const after = await waitCounts({ aborts: before.aborts + 2, lateWrites: before.lateWrites + 2 });
      assert.equal(after.aborts, before.aborts + 2, 'each disconnect is one abort the app sees');
      assert.equal(after.lateWrites, before.lateWrites + 2, 'the late writes returned normally');
      assert.equal(after.lateWriteErrors, before.lateWriteErrors, 'a write after the abort threw');
      assert.equal(after.pid, before.pid, 'the worker was replaced');
      assert.equal((await httpRequest(`${nginx.url}/hello`)).status, 200);
      assert.doesNotMatch(server.output(), /uncaught_exception|unhandled_rejection|worker_exited/);
    } finally {
      await nginx.stop();
    }
  });
});

describe('response heads and nginx buffers', () => {
  test('case 39: a response head above uwsgi_buffer_size is a 502 in nginx, and the docs say so next to the config', async () => {
    const small = await startNginx({ upstream: `unix:${server.socketPath}`, locationExtra: 'uwsgi_buffer_size 4k;' });
    const raised = await startNginx({ upstream: `unix:${server.socketPath}`, locationExtra: 'uwsgi_buffer_size 32k; uwsgi_buffers 8 32k;' });
    try {
      const over = await httpRequest(`${small.url}/big-head?size=8000`);
      assert.equal(over.status, 502);
      assert.match(small.errorLog(), /upstream sent too big header/);
      const under = await httpRequest(`${small.url}/big-head?size=1000`);
      assert.equal(under.status, 200);
      const ok = await httpRequest(`${raised.url}/big-head?size=8000`);
      assert.equal(ok.status, 200);
      assert.equal(String(ok.headers['x-big']).length, 8000);
    } finally {
      await Promise.all([small.stop(), raised.stop()]);
    }
    // The limit is documented next to the nginx snippets a user copies.
    const conf = fs.readFileSync(path.join(ROOT, 'examples', 'nginx.conf'), 'utf8');
    assert.match(conf, /too big header[\s\S]*uwsgi_buffer_size/);
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    assert.match(readme, /uwsgi_buffer_size/);
  });
});
