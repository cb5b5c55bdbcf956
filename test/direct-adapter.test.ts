/**
 * The uwsgi handler adapter against a fake Exchange: what reaches the transport for each
 * kind of response, how bodies are read, and how every app mistake becomes a 500 that
 * is logged — without processes or sockets.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { FakeExchange } from './helpers/fake-exchange';
import { serveDirect, type DirectHandler, type DirectRequest } from '../src/worker/direct-adapter';
import type { Logger, LogFields } from '../src/log';

const tick = () => new Promise((r) => setImmediate(r));

function fakeLog(): Logger & { errors: [string, LogFields | undefined][] } {
  const errors: [string, LogFields | undefined][] = [];
  return { errors, debug() {}, info() {}, warn() {}, error: (e, f) => errors.push([e, f]) };
}

async function serve(handler: DirectHandler, ex = new FakeExchange('GET', '/')) {
  const log = fakeLog();
  serveDirect(handler, ex, log);
  await tick();
  await tick();
  return { ex, log, out: ex.output(), ops: ex.calls.map((c) => c.op) };
}

test('a string body goes out with its head in one write, with a Content-Length, then the end', async () => {
  const { out, ops } = await serve(() => ({ status: 201, headers: { 'content-type': 'text/plain' }, body: 'hé\n' }));
  assert.equal(out, 'HTTP/1.1 201 Created\r\ncontent-type: text/plain\r\nContent-Length: 4\r\n\r\nh\u00c3\u00a9\n', 'UTF-8 body bytes (shown as latin1)');
  assert.deepEqual(ops, ['write', 'end']);
});

test('defaults: status 200, no headers, no body → Content-Length: 0', async () => {
  const { out } = await serve(() => ({}));
  assert.equal(out, 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
});

test('a byte body, header arrays (one line each), numbers, iterable headers, statusText', async () => {
  const bytes = new Uint8Array([1, 2, 3]);
  const a = await serve(() => ({ headers: { 'set-cookie': ['a=1', 'b=2'], 'x-n': 7, skipped: undefined }, body: bytes }));
  assert.equal(a.out, 'HTTP/1.1 200 OK\r\nset-cookie: a=1\r\nset-cookie: b=2\r\nx-n: 7\r\nContent-Length: 3\r\n\r\n\x01\x02\x03');
  const b = await serve(() => ({ status: 299, statusText: 'Fine', headers: new Map([['X-A', '1']]), body: 'x' }));
  assert.equal(b.out, 'HTTP/1.1 299 Fine\r\nX-A: 1\r\nContent-Length: 1\r\n\r\nx');
});

test('the server owns framing: Transfer-Encoding and Connection are dropped, Content-Length is its own', async () => {
  const { out } = await serve(() => ({
    headers: { 'transfer-encoding': 'chunked', connection: 'keep-alive', 'content-length': '99' },
    body: 'abc',
  }));
  assert.equal(out, 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc');
});

test('HEAD gets the length of the body it would have had, and no body; 204 and 304 get neither', async () => {
  const head = await serve(() => ({ body: 'hello' }), new FakeExchange('HEAD', '/'));
  assert.equal(head.out, 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n');
  const noContent = await serve(() => ({ status: 204, body: 'ignored' }));
  assert.equal(noContent.out, 'HTTP/1.1 204 No Content\r\n\r\n');
  const notModified = await serve(() => ({ status: 304 }));
  assert.equal(notModified.out, 'HTTP/1.1 304 Not Modified\r\n\r\n');
});

test('a head with obs-text (latin1) bytes is not re-encoded as UTF-8 with the body', async () => {
  const { out } = await serve(() => ({ headers: { 'x-l': 'caf\u00e9' }, body: '\u00e9' }));
  // The FakeExchange output is latin1 of the bytes written: é in the head is one byte,
  // é in the body two (UTF-8).
  assert.equal(out, 'HTTP/1.1 200 OK\r\nx-l: caf\u00e9\r\nContent-Length: 2\r\n\r\n\u00c3\u00a9');
  const reason = await serve(() => ({ statusText: 'Caf\u00e9', body: '\u00e9' }));
  assert.equal(reason.out, 'HTTP/1.1 200 Caf\u00e9\r\nContent-Length: 2\r\n\r\n\u00c3\u00a9', 'nor is one in the reason phrase');
});

test('an async handler, and an async iterable body streamed with no Content-Length', async () => {
  const { out, ops } = await serve(async () => {
    await tick();
    return { headers: { 'content-type': 'text/plain' }, body: Readable.from(['one,', Buffer.from('two')]) };
  });
  assert.equal(out, 'HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\none,two');
  assert.equal(ops.at(-1), 'end');
});

test('app mistakes become a logged 500: throw, reject, bad status, bad header, wrong return type', async () => {
  const cases: [string, DirectHandler, RegExp][] = [
    ['throw', () => { throw new Error('boom'); }, /boom/],
    ['reject', async () => { throw new Error('async boom'); }, /async boom/],
    ['status', () => ({ status: 99 }), /status 99/],
    ['header', () => ({ headers: { 'x-bad': 'a\r\nb' } }), /invalid character in the value of header "x-bad"/],
    ['name', () => ({ headers: { 'bad name': 'x' } }), /invalid header name/],
    ['return', () => 'hello' as never, /returned string, not a response object/],
    ['body', () => ({ body: 42 as never }), /a response body must be a string, bytes/],
  ];
  for (const [name, handler, message] of cases) {
    const { out, log } = await serve(handler);
    assert.match(out, /^HTTP\/1\.1 500 Internal Server Error\r\n/, name);
    assert.equal(log.errors.length, 1, name);
    assert.equal(log.errors[0][0], 'app_error', name);
    assert.match(String(log.errors[0][1]?.error), message, name);
  }
});

test('a streamed body that fails after the head went out destroys the exchange', async () => {
  async function* failing() {
    yield 'partial';
    throw new Error('stream broke');
  }
  const { ops, log } = await serve(() => ({ body: failing() }));
  assert.equal(ops.at(-1), 'destroy');
  assert.match(String(log.errors[0][1]?.error), /stream broke/);
});

test('request: method, url, path, query, lower-case headers, environ, remote address', async () => {
  let seen: DirectRequest | null = null;
  await serve(
    (request) => {
      seen = request;
      return {};
    },
    new FakeExchange('GET', '/a/b?x=1', '', { 'content-type': 'text/plain', 'X-Custom': 'v' }),
  );
  const r = seen as unknown as DirectRequest;
  assert.equal(r.method, 'GET');
  assert.equal(r.url, '/a/b?x=1');
  assert.equal(r.path, '/a/b');
  assert.equal(r.query, 'x=1');
  assert.equal(r.headers['content-type'], 'text/plain');
  assert.equal(r.headers['x-custom'], 'v');
  assert.equal(r.environ.get('REQUEST_METHOD'), 'GET');
  assert.equal(r.remoteAddress, '127.0.0.1');
  assert.equal(r.https, false);
});

test('request body: buffer(), text(), json(), stream(); a second read is refused', async () => {
  const body = JSON.stringify({ a: 1 });
  const ex = new FakeExchange('POST', '/', String(body.length));
  let results: unknown[] = [];
  serveDirect(
    async (request) => {
      const json = await request.json();
      const again = await request.text().then(
        () => 'read twice',
        (err: Error) => err.message,
      );
      results = [json, again];
      return { body: 'ok' };
    },
    ex,
    fakeLog(),
  );
  ex.sink!.onBodyData(Buffer.from(body.slice(0, 3)));
  ex.sink!.onBodyData(Buffer.from(body.slice(3)));
  ex.sink!.onBodyEnd();
  await tick();
  await tick();
  assert.deepEqual(results, [{ a: 1 }, 'the request body was already read']);
  assert.match(ex.output(), /\r\n\r\nok$/);

  const ex2 = new FakeExchange('POST', '/', '6');
  const chunks: Buffer[] = [];
  serveDirect(
    async (request) => {
      for await (const chunk of request.stream()) chunks.push(chunk as Buffer);
      return { body: String(Buffer.concat(chunks).length) };
    },
    ex2,
    fakeLog(),
  );
  ex2.sink!.onBodyData(Buffer.from('abc'));
  ex2.sink!.onBodyData(Buffer.from('def'));
  ex2.sink!.onBodyEnd();
  await tick();
  await tick();
  assert.equal(Buffer.concat(chunks).toString(), 'abcdef');
  assert.match(ex2.output(), /\r\n\r\n6$/);
});

test('signal aborts when the client goes away; a body read then fails instead of hanging', async () => {
  const ex = new FakeExchange('POST', '/', '10');
  let reason: unknown = null;
  let bodyError: unknown = null;
  serveDirect(
    (request) => {
      request.signal.addEventListener('abort', () => {
        reason = request.signal.reason;
      });
      return request.buffer().then(
        () => ({ body: 'unexpected' }),
        (err: unknown) => {
          bodyError = err;
          return {};
        },
      );
    },
    ex,
    fakeLog(),
  );
  const err = new Error('client closed the connection');
  ex.sink!.onBodyError(err);
  ex.events!.onAbort(err);
  await tick();
  assert.equal(reason, err);
  assert.equal(bodyError, err);
});

test('for await (const chunk of request): chunks in order, back-pressure past the high-water mark, break drops the rest', async () => {
  const ex = new FakeExchange('POST', '/', String(600 * 1024));
  const seen: number[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  serveDirect(
    async (request) => {
      const body = request[Symbol.asyncIterator]();
      await gate; // the app is busy while chunks arrive: they queue
      for await (const chunk of body) {
        seen.push(chunk.length);
        if (seen.length === 3) break;
      }
      return { body: String(seen.length) };
    },
    ex,
    fakeLog(),
  );
  await tick();
  const chunk = Buffer.alloc(100 * 1024);
  const accepted: boolean[] = [];
  for (let i = 0; i < 3; i++) accepted.push(ex.sink!.onBodyData(chunk));
  assert.deepEqual(accepted, [true, true, false], 'the third chunk reaches 300 KiB queued: pause');
  release();
  await tick();
  assert.equal(ex.resumed, 1, 'taking chunks below the mark resumes the transport');
  assert.equal(ex.sink!.onBodyData(chunk), true, 'after break, chunks are dropped');
  ex.sink!.onBodyEnd();
  await tick();
  assert.deepEqual(seen, [102400, 102400, 102400]);
  assert.match(ex.output(), /\r\n\r\n3$/);
});

test('a result\'s value is released once the next result is asked for; the chunks themselves stay intact', async () => {
  const ex = new FakeExchange('POST', '/', '6');
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const seen: { first?: IteratorResult<Buffer>; firstAfterNext?: unknown; second?: IteratorResult<Buffer>; last?: IteratorResult<Buffer> } = {};
  serveDirect(
    async (request) => {
      const body = request[Symbol.asyncIterator]();
      await gate; // 'abc' is queued by then: the first result comes from the queue
      const first = await body.next();
      const firstChunk = first.value as Buffer;
      const next = body.next(); // 'def' has not arrived: this one waits
      seen.first = first;
      seen.firstAfterNext = first.value;
      const second = await next;
      const secondChunk = second.value as Buffer;
      seen.second = second;
      seen.last = await body.next();
      return { body: `${firstChunk.toString()}${secondChunk.toString()}` };
    },
    ex,
    fakeLog(),
  );
  await tick();
  ex.sink!.onBodyData(Buffer.from('abc'));
  release();
  await tick();
  assert.equal(seen.firstAfterNext, undefined, 'asking for the next result released the previous one');
  ex.sink!.onBodyData(Buffer.from('def'));
  ex.sink!.onBodyEnd();
  await tick();
  assert.equal(seen.first!.done, false);
  assert.equal(seen.second!.done, false);
  assert.equal(seen.second!.value, undefined, 'the last chunk\'s result is released by the call that ends the loop');
  assert.deepEqual(seen.last, { value: undefined, done: true });
  assert.match(ex.output(), /\r\n\r\nabcdef$/, 'the chunks taken out of the results are intact');
});

test('iterating a body that fails rejects the loop with the transport error', async () => {
  const ex = new FakeExchange('POST', '/', '10');
  let caught: unknown = null;
  serveDirect(
    async (request) => {
      try {
        for await (const _ of request) void _;
      } catch (err) {
        caught = err;
      }
      return {};
    },
    ex,
    fakeLog(),
  );
  await tick();
  const err = new Error('client closed the connection');
  ex.sink!.onBodyData(Buffer.from('abc'));
  ex.sink!.onBodyError(err);
  await tick();
  assert.equal(caught, err);
});

test('a streamed response body may read the request body lazily, after the handler returned', async () => {
  const ex = new FakeExchange('POST', '/', '6');
  serveDirect(
    (request) => ({
      body: (async function* echo() {
        for await (const chunk of request) yield chunk;
      })(),
    }),
    ex,
    fakeLog(),
  );
  await tick();
  ex.sink!.onBodyData(Buffer.from('abc'));
  ex.sink!.onBodyData(Buffer.from('def'));
  ex.sink!.onBodyEnd();
  await tick();
  await tick();
  assert.equal(ex.output(), 'HTTP/1.1 200 OK\r\n\r\nabcdef');
  assert.equal(ex.calls.at(-1)?.op, 'end');
});
