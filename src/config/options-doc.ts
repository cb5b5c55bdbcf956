import { PROGRAM_NAME } from './cli';
import { CONFIG_SECTION } from './config-file';
import { ConfigErrorCode } from './errors';
import { LIST_SEPARATOR } from './option-types';
import { cliName, negatedFlag, OPTION_GROUPS, OPTION_LIST, OPTIONS, RESERVED_ENV_VARS, type OptionDefinition } from './options';
import { supportedUwsgiKeys, UWSGI_MEANINGLESS, UWSGI_SECTION } from './uwsgi-ini';

/**
 * Renders docs/options.md from the option table (`npm run docs` writes it; a test fails
 * when the committed file differs). Deterministic: nothing machine-dependent goes in.
 */

const DASH = '—';

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function code(text: string): string {
  return `\`${text}\``;
}

function flagCell(option: OptionDefinition): string {
  if (option.positional !== undefined) return `${code(cliName(option)!)} (argument)`;
  let names = option.short === undefined ? option.flag! : `${option.short}, ${option.flag!}`;
  if (option.negatable === true) names += `, ${negatedFlag(option.flag!)}`;
  return code(option.type.isFlag ? names : `${names} ${option.type.placeholder}`);
}

function defaultCell(option: OptionDefinition): string {
  if (option.presence === 'default') return code(option.type.format(option.default));
  return option.presence === 'required' ? 'required' : 'not set';
}

function optionRow(option: OptionDefinition): string {
  const cells = [
    flagCell(option),
    option.env === undefined ? DASH : code(option.env),
    option.configKey === undefined ? DASH : code(option.configKey),
    option.type.label,
    defaultCell(option),
    option.help,
  ];
  return `| ${cells.map(cell).join(' | ')} |`;
}

/** A config key of the table, looked up so the examples follow a rename. */
function key(option: { readonly configKey?: string }): string {
  return option.configKey!;
}

export function renderOptionsDoc(): string {
  const out: string[] = [];
  const line = (text = '') => out.push(text);

  line(`# ${PROGRAM_NAME} options`);
  line();
  line('<!-- Generated from src/config/options.ts by `npm run docs`. Do not edit: a test fails when this file is stale. -->');
  line();
  line(`Every option is declared once (src/config/options.ts) and can be given on the command line, in an`);
  line(`environment variable, or in a config file. \`${PROGRAM_NAME} --help\` lists them; \`${PROGRAM_NAME} --print-config\``);
  line('shows the value of each and where it came from.');
  line();

  line('## Precedence');
  line();
  line('From lowest to highest; for each option the highest source that gives it wins:');
  line();
  line('1. the default;');
  line(`2. the uWSGI ini file given by \`${OPTIONS.ini.flag}\` (its \`[${UWSGI_SECTION}]\` section);`);
  line(`3. the config file given by \`${OPTIONS.config.flag}\`;`);
  line('4. environment variables (`UWSGI_TS_*`);');
  line('5. the command line.');
  line();
  line('Rules:');
  line();
  line(`- The paths of the config files themselves come from the command line or the environment`);
  line(`  (\`${OPTIONS.config.flag}\` / \`${OPTIONS.config.env}\`, \`${OPTIONS.ini.flag}\` / \`${OPTIONS.ini.env}\`), never from a file.`);
  line('- A list option (such as `socket`) takes all its values from the winning source: a socket list on the');
  line('  command line replaces the one in a file. Within one source, values add up: repeat the flag or the');
  line(`  file key, or separate values with \`${LIST_SEPARATOR}\` (in an env var, a comma-separated list is the only way).`);
  line('- A single-value option given twice on the command line: the last one wins. Given twice in one file: an error.');
  line('- Every value from every source is validated, even one that a higher source overrides.');
  line('- Relative paths in a config file (the app, unix sockets) are relative to the current working');
  line('  directory, as in uWSGI, not to the file\'s directory. In a uWSGI ini file, `%d` expands to the');
  line("  file's directory (see below).");
  line('- An empty environment variable counts as not set.');
  line(`- An unknown \`UWSGI_TS_*\` environment variable is reported in a warning (the environment is shared`);
  line('  with other software); an unknown key in a config file is an error that names the key and the file.');
  const reserved = Object.keys(RESERVED_ENV_VARS).sort();
  if (reserved.length > 0) {
    line(`- Not options, but read elsewhere (so not reported): ${reserved.map((name) => `\`${name}\` (${RESERVED_ENV_VARS[name]})`).join(', ')}.`);
  }
  line();

  line('## Config file formats');
  line();
  line(`### INI (\`${OPTIONS.config.flag} app.ini\`)`);
  line();
  line(`Options go in a \`[${CONFIG_SECTION}]\` section, one \`key = value\` per line; other sections are ignored, so`);
  line(`the same file can also hold the \`[${UWSGI_SECTION}]\` section read by \`${OPTIONS.ini.flag}\`. Comments are whole lines starting`);
  line('with `;` or `#`. A value may be double-quoted (`"..."`, with `\\"` and `\\\\` escapes) to keep spaces; a comment');
  line('may follow the closing quote. A list key may be repeated.');
  line();
  line('```ini');
  line(`[${CONFIG_SECTION}]`);
  line(`${key(OPTIONS.app)} = app.js`);
  line(`${key(OPTIONS.socket)} = /run/app/app.sock`);
  line(`${key(OPTIONS.socket)} = 127.0.0.1:3031`);
  line(`${key(OPTIONS.chmodSocket)} = 660`);
  line(`${key(OPTIONS.workers)} = auto`);
  line('```');
  line();
  line(`### JSON (\`${OPTIONS.config.flag} app.json\`)`);
  line();
  line('A file named `*.json`, or whose text starts with `{`, is one JSON object of config key → value. Lists are');
  line('arrays (or comma-separated strings); numbers and booleans may be JSON numbers and booleans. A file mode');
  line('written as a JSON number is read as octal digits (`660` is `0660`).');
  line();
  line('```json');
  line('{');
  line(`  "${key(OPTIONS.app)}": "app.js",`);
  line(`  "${key(OPTIONS.socket)}": ["/run/app/app.sock", "127.0.0.1:3031"],`);
  line(`  "${key(OPTIONS.chmodSocket)}": "660",`);
  line(`  "${key(OPTIONS.workers)}": 4`);
  line('}');
  line('```');
  line();
  line(`### uWSGI ini (\`${OPTIONS.ini.flag} uwsgi.ini\`)`);
  line();
  line(`Reads the \`[${UWSGI_SECTION}]\` section of an existing uWSGI ini file, so a uWSGI deployment moves over with its`);
  line('file. uWSGI option names may use `_` for `-`. A bare key (no `= value`) means `true`. These uWSGI keys are');
  line('supported:');
  line();
  line('| uWSGI key | uwsgi-ts config key | note |');
  line('| --- | --- | --- |');
  for (const { key: uwsgiKey, option } of supportedUwsgiKeys()) {
    const notes: string[] = [];
    if (option.uwsgiBareValue !== undefined) notes.push(`a bare \`${uwsgiKey}\` means \`${option.uwsgiBareValue}\``);
    if (option.fromUwsgi !== undefined) notes.push(option.fromUwsgi.note);
    const note = notes.join('; ');
    line(`| ${cell(code(uwsgiKey))} | ${cell(code(option.configKey!))} | ${cell(note)} |`);
  }
  line();
  line('Every other key is ignored with a warning that names it, for example');
  line("`ignoring uWSGI option 'cheaper' at /etc/uwsgi.ini:9 (not supported by uwsgi-ts)`. These common uWSGI");
  line('keys have no meaning here, and the warning says why:');
  line();
  line('| uWSGI key | why it is ignored |');
  line('| --- | --- |');
  for (const uwsgiKey of Object.keys(UWSGI_MEANINGLESS).sort()) {
    line(`| ${cell(code(uwsgiKey))} | ${cell(UWSGI_MEANINGLESS[uwsgiKey]!)} |`);
  }
  line();
  line('A key that only serves as a variable (used elsewhere as `%(name)`) is not warned about. Placeholders in');
  line('values are expanded as uWSGI does:');
  line();
  line('| placeholder | expands to |');
  line('| --- | --- |');
  line("| `%d` | the file's directory, with a trailing `/` |");
  line("| `%p` | the file's absolute path |");
  line("| `%s` | the file's name |");
  line("| `%n` | the file's name without its extension |");
  line("| `%e` | the file's extension |");
  line("| `%c` | the name of the file's directory |");
  line('| `%v` | the current working directory |');
  line('| `%%` | a `%` |');
  line('| `%(name)` | the value of the key `name` set earlier in the section |');
  line('| `$(VAR)` | the environment variable `VAR` (empty, with a warning, when not set) |');
  line();
  line('Any other uWSGI magic (`%k`, `%h`, `@(file)`, …) is an error rather than a half-expanded value.');
  line();

  line('## Value types');
  line();
  line('| type | accepted values |');
  line('| --- | --- |');
  const seen = new Set<string>();
  for (const option of OPTION_LIST) {
    if (seen.has(option.type.label)) continue;
    seen.add(option.type.label);
    line(`| ${cell(option.type.label)} | ${cell(option.type.expected)} |`);
  }
  line();

  line('## Options');
  line();
  for (const group of OPTION_GROUPS) {
    const options = OPTION_LIST.filter((option) => option.group === group);
    line(`### ${group}`);
    line();
    line('| flag | env var | config key | type | default | description |');
    line('| --- | --- | --- | --- | --- | --- |');
    for (const option of options) line(optionRow(option));
    line();
    if (group === 'Meta') {
      line('Also `-h, --help` (print the help and exit) and `-V, --version` (print the version and exit).');
      line();
    }
  }

  line('## Errors');
  line();
  line('A bad command line, environment variable or config file stops uwsgi-ts before it starts anything, with');
  line(`exit code 2 and one message on stderr that names the option as written (flag, variable, or key with`);
  line('file and line) and what it accepts. Each message ends with a stable code:');
  line();
  line('| code | meaning |');
  line('| --- | --- |');
  const meanings: Record<string, string> = {
    [ConfigErrorCode.INVALID_VALUE]: 'a value does not parse or is out of range',
    [ConfigErrorCode.UNKNOWN_KEY]: 'a config file has a key that no option has',
    [ConfigErrorCode.MISSING]: 'the app or a socket was given by no source',
    [ConfigErrorCode.FILE_UNREADABLE]: 'a config file cannot be read',
    [ConfigErrorCode.FILE_SYNTAX]: 'a config file is not valid INI/JSON or lacks its section',
    [ConfigErrorCode.USAGE]: 'a bad command line: unknown option, missing value, extra argument',
  };
  for (const errorCode of Object.values(ConfigErrorCode)) line(`| ${code(errorCode)} | ${meanings[errorCode]} |`);
  return out.join('\n') + '\n';
}
