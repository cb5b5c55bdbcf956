/**
 * THE option table: every option of uwsgi-ts is declared here once — command-line flag,
 * env var, config-file key, type, default, help text, uWSGI equivalent — and everything
 * else is derived from it: the commander program and --help (cli.ts), the parsing and
 * validation of every source (load.ts), the config-file key checks, the uWSGI ini mapping
 * (uwsgi-ini.ts), --print-config and docs/options.md (options-doc.ts).
 *
 * Adding an option is a one-entry change: add an entry to OPTIONS below, run
 * `npm run build && npm run docs`. The `Config` interface gains the property by itself.
 */
import {
  account,
  bool,
  bytes,
  parseByteCount,
  cidr,
  duration,
  enumOf,
  envAssignments,
  int,
  intOrAuto,
  list,
  logFormat,
  metricsAddress,
  octalMode,
  path,
  socketAddress,
  socketOwner,
  type OptionType,
} from './option-types';
import { DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_VARS, DEFAULT_LISTEN_BACKLOG, DEFAULT_SOCKET_TIMEOUT_S, MAX_VARS_BLOCK_BYTES } from '../protocol/limits';
import {
  DEFAULT_BOOT_TIMEOUT_MS,
  DEFAULT_GRACEFUL_TIMEOUT_MS,
  DEFAULT_HARAKIRI_GRACE_MS,
  DEFAULT_MAX_RECYCLING,
  MAX_WORKERS,
} from '../supervisor/pool';
import { APP_LISTEN_WAIT_MS } from '../worker/app-loader';
import { PARSER_PREFERENCES } from '../protocol/vars-parser';
import { LOOPBACK_CIDRS } from '../worker/peer-allow-list';
import { IO_PREFERENCES } from '../worker/transport-select';

/** The sections of --help and docs/options.md, in this order. */
export const OPTION_GROUPS = ['Sockets', 'Workers', 'Process', 'Application', 'Logging and metrics', 'Meta'] as const;
export type OptionGroup = (typeof OPTION_GROUPS)[number];

/** What every entry declares; which sources can set an option follows from which names it has. */
export interface OptionFields<T> {
  /** Long command-line flag. Absent for the positional argument. */
  readonly flag?: `--${string}`;
  /** Optional one-letter alias of the flag. */
  readonly short?: `-${string}`;
  /** Name of the positional command-line argument (shown as `<name>`), for an option without a flag. */
  readonly positional?: string;
  /** Environment variable. Absent: the option cannot come from the environment. */
  readonly env?: `UWSGI_TS_${string}`;
  /** Key in a config file ([uwsgi-ts] INI section or JSON object). Absent: not settable from a file. */
  readonly configKey?: string;
  readonly type: OptionType<T>;
  /** One operator-facing sentence for --help and the docs. */
  readonly help: string;
  readonly group: OptionGroup;
  /** The uWSGI ini key ([uwsgi] section, read with --ini) with the same meaning. */
  readonly uwsgiKey?: string;
  /** Other uWSGI names of the same option (uWSGI aliases). */
  readonly uwsgiAliases?: readonly string[];
  /** The value a bare `key` line (no `= value`) means in a uWSGI ini, when not `true`. */
  readonly uwsgiBareValue?: string;
  /**
   * For a value read from a uWSGI ini that uWSGI takes and we would refuse although it
   * means the same (a buffer-size above the protocol's maximum): the value to use instead
   * and the warning that says so; undefined leaves the value as written.
   */
  readonly fromUwsgi?: {
    /** What the docs' uWSGI table says about it. */
    readonly note: string;
    /** The value to use with a warning, a reason to refuse a uWSGI form we do not have, or undefined: as written. */
    adjust(text: string): { text: string; warning: string } | { refuse: string } | undefined;
  };
  /** A boolean that defaults to true: the command line also gets `--no-<flag>` to turn it off. */
  readonly negatable?: boolean;
}

/**
 * An entry: its fields plus whether it has a default, is required (the app, a socket:
 * some source must give it), or is optional (absent means "not set", see the help text).
 */
export type OptionSpec<T> = OptionFields<T> &
  ({ readonly presence: 'default'; readonly default: T } | { readonly presence: 'required' } | { readonly presence: 'optional' });

/** An option with a default value (of the type's value type: T is inferred from `type` alone). */
export function withDefault<T>(fields: OptionFields<T> & { readonly default: NoInfer<T> }): OptionFields<T> & {
  readonly presence: 'default';
  readonly default: T;
} {
  return { ...fields, presence: 'default' };
}

/** An option that some source must give: resolving fails with UWSGI_TS_CONFIG_MISSING otherwise. */
export function required<T>(fields: OptionFields<T>): OptionFields<T> & { readonly presence: 'required' } {
  return { ...fields, presence: 'required' };
}

/** An option without a default: absent means "not set" (Config has it as an optional property). */
export function optional<T>(fields: OptionFields<T>): OptionFields<T> & { readonly presence: 'optional' } {
  return { ...fields, presence: 'optional' };
}

export { MAX_WORKERS };

/** Longest --harakiri / --idle: a day; anything longer is a typo for "off" (leave it unset). */
export const MAX_WATCH_SECONDS = 86400;

/** Largest --reload-on-rss in MiB (1 TiB): beyond any machine this runs on. */
export const MAX_RELOAD_ON_RSS_MB = 1024 * 1024;

/** Longest listen(2) backlog the kernel field holds; the kernel's somaxconn caps it further. */
export const MAX_LISTEN_BACKLOG = 65535;

/** The workers' uwsgi packet parser (see DESIGN §3): the C++ addon, the pure-TypeScript reference, or native when it loaded. */
export const PARSER_CHOICES = PARSER_PREFERENCES;

export const OPTIONS = {
  socket: required({
    flag: '--socket',
    short: '-s',
    env: 'UWSGI_TS_SOCKET',
    configKey: 'socket',
    type: list(socketAddress()),
    help:
      "Where to listen for nginx's uwsgi_pass: a unix socket path, HOST:PORT, [IPv6]:PORT or fd://N " +
      '(an inherited socket); repeat it, or separate with commas, to listen on several. Under systemd socket ' +
      'activation every activated socket is served, and one whose address a --socket names is used for it.',
    group: 'Sockets',
    uwsgiKey: 'socket',
    uwsgiAliases: ['uwsgi-socket'],
  }),
  chmodSocket: optional({
    flag: '--chmod-socket',
    env: 'UWSGI_TS_CHMOD_SOCKET',
    configKey: 'chmod-socket',
    type: octalMode(),
    help:
      'File mode (octal) of the unix sockets uwsgi-ts creates, such as 660 so that the group nginx runs as ' +
      'can connect; when not set, the process umask decides.',
    group: 'Sockets',
    uwsgiKey: 'chmod-socket',
    // uWSGI: a bare `chmod-socket` line means 666.
    uwsgiBareValue: '666',
  }),
  chownSocket: optional({
    flag: '--chown-socket',
    env: 'UWSGI_TS_CHOWN_SOCKET',
    configKey: 'chown-socket',
    type: socketOwner(),
    help:
      'Owner of the unix sockets uwsgi-ts creates, USER[:GROUP] or :GROUP (names or ids), so that nginx ' +
      "can connect without opening the socket to everyone; changing the owner needs root.",
    group: 'Sockets',
    uwsgiKey: 'chown-socket',
  }),
  allowFrom: withDefault({
    flag: '--allow-from',
    env: 'UWSGI_TS_ALLOW_FROM',
    configKey: 'allow-from',
    type: list(cidr()),
    default: [...LOOPBACK_CIDRS],
    help:
      'Peers a TCP socket accepts (addresses or networks); others are closed at once. The uwsgi vars ' +
      '(REMOTE_ADDR, HTTPS) are trusted, so only the front servers belong here. Unix sockets rely on --chmod-socket.',
    group: 'Sockets',
  }),
  listen: withDefault({
    flag: '--listen',
    env: 'UWSGI_TS_LISTEN',
    configKey: 'listen',
    type: int(1, MAX_LISTEN_BACKLOG),
    default: DEFAULT_LISTEN_BACKLOG,
    help:
      'Listen queue (backlog) of every socket: connections wait there while all workers are busy or reloading; ' +
      'a full queue is a 502 in nginx. The kernel caps it at net.core.somaxconn; a start-up warning names the ' +
      'sysctl to raise when it does.',
    group: 'Sockets',
    uwsgiKey: 'listen',
  }),
  socketTimeout: withDefault({
    flag: '--socket-timeout',
    env: 'UWSGI_TS_SOCKET_TIMEOUT',
    configKey: 'socket-timeout',
    type: duration(0.001, 86400),
    default: DEFAULT_SOCKET_TIMEOUT_S,
    help:
      'Seconds a connection may take to deliver the whole uwsgi packet header and vars, and the longest silence ' +
      'allowed while reading a request body; past it the connection is closed.',
    group: 'Sockets',
    uwsgiKey: 'socket-timeout',
  }),
  bufferSize: withDefault({
    flag: '--buffer-size',
    env: 'UWSGI_TS_BUFFER_SIZE',
    configKey: 'buffer-size',
    type: bytes(4, MAX_VARS_BLOCK_BYTES),
    // uWSGI takes any buffer-size (configs say 65536 or 1m) and can still read at most
    // 65535 bytes of vars, the protocol's u16: larger values mean that maximum.
    fromUwsgi: {
      note: `a value above ${MAX_VARS_BLOCK_BYTES} (uWSGI takes any) means ${MAX_VARS_BLOCK_BYTES}, with a warning`,
      adjust: (text) => {
        const value = parseByteCount(text);
        if (value === undefined || value <= MAX_VARS_BLOCK_BYTES) return undefined;
        return {
          text: String(MAX_VARS_BLOCK_BYTES),
          warning: `buffer-size ${text} is above the uwsgi protocol's ${MAX_VARS_BLOCK_BYTES}-byte vars block, the most a request can carry: using ${MAX_VARS_BLOCK_BYTES}`,
        };
      },
    },
    default: MAX_VARS_BLOCK_BYTES,
    help:
      'Largest uwsgi vars block (request line, headers and CGI vars) accepted; the default is the protocol\'s ' +
      'maximum, which nginx really sends when headers are big.',
    group: 'Sockets',
    uwsgiKey: 'buffer-size',
  }),
  maxVars: withDefault({
    flag: '--max-vars',
    env: 'UWSGI_TS_MAX_VARS',
    configKey: 'max-vars',
    type: int(16, 16384),
    default: DEFAULT_MAX_VARS,
    help: 'Most vars (CGI variables plus request headers) one request may carry; more closes the connection.',
    group: 'Sockets',
    uwsgiKey: 'max-vars',
  }),
  limitPost: withDefault({
    flag: '--limit-post',
    env: 'UWSGI_TS_LIMIT_POST',
    configKey: 'limit-post',
    type: bytes(0),
    default: 0,
    help: 'Largest request body in bytes; a larger CONTENT_LENGTH is answered 413 before the body is read (0: no limit).',
    group: 'Sockets',
    uwsgiKey: 'limit-post',
  }),
  maxConnections: withDefault({
    flag: '--max-connections',
    env: 'UWSGI_TS_MAX_CONNECTIONS',
    configKey: 'max-connections',
    type: int(0, 1_000_000),
    default: DEFAULT_MAX_CONNECTIONS,
    help:
      'Open connections per worker at which it stops accepting until one closes; pending connections wait in the ' +
      'listen backlog for the other workers instead of being accepted and dropped (0: no limit).',
    group: 'Sockets',
  }),
  workers: withDefault({
    flag: '--workers',
    short: '-w',
    env: 'UWSGI_TS_WORKERS',
    configKey: 'workers',
    type: intOrAuto(1, MAX_WORKERS),
    default: 1,
    help: 'Number of worker processes, or auto for one per CPU available to the process.',
    group: 'Workers',
    uwsgiKey: 'processes',
    uwsgiAliases: ['workers'],
  }),
  gracefulTimeout: withDefault({
    flag: '--graceful-timeout',
    env: 'UWSGI_TS_GRACEFUL_TIMEOUT',
    configKey: 'graceful-timeout',
    type: duration(0, 86400),
    default: DEFAULT_GRACEFUL_TIMEOUT_MS / 1000,
    help:
      'Seconds a graceful stop (SIGTERM) gives in-flight requests to finish before the workers that are still ' +
      'busy are killed.',
    group: 'Workers',
  }),
  bootTimeout: withDefault({
    flag: '--boot-timeout',
    env: 'UWSGI_TS_BOOT_TIMEOUT',
    configKey: 'boot-timeout',
    type: duration(1, MAX_WATCH_SECONDS),
    default: DEFAULT_BOOT_TIMEOUT_MS / 1000,
    help:
      'Seconds a new worker may take to load the app and start accepting (at least --app-listen-timeout plus ' +
      'one); past it, it is killed: at start-up the master stops with exit code 3, during a reload the reload stops.',
    group: 'Workers',
  }),
  minWorkers: optional({
    flag: '--min-workers',
    env: 'UWSGI_TS_MIN_WORKERS',
    configKey: 'min-workers',
    type: int(1, MAX_WORKERS),
    help:
      'With --idle: the fewest workers kept when idle (default 1); the pool grows back up to --workers ' +
      'while every worker is busy.',
    group: 'Workers',
  }),
  idle: optional({
    flag: '--idle',
    env: 'UWSGI_TS_IDLE',
    configKey: 'idle',
    type: duration(1, MAX_WATCH_SECONDS),
    help:
      'Seconds without requests after which a worker above --min-workers is stopped (scale-down); ' +
      'when not set, the pool keeps --workers workers.',
    group: 'Workers',
  }),
  maxRequests: optional({
    flag: '--max-requests',
    env: 'UWSGI_TS_MAX_REQUESTS',
    configKey: 'max-requests',
    type: int(1),
    help:
      'Replace a worker after it served this many requests: a new worker starts, and once it is ready the ' +
      'old one finishes its in-flight requests and exits.',
    group: 'Workers',
    uwsgiKey: 'max-requests',
  }),
  maxRequestsJitter: withDefault({
    flag: '--max-requests-jitter',
    env: 'UWSGI_TS_MAX_REQUESTS_JITTER',
    configKey: 'max-requests-jitter',
    type: int(0),
    default: 0,
    help: 'Add a random 0 to N requests to each worker\'s --max-requests, so workers do not reach it together.',
    group: 'Workers',
  }),
  maxRecycling: withDefault({
    flag: '--max-recycling',
    env: 'UWSGI_TS_MAX_RECYCLING',
    configKey: 'max-recycling',
    type: int(1, MAX_WORKERS),
    default: DEFAULT_MAX_RECYCLING,
    help:
      'Most workers replaced at the same time for --max-requests or --reload-on-rss; the others wait their ' +
      'turn and keep serving.',
    group: 'Workers',
  }),
  reloadOnRss: optional({
    flag: '--reload-on-rss',
    env: 'UWSGI_TS_RELOAD_ON_RSS',
    configKey: 'reload-on-rss',
    type: int(1, MAX_RELOAD_ON_RSS_MB),
    help:
      'Replace a worker whose resident memory exceeds this many MiB; it finishes its in-flight requests ' +
      'once its replacement is ready, never killed mid-request.',
    group: 'Workers',
    uwsgiKey: 'reload-on-rss',
  }),
  harakiri: optional({
    flag: '--harakiri',
    env: 'UWSGI_TS_HARAKIRI',
    configKey: 'harakiri',
    type: duration(1, MAX_WATCH_SECONDS),
    help:
      'Seconds a request may run: past it the request is answered 504 (if nothing was sent) and aborted; ' +
      'a worker whose event loop stays blocked this long is killed and replaced, its request and JS stack logged.',
    group: 'Workers',
    uwsgiKey: 'harakiri',
  }),
  harakiriGrace: withDefault({
    flag: '--harakiri-grace',
    env: 'UWSGI_TS_HARAKIRI_GRACE',
    configKey: 'harakiri-grace',
    type: duration(0, 3600),
    default: DEFAULT_HARAKIRI_GRACE_MS / 1000,
    help: 'Seconds between SIGTERM and SIGKILL for a worker killed by --harakiri.',
    group: 'Workers',
  }),
  touchReload: optional({
    flag: '--touch-reload',
    env: 'UWSGI_TS_TOUCH_RELOAD',
    configKey: 'touch-reload',
    type: list(path()),
    help:
      'Files watched for changes (modification time): a change starts a rolling reload, like SIGHUP. ' +
      'Repeat it to watch several files.',
    group: 'Workers',
    uwsgiKey: 'touch-reload',
  }),
  parser: withDefault({
    flag: '--parser',
    env: 'UWSGI_TS_PARSER',
    configKey: 'parser',
    type: enumOf(PARSER_CHOICES),
    default: 'auto',
    help:
      'Which uwsgi packet parser the workers use: native (the C++ addon), js (the pure-TypeScript parser), ' +
      'or auto (native when the addon is built, js otherwise).',
    group: 'Workers',
  }),
  io: withDefault({
    flag: '--io',
    env: 'UWSGI_TS_IO',
    configKey: 'io',
    type: enumOf(IO_PREFERENCES),
    default: 'auto',
    help:
      'How the workers serve connections: native (accept, read, parse and write in the C++ addon on the ' +
      "event loop, no socket object per request), js (node:net sockets), or auto (native when the addon is built, " +
      'js otherwise).',
    group: 'Workers',
  }),
  vacuum: withDefault({
    flag: '--vacuum',
    negatable: true,
    env: 'UWSGI_TS_VACUUM',
    configKey: 'vacuum',
    type: bool(),
    default: true,
    help:
      'Remove the unix socket files and the pidfile this master created when it exits (stop, fast stop or ' +
      'crash; not after SIGKILL); --no-vacuum leaves them.',
    group: 'Process',
    uwsgiKey: 'vacuum',
  }),
  pidfile: optional({
    flag: '--pidfile',
    env: 'UWSGI_TS_PIDFILE',
    configKey: 'pidfile',
    type: path(),
    help:
      "Write the master's pid to this file at start; a pidfile whose process is still running is refused " +
      '(exit code 8), a stale one is replaced.',
    group: 'Process',
    uwsgiKey: 'pidfile',
  }),
  uid: optional({
    flag: '--uid',
    env: 'UWSGI_TS_UID',
    configKey: 'uid',
    type: account('user'),
    help:
      'Run the workers (and so the app) as this user: the master binds the sockets as root, and each worker ' +
      'switches user, and group to --gid or the user\'s own group, before it loads the app.',
    group: 'Process',
    uwsgiKey: 'uid',
  }),
  gid: optional({
    flag: '--gid',
    env: 'UWSGI_TS_GID',
    configKey: 'gid',
    type: account('group'),
    help: "Run the workers with this group (default with --uid: that user's primary group).",
    group: 'Process',
    uwsgiKey: 'gid',
  }),
  chdir: optional({
    flag: '--chdir',
    env: 'UWSGI_TS_CHDIR',
    configKey: 'chdir',
    type: path('<dir>'),
    help:
      'Change to this directory after reading the config files and before anything else: relative socket, ' +
      'pidfile and app paths are then relative to it.',
    group: 'Process',
    uwsgiKey: 'chdir',
  }),
  env: optional({
    flag: '--env',
    configKey: 'env',
    type: envAssignments(),
    help:
      'Set an environment variable for the workers and the app, KEY=VALUE; repeat the option for several ' +
      '(there is no UWSGI_TS_ variable for it: set the variable itself instead).',
    group: 'Process',
    uwsgiKey: 'env',
  }),
  app: required({
    positional: 'app',
    env: 'UWSGI_TS_APP',
    configKey: 'app',
    type: path('<app>'),
    help:
      'The app module to serve (CommonJS or ESM): one exporting a request listener or a { fetch } handler, ' +
      'or one that starts its own server with listen().',
    group: 'Application',
  }),
  appListenTimeout: withDefault({
    flag: '--app-listen-timeout',
    env: 'UWSGI_TS_APP_LISTEN_TIMEOUT',
    configKey: 'app-listen-timeout',
    type: duration(0, 3600),
    default: APP_LISTEN_WAIT_MS / 1000,
    help:
      'Seconds an app that exports nothing servable may take to call listen() on an HTTP server before the ' +
      'worker gives up (exit code 4).',
    group: 'Application',
  }),
  metrics: optional({
    flag: '--metrics',
    env: 'UWSGI_TS_METRICS',
    configKey: 'metrics',
    type: metricsAddress(),
    help:
      'Serve /metrics (Prometheus), /healthz, /readyz and /stats (for uwsgi-ts top) from the master on this ' +
      'address: PORT or HOST:PORT (a bare port listens on loopback only) or a unix socket path.',
    group: 'Logging and metrics',
  }),
  logto: optional({
    flag: '--logto',
    env: 'UWSGI_TS_LOGTO',
    configKey: 'logto',
    type: path(),
    help:
      'Append every log line (requests, lifecycle, errors) of the master and the workers to this file instead ' +
      'of stderr; SIGUSR1 to the master reopens it, for logrotate.',
    group: 'Logging and metrics',
    uwsgiKey: 'logto',
    // uWSGI's logto also takes a UDP address (HOST:PORT); here that would name a file.
    fromUwsgi: {
      note: 'a file; a UDP address (HOST:PORT), which uWSGI also takes, is refused',
      adjust: (text) =>
        !text.includes('/') && /:\d+$/.test(text) ? { refuse: 'uwsgi-ts logs to a file, not to a UDP address' } : undefined,
    },
  }),
  logFormat: withDefault({
    flag: '--log-format',
    env: 'UWSGI_TS_LOG_FORMAT',
    configKey: 'log-format',
    type: logFormat(),
    default: { kind: 'text' },
    help:
      'Request log line format: text (key=value), json (one JSON object per line; lifecycle and error lines ' +
      "become JSON too) or a template naming fields as %(name), such as '%(addr) \"%(method) %(uri)\" %(status) %(size) %(msecs)'.",
    group: 'Logging and metrics',
  }),
  disableLogging: withDefault({
    flag: '--disable-logging',
    env: 'UWSGI_TS_DISABLE_LOGGING',
    configKey: 'disable-logging',
    type: bool(),
    default: false,
    help: 'Do not log one line per request; lifecycle events and errors are still logged.',
    group: 'Logging and metrics',
    uwsgiKey: 'disable-logging',
  }),
  config: optional({
    flag: '--config',
    short: '-c',
    env: 'UWSGI_TS_CONFIG',
    type: path(),
    help: 'Read options from this file: INI with a [uwsgi-ts] section, or JSON (an object of config keys).',
    group: 'Meta',
  }),
  ini: optional({
    flag: '--ini',
    env: 'UWSGI_TS_INI',
    type: path(),
    help:
      'Read options from the [uwsgi] section of this uWSGI ini file; a warning names every uWSGI option ' +
      'that uwsgi-ts does not support.',
    group: 'Meta',
  }),
  printConfig: withDefault({
    flag: '--print-config',
    type: bool(),
    default: false,
    help: 'Print every option with its value and where the value came from, then exit.',
    group: 'Meta',
  }),
};

export type OptionTable = typeof OPTIONS;
export type OptionName = keyof OptionTable;

/** The value type an entry's `type` parses to. */
export type OptionValue<S> = S extends { readonly type: OptionType<infer T> } ? T : never;

type NamesWhere<P extends OptionSpec<unknown>['presence'], Include extends boolean> = {
  [K in OptionName]: OptionTable[K] extends { readonly presence: P } ? (Include extends true ? K : never) : Include extends true ? never : K;
}[OptionName];

type ConfigShape = { readonly [K in NamesWhere<'optional', false>]: OptionValue<OptionTable[K]> } & {
  readonly [K in NamesWhere<'optional', true>]?: OptionValue<OptionTable[K]>;
};

/**
 * The resolved configuration: one property per option, named as the table's key.
 *
 * Compile-time guarantee: Config is *derived* from OPTIONS by a mapped type, so every
 * Config property has exactly one table entry and every entry exactly one property —
 * there is no second list to forget. An entry's property type is what its `type` parses
 * to (withDefault/required/optional infer it, and a `default` of the wrong type does not
 * compile); optional entries give optional properties. test/config-table.test.ts pins the
 * resulting shape with type-level assertions, so changing the derivation by accident fails
 * the build.
 */
export interface Config extends ConfigShape {}

/** One table entry with its name, as the runtime code walks it. */
export type OptionDefinition = OptionSpec<unknown> & { readonly name: OptionName };

/** The entries in table order (the order of --help, --print-config and the docs within a group). */
export const OPTION_LIST: readonly OptionDefinition[] = (Object.keys(OPTIONS) as OptionName[]).map(
  (name): OptionDefinition => ({ name, ...(OPTIONS[name] as OptionSpec<unknown>) }),
);

/**
 * UWSGI_TS_* environment variables that are not options but are read elsewhere: they are
 * not reported as unknown. Add one here with the reason when a module reads a new one.
 */
export const RESERVED_ENV_VARS: Readonly<Record<string, string>> = {
  UWSGI_TS_DEBUG: 'read by src/log.ts: 1 turns on debug log lines',
};

/** How the option is named on the command line: `--socket` or, for the positional argument, `<app>`. */
export function cliName(option: OptionFields<unknown>): string | undefined {
  if (option.flag !== undefined) return option.flag;
  if (option.positional !== undefined) return `<${option.positional}>`;
  return undefined;
}

/** The flag that turns a negatable boolean off: --vacuum → --no-vacuum. */
export function negatedFlag(flag: `--${string}`): `--${string}` {
  return `--no-${flag.slice(2)}`;
}

/** uWSGI spells option names with '-' or '_' interchangeably. */
export function normalizeUwsgiKey(key: string): string {
  return key.toLowerCase().replace(/_/g, '-');
}

/** Every uWSGI name (normalized) an entry answers to. */
export function uwsgiNames(option: OptionFields<unknown>): string[] {
  const names = option.uwsgiKey === undefined ? [] : [option.uwsgiKey, ...(option.uwsgiAliases ?? [])];
  return names.map(normalizeUwsgiKey);
}

/**
 * The table's rules the type system cannot check: names unique across entries, naming
 * conventions, one way to reach each option on the command line. Returns the problems.
 */
export function checkOptionTable(options: readonly OptionDefinition[]): string[] {
  const problems: string[] = [];
  const seen = new Map<string, string>();
  const claim = (what: string, value: string | undefined, owner: string) => {
    if (value === undefined) return;
    const id = `${what} ${value}`;
    const previous = seen.get(id);
    if (previous !== undefined) problems.push(`${id} is declared by both '${previous}' and '${owner}'`);
    else seen.set(id, owner);
  };
  for (const option of options) {
    const name = option.name;
    if ((option.flag === undefined) === (option.positional === undefined)) {
      problems.push(`'${name}' needs exactly one of flag and positional`);
    }
    if (option.flag !== undefined && !/^--[a-z][a-z0-9-]*$/.test(option.flag)) problems.push(`'${name}': bad flag ${option.flag}`);
    if (option.short !== undefined && !/^-[A-Za-z]$/.test(option.short)) problems.push(`'${name}': bad short flag ${option.short}`);
    if (option.short !== undefined && option.flag === undefined) problems.push(`'${name}': a short flag needs a flag`);
    if (option.env !== undefined && !/^UWSGI_TS_[A-Z0-9_]+$/.test(option.env)) problems.push(`'${name}': bad env var ${option.env}`);
    if (option.configKey !== undefined && !/^[a-z][a-z0-9-]*$/.test(option.configKey)) {
      problems.push(`'${name}': bad config key ${option.configKey}`);
    }
    if (option.presence === 'required' && option.type.isFlag) problems.push(`'${name}': a boolean cannot be required`);
    if (option.negatable === true && !(option.type.isFlag && option.flag !== undefined)) {
      problems.push(`'${name}': only a boolean with a flag can be negatable`);
    }
    if (option.uwsgiKey === undefined && (option.uwsgiAliases !== undefined || option.uwsgiBareValue !== undefined || option.fromUwsgi !== undefined)) {
      problems.push(`'${name}': uwsgiAliases/uwsgiBareValue/fromUwsgi need a uwsgiKey`);
    }
    if (option.uwsgiKey !== undefined && option.configKey === undefined) {
      problems.push(`'${name}': a uwsgiKey needs a configKey (uWSGI ini values are file values)`);
    }
    if (!/^[A-Z].*\.$/s.test(option.help)) problems.push(`'${name}': help must be a sentence (capital letter, final period)`);
    claim('flag', option.flag, name);
    claim('flag', option.short, name);
    if (option.negatable === true && option.flag !== undefined) claim('flag', negatedFlag(option.flag), name);
    claim('positional', option.positional, name);
    claim('env var', option.env, name);
    claim('config key', option.configKey, name);
    for (const key of uwsgiNames(option)) claim('uWSGI key', key, name);
  }
  for (const reserved of Object.keys(RESERVED_ENV_VARS)) {
    if (options.some((option) => option.env === reserved)) problems.push(`env var ${reserved} is both reserved and an option`);
  }
  const positionals = options.filter((option) => option.positional !== undefined);
  if (positionals.length > 1) problems.push('at most one positional argument is supported');
  return problems;
}

{
  // A broken table is a programming error: fail at load, in every test and every start.
  const problems = checkOptionTable(OPTION_LIST);
  if (problems.length > 0) throw new Error(`invalid option table:\n  ${problems.join('\n  ')}`);
}
