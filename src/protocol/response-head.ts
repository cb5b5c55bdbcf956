/**
 * The response head as nginx and Apache need it: a real `HTTP/1.1 NNN Reason` status line
 * (mod_proxy_uwsgi answers 502 without one), headers, blank line, written in one write.
 * Never Transfer-Encoding (nginx's uwsgi module drops the header and forwards the chunk
 * framing as body); the response ends when the connection closes, and Content-Length is
 * sent when the length is known. Invalid status codes and CR/LF/NUL in header names or
 * values are refused here, because nginx passes them through to the client.
 */
import { STATUS_CODES } from 'node:http';

export const MIN_STATUS = 100;
export const MAX_STATUS = 599;

export class ResponseHeadError extends Error {
  readonly code: 'UWSGI_TS_INVALID_STATUS' | 'UWSGI_TS_INVALID_HEADER';
  constructor(code: ResponseHeadError['code'], message: string) {
    super(message);
    this.name = 'ResponseHeadError';
    this.code = code;
  }
}

export function isValidStatus(status: unknown): status is number {
  return typeof status === 'number' && Number.isInteger(status) && status >= MIN_STATUS && status <= MAX_STATUS;
}

export function reasonPhrase(status: number): string {
  return STATUS_CODES[status] ?? 'Unknown';
}

/** RFC 9110 token characters. */
function isTokenChar(c: number): boolean {
  return (
    (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) ||
    c === 0x21 || (c >= 0x23 && c <= 0x27) || c === 0x2a || c === 0x2b || c === 0x2d ||
    c === 0x2e || c === 0x5e || c === 0x5f || c === 0x60 || c === 0x7c || c === 0x7e
  );
}

export function isValidHeaderName(name: string): boolean {
  if (name.length === 0) return false;
  for (let i = 0; i < name.length; i++) if (!isTokenChar(name.charCodeAt(i))) return false;
  return true;
}

/** Field values: HTAB, visible ASCII, space and obs-text (0x80-0xFF); never CR, LF, NUL or
 * other controls, which would split or truncate the head. */
export function isValidHeaderValue(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f || c > 0xff) return false;
  }
  return true;
}

/** Whether a response to `method` with `status` carries no body (RFC 9110: HEAD, 1xx, 204,
 * 304), whatever the app gave as one. */
export function responseHasNoBody(method: string, status: number): boolean {
  return method === 'HEAD' || status === 204 || status === 304 || status < 200;
}

/** Headers that describe the connection or its framing, which the server owns. */
export function isHopByHopHeader(lowerName: string): boolean {
  return lowerName === 'transfer-encoding' || lowerName === 'connection' || lowerName === 'keep-alive';
}

/** Status lines with the standard reason phrase, made on first use: the same few are
 * sent over and over, so building and checking one is once-per-status work. */
const standardStatusLines: (string | undefined)[] = [];

/** The status line; throws a ResponseHeadError for a bad status or reason phrase. */
export function statusLine(status: number, reason: string | undefined): string {
  if (!isValidStatus(status)) {
    throw new ResponseHeadError('UWSGI_TS_INVALID_STATUS', `invalid status code ${String(status)} (allowed: integers 100-599)`);
  }
  if (!reason) return (standardStatusLines[status] ??= `HTTP/1.1 ${status} ${reasonPhrase(status)}\r\n`);
  if (!isValidHeaderValue(reason)) {
    throw new ResponseHeadError('UWSGI_TS_INVALID_HEADER', 'invalid character in the reason phrase');
  }
  return `HTTP/1.1 ${status} ${reason}\r\n`;
}

/** One `name: value` line, or '' for a header the server owns (hop-by-hop headers and
 * Content-Length, which the caller sends itself when it knows the length). Throws a
 * ResponseHeadError for a bad name or value. */
export function headerLine(name: string, value: string): string {
  const lower = name.toLowerCase();
  if (isHopByHopHeader(lower) || lower === 'content-length') return '';
  if (!isValidHeaderName(name)) {
    throw new ResponseHeadError('UWSGI_TS_INVALID_HEADER', `invalid header name ${JSON.stringify(name)}`);
  }
  if (!isValidHeaderValue(value)) {
    throw new ResponseHeadError('UWSGI_TS_INVALID_HEADER', `invalid character in the value of header ${JSON.stringify(name)}`);
  }
  return `${name}: ${value}\r\n`;
}

/** The Content-Length line and the blank line that end a head (-1: length unknown). */
export function endOfHead(contentLength: number): string {
  return contentLength >= 0 ? `Content-Length: ${contentLength}\r\n\r\n` : '\r\n';
}

/**
 * Builds a head from name/value pairs (already lower- or mixed-case). Throws a
 * ResponseHeadError for a bad status or header; drops hop-by-hop headers and any
 * Content-Length from `headers` in favour of `contentLength` (-1 = unknown, none sent).
 */
export function serializeHead(
  status: number,
  reason: string | undefined,
  headers: Iterable<readonly [string, string]>,
  contentLength: number,
): string {
  let head = statusLine(status, reason);
  for (const [name, value] of headers) head += headerLine(name, value);
  return head + endOfHead(contentLength);
}

/** A complete plain-text response for answers the server gives itself (400, 413, 500, 504). */
export function simpleResponse(status: number, message?: string): Buffer {
  const body = `${message ?? reasonPhrase(status)}\n`;
  const head = serializeHead(status, undefined, [['Content-Type', 'text/plain; charset=utf-8']], Buffer.byteLength(body));
  return Buffer.from(head + body, 'latin1');
}
