/**
 * The request's HTTP headers, recovered from the uwsgi vars as node:http would have
 * parsed them: lower-case names in arrival order ([name, value, name, value, ...], the
 * shape of IncomingMessage.rawHeaders). CONTENT_TYPE and CONTENT_LENGTH come from the CGI
 * vars (Apache sends no HTTP_CONTENT_* duplicates; nginx sends both and the CGI ones are
 * authoritative for framing); HTTP_TRANSFER_ENCODING is dropped because the body is
 * framed by CONTENT_LENGTH (nginx de-chunks before forwarding); a missing Host (HTTP/1.0)
 * is rebuilt from SERVER_NAME and SERVER_PORT.
 */
import type { Environ } from '../protocol/environ';
import { K, KNOWN_HEADER_NAMES, httpHeaderName } from '../protocol/known-keys';

/** Unknown HTTP_* keys seen so far and their header names; bounded because keys come
 * from clients (an attacker could send endless distinct names). */
const UNKNOWN_NAME_CACHE_MAX = 1024;
const unknownNames = new Map<string, string | null>();

function headerNameOfUnknown(key: string): string | null {
  let name = unknownNames.get(key);
  if (name === undefined) {
    name = httpHeaderName(key);
    if (unknownNames.size < UNKNOWN_NAME_CACHE_MAX) unknownNames.set(key, name);
  }
  return name;
}

export function isHttps(environ: Environ): boolean {
  const https = environ.getKnown(K.HTTPS);
  if (https !== undefined && https !== '' && https.toLowerCase() !== 'off') return true;
  return environ.getKnown(K.REQUEST_SCHEME) === 'https';
}

/** Host when the client sent none: SERVER_NAME, with SERVER_PORT unless it is the
 * scheme's default. */
export function fallbackHost(environ: Environ): string {
  const name = environ.getKnown(K.SERVER_NAME) || environ.getKnown(K.SERVER_ADDR) || 'localhost';
  const port = environ.getKnown(K.SERVER_PORT);
  const defaultPort = isHttps(environ) ? '443' : '80';
  return port && port !== defaultPort ? `${name}:${port}` : name;
}

/** Walks the pairs by key id and cuts a value out of the block only for the pairs that
 * become headers (a third or more of an nginx packet are CGI vars that do not). */
export function buildRawHeaders(environ: Environ): string[] {
  const raw: string[] = [];
  let sawHost = false;
  const size = environ.size;
  for (let i = 0; i < size; i++) {
    const keyId = environ.keyIdAt(i);
    if (keyId < 0) {
      const key = environ.keyAt(i);
      if (key.length > 5 && key.startsWith('HTTP_')) {
        const name = headerNameOfUnknown(key);
        if (name !== null) raw.push(name, environ.valueAt(i));
      }
      continue;
    }
    switch (keyId) {
      case K.CONTENT_TYPE:
      case K.CONTENT_LENGTH: {
        const value = environ.valueAt(i);
        if (value !== '') raw.push(keyId === K.CONTENT_TYPE ? 'content-type' : 'content-length', value);
        continue;
      }
      case K.HTTP_CONTENT_TYPE:
      case K.HTTP_CONTENT_LENGTH:
      case K.HTTP_TRANSFER_ENCODING:
        continue;
      case K.HTTP_HOST:
        sawHost = true;
        break;
    }
    const name = KNOWN_HEADER_NAMES[keyId];
    if (name !== null) raw.push(name, environ.valueAt(i));
  }
  if (!sawHost) raw.push('host', fallbackHost(environ));
  return raw;
}
