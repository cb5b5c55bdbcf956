// Results of ParseVars (native/vars_parser.h). A parse returns the pair count (>= 0) or
// one of these negative values. src/protocol/parse-status.ts holds the same values with
// their stable string codes and descriptions (a test compares this file with it); keep
// both in step and never renumber: the numbers cross the N-API boundary as plain int32.
#pragma once

#include <cstdint>

namespace uwsgi_ts {

enum class ParseStatus : int32_t {
  // Success. ParseVars returns the pair count instead, so this value is never returned
  // as such except for an empty block (0 pairs).
  OK = 0,
  // One dangling byte where a 2-byte key length should start.
  KEY_LENGTH_TRUNCATED = -1,
  // A key length of 0: a var without a name.
  EMPTY_KEY = -2,
  // The key length runs past the end of the block.
  KEY_OVERRUN = -3,
  // The key is not followed by a complete 2-byte value length.
  VALUE_LENGTH_MISSING = -4,
  // The value length runs past the end of the block.
  VALUE_OVERRUN = -5,
  // The block holds more vars than the pairs table has room for.
  TOO_MANY_VARS = -6,
  // The caller's buffer, offsets or result tables are not valid (binding misuse, not bad
  // packet bytes).
  BAD_ARGUMENTS = -7,
};

}  // namespace uwsgi_ts
