import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { PACKAGE_ROOT } from './cli';
import { renderOptionsDoc } from './options-doc';

/**
 * `npm run docs`: writes docs/options.md from the option table.
 * `node dist/src/config/write-docs.js --check`: exits 1 when the file is stale (for CI).
 */
export const OPTIONS_DOC_PATH = resolve(PACKAGE_ROOT, 'docs', 'options.md');

function readOrEmpty(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function main(args: readonly string[]): number {
  const rendered = renderOptionsDoc();
  if (args.includes('--check')) {
    if (readOrEmpty(OPTIONS_DOC_PATH) === rendered) return 0;
    process.stderr.write(`${OPTIONS_DOC_PATH} is stale: run \`npm run docs\`\n`);
    return 1;
  }
  writeFileSync(OPTIONS_DOC_PATH, rendered);
  process.stdout.write(`wrote ${OPTIONS_DOC_PATH}\n`);
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
