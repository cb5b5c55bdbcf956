import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { isValidHeaderName, isValidHeaderValue, serializeHead, simpleResponse, ResponseHeadError } from '../src/protocol/response-head';

test('a real status line, headers, Content-Length when known, no Transfer-Encoding', () => {
  const head = serializeHead(200, undefined, [['Content-Type', 'text/plain'], ['Transfer-Encoding', 'chunked'], ['Connection', 'keep-alive']], 5);
  assert.equal(head, 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\n');
  assert.equal(serializeHead(201, 'Made', [], -1), 'HTTP/1.1 201 Made\r\n\r\n');
});

test('an app Content-Length is replaced by the one the writer decided', () => {
  assert.equal(serializeHead(200, undefined, [['content-length', '99']], 3), 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n');
});

test('status codes outside 100-599 are refused (case 34)', () => {
  for (const status of [99, 600, 0, -1, 200.5, NaN]) {
    assert.throws(() => serializeHead(status, undefined, [], 0), (e: unknown) => e instanceof ResponseHeadError && e.code === 'UWSGI_TS_INVALID_STATUS');
  }
  for (const status of [100, 599]) assert.doesNotThrow(() => serializeHead(status, undefined, [], 0));
});

test('CR, LF and NUL in header names or values are refused (case 34)', () => {
  for (const value of ['a\r\nb', 'a\nb', 'a\rb', 'a\0b', '\x7f']) {
    assert.equal(isValidHeaderValue(value), false, JSON.stringify(value));
    assert.throws(() => serializeHead(200, undefined, [['x', value]], 0), ResponseHeadError);
  }
  for (const name of ['', 'a b', 'a:b', 'a\r\n', 'ä']) {
    assert.equal(isValidHeaderName(name), false, JSON.stringify(name));
    assert.throws(() => serializeHead(200, undefined, [[name, 'v']], 0), ResponseHeadError);
  }
  assert.equal(isValidHeaderValue('tab\tand obs-text \xe9'), true);
  assert.throws(() => serializeHead(200, 'OK\r\nX: y', [], 0), ResponseHeadError);
});

test('simple responses are complete and self-delimited', () => {
  const r = simpleResponse(413).toString('latin1');
  assert.match(r, /^HTTP\/1\.1 413 Payload Too Large\r\n/);
  assert.match(r, /Content-Length: 18\r\n\r\nPayload Too Large\n$/);
});
