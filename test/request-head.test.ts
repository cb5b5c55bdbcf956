import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Environ } from '../src/protocol/environ';
import { createJsVarsParser } from '../src/protocol/vars-parser';
import { isBadRequest, parseContentLength, readRequestHead, type RequestHead } from '../src/protocol/request-head';
import { encodeVars, type Var } from './helpers/uwsgi-client';

const parser = createJsVarsParser(1024);

function environ(vars: Var[]): Environ {
  const block = encodeVars(vars);
  assert.ok(parser.parse(block, 0, block.length) >= 0);
  return Environ.fromParser(parser, block, 0, block.length);
}

function head(vars: Var[], limitPost = 0): RequestHead {
  const h = readRequestHead(environ(vars), limitPost);
  assert.ok(!isBadRequest(h), JSON.stringify(h));
  return h;
}

function bad(vars: Var[], limitPost = 0) {
  const h = readRequestHead(environ(vars), limitPost);
  assert.ok(isBadRequest(h), `expected a refusal for ${JSON.stringify(vars)}`);
  return h;
}

test('CONTENT_LENGTH: only ^[0-9]+$ (protocol case 18)', () => {
  for (const v of ['abc', '5abc', '+5', ' 5', '5 ', '0x10', '1e3', '5.0', '-5', '\u0665', '']) {
    assert.equal(parseContentLength(v), -1, JSON.stringify(v));
  }
  assert.equal(parseContentLength('0'), 0);
  assert.equal(parseContentLength('007'), 7);
  assert.equal(parseContentLength('1048576'), 1048576);
});

test('CONTENT_LENGTH beyond 2^53 is refused with 413 before any arithmetic (case 19)', () => {
  const r = bad([['REQUEST_METHOD', 'POST'], ['CONTENT_LENGTH', '99999999999999999999999']]);
  assert.equal(r.status, 413);
  assert.equal(r.drainBytes, 0);
  assert.equal(parseContentLength('9007199254740993'), -2);
});

test('CONTENT_LENGTH above --limit-post is 413 and drains what was announced (case 20)', () => {
  const r = bad([['REQUEST_METHOD', 'POST'], ['CONTENT_LENGTH', '2000']], 1000);
  assert.equal(r.status, 413);
  assert.equal(r.code, 'body_too_large');
  assert.equal(r.drainBytes, 2000);
  assert.equal(head([['REQUEST_METHOD', 'POST'], ['CONTENT_LENGTH', '1000']], 1000).contentLength, 1000);
});

test('absent or empty CONTENT_LENGTH is an empty body (case 17)', () => {
  assert.equal(head([['REQUEST_METHOD', 'GET']]).contentLength, 0);
  const h = head([['REQUEST_METHOD', 'GET'], ['CONTENT_LENGTH', '']]);
  assert.equal(h.contentLength, 0);
  assert.equal(h.hasContentLength, false);
});

test('bad CONTENT_LENGTH values are 400 (case 18)', () => {
  for (const v of ['abc', '-5', ' 5']) {
    const r = bad([['REQUEST_METHOD', 'POST'], ['CONTENT_LENGTH', v]]);
    assert.equal(r.status, 400);
    assert.equal(r.code, 'bad_content_length');
  }
});

test('CONTENT_LENGTH wins over a different HTTP_CONTENT_LENGTH (case 25)', () => {
  const h = head([['REQUEST_METHOD', 'POST'], ['CONTENT_LENGTH', '5'], ['HTTP_CONTENT_LENGTH', '50']]);
  assert.equal(h.contentLength, 5);
});

test('framing ignores HTTP_TRANSFER_ENCODING (case 24)', () => {
  const h = head([['REQUEST_METHOD', 'POST'], ['CONTENT_LENGTH', '7'], ['HTTP_TRANSFER_ENCODING', 'chunked']]);
  assert.equal(h.contentLength, 7);
});

test('no REQUEST_METHOD, or an empty one, is 400 (cases 5, 31)', () => {
  assert.equal(bad([]).code, 'missing_method');
  assert.equal(bad([['REQUEST_METHOD', '']]).code, 'missing_method');
  assert.equal(bad([['PATH_INFO', '/']]).status, 400);
});

test('repeated singleton vars with different values are 400, identical ones are fine (case 16)', () => {
  for (const key of ['CONTENT_LENGTH', 'REQUEST_METHOD', 'PATH_INFO']) {
    const r = bad([['REQUEST_METHOD', 'POST'], ['CONTENT_LENGTH', '1'], ['PATH_INFO', '/a'], [key, 'different']]);
    assert.equal(r.code, 'conflicting_vars');
    assert.match(r.detail, new RegExp(key));
  }
  const h = head([['REQUEST_METHOD', 'GET'], ['PATH_INFO', '/a'], ['PATH_INFO', '/a']]);
  assert.equal(h.method, 'GET');
});

test('the URL is REQUEST_URI untouched; without it, it is rebuilt and re-encoded (case 32)', () => {
  assert.equal(head([['REQUEST_METHOD', 'GET'], ['REQUEST_URI', '/a%20b?x=%2F'], ['PATH_INFO', '/a b']]).url, '/a%20b?x=%2F');
  assert.equal(head([['REQUEST_METHOD', 'GET'], ['PATH_INFO', '/a b'], ['QUERY_STRING', 'x=1']]).url, '/a%20b?x=1');
  assert.equal(head([['REQUEST_METHOD', 'GET']]).url, '/');
});

test('SERVER_PROTOCOL gives the HTTP version; odd values keep 1.1', () => {
  const h10 = head([['REQUEST_METHOD', 'GET'], ['SERVER_PROTOCOL', 'HTTP/1.0']]);
  assert.deepEqual([h10.httpVersionMajor, h10.httpVersionMinor], [1, 0]);
  const h2 = head([['REQUEST_METHOD', 'GET'], ['SERVER_PROTOCOL', 'HTTP/2.0']]);
  assert.deepEqual([h2.httpVersionMajor, h2.httpVersionMinor], [2, 0]);
  const odd = head([['REQUEST_METHOD', 'GET'], ['SERVER_PROTOCOL', 'SPDY/3']]);
  assert.deepEqual([odd.httpVersionMajor, odd.httpVersionMinor], [1, 1]);
});
