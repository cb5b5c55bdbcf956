// See vars_parser.h for the contract. Known keys are recognised with a hash table built at
// compile time from kKnownKeys: one slot lookup on (length, last 8 bytes), then a compare
// of whatever bytes precede those 8.
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

// A key's signature word: its last 8 bytes as a little-endian integer; a key of 4-7 bytes
// gives its first and last 4 bytes (overlapping, so every byte counts), a shorter one all
// of its bytes. With the length it tells the known keys apart (checked below), so a key of
// up to 8 bytes is recognised by comparing one word, a longer one by comparing the rest.
constexpr uint64_t LittleEndian(const char* bytes, size_t count) {
  uint64_t word = 0;
  for (size_t i = 0; i < count; ++i) word |= static_cast<uint64_t>(static_cast<uint8_t>(bytes[i])) << (8 * i);
  return word;
}

constexpr uint64_t SignatureOf(const char* key, size_t len) {
  if (len >= 8) return LittleEndian(key + len - 8, 8);
  if (len >= 4) return LittleEndian(key, 4) | (LittleEndian(key + len - 4, 4) << 32);
  return LittleEndian(key, len);
}

// Hash slots: a power of two at least four times the known key count. A table under a
// quarter full keeps probe runs short, which matters most for unknown keys: their lookup
// ends only at an empty slot.
constexpr unsigned kSlotBits = 8;
constexpr size_t kSlotCount = size_t{1} << kSlotBits;
constexpr uint8_t kEmptySlot = 0xff;
static_assert(kKnownKeyCount < kEmptySlot && kKnownKeyCount * 4 <= kSlotCount, "known key table too small");

constexpr size_t SlotOf(uint64_t signature, size_t len) {
  // Fibonacci hashing: the multiply spreads every input bit into the top bits.
  return static_cast<size_t>(((signature ^ len) * 0x9E3779B97F4A7C15ull) >> (64 - kSlotBits));
}

struct KnownKeyTable {
  uint8_t id[kSlotCount];           // kEmptySlot, or the known key id in this slot
  uint8_t length[kSlotCount];       // that key's length
  uint64_t signature[kSlotCount];   // and its signature word
  bool distinct_signatures = true;  // no two known keys share length and signature
};

constexpr KnownKeyTable BuildKnownKeyTable() {
  KnownKeyTable t{};
  for (size_t slot = 0; slot < kSlotCount; ++slot) t.id[slot] = kEmptySlot;
  for (size_t id = 0; id < kKnownKeyCount; ++id) {
    const std::string_view key = kKnownKeys[id];
    const uint64_t signature = SignatureOf(key.data(), key.size());
    size_t slot = SlotOf(signature, key.size());
    while (t.id[slot] != kEmptySlot) {
      if (t.length[slot] == key.size() && t.signature[slot] == signature) t.distinct_signatures = false;
      slot = (slot + 1) & (kSlotCount - 1);
    }
    t.id[slot] = static_cast<uint8_t>(id);
    t.length[slot] = static_cast<uint8_t>(key.size());
    t.signature[slot] = signature;
  }
  return t;
}

constexpr KnownKeyTable kKnownKeyTable = BuildKnownKeyTable();

static_assert(kKnownKeys[0] == "REQUEST_METHOD", "id 0 is REQUEST_METHOD (TS side: K.REQUEST_METHOD)");
static_assert(kKnownKeyTable.distinct_signatures,
              "two known keys share length and signature: a key of up to 8 bytes would match both");

// key[0, count) == name[0, count) for the bytes a known key has before its signature:
// word compares, the last one overlapping the one before, so no byte outside
// either range is read. A call into the C library's memcmp per key cost more than the
// rest of the lookup.
template <typename Word>
inline bool SameWord(const uint8_t* key, const char* name) {
  Word a;
  Word b;
  std::memcpy(&a, key, sizeof a);
  std::memcpy(&b, name, sizeof b);
  return a == b;
}

inline bool SamePrefix(const uint8_t* key, const char* name, size_t count) {
  if (count >= 8) {
    for (size_t at = 0; at + 8 < count; at += 8) {
      if (!SameWord<uint64_t>(key + at, name + at)) return false;
    }
    return SameWord<uint64_t>(key + count - 8, name + count - 8);
  }
  if (count >= 4) return SameWord<uint32_t>(key, name) && SameWord<uint32_t>(key + count - 4, name + count - 4);
  for (size_t at = 0; at < count; ++at) {
    if (key[at] != static_cast<uint8_t>(name[at])) return false;
  }
  return true;
}

// SignatureOf at run time: word loads instead of byte shifts where the byte order allows.
inline uint64_t Signature(const uint8_t* key, size_t len) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  if (len >= 8) {
    uint64_t word;
    std::memcpy(&word, key + len - 8, sizeof word);
    return word;
  }
  if (len >= 4) {
    uint32_t head;
    uint32_t tail;
    std::memcpy(&head, key, sizeof head);
    std::memcpy(&tail, key + len - 4, sizeof tail);
    return head | (static_cast<uint64_t>(tail) << 32);
  }
#endif
  return SignatureOf(reinterpret_cast<const char*>(key), len);
}

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
  if (len > kMaxKnownKeyLength || len == 0) return kUnknownKeyId;
  const uint64_t signature = Signature(key, len);
  for (size_t slot = SlotOf(signature, len);; slot = (slot + 1) & (kSlotCount - 1)) {
    const uint8_t id = kKnownKeyTable.id[slot];
    if (id == kEmptySlot) return kUnknownKeyId;
    if (kKnownKeyTable.length[slot] != len || kKnownKeyTable.signature[slot] != signature) continue;
    // The signature covered the last 8 bytes (all of a shorter key): compare the rest.
    if (len <= 8 || SamePrefix(key, kKnownKeys[id].data(), len - 8)) return id;
  }
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
