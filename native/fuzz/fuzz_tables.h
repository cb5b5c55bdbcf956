// What the libFuzzer targets in this directory share: an invariant check that aborts (so
// libFuzzer saves the input), and parser result tables with guard entries around them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "../vars_parser.h"

#define CHECK(cond)                                                                \
  do {                                                                             \
    if (!(cond)) {                                                                 \
      std::fprintf(stderr, "invariant failed: %s (line %d)\n", #cond, __LINE__); \
      std::abort();                                                                \
    }                                                                              \
  } while (0)

namespace fuzz {

// The production default max_pairs (src/protocol/limits.ts DEFAULT_MAX_VARS).
constexpr size_t kDefaultMaxPairs = 1024;
// A small max_pairs is taken as an input byte modulo this, so TOO_MANY_VARS is reachable
// with short inputs.
constexpr size_t kSmallMaxPairsModulo = 8;

// Guard entries around each table: a parser write outside its table changes them.
constexpr size_t kCanary = 16;
constexpr int32_t kCanaryValue = 0x5a5a5a5a;

struct Tables {
  explicit Tables(size_t max_pairs)
      : max_pairs(max_pairs),
        pairs(max_pairs * uwsgi_ts::kPairStride + 2 * kCanary, kCanaryValue),
        known_index(uwsgi_ts::kKnownKeyCount + 2 * kCanary, kCanaryValue),
        meta(uwsgi_ts::kMetaLength + 2 * kCanary, kCanaryValue) {}

  int32_t* Pairs() { return pairs.data() + kCanary; }
  int32_t* KnownIndex() { return known_index.data() + kCanary; }
  int32_t* Meta() { return meta.data() + kCanary; }

  void CheckCanaries() const {
    for (const std::vector<int32_t>* table : {&pairs, &known_index, &meta}) {
      for (size_t i = 0; i < kCanary; ++i) {
        CHECK((*table)[i] == kCanaryValue);
        CHECK((*table)[table->size() - 1 - i] == kCanaryValue);
      }
    }
  }

  size_t max_pairs;
  std::vector<int32_t> pairs;
  std::vector<int32_t> known_index;
  std::vector<int32_t> meta;
};

}  // namespace fuzz
