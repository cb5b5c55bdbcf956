import { extname } from 'node:path';
import { ConfigError, ConfigErrorCode } from './errors';
import { parseIni, sectionEntries } from './ini';
import { cliName, normalizeUwsgiKey, OPTION_LIST, uwsgiNames, type OptionDefinition } from './options';
import type { ValueOrigin } from './origin';
import { readConfigText } from './read-file';
import type { RawSetting } from './setting';
import { didYouMean } from './suggest';

/**
 * The uwsgi-ts config file given by --config / UWSGI_TS_CONFIG: either INI whose options
 * sit in a [uwsgi-ts] section (other sections are ignored, so one file can also hold the
 * [uwsgi] section of --ini), or JSON: one object of config key → value. Keys are the
 * table's configKey; an unknown key is an error that names it and the file.
 */
export const CONFIG_SECTION = 'uwsgi-ts';

const FILE_OPTIONS = OPTION_LIST.filter((option) => option.configKey !== undefined);

/** The option a config-file key sets, or a ConfigError (UNKNOWN_KEY) that explains the key. */
function optionForKey(key: string, where: string): OptionDefinition {
  const option = FILE_OPTIONS.find((candidate) => candidate.configKey === key);
  if (option !== undefined) return option;

  const notInFiles = OPTION_LIST.find(
    (candidate) => candidate.configKey === undefined && (candidate.flag === `--${key}` || candidate.name === key),
  );
  if (notInFiles !== undefined) {
    const ways = [cliName(notInFiles), notInFiles.env].filter((way) => way !== undefined).join(' or ');
    throw new ConfigError(
      ConfigErrorCode.UNKNOWN_KEY,
      `key '${key}' in ${where} cannot be set in a config file; use ${ways}`,
    );
  }
  const uwsgiMatch = FILE_OPTIONS.find((candidate) => uwsgiNames(candidate).includes(normalizeUwsgiKey(key)));
  if (uwsgiMatch !== undefined) {
    throw new ConfigError(
      ConfigErrorCode.UNKNOWN_KEY,
      `unknown key '${key}' in ${where}: '${key}' is the uWSGI name of '${uwsgiMatch.configKey}' ` +
        `(uWSGI keys belong in a [uwsgi] section read with --ini)`,
    );
  }
  const known = FILE_OPTIONS.map((candidate) => candidate.configKey!);
  throw new ConfigError(
    ConfigErrorCode.UNKNOWN_KEY,
    `unknown key '${key}' in ${where}${didYouMean(key, known)}; known keys: ${known.join(', ')}`,
  );
}

function syntaxError(message: string): ConfigError {
  return new ConfigError(ConfigErrorCode.FILE_SYNTAX, message);
}

function lineAndColumn(text: string, position: number): string {
  const before = text.slice(0, position).split('\n');
  return `${before.length}:${before[before.length - 1]!.length + 1}`;
}

function parseJsonConfig(text: string, file: string): RawSetting[] {
  let data: unknown;
  try {
    data = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    const message = (error as Error).message;
    const position = /position (\d+)/.exec(message);
    const where = position ? `${file}:${lineAndColumn(text, Number(position[1]))}` : file;
    throw syntaxError(`${where}: invalid JSON: ${message.replace(/ in JSON at position \d+.*$/s, '')}`);
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw syntaxError(`${file}: a JSON config file must hold one object of config keys, such as {"workers": 4}`);
  }
  return Object.entries(data).map(([key, json]) => {
    const option = optionForKey(key, file);
    const origin: ValueOrigin = { kind: 'file', path: file, key, format: 'json' };
    return { name: option.name, origin, json };
  });
}

function parseIniConfig(text: string, file: string): RawSetting[] {
  const doc = parseIni(text, file);
  const leading = doc.sections.find((section) => section.name === '');
  if (leading !== undefined && leading.entries.length > 0) {
    const entry = leading.entries[0]!;
    throw syntaxError(`${file}:${entry.line}: '${entry.key}' is outside any section; put options under [${CONFIG_SECTION}]`);
  }
  const entries = sectionEntries(doc, CONFIG_SECTION);
  if (entries === undefined) {
    const hint = sectionEntries(doc, 'uwsgi') !== undefined ? ' (it has a [uwsgi] section: read uWSGI ini files with --ini)' : '';
    throw syntaxError(`${file}: no [${CONFIG_SECTION}] section${hint}`);
  }
  return entries.map((entry) => {
    const where = `${file}:${entry.line}`;
    const option = optionForKey(entry.key, where);
    const origin: ValueOrigin = { kind: 'file', path: file, key: entry.key, line: entry.line, format: 'ini' };
    if (entry.bare && !option.type.isFlag) {
      throw new ConfigError(
        ConfigErrorCode.INVALID_VALUE,
        `missing value for '${entry.key}' in ${where}: write ${entry.key} = VALUE (expected ${option.type.expected})`,
      );
    }
    return { name: option.name, origin, text: entry.value };
  });
}

/** True when the file is read as JSON: a .json name, or text that starts with `{`. */
export function isJsonConfig(file: string, text: string): boolean {
  return extname(file).toLowerCase() === '.json' || text.replace(/^\uFEFF/, '').trimStart().startsWith('{');
}

/** Parses config-file text (`file` is its absolute path, for messages and sources). */
export function parseConfigFile(text: string, file: string): RawSetting[] {
  return isJsonConfig(file, text) ? parseJsonConfig(text, file) : parseIniConfig(text, file);
}

/** Reads and parses the config file `file`, named by `via` (--config or UWSGI_TS_CONFIG). */
export function readConfigFile(file: string, via: ValueOrigin): RawSetting[] {
  return parseConfigFile(readConfigText(file, via), file);
}
