import { readFileSync } from 'node:fs';
import { ConfigError, ConfigErrorCode } from './errors';
import { describeOrigin, type ValueOrigin } from './origin';

/** Reads a config file named by an option; `via` (e.g. --config) is named when it cannot be read. */
export function readConfigText(file: string, via: ValueOrigin): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EACCES'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'it is a directory'
            : ((error as Error).message ?? String(error));
    throw new ConfigError(
      ConfigErrorCode.FILE_UNREADABLE,
      `cannot read config file ${file} (given by ${describeOrigin(via)}): ${reason}`,
    );
  }
}
