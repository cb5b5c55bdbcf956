// libFuzzer target for the native connection path's framing (native/packet_frame.cc),
// linked without N-API or libuv: FrameRequest decides, from the bytes one connection has
// sent so far, whether to wait, dispatch, answer a ping or reject.
//
// An input is those bytes. Each is framed under three limits on the vars block (the
// default, the protocol's 65535, and a small one taken from the input so VARS_TOO_LARGE
// is reachable), and with a small max_pairs; and once more cut short at a point taken from
// the input, because a connection's bytes arrive in pieces and a decision made on fewer
// bytes must be the one made on more. Checked: the decision against the header, the vars
// parse (ParseVars on the same block) and CONTENT_LENGTH, written out again here from
// packet_frame.h's contract; no table write outside its bounds (guard entries); no read
// outside the input (the bytes are copied to a buffer of exactly their length, for ASan).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "../packet_frame.h"
#include "fuzz_tables.h"

namespace {

namespace ut = uwsgi_ts;
using ut::Frame;
using ut::FrameStatus;
using ut::RejectReason;

// --buffer-size's default and ceiling: the largest block a u16 datasize can announce.
constexpr size_t kMaxVarsBlock = 0xffff;
using fuzz::kDefaultMaxPairs;
using fuzz::kSmallMaxPairsModulo;
// A small vars-block limit (an input byte modulo this) makes VARS_TOO_LARGE reachable.
constexpr size_t kSmallLimitModulo = 64;

// CONTENT_LENGTH as packet_frame.h defines it: 1-15 ASCII digits, else -1.
double ReferenceContentLength(const uint8_t* value, size_t len) {
  if (len == 0 || len > ut::kMaxContentLengthDigits) return -1;
  double n = 0;
  for (size_t i = 0; i < len; ++i) {
    if (value[i] < '0' || value[i] > '9') return -1;
    n = n * 10 + (value[i] - '0');
  }
  return n;
}

size_t Datasize(const uint8_t* data) {
  return static_cast<size_t>(data[1]) | static_cast<size_t>(data[2]) << 8;
}

// Frames data[0, len) and checks the decision against the contract; returns it.
Frame FrameAndCheck(const uint8_t* data, size_t len, size_t max_vars_block, size_t max_pairs) {
  fuzz::Tables t(max_pairs);
  const ut::FrameLimits limits{max_vars_block, 0};
  const Frame f = ut::FrameRequest(data, len, limits, t.Pairs(), t.max_pairs, t.KnownIndex(), t.Meta());
  t.CheckCanaries();

  if (len < ut::kPacketHeaderBytes) {
    CHECK(f.status == FrameStatus::MORE && f.need == ut::kPacketHeaderBytes);
    return f;
  }
  const uint8_t modifier1 = data[0];
  const size_t datasize = Datasize(data);
  const size_t vars_end = ut::kPacketHeaderBytes + datasize;
  CHECK(f.modifier2 == data[3]);
  if (modifier1 != ut::kModifier1Request && modifier1 != ut::kModifier1Ping) {
    CHECK(f.status == FrameStatus::REJECT && f.reject == RejectReason::UNSUPPORTED_MODIFIER);
    CHECK(f.detail == modifier1);
    return f;
  }
  if (datasize > max_vars_block) {
    CHECK(f.status == FrameStatus::REJECT && f.reject == RejectReason::VARS_TOO_LARGE);
    CHECK(f.detail == static_cast<double>(datasize));
    return f;
  }
  CHECK(f.vars_end == vars_end);
  if (len < vars_end) {
    CHECK(f.status == FrameStatus::MORE && f.need == vars_end && f.need > len);
    return f;
  }
  if (modifier1 == ut::kModifier1Ping) {
    CHECK(f.status == FrameStatus::PING);
    return f;
  }

  // The vars: the same answer as the parser called on its own.
  fuzz::Tables alone(max_pairs);
  const int32_t count = ut::ParseVars(data + ut::kPacketHeaderBytes, datasize, alone.Pairs(), alone.max_pairs,
                                            alone.KnownIndex(), alone.Meta());
  if (count < 0) {
    CHECK(f.status == FrameStatus::REJECT && f.reject == RejectReason::VARS_MALFORMED);
    CHECK(f.parse_status == count);
    CHECK(f.detail == alone.Meta()[ut::kMetaErrorOffset]);
    return f;
  }
  CHECK(f.status == FrameStatus::READY && f.reject == RejectReason::NONE);
  CHECK(f.pair_count == count);
  CHECK(std::memcmp(t.Pairs(), alone.Pairs(), static_cast<size_t>(count) * ut::kPairStride * sizeof(int32_t)) == 0);
  CHECK(std::memcmp(t.KnownIndex(), alone.KnownIndex(), ut::kKnownKeyCount * sizeof(int32_t)) == 0);

  // CONTENT_LENGTH: its first occurrence, found here by walking the pairs.
  double content_length = -1;
  for (int32_t i = 0; i < count; ++i) {
    const int32_t* pair = alone.Pairs() + static_cast<size_t>(i) * ut::kPairStride;
    const uint8_t* block = data + ut::kPacketHeaderBytes;
    const size_t key_len = static_cast<size_t>(pair[2] - 2 - pair[1]);
    if (key_len == 14 && std::memcmp(block + pair[1], "CONTENT_LENGTH", 14) == 0) {
      content_length = ReferenceContentLength(block + pair[2], static_cast<size_t>(pair[3] - pair[2]));
      break;
    }
  }
  CHECK(f.content_length == content_length);
  CHECK(f.content_length == -1 || (f.content_length >= 0 && f.content_length < 1e15));

  // The body: what came with the packet, up to CONTENT_LENGTH; bytes past it are not body.
  const size_t have = len - vars_end;
  if (content_length > 0) {
    const size_t expected = static_cast<double>(have) < content_length ? have : static_cast<size_t>(content_length);
    CHECK(f.body_inline == expected);
    CHECK(f.body_complete == (static_cast<double>(f.body_inline) == content_length));
  } else {
    CHECK(f.body_inline == 0 && f.body_complete);
  }
  return f;
}

// A decision made on the first `cut` bytes stays the decision once more bytes are in;
// while undecided, the bytes asked for are more than were there and no more than the
// whole packet needs.
void CheckPrefix(const Frame& part, size_t cut, const Frame& whole, size_t len) {
  if (part.status == FrameStatus::MORE) {
    CHECK(part.need > cut);
    if (whole.status == FrameStatus::MORE) CHECK(part.need <= whole.need);
    if (part.need <= len) CHECK(whole.status != FrameStatus::MORE || whole.need > part.need);
    return;
  }
  CHECK(part.status == whole.status && part.reject == whole.reject);
  CHECK(part.detail == whole.detail && part.parse_status == whole.parse_status);
  if (part.status == FrameStatus::READY) {
    CHECK(part.vars_end == whole.vars_end && part.pair_count == whole.pair_count);
    CHECK(part.content_length == whole.content_length);
    CHECK(part.body_inline <= whole.body_inline);
    if (part.body_complete) CHECK(whole.body_complete && whole.body_inline == part.body_inline);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* input, size_t size) {
  // Exactly `size` bytes on the heap, so ASan flags a read past the end.
  const std::vector<uint8_t> bytes(input, input + size);
  const uint8_t* data = bytes.empty() ? nullptr : bytes.data();
  const uint8_t seed = size > 0 ? input[size - 1] : 0;

  const Frame whole = FrameAndCheck(data, size, kMaxVarsBlock, kDefaultMaxPairs);
  FrameAndCheck(data, size, seed % kSmallLimitModulo, kDefaultMaxPairs);
  FrameAndCheck(data, size, kMaxVarsBlock, seed % kSmallMaxPairsModulo);

  // The same connection, read only up to `cut` bytes so far.
  if (size > 0) {
    const size_t cut = (static_cast<size_t>(seed) * 257 + size / 2) % size;
    const std::vector<uint8_t> part(input, input + cut);
    const Frame early = FrameAndCheck(part.empty() ? nullptr : part.data(), cut, kMaxVarsBlock, kDefaultMaxPairs);
    CheckPrefix(early, cut, whole, size);
  }
  return 0;
}
