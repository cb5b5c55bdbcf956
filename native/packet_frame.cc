// See packet_frame.h.
#include "packet_frame.h"

#include <string_view>

namespace uwsgi_ts {
namespace {

constexpr int32_t KnownId(std::string_view name) {
  for (size_t i = 0; i < kKnownKeyCount; ++i) {
    if (kKnownKeys[i] == name) return static_cast<int32_t>(i);
  }
  return kUnknownKeyId;
}

constexpr int32_t kContentLengthId = KnownId("CONTENT_LENGTH");
static_assert(kContentLengthId >= 0, "CONTENT_LENGTH must be a known key");

}  // namespace

double ParseContentLength(const uint8_t* value, size_t len) {
  if (len == 0 || len > kMaxContentLengthDigits) return -1;
  double n = 0;
  for (size_t i = 0; i < len; ++i) {
    const uint8_t c = value[i];
    if (c < '0' || c > '9') return -1;
    n = n * 10 + (c - '0');
  }
  return n;
}

Frame FrameRequest(const uint8_t* data, size_t len, const FrameLimits& limits, int32_t* pairs,
                   size_t max_pairs, int32_t* known_index, int32_t* meta) {
  Frame f;
  if (len < kPacketHeaderBytes) {
    f.need = kPacketHeaderBytes;
    return f;
  }
  const uint8_t modifier1 = data[0];
  const size_t datasize = static_cast<size_t>(data[1]) | (static_cast<size_t>(data[2]) << 8);
  f.modifier2 = data[3];
  if (modifier1 != kModifier1Request && modifier1 != kModifier1Ping) {
    f.status = FrameStatus::REJECT;
    f.reject = RejectReason::UNSUPPORTED_MODIFIER;
    f.detail = modifier1;
    return f;
  }
  if (datasize > limits.max_vars_block) {
    f.status = FrameStatus::REJECT;
    f.reject = RejectReason::VARS_TOO_LARGE;
    f.detail = static_cast<double>(datasize);
    return f;
  }
  f.vars_end = kPacketHeaderBytes + datasize;
  if (len < f.vars_end) {
    f.need = f.vars_end;
    return f;
  }
  if (modifier1 == kModifier1Ping) {
    f.status = FrameStatus::PING;
    return f;
  }
  const int32_t count = ParseVars(data + kPacketHeaderBytes, datasize, pairs, max_pairs, known_index, meta);
  if (count < 0) {
    f.status = FrameStatus::REJECT;
    f.reject = RejectReason::VARS_MALFORMED;
    f.parse_status = count;
    f.detail = meta[kMetaErrorOffset];
    return f;
  }
  f.pair_count = count;
  const int32_t cl_pair = known_index[kContentLengthId];
  if (cl_pair >= 0) {
    const int32_t* p = pairs + static_cast<size_t>(cl_pair) * kPairStride;
    f.content_length = ParseContentLength(data + kPacketHeaderBytes + p[kPairValueStart],
                                          static_cast<size_t>(p[kPairValueEnd] - p[kPairValueStart]));
  }
  // The app is called as soon as the packet is complete: body bytes that came with it
  // are handed over at once, the rest is streamed as it arrives (a body may also never
  // come: uwsgi_pass_request_body off, and the app must still be able to answer).
  f.status = FrameStatus::READY;
  if (f.content_length > 0) {
    const size_t have = len - f.vars_end;
    const double cl = f.content_length;
    f.body_inline = static_cast<double>(have) < cl ? have : static_cast<size_t>(cl);
    f.body_complete = static_cast<double>(f.body_inline) == cl;
  }
  return f;
}

}  // namespace uwsgi_ts
