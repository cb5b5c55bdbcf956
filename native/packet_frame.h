// Framing of one uwsgi request on the native connection path: how many bytes the
// header, the vars block and the inline part of the body take, decided from the bytes
// read so far. Includes no N-API or libuv header, so it can be fuzzed alone; the JS
// transport's twin is src/protocol/packet-assembler.ts + request-head.ts.
#pragma once

#include <cstddef>
#include <cstdint>

#include "vars_parser.h"

namespace uwsgi_ts {

// The 4-byte uwsgi header: modifier1 (u8), datasize (u16le), modifier2 (u8).
inline constexpr size_t kPacketHeaderBytes = 4;
// The only modifier1 nginx's uwsgi_pass and Apache's mod_proxy_uwsgi send.
inline constexpr uint8_t kModifier1Request = 0;
// uWSGI's ping (src/protocol/limits.ts MODIFIER1_PING): answered with kPingReply once the
// whole packet is in; its vars are not parsed.
inline constexpr uint8_t kModifier1Ping = 100;
inline constexpr uint8_t kPingReply[4] = {kModifier1Ping, 0, 0, 1};
// CONTENT_LENGTH digits beyond this are above 2^53 (src/protocol/limits.ts).
inline constexpr size_t kMaxContentLengthDigits = 15;

enum class FrameStatus : int32_t {
  MORE = 0,      // need more bytes: `need` says how many in total
  READY = 1,     // dispatch: header and vars are here (and body_inline bytes of body)
  REJECT = 2,    // close without an answer: `reject` and `detail` say why
  PING = 3,      // a complete ping packet: answer kPingReply and close
};

// Why a connection was closed before it reached the app. The numbers cross the N-API
// boundary; src/worker/native-io-layout.ts maps them to the JS transport's log reasons.
enum class RejectReason : int32_t {
  NONE = 0,
  UNSUPPORTED_MODIFIER = 1,  // detail: modifier1
  VARS_TOO_LARGE = 2,        // detail: datasize
  VARS_MALFORMED = 3,        // detail: error offset; parse_status: the ParseStatus
  HEADER_TRUNCATED = 4,      // detail: bytes received
  VARS_TRUNCATED = 5,        // detail: bytes received
  HEAD_TIMEOUT = 6,
  PEER_NOT_ALLOWED = 9,
};

struct FrameLimits {
  size_t max_vars_block;   // --buffer-size
  double limit_post;       // --limit-post, 0 = none
};

struct Frame {
  FrameStatus status = FrameStatus::MORE;
  // MORE: total bytes needed before the next decision (at least one more than now).
  size_t need = kPacketHeaderBytes;
  // READY: the vars block is [kPacketHeaderBytes, vars_end); body bytes follow it.
  size_t vars_end = 0;
  uint8_t modifier2 = 0;
  int32_t pair_count = 0;
  // CONTENT_LENGTH as framed here: -1 when absent, empty or not a plain decimal length
  // (the app layer answers 400/413 and nothing is read as body).
  double content_length = -1;
  // Body bytes read with the packet, handed to the app with it (<= content_length; bytes
  // past the body are never looked at).
  size_t body_inline = 0;
  // Whether the whole body is in body_inline.
  bool body_complete = true;
  RejectReason reject = RejectReason::NONE;
  int32_t parse_status = 0;
  double detail = 0;
};

// Decides about data[0, len): the bytes read so far on one connection. Parses the vars
// block (into the given tables) once it is complete. Never reads outside data[0, len).
Frame FrameRequest(const uint8_t* data, size_t len, const FrameLimits& limits, int32_t* pairs,
                   size_t max_pairs, int32_t* known_index, int32_t* meta);

// A CONTENT_LENGTH value: its length, or -1 unless it is 1-15 ASCII digits.
double ParseContentLength(const uint8_t* value, size_t len);

}  // namespace uwsgi_ts
