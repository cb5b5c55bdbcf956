/**
 * The CGI/nginx var names the parser recognises. A key's id is its index here.
 *
 * native/known_keys.h lists the same names in the same order (a test compares the addon's
 * knownKeys() with this table), so an id written by the native parser maps to a constant
 * string here and a known key is never copied out of the packet.
 *
 * Order is part of the contract: append new names at the end, never reorder or remove.
 */
export const KNOWN_KEYS = Object.freeze([
  // CGI vars set by nginx's uwsgi_params.
  'REQUEST_METHOD',
  'REQUEST_URI',
  'QUERY_STRING',
  'PATH_INFO',
  'CONTENT_TYPE',
  'CONTENT_LENGTH',
  'SERVER_PROTOCOL',
  'REQUEST_SCHEME',
  'HTTPS',
  'REMOTE_ADDR',
  'REMOTE_PORT',
  'SERVER_ADDR',
  'SERVER_PORT',
  'SERVER_NAME',
  'DOCUMENT_ROOT',
  'SCRIPT_NAME',
  'REMOTE_USER',
  // Request headers, as nginx forwards them (HTTP_ + upper case, '-' → '_').
  'HTTP_HOST',
  'HTTP_USER_AGENT',
  'HTTP_ACCEPT',
  'HTTP_ACCEPT_LANGUAGE',
  'HTTP_ACCEPT_ENCODING',
  'HTTP_CONNECTION',
  'HTTP_COOKIE',
  'HTTP_CONTENT_TYPE',
  'HTTP_CONTENT_LENGTH',
  'HTTP_TRANSFER_ENCODING',
  'HTTP_REFERER',
  'HTTP_ORIGIN',
  'HTTP_AUTHORIZATION',
  'HTTP_CACHE_CONTROL',
  'HTTP_PRAGMA',
  'HTTP_UPGRADE_INSECURE_REQUESTS',
  'HTTP_UPGRADE',
  'HTTP_X_FORWARDED_FOR',
  'HTTP_X_FORWARDED_PROTO',
  'HTTP_X_FORWARDED_HOST',
  'HTTP_X_REAL_IP',
  'HTTP_X_REQUEST_ID',
  'HTTP_X_REQUESTED_WITH',
  'HTTP_IF_NONE_MATCH',
  'HTTP_IF_MODIFIED_SINCE',
  'HTTP_IF_MATCH',
  'HTTP_IF_UNMODIFIED_SINCE',
  'HTTP_RANGE',
  'HTTP_EXPECT',
  'HTTP_DNT',
  'HTTP_TE',
  'HTTP_SEC_FETCH_DEST',
  'HTTP_SEC_FETCH_MODE',
  'HTTP_SEC_FETCH_SITE',
  'HTTP_SEC_FETCH_USER',
  'HTTP_SEC_CH_UA',
  'HTTP_SEC_CH_UA_MOBILE',
  'HTTP_SEC_CH_UA_PLATFORM',
  'HTTP_PRIORITY',
  'HTTP_TRACEPARENT',
] as const);

export type KnownKey = (typeof KNOWN_KEYS)[number];

export const KNOWN_KEY_COUNT: number = KNOWN_KEYS.length;

/** Known key id by name: K.REQUEST_METHOD === 0, … */
export const K: { readonly [Name in KnownKey]: number } = Object.freeze(
  Object.fromEntries(KNOWN_KEYS.map((name, id) => [name, id])) as { [Name in KnownKey]: number },
);

/** Name → id for any string (undefined when the key is not known). */
export const KNOWN_KEY_IDS: ReadonlyMap<string, number> = new Map(KNOWN_KEYS.map((name, id) => [name, id]));

/** The prefix nginx puts before a forwarded request header's name. */
export const HTTP_PREFIX = 'HTTP_';

const CHAR_UNDERSCORE = 0x5f;
const CHAR_UPPER_A = 0x41;
const CHAR_UPPER_Z = 0x5a;
const ASCII_CASE_OFFSET = 0x20;

/**
 * The HTTP header name a var stands for: HTTP_X_FOO_BAR → x-foo-bar; null for a var that
 * is not a header (no HTTP_ prefix, or nothing after it). Only ASCII letters are lowered,
 * so any other byte of an unusual key reaches the header name unchanged.
 */
export function httpHeaderName(key: string): string | null {
  if (key.length <= HTTP_PREFIX.length || !key.startsWith(HTTP_PREFIX)) return null;
  let name = '';
  for (let i = HTTP_PREFIX.length; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c === CHAR_UNDERSCORE) name += '-';
    else if (c >= CHAR_UPPER_A && c <= CHAR_UPPER_Z) name += String.fromCharCode(c + ASCII_CASE_OFFSET);
    else name += key[i];
  }
  return name;
}

/** Per known id: the lower-case dashed header name for HTTP_* keys, null for CGI keys. */
export const KNOWN_HEADER_NAMES: readonly (string | null)[] = Object.freeze(KNOWN_KEYS.map(httpHeaderName));
