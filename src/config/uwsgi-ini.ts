import { basename, dirname, extname } from 'node:path';
import { ConfigError, ConfigErrorCode } from './errors';
import { parseIni, sectionEntries, type IniEntry } from './ini';
import { invalidValue } from './option-types';
import { normalizeUwsgiKey, OPTION_LIST, uwsgiNames, type OptionDefinition } from './options';
import type { ValueOrigin } from './origin';
import { readConfigText } from './read-file';
import type { RawSetting } from './setting';

/**
 * Reads the [uwsgi] section of a uWSGI ini file (--ini) so that an existing uWSGI
 * deployment moves over with its file. Keys map to ours through the option table's
 * uwsgiKey/uwsgiAliases (uWSGI accepts `_` for `-`: chmod_socket = chmod-socket). Every
 * other uWSGI key is named in a warning, with the reason when we know why it has no
 * meaning here; nothing is dropped silently.
 *
 * uWSGI placeholders in values are expanded as uWSGI does: %d (directory of the file, with
 * a trailing /), %p (its absolute path), %s (its file name), %n (file name without
 * extension), %e (extension), %c (name of its directory), %v (working directory), %%
 * (a %), %(name) (the value of an earlier key `name`: uWSGI lets any key be a variable),
 * $(VAR) (environment variable). Other uWSGI magic (%k, @(file), …) is an error, so a
 * value is never used half-expanded.
 */
export const UWSGI_SECTION = 'uwsgi';

const PYTHON_APP = "a Python WSGI entry point; give the Node app as the positional argument or the 'app' key";
const PYTHON_ONLY = 'a Python interpreter setting';
const HTTP = 'uwsgi-ts speaks only the uwsgi protocol (nginx uwsgi_pass); use socket';
const ALWAYS_LAZY = 'uwsgi-ts workers always load the app themselves (the master never loads it)';

/** uWSGI options that have no meaning for uwsgi-ts, with the reason the warning gives. */
export const UWSGI_MEANINGLESS: Readonly<Record<string, string>> = {
  master: 'uwsgi-ts always runs a master process',
  'die-on-term': 'uwsgi-ts always stops gracefully on SIGTERM',
  module: PYTHON_APP,
  wsgi: PYTHON_APP,
  'wsgi-file': PYTHON_APP,
  file: PYTHON_APP,
  callable: PYTHON_APP,
  mount: PYTHON_APP,
  plugin: 'uwsgi-ts has no plugins: Node support is built in',
  plugins: 'uwsgi-ts has no plugins: Node support is built in',
  virtualenv: PYTHON_ONLY,
  venv: PYTHON_ONLY,
  home: PYTHON_ONLY,
  pyhome: PYTHON_ONLY,
  pythonpath: PYTHON_ONLY,
  'python-path': PYTHON_ONLY,
  'py-autoreload': PYTHON_ONLY,
  'single-interpreter': PYTHON_ONLY,
  'enable-threads': 'a Python GIL setting; Node workers need none',
  threads: "Python threads; each uwsgi-ts worker serves concurrent requests on its event loop",
  'lazy-apps': ALWAYS_LAZY,
  lazy: ALWAYS_LAZY,
  http: HTTP,
  'http-socket': HTTP,
  https: HTTP,
  'https-socket': HTTP,
  strict: 'uwsgi-ts always rejects unknown keys in its own config and names unsupported uWSGI keys in warnings',
  'need-app': 'uwsgi-ts always stops when the app cannot be loaded (exit code 3 or 4)',
  'harakiri-verbose': 'uwsgi-ts always logs the request, and for a blocked worker its JS stack, on a harakiri',
  'post-buffering': 'request bodies are streamed to the app as they arrive, never buffered first',
  stats: "uWSGI's stats server; uwsgi-ts serves /stats (JSON) and /metrics (Prometheus) over HTTP with --metrics",
  'memory-report': "each worker's RSS is in /stats and /metrics (--metrics)",
};

/** Every uWSGI key the table maps (normalized), with its option, for docs/options.md. */
export function supportedUwsgiKeys(): { key: string; option: OptionDefinition }[] {
  return OPTION_LIST.flatMap((option) => uwsgiNames(option).map((key) => ({ key, option })));
}

export interface UwsgiIniResult {
  /** Values for our options, in file order. */
  readonly settings: RawSetting[];
  /** One message per ignored uWSGI option (and per unset $(VAR)). */
  readonly warnings: string[];
}

interface ExpandContext {
  readonly file: string;
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  readonly variables: ReadonlyMap<string, string>;
  /** Keys whose own value could not be expanded: using them as %(name) rethrows the reason. */
  readonly failed: ReadonlyMap<string, ConfigError>;
  readonly warnings: string[];
}

function magicVariables(file: string, cwd: string): Record<string, string> {
  const dir = dirname(file);
  const name = basename(file);
  const ext = extname(name);
  return {
    d: dir.endsWith('/') ? dir : `${dir}/`,
    p: file,
    s: name,
    n: ext === '' ? name : name.slice(0, -ext.length),
    e: ext.replace(/^\./, ''),
    c: basename(dir),
    v: cwd,
    '%': '%',
  };
}

/** Expands the uWSGI placeholders of one value; throws ConfigError for unsupported ones. */
function expand(entry: IniEntry, context: ExpandContext): string {
  const where = `${context.file}:${entry.line}`;
  const unsupported = (what: string, why: string) =>
    new ConfigError(ConfigErrorCode.INVALID_VALUE, `${what} in '${entry.key}' at ${where} ${why}`);
  const magic = magicVariables(context.file, context.cwd);
  return entry.value.replace(/%\(([^)]*)\)|%(.)|\$\(([^)]*)\)|@\(([^)]*)\)/g, (match, ref, letter, envName, include) => {
    if (ref !== undefined) {
      const failure = context.failed.get(ref);
      if (failure !== undefined) throw failure;
      const value = context.variables.get(ref);
      if (value === undefined) throw unsupported(`placeholder %(${ref})`, 'names no key set earlier in [uwsgi]');
      return value;
    }
    if (letter !== undefined) {
      const value = magic[letter];
      if (value !== undefined) return value;
      if (/[A-Za-z0-9]/.test(letter)) throw unsupported(`uWSGI magic variable %${letter}`, 'is not supported by uwsgi-ts');
      return match;
    }
    if (envName !== undefined) {
      const value = context.env[envName];
      if (value === undefined) {
        context.warnings.push(`environment variable ${envName} used in '${entry.key}' at ${where} is not set; using an empty string`);
        return '';
      }
      return value;
    }
    throw unsupported(`@(${include})`, 'is not supported by uwsgi-ts (uWSGI reads a file or command there)');
  });
}

/** Maps the [uwsgi] entries of a parsed file (absolute path `file`) to our settings. */
export function mapUwsgiEntries(
  entries: readonly IniEntry[],
  file: string,
  env: NodeJS.ProcessEnv,
  cwd: string,
): UwsgiIniResult {
  const settings: RawSetting[] = [];
  const warnings: string[] = [];
  const variables = new Map<string, string>();
  const failed = new Map<string, ConfigError>();
  const referenced = new Set<string>();
  for (const entry of entries) {
    for (const match of entry.value.matchAll(/%\(([^)]*)\)/g)) referenced.add(match[1]!);
  }
  const context: ExpandContext = { file, cwd, env, variables, failed, warnings };

  for (const entry of entries) {
    const key = normalizeUwsgiKey(entry.key);
    const option = OPTION_LIST.find((candidate) => uwsgiNames(candidate).includes(key));
    if (option === undefined) {
      // Expanded only to serve as a %(name) variable; a failure matters only if used.
      try {
        variables.set(entry.key, expand(entry, context));
        failed.delete(entry.key);
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        variables.delete(entry.key);
        failed.set(entry.key, error);
      }
      if (referenced.has(entry.key)) continue;
      const reason = UWSGI_MEANINGLESS[key] ?? 'not supported by uwsgi-ts';
      warnings.push(`ignoring uWSGI option '${entry.key}' at ${file}:${entry.line} (${reason})`);
      continue;
    }
    let text = entry.bare ? (option.uwsgiBareValue ?? 'true') : expand(entry, context);
    const origin: ValueOrigin = { kind: 'file', path: file, key: entry.key, line: entry.line, format: 'uwsgi' };
    const adjusted = option.fromUwsgi?.adjust(text);
    if (adjusted !== undefined && 'refuse' in adjusted) throw invalidValue(origin, JSON.stringify(text), option.type.expected, adjusted.refuse);
    if (adjusted !== undefined) {
      warnings.push(`'${entry.key}' at ${file}:${entry.line}: ${adjusted.warning}`);
      text = adjusted.text;
    }
    variables.set(entry.key, text);
    failed.delete(entry.key);
    settings.push({ name: option.name, origin, text });
  }
  return { settings, warnings };
}

/** Parses uWSGI ini text and maps its [uwsgi] section. */
export function parseUwsgiIni(text: string, file: string, env: NodeJS.ProcessEnv, cwd: string): UwsgiIniResult {
  const entries = sectionEntries(parseIni(text, file), UWSGI_SECTION);
  if (entries === undefined) {
    throw new ConfigError(ConfigErrorCode.FILE_SYNTAX, `${file}: no [${UWSGI_SECTION}] section (--ini reads a uWSGI ini file)`);
  }
  return mapUwsgiEntries(entries, file, env, cwd);
}

/** Reads the uWSGI ini file `file`, named by `via` (--ini or UWSGI_TS_INI). */
export function readUwsgiIni(file: string, via: ValueOrigin, env: NodeJS.ProcessEnv, cwd: string): UwsgiIniResult {
  return parseUwsgiIni(readConfigText(file, via), file, env, cwd);
}
