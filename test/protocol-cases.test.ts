/**
 * protocol-cases.md, cases 1-23 (framing, vars block, body), sent raw to a running
 * uwsgi-ts over its unix socket. "Reject" = the connection closes without a response,
 * one log line names the reason, and the worker serves the next request.
 */
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { startServer, type ServerProcess } from './helpers/server';
import { encodeVars, nginxVars, packet, parseResponse, rawExchange, uwsgiRequest, type Var } from './helpers/uwsgi-client';

let server: ServerProcess;
let small: ServerProcess;

before(async () => {
  [server, small] = await Promise.all([
    startServer({ app: 'echo.js', args: ['--socket-timeout', '1', '--limit-post', '1m'] }),
    startServer({ app: 'echo.js', args: ['--buffer-size', '4096', '--max-vars', '100'] }),
  ]);
});

after(async () => {
  await Promise.all([server?.stop(), small?.stop()]);
});

const get = (uri: string, headers: Record<string, string> = {}) => packet(nginxVars('GET', uri, headers));

async function stillServes(s: ServerProcess): Promise<void> {
  const r = await uwsgiRequest(s.socketPath, 'GET', '/hello');
  assert.equal(r.status, 200);
  assert.equal(r.body.toString(), 'hello world\n');
}

/** Sends the bytes, expects a close without any response and one log line naming `reason`. */
async function expectReject(s: ServerProcess, bytes: Buffer | Buffer[], reason: string, o: { endAfter?: boolean } = {}) {
  const mark = s.output().length;
  const r = await rawExchange(s.socketPath, bytes, { endAfter: o.endAfter ?? true, timeoutMs: 5000 });
  assert.equal(r.closed, true, 'the server must close the connection');
  assert.equal(r.data.length, 0, `no response expected, got ${JSON.stringify(r.data.toString('latin1').slice(0, 80))}`);
  await s.waitForOutput(new RegExp(`connection_rejected reason=${reason}`), 5000, mark);
  await stillServes(s);
}

async function expectStatus(s: ServerProcess, bytes: Buffer, status: number, code?: string) {
  const mark = s.output().length;
  const r = await rawExchange(s.socketPath, bytes, { timeoutMs: 5000 });
  const res = parseResponse(r.data);
  assert.equal(res.status, status);
  if (code) await s.waitForOutput(new RegExp(`bad_request status=${status} code=${code}`), 5000, mark);
  await stillServes(s);
  return res;
}

describe('framing and the vars block', () => {
  test('case 1: connect, send nothing, close -> closed quietly, app never called', async () => {
    const mark = server.output().length;
    const r = await rawExchange(server.socketPath, Buffer.alloc(0), { endAfter: true });
    assert.equal(r.closed, true);
    assert.equal(r.data.length, 0);
    await stillServes(server);
    assert.doesNotMatch(server.output().slice(mark), /connection_rejected/);
  });

  test('case 2: 1-3 header bytes then EOF -> reject', async () => {
    for (const n of [1, 2, 3]) await expectReject(server, Buffer.from([0, 10, 0].slice(0, n)), 'header_truncated');
  });

  test('case 3: the request one byte at a time, and at every split point, parses as one piece', async () => {
    const bytes = packet(nginxVars('POST', '/info?x=1', { 'x-split': 'yes' }, '5'), 'hello');
    const whole = parseResponse((await rawExchange(server.socketPath, bytes)).data);
    assert.equal(whole.status, 200);
    const info = JSON.parse(whole.body.toString());
    const oneByOne = await rawExchange(server.socketPath, [...bytes].map((b) => Buffer.from([b])), { delayMs: 1 });
    assert.deepEqual(JSON.parse(parseResponse(oneByOne.data).body.toString()), info);
    for (let cut = 1; cut < bytes.length; cut += 7) {
      const r = await rawExchange(server.socketPath, [bytes.subarray(0, cut), bytes.subarray(cut)], { delayMs: 2 });
      assert.deepEqual(JSON.parse(parseResponse(r.data).body.toString()), info, `cut at ${cut}`);
    }
  });

  test('case 4: a client trickling one byte at a time hits the read deadline', async () => {
    const bytes = get('/hello');
    const mark = server.output().length;
    const r = await rawExchange(server.socketPath, [...bytes.subarray(0, 20)].map((b) => Buffer.from([b])), { delayMs: 200, timeoutMs: 8000 });
    assert.equal(r.closed, true);
    assert.equal(r.data.length, 0);
    assert.ok(r.elapsedMs < 4000, `closed after ${r.elapsedMs} ms with --socket-timeout 1`);
    await server.waitForOutput(/connection_rejected reason=head_timeout/, 5000, mark);
  });

  test('case 5: datasize 0 -> 400 (no REQUEST_METHOD)', async () => {
    await expectStatus(server, packet(Buffer.alloc(0)), 400, 'missing_method');
  });

  test('case 6: datasize above the configured maximum -> reject from the header alone', async () => {
    await expectReject(small, Buffer.from([0, 0x01, 0x10, 0]), 'vars_too_large', { endAfter: false });
  });

  test('case 7: a real 65535-byte block (one big value; hundreds of vars) is accepted', async () => {
    const base = nginxVars('GET', '/info');
    const baseLen = encodeVars(base).length;
    const big: Var[] = [...base, ['HTTP_X_BIG', 'v'.repeat(65535 - baseLen - 4 - 'HTTP_X_BIG'.length)]];
    assert.equal(encodeVars(big).length, 65535);
    const r1 = await expectStatus(server, packet(big), 200);
    assert.equal(JSON.parse(r1.body.toString()).headers['x-big'].length, 65535 - baseLen - 14);
    const many: Var[] = [...base];
    for (let i = 0; encodeVars(many).length < 65535 - 200; i++) many.push([`HTTP_X_H${i}`, 'x'.repeat(100)]);
    many.push(['HTTP_X_PAD', 'p'.repeat(65535 - encodeVars(many).length - 4 - 'HTTP_X_PAD'.length)]);
    assert.equal(encodeVars(many).length, 65535);
    assert.ok(many.length > 300);
    await expectStatus(server, packet(many), 200);
  });

  test('case 8: datasize larger than what arrives, then EOF -> reject; without EOF -> read deadline', async () => {
    const vars = encodeVars(nginxVars('GET', '/hello'));
    const truncated = packet(vars, '', { datasize: vars.length + 100 });
    await expectReject(server, truncated, 'vars_truncated');
    const mark = server.output().length;
    const r = await rawExchange(server.socketPath, truncated, { timeoutMs: 5000 });
    assert.equal(r.closed, true);
    assert.equal(r.data.length, 0);
    await server.waitForOutput(/connection_rejected reason=head_timeout/, 5000, mark);
  });

  test('case 9: a key or value length past the end of the block -> reject the whole packet', async () => {
    const good = encodeVars([['REQUEST_METHOD', 'GET']]);
    const keyOverrun = Buffer.concat([good, Buffer.from([50, 0]), Buffer.from('ABC')]);
    await expectReject(server, packet(keyOverrun), 'vars_key_overrun');
    const valueOverrun = Buffer.concat([good, Buffer.from([1, 0]), Buffer.from('A'), Buffer.from([9, 0]), Buffer.from('xy')]);
    await expectReject(server, packet(valueOverrun), 'vars_value_overrun');
  });

  test('case 10: a dangling byte, a key length without key, a key without value length -> reject', async () => {
    const good = encodeVars([['REQUEST_METHOD', 'GET']]);
    await expectReject(server, packet(Buffer.concat([good, Buffer.from([7])])), 'vars_key_length_truncated');
    await expectReject(server, packet(Buffer.concat([good, Buffer.from([3, 0])])), 'vars_key_overrun');
    await expectReject(server, packet(Buffer.concat([good, Buffer.from([1, 0]), Buffer.from('K')])), 'vars_value_length_missing');
    await expectReject(server, packet(Buffer.concat([good, Buffer.from([1, 0]), Buffer.from('K'), Buffer.from([0])])), 'vars_value_length_missing');
  });

  test('case 11: a zero-length key -> reject; a zero-length value (also last) -> ""', async () => {
    await expectReject(server, packet(encodeVars([['REQUEST_METHOD', 'GET'], ['', 'x']])), 'vars_empty_key');
    const r = await expectStatus(server, packet([...nginxVars('GET', '/info'), ['HTTP_X_EMPTY', '']]), 200);
    assert.equal(JSON.parse(r.body.toString()).headers['x-empty'], '');
  });

  test('case 12: 10 000 tiny vars -> bounded by the var-count limit', async () => {
    const vars: Var[] = [['REQUEST_METHOD', 'GET']];
    for (let i = 0; i < 10_000; i++) vars.push(['k', '']);
    const block = encodeVars(vars);
    assert.ok(block.length <= 65535);
    await expectReject(server, packet(block), 'vars_too_many_vars');
  });

  test('case 13: bytes 0x80-0xFF, 0x01 and NUL in values are kept exactly (latin1)', async () => {
    const value = Buffer.from([0x41, 0x00, 0x01, 0x80, 0xc3, 0xa9, 0xff, 0x42]);
    const r = await expectStatus(server, packet([...nginxVars('GET', '/info'), ['HTTP_X_BIN', value]]), 200);
    assert.equal(JSON.parse(r.body.toString()).headers['x-bin'], value.toString('latin1'));
  });

  test('case 14: unusual keys (lower case, spaces, A=B) are passed through untouched', async () => {
    const r = await expectStatus(server, packet([...nginxVars('GET', '/info'), ['lower', '1'], ['with space', '2'], ['A=B', '3']]), 200);
    const keys: string[] = JSON.parse(r.body.toString()).environKeys;
    for (const k of ['lower', 'with space', 'A=B']) assert.ok(keys.includes(k), k);
  });

  test('case 15: repeated HTTP_* keys are merged deterministically, all values reachable', async () => {
    const vars: Var[] = [...nginxVars('GET', '/info'), ['HTTP_X_DUP', 'a'], ['HTTP_X_DUP', 'b'], ['HTTP_COOKIE', 'x=1'], ['HTTP_COOKIE', 'y=2']];
    const info = JSON.parse((await expectStatus(server, packet(vars), 200)).body.toString());
    assert.equal(info.headers['x-dup'], 'a, b');
    assert.equal(info.headers.cookie, 'x=1; y=2');
  });

  test('case 16: repeated CONTENT_LENGTH, REQUEST_METHOD or PATH_INFO with different values -> 400', async () => {
    for (const [key, value] of [['CONTENT_LENGTH', '7'], ['REQUEST_METHOD', 'POST'], ['PATH_INFO', '/other']]) {
      await expectStatus(server, packet([...nginxVars('GET', '/info', {}, '0'), [key, value]]), 400, 'conflicting_vars');
    }
  });
});

describe('the body', () => {
  const digest = (body: Buffer) => crypto.createHash('sha256').update(body).digest('hex');

  test('case 17: CONTENT_LENGTH absent or "" -> empty body', async () => {
    for (const cl of [undefined, '']) {
      const vars = nginxVars('POST', '/digest').filter(([k]) => k !== 'CONTENT_LENGTH');
      if (cl !== undefined) vars.push(['CONTENT_LENGTH', cl]);
      const r = await expectStatus(server, packet(vars), 200);
      assert.equal(JSON.parse(r.body.toString()).length, 0);
    }
  });

  test('case 18: malformed CONTENT_LENGTH values -> 400', async () => {
    for (const v of ['abc', '5abc', '+5', ' 5', '5 ', '0x10', '1e3', '5.0', '-5', '\u0665']) {
      await expectStatus(server, packet(nginxVars('POST', '/digest', {}, v)), 400, 'bad_content_length');
    }
  });

  test('case 19: CONTENT_LENGTH beyond 2^53 -> 413, nothing allocated', async () => {
    await expectStatus(server, packet(nginxVars('POST', '/digest', {}, '99999999999999999999999')), 413, 'body_too_large');
  });

  test('case 20: CONTENT_LENGTH above --limit-post -> 413 before the body is read', async () => {
    const r = await expectStatus(server, packet(nginxVars('POST', '/digest', {}, String(2 * 1024 * 1024))), 413, 'body_too_large');
    assert.match(r.body.toString(), /Payload Too Large/);
  });

  test('case 21: body bytes in the same read as the vars -> neither lost nor duplicated', async () => {
    const body = crypto.randomBytes(3000);
    const r = await expectStatus(server, packet(nginxVars('POST', '/digest', {}, '3000'), body), 200);
    assert.deepEqual(JSON.parse(r.body.toString()), { length: 3000, sha256: digest(body) });
  });

  test('case 22: bytes after the body, or a second packet, are never parsed as a request', async () => {
    const second = get('/hello');
    const body = Buffer.from('abc');
    const r = await rawExchange(server.socketPath, Buffer.concat([packet(nginxVars('POST', '/digest', {}, '3'), body), second]));
    const res = parseResponse(r.data);
    assert.deepEqual(JSON.parse(res.body.toString()), { length: 3, sha256: digest(body) });
    assert.equal(r.data.toString('latin1').split('HTTP/1.1 ').length - 1, 1, 'exactly one response');
    const zero = await rawExchange(server.socketPath, Buffer.concat([packet(nginxVars('GET', '/info', {}, '0')), second]));
    assert.equal(zero.data.toString('latin1').split('HTTP/1.1 ').length - 1, 1);
    assert.equal(JSON.parse(parseResponse(zero.data).body.toString()).url, '/info');
    const inBody = await rawExchange(server.socketPath, packet(nginxVars('POST', '/digest', {}, String(second.length)), second));
    assert.deepEqual(JSON.parse(parseResponse(inBody.data).body.toString()), { length: second.length, sha256: digest(second) });
  });

  test('case 23: body shorter than CONTENT_LENGTH then EOF -> the body stream errors, no response', async () => {
    const mark = server.output().length;
    const r = await rawExchange(server.socketPath, packet(nginxVars('POST', '/digest', {}, '100'), Buffer.alloc(50)), { endAfter: true });
    assert.equal(r.closed, true);
    assert.equal(r.data.length, 0);
    await server.waitForOutput(/connection_rejected reason=body_truncated/, 5000, mark);
    await stillServes(server);
  });

  test('case 23: ... and without EOF, the body read deadline gives the same outcome', async () => {
    const mark = server.output().length;
    const r = await rawExchange(server.socketPath, packet(nginxVars('POST', '/digest', {}, '100'), Buffer.alloc(50)), { timeoutMs: 6000 });
    assert.equal(r.closed, true);
    assert.equal(r.data.length, 0);
    assert.ok(r.elapsedMs < 4000, `closed after ${r.elapsedMs} ms`);
    await server.waitForOutput(/connection_rejected reason=body_timeout/, 5000, mark);
    await stillServes(server);
  });
});

describe('modifiers', () => {
  test('case 29: an unsupported modifier1 is rejected with a log line naming it', async () => {
    const mark = server.output().length;
    await expectReject(server, packet(nginxVars('GET', '/hello'), '', { modifier1: 7 }), 'unsupported_modifier');
    assert.match(server.output().slice(mark), /modifier1 7 is not supported/);
  });

  test('case 30: a ping (modifier1 100) is answered as uWSGI answers it, then closed', async () => {
    const mark = server.output().length;
    const r = await rawExchange(server.socketPath, packet([], '', { modifier1: 100 }), { timeoutMs: 5000 });
    assert.deepEqual([...r.data], [100, 0, 0, 1]);
    assert.equal(r.closed, true);
    // uWSGI's own client: `uwsgi --ping` exits 0 on a healthy answer, 1 when there is none.
    const ping = spawnSync('uwsgi', ['--plugin', 'ping', '--ping', server.socketPath], { encoding: 'utf8', timeout: 15_000 });
    assert.equal(ping.error, undefined, 'uwsgi (Debian package uwsgi-core) is needed for this test');
    assert.equal(ping.status, 0, ping.stdout + ping.stderr);
    const dead = spawnSync('uwsgi', ['--plugin', 'ping', '--ping', `${server.socketPath}.none`], { encoding: 'utf8', timeout: 15_000 });
    assert.notEqual(dead.status, 0, 'the ping client must fail without a server');
    assert.doesNotMatch(server.output().slice(mark), /connection_rejected/);
    await stillServes(server);
  });

  test('case 29: modifier2 on a request is ignored', async () => {
    const r = await rawExchange(server.socketPath, packet(nginxVars('GET', '/hello'), '', { modifier2: 9 }));
    assert.equal(parseResponse(r.data).status, 200);
  });
});
