/** --pidfile: the decision (pure) and the file operations on a temp dir. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parsePidfile, pidfileDecision, PidfileError, processAlive, removePidfile, writePidfile } from '../src/supervisor/pidfile';

test('parsePidfile accepts a pid with whitespace, nothing else', () => {
  assert.equal(parsePidfile('123\n'), 123);
  assert.equal(parsePidfile('  77  '), 77);
  assert.equal(parsePidfile(''), null);
  assert.equal(parsePidfile('0\n'), null);
  assert.equal(parsePidfile('12 34'), null);
  assert.equal(parsePidfile('abc'), null);
});

test('pidfileDecision: refuse only a pidfile naming another live process', () => {
  const alive = (pid: number) => pid === 500;
  assert.deepEqual(pidfileDecision(null, 10, alive), { action: 'write' });
  assert.deepEqual(pidfileDecision('garbage', 10, alive), { action: 'write' });
  assert.deepEqual(pidfileDecision('600\n', 10, alive), { action: 'write' });
  assert.deepEqual(pidfileDecision('10\n', 10, alive), { action: 'write' });
  assert.deepEqual(pidfileDecision('500\n', 10, alive), { action: 'refuse', pid: 500 });
});

test('writePidfile / removePidfile on real files', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uwsgi-ts-pidfile-'));
  try {
    const file = path.join(dir, 'app.pid');
    writePidfile(file, 4242_000);
    assert.equal(fs.readFileSync(file, 'utf8'), '4242000\n');
    assert.deepEqual(fs.readdirSync(dir), ['app.pid'], 'temp file left behind');

    // A live process (this one) in the file: refused, file untouched.
    fs.writeFileSync(file, `${process.pid}\n`);
    assert.throws(() => writePidfile(file, 4242_000), (err: unknown) => err instanceof PidfileError && err.code === 'UWSGI_TS_PIDFILE_IN_USE' && err.message.includes(`pid ${process.pid}, which is running`));
    assert.equal(fs.readFileSync(file, 'utf8'), `${process.pid}\n`);

    // A dead process: stale, replaced.
    const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
    const deadPid = Number(dead.stdout.trim());
    assert.equal(processAlive(deadPid), false);
    fs.writeFileSync(file, `${deadPid}\n`);
    writePidfile(file, 4242_000);
    assert.equal(fs.readFileSync(file, 'utf8'), '4242000\n');

    // Removal only while it holds our pid.
    removePidfile(file, 1);
    assert.ok(fs.existsSync(file));
    removePidfile(file, 4242_000);
    assert.equal(fs.existsSync(file), false);
    removePidfile(file, 4242_000); // gone: no throw

    assert.throws(() => writePidfile(path.join(dir, 'missing-dir', 'app.pid'), 1), (err: unknown) => err instanceof PidfileError && err.code === 'UWSGI_TS_PIDFILE_UNWRITABLE');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
