import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { helpSuffix, parseCommandLine, readPackageVersion, renderHelp, type CommandLine } from '../src/config/cli';
import { ConfigError, ConfigErrorCode } from '../src/config/errors';
import { OPTION_LIST } from '../src/config/options';
import { loadConfig } from '../src/config/startup';

const ROOT = resolve(__dirname, '..', '..');
const VERSION = (JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

function run(argv: string[]): Extract<CommandLine, { kind: 'run' }> {
  const result = parseCommandLine(argv);
  assert.equal(result.kind, 'run');
  return result as Extract<CommandLine, { kind: 'run' }>;
}

function usageError(argv: string[], message: RegExp): void {
  assert.throws(
    () => parseCommandLine(argv),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.code, ConfigErrorCode.USAGE);
      assert.equal(error.exitCode, 2);
      assert.match(error.message, message);
      return true;
    },
  );
}

describe('command line (generated from the option table)', () => {
  it('--help lists every option of the table with its env var and default', () => {
    const help = parseCommandLine(['--help']);
    assert.equal(help.kind, 'help');
    const text = (help as { output: string }).output;
    assert.equal(text, renderHelp());
    // Collapse commander's line wrapping so a description may span lines.
    const flat = text.replace(/\s+/g, ' ');
    for (const option of OPTION_LIST) {
      if (option.flag !== undefined) {
        const flags = option.short === undefined ? option.flag : `${option.short}, ${option.flag}`;
        assert.ok(flat.includes(option.type.isFlag ? flags : `${flags} ${option.type.placeholder}`), `help shows ${flags}`);
      }
      if (option.positional !== undefined) assert.ok(flat.includes(`[${option.positional}]`), `help shows <${option.positional}>`);
      if (option.env !== undefined) assert.ok(flat.includes(`env: ${option.env}`), `help shows ${option.env}`);
      assert.ok(flat.includes(option.help.replace(/\s+/g, ' ')), `help shows the help of ${option.name}`);
      assert.ok(flat.includes(helpSuffix(option).trim()), `help shows ${helpSuffix(option)}`);
      if (option.flag !== undefined) assert.ok(flat.includes(`${option.group}:`), `help has the ${option.group} group`);
    }
    assert.ok(flat.includes('(default: 1; env: UWSGI_TS_WORKERS)'));
    assert.ok(flat.includes('-h, --help') && flat.includes('-V, --version'));
    assert.deepEqual(parseCommandLine(['-h']), help);
  });

  it('--version prints the version from package.json', () => {
    assert.equal(readPackageVersion(), VERSION);
    assert.deepEqual(parseCommandLine(['--version']), { kind: 'version', output: `${VERSION}\n` });
    assert.deepEqual(parseCommandLine(['-V']), { kind: 'version', output: `${VERSION}\n` });
  });

  it('returns every occurrence as text with the flag that gave it', () => {
    const { settings } = run(['-s', 'a.sock', '--socket=b.sock', '-w4', '--parser', 'js', '--print-config', 'app.js', '--chmod-socket', '660']);
    assert.deepEqual(
      settings.map((s) => [s.name, s.origin, 'text' in s ? s.text : undefined]),
      [
        ['socket', { kind: 'cli', flag: '--socket' }, 'a.sock'],
        ['socket', { kind: 'cli', flag: '--socket' }, 'b.sock'],
        ['chmodSocket', { kind: 'cli', flag: '--chmod-socket' }, '660'],
        ['workers', { kind: 'cli', flag: '--workers' }, '4'],
        ['parser', { kind: 'cli', flag: '--parser' }, 'js'],
        ['app', { kind: 'cli', flag: '<app>' }, 'app.js'],
        ['printConfig', { kind: 'cli', flag: '--print-config' }, 'true'],
      ],
    );
    assert.deepEqual(run([]).settings, []);
    assert.deepEqual(run(['--', '--odd-app-name.js']).settings.map((s) => 'text' in s && s.text), ['--odd-app-name.js']);
  });

  it('turns commander errors into usage errors that name the option', () => {
    usageError(['--wokers', '2'], /^unknown option '--wokers' \(did you mean --workers\?\); see uwsgi-ts --help$/);
    usageError(['--nonsense'], /^unknown option '--nonsense'; see uwsgi-ts --help$/);
    usageError(['--workers'], /option '-w, --workers <n\|auto>' argument missing/);
    usageError(['-s'], /option '-s, --socket <address>' argument missing/);
    usageError(['a.js', 'b.js'], /too many arguments/);
  });

  it('loadConfig turns every outcome into an exit code and output', () => {
    const help = loadConfig(['--help'], {}, '/');
    assert.equal(help.action, 'exit');
    assert.deepEqual(help.action === 'exit' && [help.exitCode, help.stderr], [0, '']);

    const version = loadConfig(['--version'], {}, '/');
    assert.deepEqual(version.action === 'exit' && [version.exitCode, version.stdout], [0, `${VERSION}\n`]);

    const bad = loadConfig(['--workers', '0', '-s', 'a.sock', 'app.js'], {}, '/');
    assert.equal(bad.action, 'exit');
    if (bad.action === 'exit') {
      assert.equal(bad.exitCode, 2);
      assert.equal(bad.stdout, '');
      assert.equal(
        bad.stderr,
        'uwsgi-ts: error: invalid value "0" for --workers: 0 is out of range (expected an integer from 1 to 1024, or "auto" (one per CPU)) [UWSGI_TS_CONFIG_INVALID_VALUE]\n',
      );
    }

    const usage = loadConfig(['--bogus'], {}, '/');
    assert.deepEqual(usage.action === 'exit' && [usage.exitCode, usage.stderr.includes('[UWSGI_TS_CONFIG_USAGE]')], [2, true]);

    const missing = loadConfig([], {}, '/');
    assert.deepEqual(missing.action === 'exit' && [missing.exitCode, missing.stderr.includes('[UWSGI_TS_CONFIG_MISSING]')], [2, true]);

    const ok = loadConfig(['-s', 'a.sock', 'app.js'], { UWSGI_TS_TYPO: '1' }, '/');
    assert.equal(ok.action, 'run');
    if (ok.action === 'run') {
      assert.equal(ok.config.app, 'app.js');
      assert.deepEqual(ok.warnings, ['ignoring unknown environment variable UWSGI_TS_TYPO']);
    }
  });
});
