import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { ConfigError, ConfigErrorCode } from '../src/config/errors';
import { parseIni, sectionEntries } from '../src/config/ini';

function syntaxError(text: string, line: number, mention: string | RegExp): void {
  assert.throws(
    () => parseIni(text, '/etc/app.ini'),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.code, ConfigErrorCode.FILE_SYNTAX);
      assert.ok(error.message.startsWith(`/etc/app.ini:${line}: `), error.message);
      if (typeof mention === 'string') assert.ok(error.message.includes(mention), error.message);
      else assert.match(error.message, mention);
      return true;
    },
  );
}

describe('INI parser', () => {
  it('reads sections and key = value lines, trimming around the key and value', () => {
    const doc = parseIni('[a]\nx = 1\n  y=two words  \n[b]\nz = 3\n', 'f.ini');
    assert.deepEqual(
      doc.sections.map((section) => [section.name, section.line, section.entries.map((e) => [e.key, e.value, e.line])]),
      [
        ['a', 1, [['x', '1', 2], ['y', 'two words', 3]]],
        ['b', 4, [['z', '3', 5]]],
      ],
    );
  });

  it('skips ; and # comment lines and blank lines; keeps ; and # inside values', () => {
    const doc = parseIni('; comment\n# another\n\n[s]\n  ; indented comment\nurl = http://x/#frag;x\n', 'f.ini');
    assert.deepEqual(sectionEntries(doc, 's'), [{ key: 'url', value: 'http://x/#frag;x', line: 6, bare: false }]);
  });

  it('keeps = inside values (split at the first =)', () => {
    const doc = parseIni('[uwsgi]\nenv = A=B=C\n', 'f.ini');
    assert.equal(sectionEntries(doc, 'uwsgi')![0]!.value, 'A=B=C');
  });

  it('unquotes "..." values, with \\" and \\\\ escapes and an optional comment after', () => {
    const doc = parseIni(
      ['[s]', 'a = "  spaced  "', 'b = "say \\"hi\\""', 'c = "back\\\\slash"', 'd = "x" ; note', 'e = ""', 'f = "a\\nb"'].join('\n'),
      'f.ini',
    );
    assert.deepEqual(
      sectionEntries(doc, 's')!.map((e) => e.value),
      ['  spaced  ', 'say "hi"', 'back\\slash', 'x', '', 'a\\nb'],
    );
  });

  it('keeps repeated keys, in order (lists)', () => {
    const doc = parseIni('[s]\nsocket = a\nworkers = 2\nsocket = b\nsocket = c\n', 'f.ini');
    assert.deepEqual(
      sectionEntries(doc, 's')!.filter((e) => e.key === 'socket').map((e) => [e.value, e.line]),
      [['a', 2], ['b', 4], ['c', 5]],
    );
  });

  it('reads a bare key as true (uWSGI style)', () => {
    const doc = parseIni('[uwsgi]\nmaster\ndie-on-term\n', 'f.ini');
    assert.deepEqual(sectionEntries(doc, 'uwsgi'), [
      { key: 'master', value: 'true', line: 2, bare: true },
      { key: 'die-on-term', value: 'true', line: 3, bare: true },
    ]);
  });

  it('merges sections of the same name and returns undefined for a missing one', () => {
    const doc = parseIni('[s]\na = 1\n[t]\nb = 2\n[s]\nc = 3\n', 'f.ini');
    assert.deepEqual(sectionEntries(doc, 's')!.map((e) => e.key), ['a', 'c']);
    assert.equal(sectionEntries(doc, 'missing'), undefined);
  });

  it('puts keys before any header in the unnamed section', () => {
    const doc = parseIni('a = 1\n[s]\n', 'f.ini');
    assert.deepEqual(sectionEntries(doc, '')!.map((e) => e.key), ['a']);
  });

  it('accepts CRLF line endings, a BOM, and a comment after a section header', () => {
    const doc = parseIni('\uFEFF[s] ; the section\r\na = 1\r\nb = "q"\r\n', 'f.ini');
    assert.deepEqual(sectionEntries(doc, 's')!.map((e) => [e.key, e.value, e.line]), [['a', '1', 2], ['b', 'q', 3]]);
  });

  it('reports syntax errors with the file and line number', () => {
    syntaxError('[s]\n; ok\na = "open', 3, 'unterminated quoted value');
    syntaxError('[s]\na = "x" trailing', 2, 'unexpected text after the closing quote');
    syntaxError('[s]\n= value', 2, "missing key before '='");
    syntaxError('[s]\nnot a key = 1', 2, "expected 'key = value'");
    syntaxError('[s]\n\nhello world', 3, "expected 'key = value', a [section] or a comment");
    syntaxError('[s]\n[unclosed\n', 2, 'bad section header');
    syntaxError('[]\n', 1, 'empty section name');
    syntaxError('[s] junk\n', 1, /bad section header/);
  });
});
