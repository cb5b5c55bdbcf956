/**
 * The request log and the log file: one line per request in each format, lifecycle and
 * error lines always (also as JSON), --disable-logging, --logto with a reopen on SIGUSR1
 * after logrotate renamed the file.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { BIN, FIXTURE_APPS, startServer, tempDir } from './helpers/server';
import { nginxVars, packet, rawExchange, uwsgiRequest } from './helpers/uwsgi-client';
import { compileRequestLine, parseLogFormat } from '../src/log/request-log-format';
import { ObservedRequest } from '../src/metrics/request-observer';
import { ExitCode } from '../src/exit-codes';

function requestLines(output: string): string[] {
  return output.split('\n').filter((l) => /\] request /.test(l) || l.includes('"event":"request"'));
}

async function waitFor<T>(what: string, probe: () => T | undefined | null | false, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

test('text (default): one key=value line per request with time, worker, address, method, URI, status, bytes, duration', async () => {
  const server = await startServer({ app: 'echo.js' });
  try {
    const ok = await uwsgiRequest(server.socketPath, 'GET', '/hello?a=1');
    assert.equal(ok.status, 200);
    assert.equal((await uwsgiRequest(server.socketPath, 'GET', '/throw')).status, 500);
    // The client goes away before the answer: logged as aborted, with no status.
    await rawExchange(server.socketPath, packet(nginxVars('GET', '/hang')), { timeoutMs: 200 });
    const lines = await waitFor('three request lines', () => {
      const l = requestLines(server.output());
      return l.length >= 3 && l;
    });
    assert.equal(lines.length, 3);
    assert.match(
      lines[0]!,
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z info \[worker 1\] request addr=127\.0\.0\.1 method=GET uri="\/hello\?a=1" status=200 size=\d+ rsize=\d+ msecs=\d+(\.\d+)?$/,
    );
    const size = Number(/ size=(\d+)/.exec(lines[0]!)![1]);
    assert.ok(size > 'hello world\n'.length, 'size counts the whole response');
    assert.match(lines[1]!, / uri=\/throw status=500 /);
    assert.match(lines[2]!, / uri=\/hang status=0 .* aborted=true$/);
    // The error is logged as well, on its own line.
    assert.match(server.output(), /error \[worker 1\] app_error method=GET uri=\/throw/);
  } finally {
    await server.stop();
  }
});

test('json: every line, lifecycle, error and request, is one JSON object', async () => {
  const server = await startServer({ app: 'echo.js', args: ['--log-format', 'json'] });
  try {
    await uwsgiRequest(server.socketPath, 'POST', '/echo-buffered', {}, 'hello');
    await uwsgiRequest(server.socketPath, 'GET', '/throw');
    // Request lines are written at the end of the worker's event-loop turn: wait for them
    // before killing it.
    await server.waitForOutput(/"event":"request"[^\n]*\n(.*\n)*.*"event":"request"/);
    const pid = Number(/"event":"worker_ready","slot":1,"pid":(\d+)/.exec(server.output())![1]);
    process.kill(pid, 'SIGKILL');
    await server.waitForOutput(/"event":"worker_ready".*\n(.*\n)*.*"event":"worker_ready"/);
  } finally {
    await server.stop();
  }
  const lines = server.output().trimEnd().split('\n');
  const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  for (const r of records) {
    assert.equal(typeof r.time, 'string');
    assert.ok(['debug', 'info', 'warn', 'error'].includes(r.level as string));
    assert.equal(typeof r.event, 'string');
  }
  const requests = records.filter((r) => r.event === 'request');
  assert.equal(requests.length, 2);
  assert.deepEqual(
    { ...requests[0], time: undefined, msecs: undefined, pid: undefined, size: undefined, rsize: undefined },
    { time: undefined, level: 'info', who: 'worker 1', event: 'request', worker: 1, pid: undefined, addr: '127.0.0.1', method: 'POST', uri: '/echo-buffered', status: 200, size: undefined, rsize: undefined, msecs: undefined, aborted: false },
  );
  assert.equal(typeof requests[0]!.msecs, 'number');
  assert.equal(requests[1]!.status, 500);
  assert.ok(records.some((r) => r.event === 'app_error' && r.level === 'error' && r.uri === '/throw'));
  const exited = records.find((r) => r.event === 'worker_exited' && r.signal === 'SIGKILL');
  assert.equal(exited?.reason, 'killed by SIGKILL');
  assert.ok(records.some((r) => r.event === 'worker_spawned' && r.who === 'master'));
  assert.ok(records.some((r) => r.event === 'stopped'));
});

test('a template names the fields; control characters in values are escaped', async () => {
  const server = await startServer({ app: 'echo.js', args: ['--log-format', '%(method) %(uri) -> %(status) w%(worker) %(size)B'] });
  try {
    const first = await rawExchange(server.socketPath, packet(nginxVars('GET', '/status/201')));
    const second = await rawExchange(server.socketPath, packet(nginxVars('GET', '/x\x1b[2J\x07')));
    const lines = await waitFor('two template lines', () => {
      const l = server.output().split('\n').filter((x) => x.startsWith('GET '));
      return l.length >= 2 && l;
    });
    assert.equal(lines[0], `GET /status/201 -> 201 w1 ${first.data.length}B`);
    assert.equal(lines[1], `GET /x\\x1b[2J\\x07 -> 404 w1 ${second.data.length}B`);
    assert.ok(!lines[1]!.includes('\x1b'));
  } finally {
    await server.stop();
  }
});

test('--log-format refuses unknown fields and words, naming what is allowed', () => {
  for (const bad of ['%(nope)', 'xml']) {
    const r = spawnSync(process.execPath, [BIN, '--socket', '/tmp/x.sock', '--log-format', bad, path.join(FIXTURE_APPS, 'echo.js')], { encoding: 'utf8' });
    assert.equal(r.status, ExitCode.USAGE);
    assert.match(r.stderr, /--log-format/);
    assert.match(r.stderr, /text, json, or a template naming fields as %\(name\) \(time, worker, pid, addr/);
  }
});

test('--disable-logging: no request lines, lifecycle and error lines still', async () => {
  const server = await startServer({ app: 'echo.js', args: ['--disable-logging'] });
  try {
    await uwsgiRequest(server.socketPath, 'GET', '/hello');
    await uwsgiRequest(server.socketPath, 'GET', '/throw');
    await server.waitForOutput(/app_error/);
  } finally {
    await server.stop();
  }
  assert.deepEqual(requestLines(server.output()), []);
  assert.match(server.output(), /worker_ready/);
  assert.match(server.output(), /stopped exit_code=0/);
});

test('--logto appends; SIGUSR1 reopens it after logrotate renamed it, in the master and every worker', async () => {
  const dir = tempDir();
  const logFile = path.join(dir, 'app.log');
  fs.writeFileSync(logFile, 'an older line\n');
  const server = await startServer({ app: 'echo.js', workers: 2, waitReady: 0, args: ['--logto', logFile] });
  try {
    await waitFor('two ready workers', () => (fs.readFileSync(logFile, 'utf8').match(/worker_ready/g) ?? []).length === 2);
    for (let i = 0; i < 4; i++) await uwsgiRequest(server.socketPath, 'GET', `/hello?before=${i}`);
    await waitFor('4 request lines', () => requestLines(fs.readFileSync(logFile, 'utf8')).length === 4);
    fs.renameSync(logFile, `${logFile}.1`);
    process.kill(server.pid, 'SIGUSR1');
    await waitFor('the new file', () => fs.existsSync(logFile) && /logs_reopened/.test(fs.readFileSync(logFile, 'utf8')));
    // Both workers must have reopened: send requests until each slot has logged to the new file.
    const slots = new Set<string>();
    for (let i = 0; i < 200 && slots.size < 2; i++) {
      await uwsgiRequest(server.socketPath, 'GET', `/hello?after=${i}`);
      for (const l of requestLines(fs.readFileSync(logFile, 'utf8'))) slots.add(/\[worker (\d+)\]/.exec(l)![1]!);
      if (slots.size < 2) await new Promise((r) => setTimeout(r, 10));
    }
    assert.deepEqual([...slots].sort(), ['1', '2']);
  } finally {
    await server.stop();
  }
  const rotated = fs.readFileSync(`${logFile}.1`, 'utf8');
  const current = fs.readFileSync(logFile, 'utf8');
  assert.ok(rotated.startsWith('an older line\n'), 'appended, not truncated');
  // Every line written before the rotation is in the renamed file; a worker may still
  // write a line or two there between the master's signal and its own reopen.
  assert.equal(requestLines(rotated).filter((l) => l.includes('before=')).length, 4);
  assert.ok(requestLines(current).length > 0);
  assert.ok(requestLines(current).every((l) => l.includes('after=')));
  assert.match(current, /stopped exit_code=0/);
  assert.equal(server.output(), '', 'nothing went to stderr');
  fs.rmSync(dir, { recursive: true, force: true });
});

test('--logto that cannot be opened stops the start with exit code 9', () => {
  const r = spawnSync(process.execPath, [BIN, '--socket', '/tmp/x.sock', '--logto', '/nonexistent-dir/app.log', path.join(FIXTURE_APPS, 'echo.js')], {
    encoding: 'utf8',
  });
  assert.equal(r.status, ExitCode.LOG_FAILED);
  assert.match(r.stderr, /log_open_failed option=--logto error="cannot open log file \/nonexistent-dir\/app.log: ENOENT"/);
});

test('request line formats from one finished request', () => {
  const r = new ObservedRequest('GET', '/a b?x="1"', '10.0.0.1', 1000);
  r.status = 200;
  r.bytesIn = 300;
  r.bytesOut = 150;
  r.endedAt = 1002.5;
  const ctx = { worker: 3, pid: 42 };
  const t = '2026-01-01T00:00:00.000Z';
  const text = compileRequestLine({ kind: 'text' }, ctx)(r, t);
  assert.equal(text, `${t} info [worker 3] request addr=10.0.0.1 method=GET uri="/a b?x=\\"1\\"" status=200 size=150 rsize=300 msecs=2.5\n`);
  const json = JSON.parse(compileRequestLine({ kind: 'json' }, ctx)(r, t));
  assert.equal(json.uri, '/a b?x="1"');
  assert.equal(json.msecs, 2.5);
  const parsed = parseLogFormat('%(addr) %(pid) %(usecs) %(rsize) %(aborted) %(time)');
  assert.ok(parsed.ok);
  assert.equal(compileRequestLine(parsed.format, ctx)(r, t), `10.0.0.1 42 2500 300 false ${t}\n`);
  assert.deepEqual(parseLogFormat('%(addr)\n'), { ok: false, reason: 'a template cannot contain a line break' });
});
