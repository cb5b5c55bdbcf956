// See vars_parser.h for the contract. Known keys are recognised by length, then one
// probe byte, then memcmp, with lookup tables built at compile time from kKnownKeys.
#include "vars_parser.h"

#include <cstring>

namespace uwsgi_ts {
namespace {

constexpr size_t MaxKnownKeyLength() {
  size_t longest = 0;
  for (const std::string_view key : kKnownKeys) {
    if (key.size() > longest) longest = key.size();
  }
  return longest;
}

// Keys longer than this are unknown without looking at their bytes.
constexpr size_t kMaxKnownKeyLength = MaxKnownKeyLength();

// Known keys grouped by length. Within a group, probe_pos is the byte position where the
// group's names differ the most, so a key usually has to be memcmp'd against one name at
// most (only 13 names share the longest group, length 11).
struct KnownKeyTable {
  // The group of length L is entries [group_start[L], group_start[L + 1]).
  uint8_t group_start[kMaxKnownKeyLength + 2];
  uint8_t probe_pos[kMaxKnownKeyLength + 1];
  uint8_t id[kKnownKeyCount];          // per entry: the known key id
  uint8_t probe_byte[kKnownKeyCount];  // per entry: that name's byte at its group's probe_pos
};

constexpr size_t DistinctBytesAt(const KnownKeyTable& t, size_t first, size_t last, size_t pos) {
  size_t distinct = 0;
  for (size_t a = first; a < last; ++a) {
    bool seen = false;
    for (size_t b = first; b < a; ++b) {
      if (kKnownKeys[t.id[a]][pos] == kKnownKeys[t.id[b]][pos]) seen = true;
    }
    if (!seen) ++distinct;
  }
  return distinct;
}

constexpr KnownKeyTable BuildKnownKeyTable() {
  KnownKeyTable t{};
  // Counting sort of the ids by name length; ids keep table order within a group.
  size_t per_length[kMaxKnownKeyLength + 1] = {};
  for (const std::string_view key : kKnownKeys) ++per_length[key.size()];
  size_t next = 0;
  for (size_t len = 0; len <= kMaxKnownKeyLength; ++len) {
    t.group_start[len] = static_cast<uint8_t>(next);
    next += per_length[len];
  }
  t.group_start[kMaxKnownKeyLength + 1] = static_cast<uint8_t>(next);
  size_t fill[kMaxKnownKeyLength + 1] = {};
  for (size_t id = 0; id < kKnownKeyCount; ++id) {
    const size_t len = kKnownKeys[id].size();
    t.id[t.group_start[len] + fill[len]++] = static_cast<uint8_t>(id);
  }
  for (size_t len = 1; len <= kMaxKnownKeyLength; ++len) {
    const size_t first = t.group_start[len];
    const size_t last = t.group_start[len + 1];
    size_t best_pos = 0;
    size_t best_distinct = 0;
    for (size_t pos = 0; pos < len && first < last; ++pos) {
      const size_t distinct = DistinctBytesAt(t, first, last, pos);
      if (distinct > best_distinct) {
        best_distinct = distinct;
        best_pos = pos;
      }
    }
    t.probe_pos[len] = static_cast<uint8_t>(best_pos);
    for (size_t entry = first; entry < last; ++entry) {
      t.probe_byte[entry] = static_cast<uint8_t>(kKnownKeys[t.id[entry]][best_pos]);
    }
  }
  return t;
}

constexpr KnownKeyTable kKnownKeyTable = BuildKnownKeyTable();

static_assert(kKnownKeys[0] == "REQUEST_METHOD", "id 0 is REQUEST_METHOD (TS side: K.REQUEST_METHOD)");
static_assert(kMaxKnownKeyLength < 255, "probe positions must fit in a byte");

inline size_t ReadU16le(const uint8_t* p) {
  return static_cast<size_t>(p[0]) | (static_cast<size_t>(p[1]) << 8);
}

// Records a bad-bytes status: the tables keep the pairs parsed before the error.
inline int32_t Fail(int32_t* meta, ParseStatus status, size_t offset, size_t count,
                    int32_t duplicates) {
  meta[kMetaPairCount] = static_cast<int32_t>(count);
  meta[kMetaDuplicates] = duplicates;
  meta[kMetaErrorOffset] = static_cast<int32_t>(offset);
  return static_cast<int32_t>(status);
}

}  // namespace

int32_t RecogniseKnownKey(const uint8_t* key, size_t len) {
  if (len > kMaxKnownKeyLength) return kUnknownKeyId;
  const size_t first = kKnownKeyTable.group_start[len];
  const size_t last = kKnownKeyTable.group_start[len + 1];
  if (first == last) return kUnknownKeyId;
  const uint8_t probe = key[kKnownKeyTable.probe_pos[len]];
  for (size_t entry = first; entry < last; ++entry) {
    if (kKnownKeyTable.probe_byte[entry] != probe) continue;
    const uint8_t id = kKnownKeyTable.id[entry];
    if (std::memcmp(key, kKnownKeys[id].data(), len) == 0) return id;
  }
  return kUnknownKeyId;
}

void ResetParseResult(int32_t* known_index, int32_t* meta) {
  // Every byte 0xff is -1 (kNotPresent) in two's complement; 228 bytes, cheaper than
  // tracking which entries the previous parse set.
  static_assert(kNotPresent == -1, "memset fill relies on kNotPresent being all ones");
  if (known_index != nullptr) std::memset(known_index, 0xff, kKnownKeyCount * sizeof(int32_t));
  if (meta != nullptr) std::memset(meta, 0, kMetaLength * sizeof(int32_t));
}

int32_t ParseVars(const uint8_t* block, size_t len, int32_t* pairs, size_t max_pairs,
                  int32_t* known_index, int32_t* meta) {
  ResetParseResult(known_index, meta);
  if (known_index == nullptr || meta == nullptr || (block == nullptr && len != 0) ||
      (pairs == nullptr && max_pairs != 0) || len > kMaxBlockLength) {
    return static_cast<int32_t>(ParseStatus::BAD_ARGUMENTS);
  }

  // Every offset below is <= len <= kMaxBlockLength, so size_t sums cannot wrap and every
  // value fits in int32. Bounds are checked as "needed <= len - pos" (never "pos + needed
  // <= len") so no check depends on an addition that could wrap.
  size_t pos = 0;
  size_t count = 0;
  int32_t duplicates = 0;
  while (pos < len) {
    if (count == max_pairs) return Fail(meta, ParseStatus::TOO_MANY_VARS, pos, count, duplicates);
    if (len - pos < 2) return Fail(meta, ParseStatus::KEY_LENGTH_TRUNCATED, pos, count, duplicates);
    const size_t key_len = ReadU16le(block + pos);
    if (key_len == 0) return Fail(meta, ParseStatus::EMPTY_KEY, pos, count, duplicates);
    const size_t key_start = pos + 2;
    if (key_len > len - key_start) return Fail(meta, ParseStatus::KEY_OVERRUN, pos, count, duplicates);
    const size_t key_end = key_start + key_len;
    if (len - key_end < 2) {
      return Fail(meta, ParseStatus::VALUE_LENGTH_MISSING, key_end, count, duplicates);
    }
    const size_t value_len = ReadU16le(block + key_end);
    const size_t value_start = key_end + 2;
    if (value_len > len - value_start) {
      return Fail(meta, ParseStatus::VALUE_OVERRUN, key_end, count, duplicates);
    }
    const size_t value_end = value_start + value_len;

    const int32_t id = RecogniseKnownKey(block + key_start, key_len);
    int32_t* pair = pairs + count * kPairStride;
    pair[kPairKeyId] = id;
    pair[kPairKeyStart] = static_cast<int32_t>(key_start);
    pair[kPairValueStart] = static_cast<int32_t>(value_start);
    pair[kPairValueEnd] = static_cast<int32_t>(value_end);
    if (id != kUnknownKeyId) {
      if (known_index[id] == kNotPresent) {
        known_index[id] = static_cast<int32_t>(count);
      } else {
        ++duplicates;
      }
    }
    ++count;
    pos = value_end;
  }
  meta[kMetaPairCount] = static_cast<int32_t>(count);
  meta[kMetaDuplicates] = duplicates;
  meta[kMetaErrorOffset] = 0;
  return static_cast<int32_t>(count);
}

}  // namespace uwsgi_ts
