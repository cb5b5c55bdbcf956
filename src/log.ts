/**
 * Lifecycle and error log lines. One line per event: time, level, who (master or
 * "worker N"), an event name that is stable (operators grep for it) and key=value fields.
 * Request logging is separate (one line per request, issue-level feature of its own).
 */
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

/** Redirects every logger's output (tests use it to capture lines). */
export function setLogSink(next: Sink): void {
  sink = next;
}

export function setDebugLogging(enabled: boolean): void {
  debugEnabled = enabled;
}

function formatValue(value: string | number | boolean | null): string {
  if (typeof value !== 'string') return String(value);
  // Quote only when needed so lines stay grep-friendly and unambiguous to split.
  return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
}

export function formatLine(level: LogLevel, who: string, event: string, fields?: LogFields): string {
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
