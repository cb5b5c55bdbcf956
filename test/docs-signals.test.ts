/**
 * docs/signals.md lists every signal and exit code: this keeps it true to the code. A
 * signal named anywhere in src/ (handled or sent) must have a row; the exit-code table
 * must be exactly ExitCode, names and numbers.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ExitCode } from '../src/exit-codes';

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
