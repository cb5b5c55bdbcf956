import type { OptionName } from './options';
import type { ValueOrigin } from './origin';

/**
 * One value for one option as a source gave it, before parsing: text (command line, env
 * var, INI value) or a JSON value (JSON config file). load.ts parses it with the option's
 * type; the origin names it in errors and --print-config.
 */
export type RawSetting =
  | { readonly name: OptionName; readonly origin: ValueOrigin; readonly text: string }
  | { readonly name: OptionName; readonly origin: ValueOrigin; readonly json: unknown };
