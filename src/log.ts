/**
 * Lifecycle and error log lines. One line per event: time, level, who (master or
 * "worker N"), an event name that is stable (operators grep for it) and key=value fields;
 * with --log-format json, one JSON object with the same keys instead. These lines are
 * always written, whatever --disable-logging says (that one is about request lines, see
 * log/request-log.ts), to stderr or the --logto file (log/log-output.ts).
 */
import type { LogOutput } from './log/log-output';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, string | number | boolean | null | undefined>;

export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
}

type Sink = (line: string) => void;

let sink: Sink = (line) => process.stderr.write(line);
let debugEnabled = process.env.UWSGI_TS_DEBUG === '1';
let jsonLines = false;

/** Redirects every logger's output (tests use it to capture lines). */
export function setLogSink(next: Sink): void {
  sink = next;
}

/** Sends every logger's lines to `output`, as JSON objects when `json`. */
export function configureLogging(output: LogOutput, json: boolean): void {
  sink = (line) => output.writeNow(line);
  jsonLines = json;
}

export function setDebugLogging(enabled: boolean): void {
  debugEnabled = enabled;
}

function formatValue(value: string | number | boolean | null): string {
  if (typeof value !== 'string') return String(value);
  // Quote only when needed so lines stay grep-friendly and unambiguous to split.
  return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
}

/** Keys of a JSON line that fields cannot replace. */
const JSON_LINE_KEYS = new Set(['time', 'level', 'who', 'event']);

export function formatJsonLine(level: LogLevel, who: string, event: string, fields?: LogFields): string {
  const record: Record<string, unknown> = { time: new Date().toISOString(), level, who, event };
  if (fields) {
    for (const key of Object.keys(fields)) {
      const value = fields[key];
      if (value !== undefined && !JSON_LINE_KEYS.has(key)) record[key] = value;
    }
  }
  return JSON.stringify(record) + '\n';
}

export function formatLine(level: LogLevel, who: string, event: string, fields?: LogFields): string {
  if (jsonLines) return formatJsonLine(level, who, event, fields);
  let line = `${new Date().toISOString()} ${level} [${who}] ${event}`;
  if (fields) {
    for (const key of Object.keys(fields)) {
      const value = fields[key];
      if (value !== undefined) line += ` ${key}=${formatValue(value)}`;
    }
  }
  return line + '\n';
}

export function createLogger(who: string): Logger {
  const write = (level: LogLevel, event: string, fields?: LogFields) => sink(formatLine(level, who, event, fields));
  return {
    debug: (event, fields) => {
      if (debugEnabled) write('debug', event, fields);
    },
    info: (event, fields) => write('info', event, fields),
    warn: (event, fields) => write('warn', event, fields),
    error: (event, fields) => write('error', event, fields),
  };
}
