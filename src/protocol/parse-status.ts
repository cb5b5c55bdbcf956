/**
 * Results of a vars-block parse. A parse returns the pair count (>= 0) or one of these
 * negative values; native/parse_status.h holds the same numbers (a test compares them).
 * Each has a stable string code for log lines and metric labels: never rename one.
 */
export const ParseStatus = Object.freeze({
  OK: 0,
  KEY_LENGTH_TRUNCATED: -1,
  EMPTY_KEY: -2,
  KEY_OVERRUN: -3,
  VALUE_LENGTH_MISSING: -4,
  VALUE_OVERRUN: -5,
  TOO_MANY_VARS: -6,
  BAD_ARGUMENTS: -7,
} as const);

export type ParseStatus = (typeof ParseStatus)[keyof typeof ParseStatus];
export type ParseStatusName = keyof typeof ParseStatus;

/** Stable code per status: 'ok', 'vars_key_overrun', … */
export const PARSE_STATUS_CODES: Readonly<Record<ParseStatus, string>> = Object.freeze({
  [ParseStatus.OK]: 'ok',
  [ParseStatus.KEY_LENGTH_TRUNCATED]: 'vars_key_length_truncated',
  [ParseStatus.EMPTY_KEY]: 'vars_empty_key',
  [ParseStatus.KEY_OVERRUN]: 'vars_key_overrun',
  [ParseStatus.VALUE_LENGTH_MISSING]: 'vars_value_length_missing',
  [ParseStatus.VALUE_OVERRUN]: 'vars_value_overrun',
  [ParseStatus.TOO_MANY_VARS]: 'vars_too_many_vars',
  [ParseStatus.BAD_ARGUMENTS]: 'vars_bad_arguments',
});

/** One line per status code, for logs and docs. */
export const PARSE_STATUS_DESCRIPTIONS: Readonly<Record<string, string>> = Object.freeze({
  ok: 'the vars block parsed',
  vars_key_length_truncated: 'one dangling byte where a 2-byte key length should be',
  vars_empty_key: 'a var with a zero-length key',
  vars_key_overrun: 'a key length runs past the end of the vars block',
  vars_value_length_missing: 'a key is not followed by a complete 2-byte value length',
  vars_value_overrun: 'a value length runs past the end of the vars block',
  vars_too_many_vars: 'more vars than the configured limit',
  vars_bad_arguments: 'the parser was called with an invalid buffer or offsets (a bug, not bad bytes)',
});

/** Code for a value that is no ParseStatus (cannot come from either parser). */
const UNKNOWN_STATUS_CODE = 'vars_unknown_status';

/** The stable code of a parse result: 'ok' for any count >= 0. */
export function parseStatusCode(status: number): string {
  if (status >= 0) return PARSE_STATUS_CODES[ParseStatus.OK];
  return (PARSE_STATUS_CODES as Record<number, string | undefined>)[status] ?? UNKNOWN_STATUS_CODE;
}

/** The one-line description of a parse result. */
export function parseStatusDescription(status: number): string {
  return PARSE_STATUS_DESCRIPTIONS[parseStatusCode(status)] ?? 'not a parse status';
}
