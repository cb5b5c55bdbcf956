/**
 * docs/security.md states limits and reason codes; this keeps it true to the code.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { OPTION_LIST } from '../src/config/options';
import { PARSE_STATUS_CODES, ParseStatus } from '../src/protocol/parse-status';

const DOC = fs.readFileSync(path.resolve(__dirname, '..', '..', 'docs', 'security.md'), 'utf8');

test('every default in the limits table is the option table default', () => {
  const rows = [...DOC.matchAll(/^\| `(--[a-z-]+)` \| ([^|]+) \|/gm)];
  assert.ok(rows.length >= 5, 'the limits table is missing');
  for (const [, flag, shown] of rows) {
    const option = OPTION_LIST.find((o) => o.flag === flag);
    assert.ok(option, `${flag} is not an option`);
    assert.equal(option.presence, 'default', `${flag} has no default`);
    const expected = option.type.format((option as { default: unknown }).default as never);
    assert.ok(shown.trim().startsWith(expected), `${flag}: the doc says ${shown.trim()}, the table ${expected}`);
  }
});

test('every parse status a packet can cause is explained', () => {
  for (const [status, code] of Object.entries(PARSE_STATUS_CODES)) {
    if (Number(status) === ParseStatus.OK || Number(status) === ParseStatus.BAD_ARGUMENTS) continue;
    assert.ok(DOC.includes(`\`${code}\``), `${code} is not in docs/security.md`);
  }
});
