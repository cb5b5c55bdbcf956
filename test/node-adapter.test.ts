/**
 * The (req, res) adapter against a fake Exchange: what reaches the transport, in which
 * batches, and how aborts and bodies flow — without processes or sockets.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { FakeExchange } from './helpers/fake-exchange';
import { createNodeRequest } from '../src/worker/node-adapter';
import { ResponseHeadError } from '../src/protocol/response-head';

const tick = () => new Promise((r) => setImmediate(r));

test('res.end(body): head and body are written inside one cork, then the exchange ends', async () => {
  const ex = new FakeExchange('GET', '/');
  const { res } = createNodeRequest(ex);
  res.setHeader('content-type', 'text/plain');
  res.end('hi');
  await tick();
  const ops = ex.calls.map((c) => c.op);
  const firstWrite = ops.indexOf('write');
  assert.ok(ops.lastIndexOf('cork', firstWrite) !== -1, `writes not corked: ${ops}`);
  const uncorkAfter = ops.indexOf('uncork', firstWrite);
  assert.ok(uncorkAfter > ops.lastIndexOf('write'), `a write after the uncork: ${ops}`);
  assert.equal(ops.filter((o) => o === 'end').length, 1);
  assert.ok(ops.indexOf('end') > ops.lastIndexOf('write'));
  const out = ex.output();
  assert.match(out, /^HTTP\/1\.1 200 OK\r\n/);
  assert.match(out, /\r\nContent-Length: 2\r\n/i);
  assert.match(out, /\r\n\r\nhi$/);
  assert.doesNotMatch(out, /transfer-encoding/i);
});

test('a streamed body has neither Content-Length nor Transfer-Encoding, and no chunk framing', async () => {
  const ex = new FakeExchange('GET', '/');
  const { res } = createNodeRequest(ex);
  res.write('one,');
  res.write('two');
  res.end();
  await tick();
  const out = ex.output();
  assert.doesNotMatch(out, /content-length|transfer-encoding/i);
  assert.match(out, /\r\n\r\none,two$/);
});

test('an explicit Transfer-Encoding: chunked or Connection from the app is dropped', async () => {
  for (const viaWriteHead of [false, true]) {
    const ex = new FakeExchange('GET', '/');
    const { res } = createNodeRequest(ex);
    if (viaWriteHead) res.writeHead(200, { 'Transfer-Encoding': 'chunked', Connection: 'keep-alive', 'X-Kept': '1' });
    else {
      res.setHeader('Transfer-Encoding', 'chunked');
      res.setHeader('Connection', 'keep-alive');
      res.setHeader('X-Kept', '1');
    }
    res.write('a');
    res.end('b');
    await tick();
    const out = ex.output();
    assert.doesNotMatch(out, /transfer-encoding|keep-alive/i);
    assert.match(out, /X-Kept: 1/i);
    assert.match(out, /\r\n\r\nab$/, 'the body must not be chunk-framed');
  }
});

test('status codes outside 100-599 throw a ResponseHeadError and write nothing', () => {
  for (const code of [99, 600, 1000, 200.5]) {
    const ex = new FakeExchange('GET', '/');
    const { res } = createNodeRequest(ex);
    assert.throws(() => res.writeHead(code), (e: unknown) => e instanceof ResponseHeadError && e.code === 'UWSGI_TS_INVALID_STATUS');
    assert.equal(ex.output(), '');
  }
});

test('interim 1xx responses (writeContinue, writeEarlyHints) never reach the wire', async () => {
  const ex = new FakeExchange('GET', '/');
  const { res } = createNodeRequest(ex);
  res.writeContinue();
  res.writeEarlyHints({ link: '</a.css>; rel=preload' });
  res.end('ok');
  await tick();
  assert.match(ex.output(), /^HTTP\/1\.1 200 OK\r\n/);
  assert.doesNotMatch(ex.output(), /100 Continue|103/);
});

test('HEAD: the head only, with the length the app declared', async () => {
  const ex = new FakeExchange('HEAD', '/');
  const { res } = createNodeRequest(ex);
  res.setHeader('content-length', '5');
  res.end('hello');
  await tick();
  assert.match(ex.output(), /\r\ncontent-length: 5\r\n/i);
  assert.match(ex.output(), /\r\n\r\n$/, 'a body after the HEAD response head');
});

test('the body flows into req with back-pressure, then ends', async () => {
  const ex = new FakeExchange('POST', '/', '65536');
  const { req } = createNodeRequest(ex);
  const sink = ex.sink!;
  let accepted = true;
  let chunks = 0;
  while (accepted && chunks < 100) {
    accepted = sink.onBodyData(Buffer.alloc(4096));
    chunks++;
  }
  assert.equal(accepted, false, 'push never reported a full buffer');
  const received: Buffer[] = [];
  req.on('data', (c: Buffer) => received.push(c));
  await tick();
  assert.ok(ex.resumed > 0, 'reading the body must resume the exchange');
  const ended = new Promise((r) => req.once('end', r));
  sink.onBodyEnd();
  await ended;
  assert.equal(Buffer.concat(received).length, chunks * 4096);
  assert.equal(req.complete, true);
});

test('a client abort: req gets aborted and close, res gets close, later writes are swallowed', async () => {
  const ex = new FakeExchange('POST', '/', '100');
  const { req, res } = createNodeRequest(ex);
  const seen: string[] = [];
  req.on('aborted', () => seen.push('req aborted'));
  req.on('close', () => seen.push('req close'));
  req.on('error', (e) => seen.push(`req error ${(e as NodeJS.ErrnoException).code}`));
  res.on('close', () => seen.push('res close'));
  res.on('finish', () => seen.push('res finish'));
  ex.aborted = true;
  ex.events!.onAbort(new Error('client went away'));
  await tick();
  await tick();
  assert.ok(seen.includes('req aborted'), String(seen));
  assert.ok(seen.includes('req close'), String(seen));
  assert.ok(seen.includes('res close'), String(seen));
  assert.ok(!seen.includes('res finish'));
  assert.doesNotThrow(() => {
    res.write('late');
    res.end('later');
  });
  await tick();
  assert.equal(ex.output(), '');
});

test('the exchange closing after a normal response emits close on res exactly once', async () => {
  const ex = new FakeExchange('GET', '/');
  const { res } = createNodeRequest(ex);
  let closes = 0;
  let finishes = 0;
  res.on('close', () => closes++);
  res.on('finish', () => finishes++);
  res.end('x');
  await tick();
  ex.events!.onClose();
  await tick();
  await tick();
  assert.equal(finishes, 1);
  assert.equal(closes, 1);
});

test('req.setTimeout: an incomplete request hears timeout after the idle period; a new duration replaces the old', async () => {
  const ex = new FakeExchange('POST', '/', '100');
  const { req } = createNodeRequest(ex);
  let fired = 0;
  req.setTimeout(5000, () => fired++);
  req.setTimeout(30);
  await new Promise((r) => setTimeout(r, 120));
  assert.equal(fired, 1);
  req.setTimeout(0);
});

test('an idle timeout nobody listens to closes the connection, as in node:http', async () => {
  const ex = new FakeExchange('GET', '/');
  const { res } = createNodeRequest(ex);
  res.setTimeout(20);
  res.removeAllListeners('timeout');
  await new Promise((r) => setTimeout(r, 100));
  assert.ok(ex.calls.some((c) => c.op === 'destroy'));
});
