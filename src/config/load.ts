import { isAbsolute, resolve } from 'node:path';
import { parseCommandLine, PROGRAM_NAME } from './cli';
import { readConfigFile } from './config-file';
import { ConfigError, ConfigErrorCode } from './errors';
import { cliName, OPTION_LIST, RESERVED_ENV_VARS, type Config, type OptionDefinition, type OptionName } from './options';
import { sourceOf, type Source, type ValueOrigin } from './origin';
import type { RawSetting } from './setting';
import { closestMatch } from './suggest';
import { readUwsgiIni } from './uwsgi-ini';
import { parseActivation } from '../supervisor/systemd-activation';

/**
 * Resolves the configuration from its four sources, lowest precedence first:
 *
 *   default < file (--ini's [uwsgi] section, then --config) < env (UWSGI_TS_*) < command line
 *
 * Per option, the highest source that gives it wins, whole (a higher source's socket list
 * replaces a lower one's; within one source, list occurrences add up). Every value of every
 * source is validated, even one a higher source overrides. The --config/--ini paths come
 * from the command line or the environment, and are stored resolved against `cwd`; other
 * paths (app, unix sockets) are kept as written: relative to the working directory, as in
 * uWSGI, not to the file that names them.
 */
export interface ResolvedConfig {
  readonly config: Config;
  /** Where each value came from: `default`, `cli --workers`, `env UWSGI_TS_WORKERS`, `file /etc/app.ini`. */
  readonly sources: Record<keyof Config, Source>;
  /** Operator-facing messages: ignored uWSGI options, unknown UWSGI_TS_* env vars. */
  readonly warnings: string[];
}

/** Thrown by resolveConfig when argv asks for --help or --version: print `output`, exit 0. */
export class InfoRequested extends Error {
  override readonly name = 'InfoRequested';
  constructor(
    readonly kind: 'help' | 'version',
    readonly output: string,
  ) {
    super(`${kind} requested`);
  }
}

/** Prefix of our environment variables; other UWSGI_TS_* names are reported as unknown. */
export const ENV_PREFIX = 'UWSGI_TS_';

type LayerKind = 'file' | 'env' | 'cli';
interface Layer {
  readonly kind: LayerKind;
  readonly settings: readonly RawSetting[];
}

/** Settings from the environment; unknown UWSGI_TS_* names become warnings (env is shared, so not errors). */
export function settingsFromEnv(env: NodeJS.ProcessEnv, warnings: string[]): RawSetting[] {
  const settings: RawSetting[] = [];
  const known = OPTION_LIST.filter((option) => option.env !== undefined);
  for (const option of known) {
    const text = env[option.env!];
    // An empty variable counts as unset (systemd's `Environment=NAME=` clears one that way).
    if (text === undefined || text === '') continue;
    settings.push({ name: option.name, origin: { kind: 'env', name: option.env! }, text });
  }
  const names: string[] = known.map((option) => option.env!);
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith(ENV_PREFIX) || names.includes(name) || name in RESERVED_ENV_VARS) continue;
    // Compare without the shared prefix, or every name would look close to every other.
    const hint = closestMatch(name.slice(ENV_PREFIX.length), names.map((known) => known.slice(ENV_PREFIX.length)));
    warnings.push(`ignoring unknown environment variable ${name}${hint === undefined ? '' : ` (did you mean ${ENV_PREFIX}${hint}?)`}`);
  }
  return settings;
}

function parseSetting(option: OptionDefinition, setting: RawSetting): unknown {
  return 'text' in setting ? option.type.parse(setting.text, setting.origin) : option.type.parseJson(setting.json, setting.origin);
}

function lineOf(origin: ValueOrigin): string {
  return origin.kind === 'file' && origin.line !== undefined ? String(origin.line) : '?';
}

interface Resolution {
  readonly values: Partial<Record<OptionName, unknown>>;
  readonly sources: Record<OptionName, Source>;
}

function resolveLayers(layers: readonly Layer[]): Resolution {
  const values: Partial<Record<OptionName, unknown>> = {};
  const sources = {} as Record<OptionName, Source>;
  for (const option of OPTION_LIST) {
    let value: unknown = option.presence === 'default' ? option.default : undefined;
    let source: Source = 'default';
    for (const layer of layers) {
      const mine = layer.settings.filter((setting) => setting.name === option.name);
      if (mine.length === 0) continue;
      const combine = option.type.combine;
      if (combine === undefined && layer.kind === 'file' && mine.length > 1) {
        const first = mine[0]!.origin;
        const file = first.kind === 'file' ? first.path : '?';
        throw new ConfigError(
          ConfigErrorCode.INVALID_VALUE,
          `'${option.configKey}' is set ${mine.length} times in ${file} (lines ${mine.map((s) => lineOf(s.origin)).join(', ')}); ` +
            'it takes one value',
        );
      }
      // Parse every occurrence (an overridden value must be valid too); lists add up, scalars: last wins.
      const parsed = mine.map((setting) => parseSetting(option, setting));
      value = combine === undefined ? parsed[parsed.length - 1] : parsed.reduce((a, b) => combine.call(option.type, a, b));
      source = sourceOf(mine[mine.length - 1]!.origin);
    }
    values[option.name] = value;
    sources[option.name] = source;
  }
  return { values, sources };
}

function waysToSet(option: OptionDefinition): string {
  const ways: string[] = [];
  if (option.positional !== undefined) ways.push(`pass it as the ${cliName(option)} argument (${PROGRAM_NAME} [options] ${cliName(option)})`);
  else if (option.flag !== undefined) ways.push(`use ${option.short === undefined ? option.flag : `${option.flag} (${option.short})`}`);
  if (option.env !== undefined) ways.push(`set ${option.env}`);
  if (option.configKey !== undefined) ways.push(`set '${option.configKey}' in a config file`);
  if (option.uwsgiKey !== undefined) ways.push(`'${option.uwsgiKey}' in a uWSGI ini`);
  return ways.length <= 1 ? ways.join('') : `${ways.slice(0, -1).join(', ')} or ${ways[ways.length - 1]}`;
}

function checkRequired(values: Partial<Record<OptionName, unknown>>): void {
  const missing = OPTION_LIST.filter((option) => option.presence === 'required' && values[option.name] === undefined);
  if (missing.length === 0) return;
  const message = missing.map((option) => `no ${option.configKey ?? option.name} given: ${waysToSet(option)}`).join('; ');
  throw new ConfigError(ConfigErrorCode.MISSING, message);
}

/** Resolves from already-split command-line settings (see parseCommandLine). */
export function resolveSettings(
  cliSettings: readonly RawSetting[],
  env: NodeJS.ProcessEnv,
  cwd: string,
  /** The process systemd's LISTEN_PID must name for its sockets to count as given. */
  pid: number = process.pid,
): ResolvedConfig {
  const warnings: string[] = [];
  const envLayer: Layer = { kind: 'env', settings: settingsFromEnv(env, warnings) };
  const cliLayer: Layer = { kind: 'cli', settings: cliSettings };

  // The file paths themselves come from the environment or the command line only.
  const located = resolveLayers([envLayer, cliLayer]);
  const fileLayers: Layer[] = [];
  const fileWarnings: string[] = [];
  const locate = (name: 'ini' | 'config'): { file: string; via: ValueOrigin } | undefined => {
    const given = located.values[name] as string | undefined;
    if (given === undefined) return undefined;
    const winner = [...cliLayer.settings, ...envLayer.settings].reverse().find((setting) => setting.name === name);
    const via: ValueOrigin = winner?.origin ?? { kind: 'default' };
    return { file: isAbsolute(given) ? given : resolve(cwd, given), via };
  };
  const ini = locate('ini');
  if (ini !== undefined) {
    const result = readUwsgiIni(ini.file, ini.via, env, cwd);
    fileLayers.push({ kind: 'file', settings: result.settings });
    fileWarnings.push(...result.warnings);
  }
  const config = locate('config');
  if (config !== undefined) fileLayers.push({ kind: 'file', settings: readConfigFile(config.file, config.via) });

  const { values, sources } = resolveLayers([...fileLayers, envLayer, cliLayer]);
  if (ini !== undefined) values.ini = ini.file;
  if (config !== undefined) values.config = config.file;
  const activation = parseActivation(env, pid);
  if (values.socket === undefined && activation.ok && activation.sockets.length > 0) {
    // systemd socket activation brings the sockets (the master serves every activated one);
    // named as fd://N so that --print-config shows what will be served.
    values.socket = activation.sockets.map((socket) => ({ kind: 'fd', fd: socket.fd }));
    sources.socket = 'env LISTEN_FDS';
  }
  checkRequired(values);
  return { config: values as unknown as Config, sources, warnings: [...fileWarnings, ...warnings] };
}

/**
 * The configuration from argv (without node and the script), the environment and the
 * working directory. Throws ConfigError for any bad input, InfoRequested for --help/--version.
 */
export function resolveConfig(argv: string[], env: NodeJS.ProcessEnv, cwd: string): ResolvedConfig {
  const commandLine = parseCommandLine(argv);
  if (commandLine.kind !== 'run') throw new InfoRequested(commandLine.kind, commandLine.output);
  return resolveSettings(commandLine.settings, env, cwd);
}
