import { ExitCode } from '../exit-codes';

/**
 * Stable error codes of configuration problems. They are public API (scripts and tests
 * match on them, docs/options.md lists them): never rename one.
 */
export const ConfigErrorCode = {
  /** A value does not parse or is out of range (the message names the option and the allowed values). */
  INVALID_VALUE: 'UWSGI_TS_CONFIG_INVALID_VALUE',
  /** A config file holds a key that no option has (the message names the key and the file). */
  UNKNOWN_KEY: 'UWSGI_TS_CONFIG_UNKNOWN_KEY',
  /** A required value (the app, a socket) was given by no source. */
  MISSING: 'UWSGI_TS_CONFIG_MISSING',
  /** A config file named by --config/--ini (or their env vars) cannot be read. */
  FILE_UNREADABLE: 'UWSGI_TS_CONFIG_FILE_UNREADABLE',
  /** A config file is not valid INI/JSON, or lacks the section it must have. */
  FILE_SYNTAX: 'UWSGI_TS_CONFIG_FILE_SYNTAX',
  /** A bad command line: unknown option, missing option value, too many arguments. */
  USAGE: 'UWSGI_TS_CONFIG_USAGE',
} as const;

export type ConfigErrorCodeValue = (typeof ConfigErrorCode)[keyof typeof ConfigErrorCode];

/**
 * A problem with the command line, the environment or a config file: the operator's to
 * fix, never a bug. The message is one operator-facing sentence that names the option as
 * the operator wrote it (flag, env var, or file key with the file path). The process exits
 * with ExitCode.USAGE.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly exitCode = ExitCode.USAGE;

  constructor(
    readonly code: ConfigErrorCodeValue,
    message: string,
  ) {
    super(message);
  }
}

export function isConfigError(value: unknown): value is ConfigError {
  return value instanceof ConfigError;
}
