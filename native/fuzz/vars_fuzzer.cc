// libFuzzer target for the vars parser core (native/vars_parser.cc), linked without N-API.
//
// An input is a whole packet: with 4 or more bytes, a uwsgi header (modifier1, datasize
// u16le, modifier2) then the block, parsed up to datasize bytes (fewer if the input is
// shorter; the rest stands for body bytes). Shorter inputs are parsed whole. Each block is
// parsed with the default table and again with a small max_pairs taken from the input, and
// the results are checked against the contract in vars_parser.h.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "../vars_parser.h"
#include "fuzz_tables.h"

namespace {

using uwsgi_ts::kKnownKeyCount;
using uwsgi_ts::kMetaDuplicates;
using uwsgi_ts::kMetaErrorOffset;
using uwsgi_ts::kMetaLength;
using uwsgi_ts::kMetaPairCount;
using uwsgi_ts::kPairStride;
using uwsgi_ts::ParseStatus;

constexpr size_t kHeaderSize = 4;
using fuzz::kDefaultMaxPairs;
using fuzz::kSmallMaxPairsModulo;
using fuzz::Tables;

bool IsBadBytesStatus(int32_t status) {
  return status <= static_cast<int32_t>(ParseStatus::KEY_LENGTH_TRUNCATED) &&
         status >= static_cast<int32_t>(ParseStatus::TOO_MANY_VARS);
}

// Checks one parse result against the contract; returns it.
int32_t ParseAndCheck(const uint8_t* block, size_t len, Tables& t) {
  const int32_t status = uwsgi_ts::ParseVars(block, len, t.Pairs(), t.max_pairs, t.KnownIndex(), t.Meta());
  t.CheckCanaries();
  const int32_t* meta = t.Meta();
  const int32_t* pairs = t.Pairs();
  const int32_t* known_index = t.KnownIndex();

  CHECK(status >= 0 || IsBadBytesStatus(status));  // never BAD_ARGUMENTS for valid pointers
  const int32_t count = meta[kMetaPairCount];
  CHECK(count >= 0 && static_cast<size_t>(count) <= t.max_pairs);
  if (status >= 0) {
    CHECK(status == count);
    CHECK(meta[kMetaErrorOffset] == 0);
  } else {
    CHECK(meta[kMetaErrorOffset] >= 0 && static_cast<size_t>(meta[kMetaErrorOffset]) <= len);
  }
  CHECK(meta[kMetaDuplicates] >= 0 && meta[kMetaDuplicates] <= count);

  // Pairs tile the block from 0 without gaps: each starts where the previous one ended.
  size_t expected_key_length_at = 0;
  int32_t duplicates = 0;
  for (int32_t i = 0; i < count; ++i) {
    const int32_t* pair = pairs + static_cast<size_t>(i) * kPairStride;
    const int32_t key_id = pair[0], key_start = pair[1], value_start = pair[2], value_end = pair[3];
    CHECK(key_start >= 2 && static_cast<size_t>(key_start) == expected_key_length_at + 2);
    CHECK(value_start >= key_start + 3);  // a key of >= 1 byte, then a 2-byte value length
    CHECK(value_start <= value_end && static_cast<size_t>(value_end) <= len);
    const size_t key_len = static_cast<size_t>(value_start - 2 - key_start);
    CHECK(key_len == (static_cast<size_t>(block[key_start - 2]) | static_cast<size_t>(block[key_start - 1]) << 8));
    CHECK(key_id >= -1 && key_id < static_cast<int32_t>(kKnownKeyCount));
    if (key_id >= 0) {
      const std::string_view name = uwsgi_ts::kKnownKeys[key_id];
      CHECK(name.size() == key_len && std::memcmp(name.data(), block + key_start, key_len) == 0);
      CHECK(known_index[key_id] >= 0 && known_index[key_id] <= i);
      if (known_index[key_id] != i) ++duplicates;
    } else {
      CHECK(uwsgi_ts::RecogniseKnownKey(block + key_start, key_len) == -1);
    }
    expected_key_length_at = static_cast<size_t>(value_end);
  }
  CHECK(duplicates == meta[kMetaDuplicates]);
  if (status >= 0) CHECK(expected_key_length_at == len);
  // Every present known key points at a pair with that id.
  for (size_t id = 0; id < kKnownKeyCount; ++id) {
    const int32_t index = known_index[id];
    CHECK(index >= -1 && index < count);
    if (index >= 0) CHECK(pairs[static_cast<size_t>(index) * kPairStride] == static_cast<int32_t>(id));
  }
  return status;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const uint8_t* block = data;
  size_t len = size;
  size_t small_max_pairs = 0;
  if (size >= kHeaderSize) {
    const size_t datasize = static_cast<size_t>(data[1]) | static_cast<size_t>(data[2]) << 8;
    block = data + kHeaderSize;
    len = size - kHeaderSize < datasize ? size - kHeaderSize : datasize;
    small_max_pairs = data[3] % kSmallMaxPairsModulo;  // modifier2
  }
  // Copy the block to a heap buffer of exactly len bytes so ASan flags any read past it
  // (the fuzzer's own input buffer may have bytes after the block: the "body").
  std::vector<uint8_t> exact(block, block + len);
  const uint8_t* exact_block = exact.empty() ? nullptr : exact.data();

  Tables full(kDefaultMaxPairs);
  const int32_t status = ParseAndCheck(exact_block, len, full);

  Tables small(small_max_pairs);
  const int32_t small_status = ParseAndCheck(exact_block, len, small);
  // Parsing goes record by record, so a smaller table either gives the same result, or
  // stops with TOO_MANY_VARS after exactly its limit of pairs, which the full parse also has.
  const size_t small_count = static_cast<size_t>(small.Meta()[kMetaPairCount]);
  const size_t full_count = static_cast<size_t>(full.Meta()[kMetaPairCount]);
  if (small_status == static_cast<int32_t>(ParseStatus::TOO_MANY_VARS)) {
    CHECK(small_count == small_max_pairs);
    CHECK(full_count >= small_count);
  } else {
    CHECK(small_status == status);
    CHECK(std::memcmp(small.Meta(), full.Meta(), kMetaLength * sizeof(int32_t)) == 0);
  }
  CHECK(std::memcmp(small.Pairs(), full.Pairs(), small_count * kPairStride * sizeof(int32_t)) == 0);

  // The whole input as one block too (no header), so the header bytes get parsed as vars.
  Tables raw(kDefaultMaxPairs);
  ParseAndCheck(size == 0 ? nullptr : data, size, raw);
  return 0;
}
