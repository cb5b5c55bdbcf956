import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { OPTION_LIST } from '../src/config/options';
import { renderOptionsDoc } from '../src/config/options-doc';
import { UWSGI_MEANINGLESS } from '../src/config/uwsgi-ini';
import { OPTIONS_DOC_PATH } from '../src/config/write-docs';

describe('docs/options.md', () => {
  it('is up to date with the option table', () => {
    const expectedPath = resolve(__dirname, '..', '..', 'docs', 'options.md');
    assert.equal(OPTIONS_DOC_PATH, expectedPath);
    let committed = '';
    try {
      committed = readFileSync(OPTIONS_DOC_PATH, 'utf8');
    } catch {
      assert.fail(`${OPTIONS_DOC_PATH} is missing: run \`npm run docs\``);
    }
    assert.ok(
      committed === renderOptionsDoc(),
      'docs/options.md is stale: it differs from what src/config/options.ts renders. Run `npm run docs` and commit the result.',
    );
  });

  it('documents every option, every uWSGI mapping and every ignored uWSGI key', () => {
    const doc = renderOptionsDoc();
    for (const option of OPTION_LIST) {
      if (option.flag !== undefined) assert.ok(doc.includes(option.flag), option.flag);
      if (option.positional !== undefined) assert.ok(doc.includes(`<${option.positional}>`));
      if (option.env !== undefined) assert.ok(doc.includes(`\`${option.env}\``), option.env);
      if (option.configKey !== undefined) assert.ok(doc.includes(`\`${option.configKey}\``), option.configKey);
      if (option.uwsgiKey !== undefined) assert.ok(doc.includes(`| \`${option.uwsgiKey}\` | \`${option.configKey}\``), option.uwsgiKey);
      assert.ok(doc.includes(option.help), option.name);
    }
    for (const key of Object.keys(UWSGI_MEANINGLESS)) assert.ok(doc.includes(`| \`${key}\` |`), key);
    assert.ok(doc.includes('`-w, --workers <n\\|auto>`'), 'pipes are escaped in table cells');
  });

  it('gives each value type one row: options whose accepted values differ never share a type label', () => {
    // The "Value types" table has one row per label; two options with one label and
    // different ranges would have the second's range misstated (--harakiri's minimum of 1
    // once read as 0.001).
    const expectedByLabel = new Map<string, string>();
    for (const option of OPTION_LIST) {
      const seen = expectedByLabel.get(option.type.label);
      if (seen === undefined) expectedByLabel.set(option.type.label, option.type.expected);
      else assert.equal(option.type.expected, seen, `${option.name}: label "${option.type.label}" is shared with a different range`);
    }
  });

  it('every example a type gives ("such as ...") is a value that option accepts', () => {
    let examples = 0;
    for (const option of OPTION_LIST) {
      const m = /such as ([^);]+)/.exec(option.type.expected);
      if (m === null) continue;
      for (const example of m[1]!.split(/, | or /)) {
        examples++;
        assert.doesNotThrow(() => option.type.parse(example.trim(), { kind: 'cli', flag: option.flag ?? '<app>' }), `${option.name}: "${example}" from: ${option.type.expected}`);
      }
    }
    assert.ok(examples > 10, `only ${examples} examples found`);
  });
});
