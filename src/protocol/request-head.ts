/**
 * Turns a parsed environ into the request facts every transport and app shape needs, or
 * into a refusal with an HTTP status (the vars block parsed, so a 4xx can be answered).
 * Framing is by CONTENT_LENGTH alone (nginx de-chunks bodies but still forwards
 * HTTP_TRANSFER_ENCODING; HTTP_CONTENT_LENGTH may disagree and loses).
 */
import { K } from './known-keys';
import type { Environ } from './environ';
import { MAX_CONTENT_LENGTH_DIGITS } from './limits';

export type BadRequestCode =
  | 'missing_method'
  | 'bad_content_length'
  | 'conflicting_vars'
  | 'body_too_large';

export interface RequestHead {
  method: string;
  /** Raw request target as the client sent it (REQUEST_URI), never re-decoded. */
  url: string;
  /** Body bytes that follow the vars block; 0 when CONTENT_LENGTH is absent or "". */
  contentLength: number;
  /** Whether CONTENT_LENGTH was given at all (GET from nginx sends ""). */
  hasContentLength: boolean;
  httpVersionMajor: number;
  httpVersionMinor: number;
}

export interface BadRequest {
  status: 400 | 413;
  code: BadRequestCode;
  detail: string;
  /** Body bytes still to drain after the answer (a 413 for a body over --limit-post), so
   * nginx reads the answer instead of a reset; 0 when the length is unknown or unusable. */
  drainBytes: number;
}

const CHAR_0 = 48;
const CHAR_9 = 57;

/** Only ^[0-9]+$ is a length: no sign, space, hex, exponent or non-ASCII digit.
 * Returns -1 for a bad string, -2 for one too long to be exact. */
export function parseContentLength(value: string): number {
  const len = value.length;
  if (len === 0) return -1;
  for (let i = 0; i < len; i++) {
    const c = value.charCodeAt(i);
    if (c < CHAR_0 || c > CHAR_9) return -1;
  }
  if (len > MAX_CONTENT_LENGTH_DIGITS) return -2;
  return +value;
}

function parseVersion(protocol: string | undefined, head: RequestHead): void {
  // "HTTP/1.1", "HTTP/1.0", "HTTP/2.0"; anything else keeps the HTTP/1.1 default.
  if (protocol !== undefined && protocol.length === 8 && protocol.startsWith('HTTP/') && protocol[6] === '.') {
    const major = protocol.charCodeAt(5) - CHAR_0;
    const minor = protocol.charCodeAt(7) - CHAR_0;
    if (major >= 0 && major <= 9 && minor >= 0 && minor <= 9) {
      head.httpVersionMajor = major;
      head.httpVersionMinor = minor;
    }
  }
}

/** Rebuilds a request target when REQUEST_URI is missing: PATH_INFO is already decoded by
 * the front server, so it is re-encoded rather than passed through. */
function urlFromParts(environ: Environ): string {
  const script = environ.getKnown(K.SCRIPT_NAME) ?? '';
  const path = encodeURI(script + (environ.getKnown(K.PATH_INFO) ?? '')) || '/';
  const query = environ.getKnown(K.QUERY_STRING);
  return query ? `${path}?${query}` : path;
}

/**
 * @param limitPost largest accepted body in bytes (0 = no limit beyond 2^53).
 */
export function readRequestHead(environ: Environ, limitPost: number): RequestHead | BadRequest {
  // Cheap when no known key repeats (the parser counts those), which is nearly always.
  const conflict = environ.conflictingKey();
  if (conflict !== null) {
    return { status: 400, code: 'conflicting_vars', detail: `${conflict} repeated with different values`, drainBytes: 0 };
  }
  const method = environ.getKnown(K.REQUEST_METHOD);
  if (method === undefined || method === '') {
    return { status: 400, code: 'missing_method', detail: 'no REQUEST_METHOD', drainBytes: 0 };
  }
  const head: RequestHead = {
    method,
    url: environ.getKnown(K.REQUEST_URI) || urlFromParts(environ),
    contentLength: 0,
    hasContentLength: false,
    httpVersionMajor: 1,
    httpVersionMinor: 1,
  };
  const cl = environ.getKnown(K.CONTENT_LENGTH);
  if (cl !== undefined && cl !== '') {
    const n = parseContentLength(cl);
    if (n === -1) {
      return { status: 400, code: 'bad_content_length', detail: `CONTENT_LENGTH ${JSON.stringify(cl)} is not a decimal length`, drainBytes: 0 };
    }
    if (n === -2) return { status: 413, code: 'body_too_large', detail: `CONTENT_LENGTH ${cl} is above 2^53`, drainBytes: 0 };
    if (limitPost > 0 && n > limitPost) {
      return { status: 413, code: 'body_too_large', detail: `CONTENT_LENGTH ${cl} is above the limit of ${limitPost}`, drainBytes: n };
    }
    head.contentLength = n;
    head.hasContentLength = true;
  }
  parseVersion(environ.getKnown(K.SERVER_PROTOCOL), head);
  return head;
}

export function isBadRequest(x: RequestHead | BadRequest): x is BadRequest {
  return (x as BadRequest).code !== undefined;
}
