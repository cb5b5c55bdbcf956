import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { ConfigError, ConfigErrorCode } from './errors';
import { negatedFlag, OPTION_GROUPS, OPTION_LIST, type OptionDefinition } from './options';
import type { ValueOrigin } from './origin';
import type { RawSetting } from './setting';

/**
 * The command line, generated from the option table: one commander option per entry with
 * a flag, the positional <app>, --help and --version. Commander only splits argv; values
 * are validated by load.ts like values from every other source, so a value is accepted or
 * refused the same way on the command line, in the environment and in a file.
 */
export const PROGRAM_NAME = 'uwsgi-ts';

/** The package root: this file is dist/src/config/cli.js (or src/config/cli.ts), three levels below it. */
export const PACKAGE_ROOT = resolve(__dirname, '..', '..', '..');

/** The version in package.json, read at run time (package.json is outside rootDir, so not imported). */
export function readPackageVersion(root: string = PACKAGE_ROOT): string {
  const pkg = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as { version?: unknown };
  return typeof pkg.version === 'string' ? pkg.version : 'unknown';
}

export type CommandLine =
  /** Options to run with (or to print with --print-config), in argv order per option. */
  | { readonly kind: 'run'; readonly settings: RawSetting[] }
  /** --help or --version was given: print `output` to stdout and exit 0. */
  | { readonly kind: 'help' | 'version'; readonly output: string };

/** The help-text suffix of an option: its default (or that it is required) and its env var. */
export function helpSuffix(option: OptionDefinition): string {
  const parts: string[] = [];
  if (option.presence === 'default') {
    if (!option.type.isFlag) parts.push(`default: ${option.type.format(option.default)}`);
  } else if (option.presence === 'required') {
    parts.push('required');
  }
  if (option.env !== undefined) parts.push(`env: ${option.env}`);
  return parts.length === 0 ? '' : ` (${parts.join('; ')})`;
}

function optionFlags(option: OptionDefinition): string {
  const names = option.short === undefined ? option.flag! : `${option.short}, ${option.flag!}`;
  return option.type.isFlag ? names : `${names} ${option.type.placeholder}`;
}

const AFTER_HELP = `
Every option can also come from an environment variable or a config file key.
Precedence: default < --ini file < --config file < environment < command line.
Reference: docs/options.md (or \`${PROGRAM_NAME} --print-config\` to see the result).`;

interface Captured {
  out: string;
  err: string;
}

/** Builds a fresh commander program (commander keeps parse state, so one per parse). */
export function buildProgram(version: string = readPackageVersion(), captured: Captured = { out: '', err: '' }): Command {
  const program = new Command(PROGRAM_NAME)
    .description("Serve a Node.js app to nginx's uwsgi_pass: a master process and a pool of worker processes.")
    .exitOverride()
    .configureOutput({
      writeOut: (text) => (captured.out += text),
      writeErr: (text) => (captured.err += text),
    })
    .helpOption('-h, --help', 'Show this help and exit.')
    .version(version, '-V, --version', 'Print the version and exit.')
    .showSuggestionAfterError(true)
    .allowExcessArguments(false);

  for (const group of OPTION_GROUPS) {
    for (const option of OPTION_LIST) {
      if (option.group !== group) continue;
      if (option.positional !== undefined) {
        program.argument(`[${option.positional}]`, option.help + helpSuffix(option));
        continue;
      }
      if (option.flag === undefined) continue;
      const commanderOption = new Option(optionFlags(option), option.help + helpSuffix(option)).helpGroup(`${group}:`);
      // Keep every occurrence as text: load.ts parses them (lists concatenate, scalars: last wins).
      if (!option.type.isFlag) commanderOption.argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]);
      program.addOption(commanderOption);
      if (option.negatable === true) {
        program.addOption(new Option(negatedFlag(option.flag), `Turn off ${option.flag}.`).helpGroup(`${group}:`));
      }
    }
  }
  program.addHelpText('after', AFTER_HELP);
  return program;
}

/** The --help text, as `uwsgi-ts --help` prints it. */
export function renderHelp(version?: string): string {
  const help = parseCommandLine(['--help'], version);
  return help.kind === 'help' ? help.output : '';
}

function usageError(error: CommanderError): ConfigError {
  const message = error.message.replace(/^error: /, '').replace(/\n\(Did you mean (.*)\?\)$/, ' (did you mean $1?)');
  return new ConfigError(ConfigErrorCode.USAGE, `${message.replace(/\n/g, ' ')}; see ${PROGRAM_NAME} --help`);
}

/** Splits argv (without node and the script) into raw settings; ConfigError (USAGE) for a bad command line. */
export function parseCommandLine(argv: readonly string[], version?: string): CommandLine {
  const captured: Captured = { out: '', err: '' };
  const program = buildProgram(version, captured);
  try {
    program.parse([...argv], { from: 'user' });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.help') return { kind: 'help', output: captured.out };
    if (error.code === 'commander.version') return { kind: 'version', output: captured.out };
    throw usageError(error);
  }

  const values = program.opts<Record<string, string[] | boolean | undefined>>();
  const settings: RawSetting[] = [];
  for (const option of OPTION_LIST) {
    if (option.positional !== undefined) {
      const text = program.args[0];
      if (text !== undefined) settings.push({ name: option.name, origin: { kind: 'cli', flag: `<${option.positional}>` }, text });
      continue;
    }
    if (option.flag === undefined) continue;
    const attribute = new Option(option.flag).attributeName();
    const value = values[attribute] as string[] | boolean | undefined;
    if (value === undefined) continue;
    // commander stores --no-<flag> as false under the same attribute (the last of the two wins).
    const origin: ValueOrigin = { kind: 'cli', flag: value === false ? negatedFlag(option.flag) : option.flag };
    const texts = value === true ? ['true'] : value === false ? ['false'] : value;
    for (const text of texts) settings.push({ name: option.name, origin, text });
  }
  return { kind: 'run', settings };
}
