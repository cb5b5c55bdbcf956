/**
 * The request log line (--log-format): `text` (the default: a key=value line like every
 * other log line), `json` (one JSON object per line; lifecycle lines become JSON too), or
 * a template with named fields written %(name), as uWSGI's logformat does:
 * `%(addr) - [%(time)] "%(method) %(uri)" %(status) %(size) %(msecs)ms`.
 */
import type { ObservedRequest } from '../metrics/request-observer';

/** Every field a template may name, with what it holds. */
export const REQUEST_LOG_FIELDS = {
  time: 'time the request ended, ISO 8601 in UTC',
  worker: 'worker slot number',
  pid: 'worker process id',
  addr: 'client address (REMOTE_ADDR from the front server)',
  method: 'request method',
  uri: 'request URI as the client sent it (REQUEST_URI)',
  status: 'response status code (0: the client left before any response)',
  size: 'response bytes (status line, headers and body)',
  rsize: 'request bytes (uwsgi header, vars and body)',
  msecs: 'duration in milliseconds (3 decimals)',
  usecs: 'duration in microseconds (integer)',
  aborted: 'true when the client left before the response completed',
} as const;
export type RequestLogField = keyof typeof REQUEST_LOG_FIELDS;

export type RequestLogFormat = { kind: 'text' } | { kind: 'json' } | { kind: 'template'; template: string };

export const LOG_FORMAT_FORMS = `text, json, or a template naming fields as %(name) (${Object.keys(REQUEST_LOG_FIELDS).join(', ')})`;

const FIELD_REF = /%\((\w*)\)/g;

export type LogFormatParse = { ok: true; format: RequestLogFormat } | { ok: false; reason: string };

export function parseLogFormat(raw: string): LogFormatParse {
  if (raw === 'text' || raw === 'json') return { ok: true, format: { kind: raw } };
  if (!raw.includes('%(')) return { ok: false, reason: `'${raw}' is neither text, json nor a template with %(field)` };
  if (/[\r\n]/.test(raw)) return { ok: false, reason: 'a template cannot contain a line break' };
  for (const m of raw.matchAll(FIELD_REF)) {
    if (!(m[1]! in REQUEST_LOG_FIELDS)) return { ok: false, reason: `unknown field %(${m[1]})` };
  }
  return { ok: true, format: { kind: 'template', template: raw } };
}

export function formatLogFormat(format: RequestLogFormat): string {
  return format.kind === 'template' ? format.template : format.kind;
}

/** What a line is made from: the request and who served it. */
export interface RequestLogContext {
  worker: number;
  pid: number;
}

function fieldValue(field: RequestLogField, r: ObservedRequest, ctx: RequestLogContext, time: string): string | number | boolean {
  switch (field) {
    case 'time':
      return time;
    case 'worker':
      return ctx.worker;
    case 'pid':
      return ctx.pid;
    case 'addr':
      return r.remoteAddr;
    case 'method':
      return r.method;
    case 'uri':
      return r.uri;
    case 'status':
      return r.status;
    case 'size':
      return r.bytesOut;
    case 'rsize':
      return r.bytesIn;
    case 'msecs':
      return Math.round(r.durationMs * 1000) / 1000;
    case 'usecs':
      return Math.round(r.durationMs * 1000);
    case 'aborted':
      return r.aborted;
  }
}

/** Quote a text value only when it would be ambiguous in a key=value line. */
function textValue(value: string | number | boolean): string {
  if (typeof value !== 'string') return String(value);
  return value !== '' && /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
}

/** Template values go into the line as they are, except control characters, which are
 * escaped so a crafted URI cannot forge a second log line. */
function templateValue(value: string | number | boolean): string {
  if (typeof value !== 'string') return String(value);
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** Builds the function that turns a finished request into its log line (with newline). */
export function compileRequestLine(format: RequestLogFormat, ctx: RequestLogContext): (r: ObservedRequest, time: string) => string {
  const who = `worker ${ctx.worker}`;
  switch (format.kind) {
    case 'text':
      return (r, time) =>
        `${time} info [${who}] request addr=${textValue(r.remoteAddr)} method=${textValue(r.method)} uri=${textValue(r.uri)} ` +
        `status=${r.status} size=${r.bytesOut} rsize=${r.bytesIn} msecs=${fieldValue('msecs', r, ctx, time)}` +
        (r.aborted ? ' aborted=true\n' : '\n');
    case 'json':
      return (r, time) =>
        JSON.stringify({
          time,
          level: 'info',
          who,
          event: 'request',
          worker: ctx.worker,
          pid: ctx.pid,
          addr: r.remoteAddr,
          method: r.method,
          uri: r.uri,
          status: r.status,
          size: r.bytesOut,
          rsize: r.bytesIn,
          msecs: fieldValue('msecs', r, ctx, time),
          aborted: r.aborted,
        }) + '\n';
    case 'template': {
      // Split once: literal parts and field names alternate.
      const parts = format.template.split(FIELD_REF);
      return (r, time) => {
        let line = parts[0]!;
        for (let i = 1; i < parts.length; i += 2) {
          line += templateValue(fieldValue(parts[i] as RequestLogField, r, ctx, time)) + parts[i + 1]!;
        }
        return line + '\n';
      };
    }
  }
}
