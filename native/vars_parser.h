// The uwsgi vars-block parser core: bytes in, offsets out.
//
// Includes no N-API header on purpose, so the fuzzer and sanitizer builds
// (native/fuzz/) link this file alone. The N-API binding (parser_binding.cc) is a thin
// shell around ParseVars; src/protocol/vars-parser-js.ts implements the same contract
// in TS and the tests check that both give identical results.
#pragma once

#include <cstddef>
#include <cstdint>

#include "known_keys.h"
#include "parse_status.h"

namespace uwsgi_ts {

// The pairs table holds 4 int32 per var, in block order.
inline constexpr size_t kPairStride = 4;
inline constexpr size_t kPairKeyId = 0;       // known key id, or kUnknownKeyId
inline constexpr size_t kPairKeyStart = 1;    // key bytes: [keyStart, valueStart - 2)
inline constexpr size_t kPairValueStart = 2;  // value bytes: [valueStart, valueEnd)
inline constexpr size_t kPairValueEnd = 3;
inline constexpr int32_t kUnknownKeyId = -1;

// known_index[id] for a key that is absent from the block.
inline constexpr int32_t kNotPresent = -1;

// The meta table.
inline constexpr size_t kMetaPairCount = 0;    // pairs written (on error: complete pairs before it)
inline constexpr size_t kMetaDuplicates = 1;   // later occurrences of an already-seen known key
inline constexpr size_t kMetaErrorOffset = 2;  // where the error was found; 0 on success
inline constexpr size_t kMetaLength = 3;

// Offsets are stored as int32 (they become JS Int32Array entries), so a block can be at
// most this long. A real uwsgi block is at most 65535 bytes (datasize is a u16).
inline constexpr size_t kMaxBlockLength = 0x7fffffff;

// Parses the vars block [block, block + len): records of
// [u16le key length][key][u16le value length][value] that must end exactly at len.
//
// Writes, per pair, {keyId, keyStart, valueStart, valueEnd} into pairs (offsets relative
// to block); sets known_index[id] (kKnownKeyCount entries) to the index of the first pair
// with that known key, kNotPresent otherwise; fills meta (kMetaLength entries).
//
// Returns the pair count (>= 0) or a negative ParseStatus. On a bad-bytes status, the
// tables describe the complete pairs before the error and meta[kMetaErrorOffset] is the
// offset of the faulty length field (or of where a missing one should start). On
// BAD_ARGUMENTS (null pointers, len > kMaxBlockLength) they describe an empty result.
//
// Never reads outside [block, block + len), never writes outside
// pairs[0, max_pairs * kPairStride), known_index[0, kKnownKeyCount), meta[0, kMetaLength).
// Linear in len; no allocation.
int32_t ParseVars(const uint8_t* block, size_t len, int32_t* pairs, size_t max_pairs,
                  int32_t* known_index, int32_t* meta);

// Sets the tables to "no pairs" (what ParseVars does first). For callers that detect bad
// arguments before they can call ParseVars.
void ResetParseResult(int32_t* known_index, int32_t* meta);

// The known key id of key[0, len), or kUnknownKeyId. len must be >= 1.
int32_t RecogniseKnownKey(const uint8_t* key, size_t len);

}  // namespace uwsgi_ts
