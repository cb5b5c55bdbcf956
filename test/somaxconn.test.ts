/** --listen against the kernel's somaxconn: the warning is a pure function of both. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { backlogCapWarning, readSomaxconn } from '../src/supervisor/somaxconn';

test('no warning when the backlog fits or the cap is unknown', () => {
  assert.equal(backlogCapWarning(1024, 4096), null);
  assert.equal(backlogCapWarning(4096, 4096), null);
  assert.equal(backlogCapWarning(65535, null), null);
});

test('a capped backlog names both numbers and the sysctl to raise', () => {
  const warning = backlogCapWarning(1024, 128)!;
  assert.match(warning, /--listen 1024 is capped by the kernel to net\.core\.somaxconn = 128/);
  assert.match(warning, /sysctl -w net\.core\.somaxconn=1024/);
});

test('readSomaxconn reads the file, null when absent or garbage', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uwsgi-ts-somaxconn-'));
  try {
    fs.writeFileSync(path.join(dir, 'ok'), '4096\n');
    fs.writeFileSync(path.join(dir, 'bad'), 'many\n');
    assert.equal(readSomaxconn(path.join(dir, 'ok')), 4096);
    assert.equal(readSomaxconn(path.join(dir, 'bad')), null);
    assert.equal(readSomaxconn(path.join(dir, 'absent')), null);
    if (process.platform === 'linux') assert.ok((readSomaxconn() ?? 0) > 0, 'the real /proc value');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
