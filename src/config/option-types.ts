import { availableParallelism } from 'node:os';
import { formatCidr, parseCidr, type Cidr } from '../worker/peer-allow-list';
import { ConfigError, ConfigErrorCode } from './errors';
import { describeOrigin, type ValueOrigin } from './origin';
import { formatSocketAddress, parseSocketAddress, SOCKET_ADDRESS_FORMS, type SocketAddress } from './socket-address';
import { formatLogFormat, LOG_FORMAT_FORMS, parseLogFormat, type RequestLogFormat } from '../log/request-log-format';
import { formatMetricsAddress, METRICS_ADDRESS_FORMS, parseMetricsAddress, type MetricsAddress } from '../metrics/metrics-address';

/**
 * The type of an option's value: how it is parsed from every source (a command-line
 * argument, an env var, an INI value, a JSON value), how it is shown (--print-config,
 * docs) and what the operator is told when a value is wrong.
 */
export interface OptionType<T> {
  /** Short name for the docs' Type column, e.g. `integer 1-1024 or auto`. */
  readonly label: string;
  /** What is accepted, for error messages and docs: `an integer from 1 to 1024, or "auto"`. */
  readonly expected: string;
  /** The value name in --help, e.g. `<n|auto>`; empty for a flag. */
  readonly placeholder: string;
  /** True for booleans: on the command line the option is a flag that takes no value. */
  readonly isFlag: boolean;
  /** Parses one string (a CLI argument, an env var, an INI value). Throws ConfigError. */
  parse(raw: string, origin: ValueOrigin): T;
  /** Parses one JSON value from a JSON config file. Throws ConfigError. */
  parseJson(value: unknown, origin: ValueOrigin): T;
  /** Present on lists (repeatable options): joins the values of two occurrences. */
  combine?(earlier: T, later: T): T;
  /** The value as an operator would write it (--print-config, docs defaults). */
  format(value: T): string;
}

/** The ConfigError for a value that does not parse: names the option as written and what is allowed. */
export function invalidValue(origin: ValueOrigin, shown: string, expected: string, reason?: string): ConfigError {
  const detail = reason === undefined ? `expected ${expected}` : `${reason} (expected ${expected})`;
  return new ConfigError(
    ConfigErrorCode.INVALID_VALUE,
    `invalid value ${shown} for ${describeOrigin(origin)}: ${detail}`,
  );
}

function jsonKind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

type Attempt<T> = { ok: true; value: T } | { ok: false; reason?: string };
type JsonScalar = 'string' | 'number' | 'boolean';

interface ScalarDefinition<T> {
  label: string;
  expected: string;
  placeholder: string;
  isFlag?: boolean;
  /** JSON value kinds accepted (converted with String() and parsed as text). */
  json: readonly JsonScalar[];
  attempt(text: string): Attempt<T>;
  format(value: T): string;
}

function scalar<T>(def: ScalarDefinition<T>): OptionType<T> {
  return {
    label: def.label,
    expected: def.expected,
    placeholder: def.placeholder,
    isFlag: def.isFlag ?? false,
    parse(raw, origin) {
      const result = def.attempt(raw);
      if (result.ok) return result.value;
      throw invalidValue(origin, JSON.stringify(raw), def.expected, result.reason);
    },
    parseJson(value, origin) {
      const kind = jsonKind(value);
      if (!(def.json as readonly string[]).includes(kind)) {
        throw invalidValue(origin, JSON.stringify(value), def.expected, `a JSON ${kind} is not accepted here`);
      }
      const result = def.attempt(String(value));
      if (result.ok) return result.value;
      throw invalidValue(origin, JSON.stringify(value), def.expected, result.reason);
    },
    format: def.format,
  };
}

const ok = <T>(value: T): Attempt<T> => ({ ok: true, value });
const fail = <T>(reason?: string): Attempt<T> => (reason === undefined ? { ok: false } : { ok: false, reason });

/** Any non-empty text. */
export function string(placeholder = '<text>'): OptionType<string> {
  return scalar({
    label: 'string',
    expected: 'a non-empty string',
    placeholder,
    json: ['string'],
    attempt: (text) => (text.length > 0 ? ok(text) : fail()),
    format: (value) => value,
  });
}

/** A file system path: non-empty, no NUL byte. Relative paths are relative to the working directory. */
export function path(placeholder = '<path>'): OptionType<string> {
  return scalar({
    label: 'path',
    expected: 'a file path',
    placeholder,
    json: ['string'],
    attempt: (text) => {
      if (text.length === 0) return fail('the path is empty');
      if (text.includes('\0')) return fail('a path cannot contain a NUL byte');
      return ok(text);
    },
    format: (value) => value,
  });
}

function rangeText(min: number, max: number | undefined): string {
  return max === undefined ? `an integer >= ${min}` : `an integer from ${min} to ${max}`;
}

function attemptInt(text: string, min: number, max: number | undefined): Attempt<number> {
  if (!/^[+-]?\d{1,16}$/.test(text)) return fail();
  // + 0 turns "-0" into 0: -0 would print as "0" yet differ from it (Object.is).
  const value = Number(text) + 0;
  if (!Number.isSafeInteger(value)) return fail();
  if (value < min || (max !== undefined && value > max)) return fail(`${value} is out of range`);
  return ok(value);
}

/** A whole number in [min, max]. */
export function int(min: number, max?: number): OptionType<number> {
  return scalar({
    label: max === undefined ? `integer >= ${min}` : `integer ${min}-${max}`,
    expected: rangeText(min, max),
    placeholder: '<n>',
    json: ['number', 'string'],
    attempt: (text) => attemptInt(text, min, max),
    format: (value) => String(value),
  });
}

/** Words accepted as booleans; uWSGI ini files use all of them. */
export const BOOLEAN_WORDS: Readonly<Record<string, boolean>> = {
  true: true, false: false, '1': true, '0': false, yes: true, no: false, on: true, off: false,
};

/** true/false, 1/0, yes/no, on/off (any case). On the command line: a flag without a value. */
export function bool(): OptionType<boolean> {
  return scalar({
    label: 'boolean',
    expected: 'true/false, 1/0, yes/no or on/off',
    placeholder: '',
    isFlag: true,
    json: ['boolean', 'number', 'string'],
    attempt: (text) => {
      const value = BOOLEAN_WORDS[text.toLowerCase()];
      return value === undefined ? fail() : ok(value);
    },
    format: (value) => String(value),
  });
}

/** One of a fixed set of words (matched in any case, returned as declared). */
export function enumOf<const C extends readonly [string, ...string[]]>(choices: C): OptionType<C[number]> {
  return scalar<C[number]>({
    label: choices.join(' | '),
    expected: `one of ${choices.map((c) => `"${c}"`).join(', ')}`,
    placeholder: `<${choices.join('|')}>`,
    json: ['string'],
    attempt: (text) => {
      const found = choices.find((choice) => choice.toLowerCase() === text.toLowerCase());
      return found === undefined ? fail() : ok(found);
    },
    format: (value) => value,
  });
}

/** The largest mode --chmod-socket accepts: rwx for all; setuid/setgid/sticky bits make no sense on a socket. */
export const MAX_FILE_MODE = 0o777;

/** A file mode in octal digits: `660`, `0660` or `0o660` (never decimal: uWSGI's chmod-socket reads octal too). */
export function octalMode(): OptionType<number> {
  return scalar({
    label: 'octal mode',
    expected: 'an octal file mode from 000 to 0777, such as 660 or 0660',
    placeholder: '<mode>',
    json: ['string', 'number'],
    attempt: (text) => {
      const digits = /^0o/i.test(text) ? text.slice(2) : text;
      if (!/^\d{1,12}$/.test(digits)) return fail();
      if (/[89]/.test(digits)) return fail('8 and 9 are not octal digits');
      const mode = parseInt(digits, 8);
      if (mode > MAX_FILE_MODE) return fail(`0${mode.toString(8)} is above 0777`);
      return ok(mode);
    },
    format: (value) => `0${value.toString(8).padStart(3, '0')}`,
  });
}

/** A time in seconds; fractions allowed (`30`, `0.5`). */
export function duration(min = 0, max?: number): OptionType<number> {
  // Examples inside the range: "0.5" would be refused by a minimum of 1.
  const whole = max === undefined || max >= 30 ? 30 : max;
  const fraction = min <= 0.5 ? 0.5 : min + 0.5;
  const examples = `fractions allowed, such as ${whole} or ${fraction}`;
  const expected =
    max === undefined ? `a number of seconds >= ${min} (${examples})` : `a number of seconds from ${min} to ${max} (${examples})`;
  return scalar({
    // The range is part of the label: the docs list one row per label, and the options
    // of this type have different ranges.
    label: max === undefined ? `seconds >= ${min}` : `seconds ${min}-${max}`,
    expected,
    placeholder: '<seconds>',
    json: ['number', 'string'],
    attempt: (text) => {
      if (!/^(\d{1,15}(\.\d{0,9})?|\.\d{1,9})$/.test(text)) return fail();
      const value = Number(text);
      if (value < min || (max !== undefined && value > max)) return fail(`${value} is out of range`);
      return ok(value);
    },
    format: (value) => String(value),
  });
}

/** Size suffixes: binary multiples, as in uWSGI and nginx (`64k` = 65536). */
export const BYTE_UNITS: Readonly<Record<string, number>> = { k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** A byte count as written: `1048576`, `64k`, `1m`, `1g` (any case; whole numbers only), or undefined. */
export function parseByteCount(text: string): number | undefined {
  const match = /^(\d{1,16})([kmg])?$/i.exec(text);
  if (!match) return undefined;
  return Number(match[1]) * (match[2] ? BYTE_UNITS[match[2].toLowerCase()]! : 1);
}

/** A size in bytes: `1048576`, `64k`, `1m`, `1g` (any case; whole numbers only). */
export function bytes(min = 0, max = Number.MAX_SAFE_INTEGER): OptionType<number> {
  // An example inside the range: a power-of-two KiB count up to 64k (--buffer-size stops
  // at 65535, so "64k" would be refused there).
  let kib = 64;
  while (kib > 1 && kib * 1024 > max) kib /= 2;
  const example = kib * 1024 <= max && kib * 1024 >= min ? `such as ${kib * 1024} or ${kib}k` : `such as ${max}`;
  const unbounded = max === Number.MAX_SAFE_INTEGER;
  return scalar({
    // The range is part of the label: the docs list one row per label.
    label: unbounded ? `bytes >= ${min}` : `bytes ${min}-${max}`,
    expected: `a whole number of bytes ${unbounded ? `>= ${min}` : `from ${min} to ${max}`}, optionally with a k, m or g suffix (KiB, MiB, GiB), ${example}`,
    placeholder: '<bytes>',
    json: ['number', 'string'],
    attempt: (text) => {
      const value = parseByteCount(text);
      if (value === undefined) return fail();
      if (!Number.isSafeInteger(value) || value < min || value > max) return fail(`${text} is out of range`);
      return ok(value);
    },
    format: (value) => {
      for (const unit of ['g', 'm', 'k']) {
        const size = BYTE_UNITS[unit]!;
        if (value >= size && value % size === 0) return `${value / size}${unit}`;
      }
      return String(value);
    },
  });
}

/** A whole number in [min, max], or `auto`: one per CPU the process may use (clamped to the range). */
export function intOrAuto(min: number, max: number, auto: () => number = availableParallelism): OptionType<number> {
  return scalar({
    label: `integer ${min}-${max} or auto`,
    expected: `${rangeText(min, max)}, or "auto" (one per CPU)`,
    placeholder: '<n|auto>',
    json: ['number', 'string'],
    attempt: (text) => {
      if (text.toLowerCase() === 'auto') return ok(Math.min(max, Math.max(min, auto())));
      return attemptInt(text, min, max);
    },
    format: (value) => String(value),
  });
}

/** A socket address (see socket-address.ts); the item type of --socket. */
export function socketAddress(): OptionType<SocketAddress> {
  return scalar({
    label: 'socket address',
    expected: SOCKET_ADDRESS_FORMS,
    placeholder: '<address>',
    json: ['string'],
    attempt: (text) => {
      const result = parseSocketAddress(text);
      return result.ok ? ok(result.address) : fail(result.reason);
    },
    format: formatSocketAddress,
  });
}

/** The request log's format (request-log-format.ts); the type of --log-format. */
export function logFormat(): OptionType<RequestLogFormat> {
  return scalar({
    label: 'log format',
    expected: LOG_FORMAT_FORMS,
    placeholder: '<text|json|template>',
    json: ['string'],
    attempt: (text) => {
      const result = parseLogFormat(text);
      return result.ok ? ok(result.format) : fail(result.reason);
    },
    format: formatLogFormat,
  });
}

/** Where the metrics and status listener listens (metrics-address.ts); the type of --metrics. */
export function metricsAddress(): OptionType<MetricsAddress> {
  return scalar({
    label: 'listener address',
    expected: METRICS_ADDRESS_FORMS,
    placeholder: '<address>',
    json: ['string', 'number'],
    attempt: (text) => {
      const result = parseMetricsAddress(text);
      return result.ok ? ok(result.address) : fail(result.reason);
    },
    format: formatMetricsAddress,
  });
}

/** An IP address or network, `10.0.0.0/8` or `::1` (peer-allow-list.ts); the item type of --allow-from. */
export function cidr(): OptionType<Cidr> {
  return scalar({
    label: 'address or network',
    expected: 'an IPv4 or IPv6 address, optionally with a prefix length, such as 10.0.0.0/8, 192.168.1.5 or fd00::/8',
    placeholder: '<cidr>',
    json: ['string'],
    attempt: (text) => {
      const result = parseCidr(text);
      return result.ok ? ok(result.cidr) : fail(result.reason);
    },
    format: formatCidr,
  });
}

/** The separator of list items in one value (env var, INI value, JSON string, CLI argument). */
export const LIST_SEPARATOR = ',';

/**
 * A repeatable option: every occurrence adds items, and one value may hold several
 * comma-separated items (`a.sock,127.0.0.1:3031`). In JSON: an array (or a string).
 */
export function list<I>(item: OptionType<I>): OptionType<I[]> {
  const expected = `${item.expected}; several separated by "${LIST_SEPARATOR}" or given by repeating the option`;
  return {
    label: `${item.label} list`,
    expected,
    placeholder: item.placeholder,
    isFlag: false,
    parse(raw, origin) {
      const parts = raw.split(LIST_SEPARATOR).map((part) => part.trim());
      if (parts.some((part) => part.length === 0)) {
        throw invalidValue(origin, JSON.stringify(raw), expected, 'the list has an empty item');
      }
      return parts.map((part) => item.parse(part, origin));
    },
    parseJson(value, origin) {
      if (typeof value === 'string') return this.parse(value, origin);
      if (!Array.isArray(value)) {
        throw invalidValue(origin, JSON.stringify(value), expected, `a JSON ${jsonKind(value)} is not accepted here (use an array)`);
      }
      if (value.length === 0) throw invalidValue(origin, '[]', expected, 'the list is empty');
      return value.map((element) => item.parseJson(element, origin));
    },
    combine: (earlier, later) => [...earlier, ...later],
    format: (value) => value.map((element) => item.format(element)).join(LIST_SEPARATOR),
  };
}

/**
 * A user or group as the system knows it: a name (`www-data`) or a numeric id (`33`).
 * Names are looked up when the master starts (getent, so LDAP/NSS users work too), not
 * here: the config stays a pure function of its sources.
 */
export const ACCOUNT_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}\$?$/;

function attemptAccount(text: string, what: 'user' | 'group'): Attempt<string> {
  if (/^\d{1,10}$/.test(text)) return Number(text) <= 0xfffffffe ? ok(String(Number(text))) : fail(`${text} is not a valid ${what} id`);
  return ACCOUNT_NAME.test(text) ? ok(text) : fail();
}

/** A user (`what` = 'user') or group name, or its numeric id. */
export function account(what: 'user' | 'group'): OptionType<string> {
  return scalar({
    label: `${what} name or id`,
    expected: `a ${what} name (such as www-data) or a numeric ${what === 'user' ? 'uid' : 'gid'}`,
    placeholder: `<${what}>`,
    json: ['string', 'number'],
    attempt: (text) => attemptAccount(text, what),
    format: (value) => value,
  });
}

/** The owner of a unix socket file (--chown-socket): a user, a group, or both. */
export interface SocketOwner {
  readonly user?: string;
  readonly group?: string;
}

/** `USER`, `USER:GROUP` or `:GROUP`; each a name or a numeric id. */
export function socketOwner(): OptionType<SocketOwner> {
  return scalar<SocketOwner>({
    label: 'USER[:GROUP]',
    expected: 'USER, USER:GROUP or :GROUP (names or numeric ids), such as www-data or root:www-data',
    placeholder: '<user[:group]>',
    json: ['string'],
    attempt: (text) => {
      const colon = text.indexOf(':');
      const userText = colon < 0 ? text : text.slice(0, colon);
      const groupText = colon < 0 ? '' : text.slice(colon + 1);
      if (userText === '' && groupText === '') return fail('neither a user nor a group is given');
      const owner: { user?: string; group?: string } = {};
      if (userText !== '') {
        const user = attemptAccount(userText, 'user');
        if (!user.ok) return fail(`'${userText}' is not a user name or uid`);
        owner.user = user.value;
      }
      if (groupText !== '') {
        const group = attemptAccount(groupText, 'group');
        if (!group.ok) return fail(`'${groupText}' is not a group name or gid`);
        owner.group = group.value;
      }
      return ok(owner);
    },
    format: (value) => (value.group === undefined ? value.user! : `${value.user ?? ''}:${value.group}`),
  });
}

/** One environment variable for the workers (--env KEY=VALUE). */
export interface EnvAssignment {
  readonly name: string;
  readonly value: string;
}

/** A portable environment variable name (POSIX: letters, digits, underscore; no leading digit). */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * `KEY=VALUE`, repeatable: each occurrence adds one variable and a value is never split
 * (values may hold commas). In JSON: an array of "KEY=VALUE" strings or an object.
 */
export function envAssignments(): OptionType<EnvAssignment[]> {
  const expected = 'KEY=VALUE (KEY: letters, digits and _, not starting with a digit); repeat the option for several';
  const one = (raw: string, origin: ValueOrigin): EnvAssignment => {
    const equals = raw.indexOf('=');
    const name = equals < 0 ? raw : raw.slice(0, equals);
    if (equals < 0) throw invalidValue(origin, JSON.stringify(raw), expected, 'there is no "="');
    if (!ENV_NAME.test(name)) throw invalidValue(origin, JSON.stringify(raw), expected, `'${name}' is not a valid variable name`);
    const value = raw.slice(equals + 1);
    if (value.includes('\0')) throw invalidValue(origin, JSON.stringify(raw), expected, 'a value cannot contain a NUL byte');
    return { name, value };
  };
  return {
    label: 'KEY=VALUE list',
    expected,
    placeholder: '<key=value>',
    isFlag: false,
    parse: (raw, origin) => [one(raw, origin)],
    parseJson(value, origin) {
      if (typeof value === 'string') return [one(value, origin)];
      if (Array.isArray(value)) {
        return value.map((element) => {
          if (typeof element !== 'string') {
            throw invalidValue(origin, JSON.stringify(element), expected, `a JSON ${jsonKind(element)} is not accepted here`);
          }
          return one(element, origin);
        });
      }
      if (value !== null && typeof value === 'object') {
        return Object.entries(value).map(([name, element]) => {
          if (typeof element !== 'string') {
            throw invalidValue(origin, JSON.stringify(element), expected, `the value of ${name} must be a JSON string`);
          }
          return one(`${name}=${element}`, origin);
        });
      }
      throw invalidValue(origin, JSON.stringify(value), expected, `a JSON ${jsonKind(value)} is not accepted here`);
    },
    combine: (earlier, later) => [...earlier, ...later],
    format: (value) => value.map((entry) => `${entry.name}=${entry.value}`).join(' '),
  };
}
