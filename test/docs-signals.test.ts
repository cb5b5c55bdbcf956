/**
 * docs/signals.md lists every signal and exit code: this keeps it true to the code. A
 * signal named anywhere in src/ (handled or sent) must have a row; the master's table is
 * exactly what the master handles; the exit-code table must be exactly ExitCode, names
 * and numbers; the numbers the page quotes are the constants.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ExitCode } from '../src/exit-codes';
import { MASTER_SIGNALS } from '../src/supervisor/master';
import {
  BOOT_TIMEOUT_MARGIN_MS,
  DEFAULT_BOOT_TIMEOUT_MS,
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
import { BACKLOG_DRAIN_MAX_MS } from '../src/worker/backlog-drain';

const ROOT = path.resolve(__dirname, '..', '..');
const DOC = fs.readFileSync(path.join(ROOT, 'docs', 'signals.md'), 'utf8');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

test('every signal the code handles or sends has a row', () => {
  const named = new Map<string, string>();
  for (const file of sources(path.join(ROOT, 'src'))) {
    for (const match of fs.readFileSync(file, 'utf8').matchAll(/['"](SIG[A-Z0-9]+)['"]/g)) {
      if (!named.has(match[1]!)) named.set(match[1]!, path.relative(ROOT, file));
    }
  }
  assert.ok(named.has('SIGTERM'), 'the scan found no signals at all');
  const rows = new Set([...DOC.matchAll(/^\| [^|]*`(SIG[A-Z0-9]+)`/gm)].flatMap((row) => [...row[0].matchAll(/`(SIG[A-Z0-9]+)`/g)].map((m) => m[1]!)));
  for (const [signal, file] of named) assert.ok(rows.has(signal), `docs/signals.md has no row for ${signal} (named in ${file})`);
});

test('the exit-code table is exactly ExitCode', () => {
  const rows = [...DOC.matchAll(/^\| (\d+) \| `([A-Z_]+)` \| (.+) \|$/gm)].map((m) => [m[2]!, Number(m[1])] as const);
  assert.deepEqual(
    rows.sort((a, b) => a[1] - b[1]),
    Object.entries(ExitCode).sort((a, b) => a[1] - b[1]),
  );
});

function section(title: string): string {
  const start = DOC.indexOf(`## ${title}`);
  assert.ok(start >= 0, `no section ${title}`);
  const end = DOC.indexOf('\n## ', start + 1);
  return DOC.slice(start, end < 0 ? undefined : end);
}

test('the table of the master lists exactly the signals the master handles (and SIGKILL, which it cannot)', () => {
  const table = section('Signals to the master');
  const firstCells = [...table.matchAll(/^\| ([^|]+) \|/gm)].map((m) => m[1]!);
  const documented = new Set(firstCells.flatMap((cell) => [...cell.matchAll(/`(SIG[A-Z0-9]+)`/g)].map((m) => m[1]!)));
  documented.delete('SIGKILL');
  assert.deepEqual([...documented].sort(), Object.keys(MASTER_SIGNALS).sort());
});

test('the numbers the page quotes are the constants', () => {
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
    [`blocked for ${ORPHAN_BLOCKED_EXIT_MS / 1000} seconds`, 'orphan'],
    [`for at most ${BACKLOG_DRAIN_MAX_MS / 1000} s)`, 'backlog drain'],
    [`Default ${DEFAULT_BOOT_TIMEOUT_MS / 1000} s, and never less than \`--app-listen-timeout\` plus ${BOOT_TIMEOUT_MARGIN_MS / 1000} s`, 'boot timeout'],
  ];
  // The page says "once a second" and "1 s" for these.
  assert.equal(TOUCH_RELOAD_POLL_MS, 1000);
  assert.equal(RESPAWN_BACKOFF_BASE_MS * 4, 1000);
  const flat = DOC.replace(/\s+/g, ' ');
  for (const [text, what] of quotes) assert.ok(flat.includes(text), `${what}: "${text}" is not in docs/signals.md`);
});
