/** The configuration layer: the option table and everything derived from it. */
export { ConfigError, ConfigErrorCode, isConfigError, type ConfigErrorCodeValue } from './errors';
export {
  OPTIONS,
  OPTION_LIST,
  OPTION_GROUPS,
  RESERVED_ENV_VARS,
  type Config,
  type OptionName,
  type OptionDefinition,
  type OptionGroup,
  type OptionSpec,
} from './options';
export type { OptionType } from './option-types';
export { formatSocketAddress, parseSocketAddress, type SocketAddress } from './socket-address';
export { sourceOf, describeOrigin, type Source, type ValueOrigin } from './origin';
export { parseIni, type IniDocument, type IniEntry, type IniSection } from './ini';
export { parseUwsgiIni, UWSGI_MEANINGLESS, type UwsgiIniResult } from './uwsgi-ini';
export { resolveConfig, InfoRequested, type ResolvedConfig } from './load';
export { parseCommandLine, renderHelp, readPackageVersion, PROGRAM_NAME, type CommandLine } from './cli';
export { renderPrintConfig } from './print-config';
export { renderOptionsDoc } from './options-doc';
export { loadConfig, formatConfigError, formatWarnings, type StartupOutcome } from './startup';
