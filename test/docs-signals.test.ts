/**
 * docs/signals.md lists every signal the master handles and every exit code, and quotes
 * a few constants: this keeps it true to the code.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ExitCode } from '../src/exit-codes';
import { MASTER_SIGNALS } from '../src/supervisor/master';
import {
  DEFAULT_GRACEFUL_TIMEOUT_MS,
  DEFAULT_HARAKIRI_GRACE_MS,
  DEFAULT_MAX_RECYCLING,
  FAST_STOP_KILL_AFTER_MS,
  MAX_WORKERS,
  RESPAWN_BACKOFF_BASE_MS,
  RESPAWN_BACKOFF_MAX_MS,
  SCALE_UP_LOOP_UTILIZATION,
  STABLE_UPTIME_MS,
} from '../src/supervisor/pool';
import { HEARTBEATS_PER_HARAKIRI } from '../src/worker/heartbeat';
import { TOUCH_RELOAD_POLL_MS } from '../src/supervisor/touch-reload';
import { ORPHAN_BLOCKED_EXIT_MS } from '../src/worker/loop-watchdog';

const DOC = fs.readFileSync(path.resolve(__dirname, '..', '..', 'docs', 'signals.md'), 'utf8');

function section(title: string): string {
  const start = DOC.indexOf(`## ${title}`);
  assert.ok(start >= 0, `no section ${title}`);
  const end = DOC.indexOf('\n## ', start + 1);
  return DOC.slice(start, end < 0 ? undefined : end);
}

test('every signal the master handles has a row, and no row names one it does not handle', () => {
  const table = section('Signals to the master');
  const firstCells = [...table.matchAll(/^\| ([^|]+) \|/gm)].map((m) => m[1]);
  const documented = new Set(firstCells.flatMap((cell) => [...cell.matchAll(/`(SIG[A-Z0-9]+)`/g)].map((m) => m[1])));
  assert.deepEqual([...documented].sort(), Object.keys(MASTER_SIGNALS).sort());
});

test('every exit code has a row with its number and name', () => {
  const table = section('Exit codes');
  for (const [name, code] of Object.entries(ExitCode)) {
    assert.match(table, new RegExp(`^\\| ${code} \\| \`${name}\` \\|`, 'm'), name);
  }
  const rows = [...table.matchAll(/^\| (\d+) \|/gm)];
  assert.equal(rows.length, Object.keys(ExitCode).length, 'a row for a code that does not exist');
});

test('the numbers the doc quotes are the constants', () => {
  const quotes: [string, string][] = [
    [`\`--graceful-timeout\` seconds (default ${DEFAULT_GRACEFUL_TIMEOUT_MS / 1000})`, 'graceful timeout'],
    [`still running ${FAST_STOP_KILL_AFTER_MS / 1000} seconds later`, 'fast stop kill'],
    [`up to ${MAX_WORKERS}`, 'TTIN ceiling'],
    [`within ${STABLE_UPTIME_MS / 1000} s of its start`, 'quick crash'],
    [`(${RESPAWN_BACKOFF_BASE_MS} ms, ${RESPAWN_BACKOFF_BASE_MS * 2} ms, 1 s, … up to ${RESPAWN_BACKOFF_MAX_MS / 1000} s)`, 'back-off'],
    [`\`--max-recycling\` (default ${DEFAULT_MAX_RECYCLING})`, 'max recycling'],
    [`at least ${SCALE_UP_LOOP_UTILIZATION * 100} % busy`, 'scale up'],
    [`every SECONDS/${HEARTBEATS_PER_HARAKIRI}`, 'heartbeat'],
    [`\`--harakiri-grace\` seconds later (default ${DEFAULT_HARAKIRI_GRACE_MS / 1000}`, 'harakiri grace'],
    [`checked once a second`, 'touch poll'],
    [`blocked for ${ORPHAN_BLOCKED_EXIT_MS / 1000} seconds`, 'orphan'],
  ];
  assert.equal(TOUCH_RELOAD_POLL_MS, 1000);
  assert.equal(RESPAWN_BACKOFF_BASE_MS * 4, 1000);
  const flat = DOC.replace(/\s+/g, ' ');
  for (const [text, what] of quotes) assert.ok(flat.includes(text), `${what}: "${text}" is not in docs/signals.md`);
});
