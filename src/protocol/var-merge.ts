/**
 * How repeated vars merge into one value (protocol-cases 15-16). nginx ≤ 1.22 forwards a
 * repeated request header as a repeated HTTP_* var; 1.23+ joins them itself with ", "
 * ("; " for Cookie), and merging the same way here makes both look alike to the app.
 */
import { HTTP_PREFIX, KNOWN_KEYS } from './known-keys';

export const MergeRule = Object.freeze({
  /** Values joined with ", " (HTTP list headers, unknown vars). */
  COMMA: 0,
  /** Values joined with "; " (HTTP_COOKIE, as RFC 6265 and nginx 1.23+ join cookies). */
  SEMICOLON: 1,
  /**
   * One value only: a repeat with the same value is that value, a repeat with another value
   * is a conflict (the worker answers 400; the first value is what a lookup returns).
   */
  SINGLETON: 2,
} as const);
export type MergeRule = (typeof MergeRule)[keyof typeof MergeRule];

export const COMMA_SEPARATOR = ', ';
export const COOKIE_SEPARATOR = '; ';

/**
 * HTTP_* vars that still must have one value: two Hosts or two Content-Lengths that
 * differ are a request-smuggling shape, never something to join.
 */
const SINGLETON_HEADERS: ReadonlySet<string> = new Set(['HTTP_HOST', 'HTTP_CONTENT_LENGTH']);

/** Every known CGI var (no HTTP_ prefix) is a singleton: nginx sets each once. */
export function mergeRuleOf(key: string): MergeRule {
  if (key === 'HTTP_COOKIE') return MergeRule.SEMICOLON;
  if (SINGLETON_HEADERS.has(key)) return MergeRule.SINGLETON;
  if (key.startsWith(HTTP_PREFIX)) return MergeRule.COMMA;
  return KNOWN_KEYS.includes(key as (typeof KNOWN_KEYS)[number]) ? MergeRule.SINGLETON : MergeRule.COMMA;
}

/** mergeRuleOf per known key id. */
export const KNOWN_MERGE_RULES: Uint8Array = Uint8Array.from(KNOWN_KEYS, mergeRuleOf);
