import { ExitCode, type ExitCodeValue } from '../exit-codes';
import { parseCommandLine, PROGRAM_NAME } from './cli';
import { ConfigError } from './errors';
import { resolveSettings, type ResolvedConfig } from './load';
import { renderPrintConfig } from './print-config';

/**
 * What `uwsgi-ts ...` does with its configuration, as data (no process access), so bin/
 * stays a few lines and every outcome is testable: run, or print something and exit.
 */
export type StartupOutcome =
  | ({ readonly action: 'run' } & ResolvedConfig)
  | {
      readonly action: 'exit';
      readonly exitCode: ExitCodeValue;
      readonly stdout: string;
      readonly stderr: string;
    };

/** One stderr line per warning, for the exits that happen before a logger runs. */
export function formatWarnings(warnings: readonly string[]): string {
  return warnings.map((warning) => `${PROGRAM_NAME}: warning: ${warning}\n`).join('');
}

/** The stderr text of a ConfigError: the message and its stable code. */
export function formatConfigError(error: ConfigError): string {
  return `${PROGRAM_NAME}: error: ${error.message} [${error.code}]\n`;
}

/**
 * --help / --version: print and exit 0. A bad command line, env var or file: message on
 * stderr, exit 2 (ExitCode.USAGE). --print-config: the table of values and sources, exit 0.
 * Otherwise run with the config; the caller logs the warnings.
 */
export function loadConfig(argv: string[], env: NodeJS.ProcessEnv, cwd: string): StartupOutcome {
  try {
    const commandLine = parseCommandLine(argv);
    if (commandLine.kind !== 'run') return { action: 'exit', exitCode: ExitCode.OK, stdout: commandLine.output, stderr: '' };
    const resolved = resolveSettings(commandLine.settings, env, cwd);
    if (resolved.config.printConfig) {
      return { action: 'exit', exitCode: ExitCode.OK, stdout: renderPrintConfig(resolved), stderr: formatWarnings(resolved.warnings) };
    }
    return { action: 'run', ...resolved };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return { action: 'exit', exitCode: error.exitCode, stdout: '', stderr: formatConfigError(error) };
  }
}
