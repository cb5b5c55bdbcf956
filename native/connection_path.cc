// The native connection path: uwsgi connections served on Node's own libuv loop, with no
// net.Socket per request (DESIGN.md §3).
//
// A uv_poll_t on each listening fd; when it is readable, accept4() in a loop until EAGAIN
// and read() each new connection at once: nginx writes the whole packet right after
// connect, so nearly every connection is complete on that first read and never gets a
// watcher of its own. The packet lands in a shared arena (a Uint8Array JS registered), is
// framed and parsed here (packet_frame.cc, vars_parser.cc) into the parser's registered
// tables, and JS is entered once per request (napi_make_callback, so microtasks and
// async context behave as for any I/O callback). JS answers with ioWrite(index, gen, buf,
// end): send(MSG_NOSIGNAL) at once, close at once when everything went out and no body
// is left unread; otherwise the rest is kept here and the fd is watched.
//
// The rare cases take a per-connection uv_poll_t: a packet split across reads, a body
// larger than the inline bound (streamed to JS chunk by chunk, with pause/resume), a
// response the kernel does not take at once (slow reader: kept here, EV_DRAIN when sent),
// the unread rest of a body after the response (read and discarded, bounded, before the
// close: closing an AF_UNIX socket with unread bytes makes nginx see a reset), and
// watching for the peer going away while an async app works.
//
// Connections are slots with a generation: JS holds (index, gen); a late or duplicate
// call for a closed connection finds another generation and is ignored. Native code never
// touches a connection after calling into JS without looking it up again.
//
// Deadlines (head, body idle, drain) are checked by one coarse timer over the
// connections that wait, not a timer per connection.
#include <errno.h>
#include <arpa/inet.h>
#include <node_api.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include <uv.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <vector>

#include "addon.h"
#include "packet_frame.h"
#include "peer_filter.h"
#include "vars_parser.h"

namespace uwsgi_ts {
namespace {

// ---- the contract with src/worker/native-io-layout.ts (keep both in step) ----

// The request record JS reads in onRequest().
enum RecordField : size_t {
  kRecIndex = 0,
  kRecGen = 1,
  kRecVarsStart = 2,
  kRecVarsEnd = 3,
  kRecBodyStart = 4,
  kRecBodyLength = 5,
  kRecModifier2 = 6,
  kRecBodyComplete = 7,
  kRecPairCount = 8,
  kRecWritten = 9,     // set by ioWrite: the bytes it took
  kRecBodyOffset = 10, // set before kEvBodySlab: where in the body slab the chunk starts
  kRecLength = 11,
};

// onEvent(type, index, gen, a, b).
enum EventType : int32_t {
  kEvBody = 1,           // a: bytes at arena[0, a); b: 1 when the body is complete
  kEvDrain = 2,          // the queued response bytes went out
  kEvClose = 3,          // the connection closed after the response; a: 1 if all was sent;
                         // b: body bytes read and discarded after the response
  kEvAbort = 4,          // the peer went away first; a: AbortReason; b: detail
  kEvReject = 5,         // index: RejectReason; a: detail; b: parse status; peer text at arena[0, gen)
  kEvIdle = 6,           // no connection left after ioStop()
  kEvDrainGaveUp = 7,    // a: body bytes left unread; kEvClose follows
  kEvAcceptPaused = 8,   // a: open connections, b: the limit (--max-connections)
  kEvBodySlab = 9,       // a: bytes at slab[record[kRecBodyOffset], +a); b: 1 when complete
  kEvBodyTarget = 10,    // a: bytes read into the connection's body target; b: 1 when complete
};

enum AbortReason : int32_t {
  kAbortReset = 1,          // reset or closed while the app works (phase: response)
  kAbortBodyReset = 2,      // reset or closed while the body was being read
  kAbortBodyTruncated = 3,  // b: bytes missing
  kAbortBodyTimeout = 4,
};

// ioWrite results besides a count of bytes still queued (>= 0).
constexpr int32_t kWriteGone = -1;    // no such connection (closed, aborted, destroyed)
constexpr int32_t kWriteClosed = -2;  // everything sent and the connection closed

// Accepts per wakeup of a listening socket, so a flood on one socket cannot starve the
// loop; the poll is level-triggered, so the rest is accepted on the next turn.
constexpr int kAcceptBatch = 128;
// How often the deadline timer looks at waiting connections. Deadlines are seconds long.
constexpr uint64_t kSweepIntervalMs = 250;
// Bytes read at a time while a packet arrives in pieces.
constexpr size_t kPartialReadBytes = 4096;
// Largest chunk read at once into the arena (a body being discarded, or one for the app
// when no body slab has room): the arena holds it until JS copies it.
constexpr size_t kMaxBodyRead = 64 * 1024;
// A UTF-16 code unit never takes more than 3 bytes in UTF-8 (a surrogate pair's two units
// make one 4-byte sequence).
constexpr size_t kMaxUtf8BytesPerUnit = 3;
// Response strings whose worst-case encoding fits this are encoded in one pass into the
// scratch buffer, which then never grows past it for their sake; longer ones are sized
// exactly first, so a large string costs its own size, not three times it.
constexpr size_t kOnePassEncodeMaxBytes = 64 * 1024;

enum class Phase : uint8_t {
  HEAD,       // before dispatch: reading header + vars (+ a small body)
  DISPATCHED, // the app has the request
};

struct Conn {
  uint32_t index = 0;
  uint32_t gen = 0;
  int fd = -1;
  Phase phase = Phase::HEAD;
  bool body_paused = false;
  bool response_ended = false;
  bool dispatched_body = false;  // the app is being fed body chunks (not a 413 being refused)
  // Before dispatch: the bytes read so far when they did not come in one read.
  std::vector<uint8_t> in;
  size_t received = 0;
  size_t need = kPacketHeaderBytes;
  // Body bytes not yet read from the socket.
  double body_remaining = 0;
  double drained = 0;
  // Response bytes the kernel did not take yet: out[out_off, out.size()).
  std::vector<uint8_t> out;
  size_t out_off = 0;
  bool drain_wanted = false;
  uv_poll_t* poll = nullptr;
  int poll_events = 0;
  // Deadline list membership.
  uint64_t deadline = 0;
  Conn* dl_prev = nullptr;
  Conn* dl_next = nullptr;
  bool in_deadlines = false;
  // Where JS asked for the rest of the body (ioBodyTarget: request.buffer()'s buffer): it
  // is read there directly, neither into a slab nor copied, until the target is full or
  // the body complete. The reference is dropped then, or at Close.
  napi_ref target_ref = nullptr;
  uint8_t* target = nullptr;
  size_t target_room = 0;
};

struct Listener {
  uv_poll_t poll;
  int fd = -1;
  bool tcp = false;
  bool active = true;
};

struct IoState {
  napi_env env = nullptr;
  uv_loop_t* loop = nullptr;
  napi_ref refs[7] = {};  // arena, record, pairs, knownIndex, meta, onRequest, onEvent
  napi_ref resource = nullptr;
  napi_async_context async_context = nullptr;
  uint8_t* arena = nullptr;
  size_t arena_size = 0;
  int32_t* record = nullptr;
  int32_t* pairs = nullptr;
  size_t max_pairs = 0;
  int32_t* known_index = nullptr;
  int32_t* meta = nullptr;
  FrameLimits limits{};
  uint64_t head_deadline_ms = 0;
  uint64_t body_idle_ms = 0;
  uint64_t drain_timeout_ms = 0;
  double drain_max_bytes = 0;
  // --max-connections (0: none): at the limit the listening sockets are not watched, so
  // connections wait in the backlog for whichever worker has room (src/worker/accept-gate.ts).
  size_t max_connections = 0;
  // A body read for the app goes straight into the body slab JS registered (ioBodySlab),
  // with no copy, while at least this much of it is free (limits[8]); JS replaces a slab
  // before its free space falls below this.
  size_t body_slab_min_free = 0;
  bool accept_paused = false;
  PeerFilter filter;
  // Where ioWrite encodes a string (reused; it grows to the largest string written).
  std::vector<char> scratch;
  // The body slab (ioBodySlab): request body read for the app lands at
  // body_slab[body_slab_off...] and JS hands out views of it, so it is never copied.
  napi_ref body_slab_ref = nullptr;
  uint8_t* body_slab = nullptr;
  size_t body_slab_size = 0;
  size_t body_slab_off = 0;
  std::vector<Listener*> listeners;
  std::vector<Conn*> slots;
  std::vector<uint32_t> free_slots;
  size_t open = 0;
  bool stopping = false;
  Conn* deadlines = nullptr;
  uv_timer_t* sweep = nullptr;
  bool sweep_running = false;
  uv_timer_t* idle_notify = nullptr;
  bool initialised = false;
  // Set while the environment is torn down: references go with it then.
  bool tearing_down = false;
};

// One per process: the connection path serves the main thread's loop only.
IoState* g_io = nullptr;

enum RefIndex { kRefArena = 0, kRefRecord, kRefPairs, kRefKnown, kRefMeta, kRefOnRequest, kRefOnEvent };

// ---- calling into JS ----

void CallJs(IoState* io, RefIndex which, size_t argc, const napi_value* argv) {
  napi_env env = io->env;
  napi_value fn = nullptr;
  napi_value recv = nullptr;
  napi_value result = nullptr;
  if (napi_get_reference_value(env, io->refs[which], &fn) != napi_ok || fn == nullptr) return;
  // The receiver must be an object (MakeCallback does not take undefined).
  if (napi_get_reference_value(env, io->resource, &recv) != napi_ok || recv == nullptr) return;
  const napi_status status = napi_make_callback(env, io->async_context, recv, fn, argc, argv, &result);
  if (status == napi_pending_exception) {
    napi_value err = nullptr;
    if (napi_get_and_clear_last_exception(env, &err) == napi_ok) napi_fatal_exception(env, err);
  }
}

void EmitEvent(IoState* io, int32_t type, double index, double gen, double a, double b) {
  napi_handle_scope scope;
  if (napi_open_handle_scope(io->env, &scope) != napi_ok) return;
  napi_value argv[5];
  napi_create_int32(io->env, type, &argv[0]);
  napi_create_double(io->env, index, &argv[1]);
  napi_create_double(io->env, gen, &argv[2]);
  napi_create_double(io->env, a, &argv[3]);
  napi_create_double(io->env, b, &argv[4]);
  CallJs(io, kRefOnEvent, 5, argv);
  napi_close_handle_scope(io->env, scope);
}

// ---- connection slots ----

Conn* Lookup(IoState* io, double index, double gen) {
  if (!(index >= 0 && index < static_cast<double>(io->slots.size()))) return nullptr;
  Conn* c = io->slots[static_cast<size_t>(index)];
  if (c == nullptr || c->fd < 0 || static_cast<double>(c->gen) != gen) return nullptr;
  return c;
}

Conn* NewConn(IoState* io, int fd) {
  Conn* c = nullptr;
  if (!io->free_slots.empty()) {
    const uint32_t index = io->free_slots.back();
    io->free_slots.pop_back();
    c = io->slots[index];
  } else {
    c = new (std::nothrow) Conn();
    if (c == nullptr) return nullptr;
    c->index = static_cast<uint32_t>(io->slots.size());
    io->slots.push_back(c);
  }
  const uint32_t index = c->index;
  const uint32_t gen = c->gen;
  *c = Conn();
  c->index = index;
  c->gen = gen;
  c->fd = fd;
  io->open++;
  return c;
}

// ---- deadlines ----

void Sweep(uv_timer_t* timer);

void Disarm(IoState* io, Conn* c) {
  if (!c->in_deadlines) return;
  if (c->dl_prev != nullptr) c->dl_prev->dl_next = c->dl_next;
  else io->deadlines = c->dl_next;
  if (c->dl_next != nullptr) c->dl_next->dl_prev = c->dl_prev;
  c->dl_prev = c->dl_next = nullptr;
  c->in_deadlines = false;
}

void Arm(IoState* io, Conn* c, uint64_t ms) {
  c->deadline = uv_now(io->loop) + ms;
  if (!c->in_deadlines) {
    c->dl_prev = nullptr;
    c->dl_next = io->deadlines;
    if (io->deadlines != nullptr) io->deadlines->dl_prev = c;
    io->deadlines = c;
    c->in_deadlines = true;
  }
  if (!io->sweep_running && io->sweep != nullptr) {
    uv_timer_start(io->sweep, Sweep, kSweepIntervalMs, kSweepIntervalMs);
    io->sweep_running = true;
  }
}

// ---- closing ----

void FreePoll(uv_handle_t* handle) { std::free(handle); }

void OnListenPoll(uv_poll_t* handle, int status, int events);

// The accept gate: the same decision as src/worker/accept-gate.ts acceptAction().
void PauseAccepting(IoState* io) {
  io->accept_paused = true;
  for (Listener* l : io->listeners) uv_poll_stop(&l->poll);
}

void ResumeAccepting(IoState* io) {
  io->accept_paused = false;
  for (Listener* l : io->listeners) {
    if (l->active) uv_poll_start(&l->poll, UV_READABLE, OnListenPoll);
  }
}

void IdleNotify(uv_timer_t* timer) {
  auto* io = static_cast<IoState*>(timer->data);
  if (io->stopping && io->open == 0) EmitEvent(io, kEvIdle, 0, 0, 0, 0);
}

// Lets go of the body target JS gave (ioBodyTarget), if any.
void ReleaseTarget(IoState* io, Conn* c) {
  if (c->target_ref != nullptr && !io->tearing_down) napi_delete_reference(io->env, c->target_ref);
  c->target_ref = nullptr;
  c->target = nullptr;
  c->target_room = 0;
}

// Releases everything of c: the watcher (stopped before the fd is closed, as libuv
// requires), the fd, the buffers, the body target, the deadline, the slot (its generation
// moves on).
void Close(IoState* io, Conn* c) {
  if (c->fd < 0) return;
  ReleaseTarget(io, c);
  Disarm(io, c);
  if (c->poll != nullptr) {
    uv_poll_stop(c->poll);
    c->poll->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(c->poll), FreePoll);
    c->poll = nullptr;
  }
  close(c->fd);
  c->fd = -1;
  c->gen++;
  std::vector<uint8_t>().swap(c->in);
  std::vector<uint8_t>().swap(c->out);
  io->free_slots.push_back(c->index);
  io->open--;
  if (io->accept_paused && (io->max_connections == 0 || io->open < io->max_connections) && !io->stopping) {
    ResumeAccepting(io);
  }
  if (io->stopping && io->open == 0 && io->idle_notify != nullptr) {
    // Not from inside whatever JS call closed the last one: on the next loop turn.
    uv_timer_start(io->idle_notify, IdleNotify, 0, 0);
  }
}

// ---- watching ----

void OnConnPoll(uv_poll_t* handle, int status, int events);

bool WantsRead(const Conn* c) {
  if (c->phase == Phase::HEAD) return true;
  if (c->response_ended) return c->body_remaining > 0;
  if (c->body_remaining > 0) return !c->body_paused && c->dispatched_body;
  return true;  // only to see the peer go away while the app works
}

void UpdateWatch(IoState* io, Conn* c) {
  int events = 0;
  if (WantsRead(c)) events |= UV_READABLE | UV_DISCONNECT;
  if (c->out_off < c->out.size()) events |= UV_WRITABLE;
  if (events == c->poll_events) return;
  if (events == 0) {
    if (c->poll != nullptr) uv_poll_stop(c->poll);
    c->poll_events = 0;
    return;
  }
  if (c->poll == nullptr) {
    auto* poll = static_cast<uv_poll_t*>(std::malloc(sizeof(uv_poll_t)));
    if (poll == nullptr || uv_poll_init(io->loop, poll, c->fd) != 0) {
      std::free(poll);
      return;
    }
    poll->data = c;
    c->poll = poll;
  }
  if (uv_poll_start(c->poll, events, OnConnPoll) == 0) c->poll_events = events;
}

// ---- the request ----

void Reject(IoState* io, Conn* c, const Frame& f) {
  Close(io, c);
  EmitEvent(io, kEvReject, static_cast<double>(f.reject), 0, f.detail, f.parse_status);
}

void RejectWith(IoState* io, Conn* c, RejectReason reason, double detail) {
  Frame f;
  f.reject = reason;
  f.detail = detail;
  Reject(io, c, f);
}

// The packet (and the body bytes that came with it) is at arena[0, len): hand it to JS.
void Dispatch(IoState* io, Conn* c, const Frame& f) {
  Disarm(io, c);
  std::vector<uint8_t>().swap(c->in);
  c->phase = Phase::DISPATCHED;
  const double cl = f.content_length > 0 ? f.content_length : 0;
  c->body_remaining = cl - static_cast<double>(f.body_inline);
  const bool over_limit = io->limits.limit_post > 0 && cl > io->limits.limit_post;
  c->dispatched_body = !over_limit;
  int32_t* r = io->record;
  r[kRecIndex] = static_cast<int32_t>(c->index);
  r[kRecGen] = static_cast<int32_t>(c->gen);
  r[kRecVarsStart] = static_cast<int32_t>(kPacketHeaderBytes);
  r[kRecVarsEnd] = static_cast<int32_t>(f.vars_end);
  r[kRecBodyStart] = static_cast<int32_t>(f.vars_end);
  r[kRecBodyLength] = static_cast<int32_t>(f.body_inline);
  r[kRecModifier2] = f.modifier2;
  r[kRecBodyComplete] = c->body_remaining == 0 ? 1 : 0;
  r[kRecPairCount] = f.pair_count;
  const uint32_t index = c->index;
  const uint32_t gen = c->gen;
  napi_handle_scope scope;
  if (napi_open_handle_scope(io->env, &scope) == napi_ok) {
    // The vars block as the latin1 string the environ keeps: made here, in the call that
    // is crossing into JS anyway, instead of by a second native call from JS.
    napi_value block = nullptr;
    if (napi_create_string_latin1(io->env, reinterpret_cast<const char*>(io->arena) + kPacketHeaderBytes,
                                  f.vars_end - kPacketHeaderBytes, &block) == napi_ok) {
      CallJs(io, kRefOnRequest, 1, &block);
    }
    napi_close_handle_scope(io->env, scope);
  }
  // JS may have answered, closed or destroyed it: look it up again.
  Conn* again = Lookup(io, index, gen);
  if (again == nullptr) return;
  if (again->body_remaining > 0 && !again->response_ended) Arm(io, again, io->body_idle_ms);
  UpdateWatch(io, again);
}

// Decides about the bytes read so far (at data[0, len)).
void Decide(IoState* io, Conn* c, const uint8_t* data, size_t len) {
  const Frame f = FrameRequest(data, len, io->limits, io->pairs, io->max_pairs, io->known_index, io->meta);
  if (f.status == FrameStatus::REJECT) {
    Reject(io, c, f);
    return;
  }
  if (f.status == FrameStatus::PING) {
    // One small send on a fresh connection: the kernel takes it whole or the peer is gone.
    send(c->fd, kPingReply, sizeof(kPingReply), MSG_NOSIGNAL | MSG_DONTWAIT);
    Close(io, c);
    return;
  }
  if (f.status == FrameStatus::READY) {
    if (data != io->arena) std::memcpy(io->arena, data, len);
    Dispatch(io, c, f);
    return;
  }
  // MORE: keep what came and wait for the rest.
  if (data == io->arena) c->in.assign(data, data + len);
  c->need = f.need;
  // The head deadline counts from accept, total: trickled bytes do not extend it.
  if (!c->in_deadlines) Arm(io, c, io->head_deadline_ms);
  UpdateWatch(io, c);
}

void ReadHead(IoState* io, Conn* c) {
  if (c->in.empty()) {
    const ssize_t n = read(c->fd, io->arena, io->arena_size);
    if (n > 0) {
      c->received = static_cast<size_t>(n);
      Decide(io, c, io->arena, static_cast<size_t>(n));
      return;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      if (!c->in_deadlines) Arm(io, c, io->head_deadline_ms);
      UpdateWatch(io, c);
      return;
    }
    if (n == 0 && c->received == 0) {
      Close(io, c);  // connected and sent nothing (a health check): close quietly
      return;
    }
    Close(io, c);
    return;
  }
  const size_t have = c->in.size();
  size_t want = std::max(c->need, have + kPartialReadBytes);
  want = std::min(want, io->arena_size);
  if (want <= have) want = have + 1;
  c->in.resize(want);
  const ssize_t n = read(c->fd, c->in.data() + have, want - have);
  if (n > 0) {
    c->in.resize(have + static_cast<size_t>(n));
    c->received += static_cast<size_t>(n);
    if (c->in.size() > io->arena_size) c->in.resize(io->arena_size);
    Decide(io, c, c->in.data(), c->in.size());
    return;
  }
  c->in.resize(have);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
  if (n == 0) {
    if (have < kPacketHeaderBytes) {
      RejectWith(io, c, RejectReason::HEADER_TRUNCATED, static_cast<double>(c->received));
      return;
    }
    RejectWith(io, c, RejectReason::VARS_TRUNCATED, static_cast<double>(c->received));
    return;
  }
  Close(io, c);
}

// The peer went away (or reset) after dispatch and before the response ended.
void AbortConn(IoState* io, Conn* c, int32_t reason, double detail) {
  const double index = c->index;
  const double gen = c->gen;
  Close(io, c);
  EmitEvent(io, kEvAbort, index, gen, reason, detail);
}

// The response is over: close and tell JS (unless it is inside the call that closed it).
void Finish(IoState* io, Conn* c, bool all_sent) {
  const double index = c->index;
  const double gen = c->gen;
  const double drained = c->drained;
  Close(io, c);
  EmitEvent(io, kEvClose, index, gen, all_sent ? 1 : 0, drained);
}

bool WouldBlock() { return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR; }

// Readable after dispatch: body for the app, body to discard, or the peer going away.
void ReadAfterDispatch(IoState* io, Conn* c) {
  if (c->body_remaining > 0) {
    // The app's body goes into its target when JS gave one, else into the slab when it
    // has room; a body being discarded (or one that finds no room) goes through the arena.
    const bool into_target = !c->response_ended && c->target != nullptr;
    const size_t slab_free = io->body_slab_size - io->body_slab_off;
    const bool into_slab =
        !into_target && !c->response_ended && io->body_slab != nullptr && slab_free >= io->body_slab_min_free;
    uint8_t* into = into_target ? c->target : into_slab ? io->body_slab + io->body_slab_off : io->arena;
    const size_t room = into_target ? c->target_room : into_slab ? slab_free : std::min(kMaxBodyRead, io->arena_size);
    const size_t want = static_cast<size_t>(std::min(c->body_remaining, static_cast<double>(room)));
    const ssize_t n = read(c->fd, into, want);
    if (n < 0 && WouldBlock()) return;
    if (n <= 0) {
      if (c->response_ended) {
        Finish(io, c, c->out_off >= c->out.size());
      } else if (n == 0) {
        AbortConn(io, c, kAbortBodyTruncated, c->body_remaining);
      } else {
        AbortConn(io, c, kAbortBodyReset, 0);
      }
      return;
    }
    c->body_remaining -= static_cast<double>(n);
    if (c->response_ended) {
      c->drained += static_cast<double>(n);
      if (c->body_remaining == 0) {
        if (c->out_off >= c->out.size()) Finish(io, c, true);
        else UpdateWatch(io, c);
      } else if (c->drained > io->drain_max_bytes) {
        const double index = c->index;
        const double gen = c->gen;
        const double left = c->body_remaining;
        const double drained = c->drained;
        Close(io, c);
        EmitEvent(io, kEvDrainGaveUp, index, gen, left, 0);
        EmitEvent(io, kEvClose, index, gen, 0, drained);
      }
      return;
    }
    Arm(io, c, io->body_idle_ms);
    if (c->body_remaining == 0) Disarm(io, c);
    const uint32_t index = c->index;
    const uint32_t gen = c->gen;
    if (into_target) {
      c->target += n;
      c->target_room -= static_cast<size_t>(n);
      if (c->target_room == 0 || c->body_remaining == 0) ReleaseTarget(io, c);
      EmitEvent(io, kEvBodyTarget, index, gen, static_cast<double>(n), c->body_remaining == 0 ? 1 : 0);
    } else if (into_slab) {
      io->record[kRecBodyOffset] = static_cast<int32_t>(io->body_slab_off);
      io->body_slab_off += static_cast<size_t>(n);
      EmitEvent(io, kEvBodySlab, index, gen, static_cast<double>(n), c->body_remaining == 0 ? 1 : 0);
    } else {
      EmitEvent(io, kEvBody, index, gen, static_cast<double>(n), c->body_remaining == 0 ? 1 : 0);
    }
    Conn* again = Lookup(io, index, gen);
    if (again != nullptr) UpdateWatch(io, again);
    return;
  }
  // The body is complete: anything readable is the peer closing (or bytes past the body,
  // which are never looked at).
  const ssize_t n = read(c->fd, io->arena, std::min(kMaxBodyRead, io->arena_size));
  if (n > 0 || (n < 0 && WouldBlock())) return;
  if (c->response_ended) {
    Finish(io, c, c->out_off >= c->out.size());
  } else {
    AbortConn(io, c, kAbortReset, 0);
  }
}

// Sends queued response bytes; false when the connection was closed.
bool Flush(IoState* io, Conn* c) {
  while (c->out_off < c->out.size()) {
    const ssize_t n = send(c->fd, c->out.data() + c->out_off, c->out.size() - c->out_off, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (WouldBlock()) return true;
      if (c->response_ended) Finish(io, c, false);
      else AbortConn(io, c, kAbortReset, 0);
      return false;
    }
    c->out_off += static_cast<size_t>(n);
  }
  std::vector<uint8_t>().swap(c->out);
  c->out_off = 0;
  return true;
}

void OnConnPoll(uv_poll_t* handle, int status, int events) {
  auto* c = static_cast<Conn*>(handle->data);
  IoState* io = g_io;
  if (c == nullptr || io == nullptr || c->fd < 0) return;
  if (status < 0) {
    // libuv stopped the watcher (an error on the fd): let the read or send below find out
    // what happened, and let UpdateWatch start it again if the connection lives on.
    events = UV_READABLE | UV_WRITABLE;
    c->poll_events = 0;
  }
  if (c->phase == Phase::HEAD) {
    ReadHead(io, c);
    return;
  }
  const uint32_t index = c->index;
  const uint32_t gen = c->gen;
  if ((events & UV_WRITABLE) && c->out_off < c->out.size()) {
    if (!Flush(io, c)) return;
    if (c->out_off >= c->out.size()) {
      if (c->response_ended && c->body_remaining == 0) {
        Finish(io, c, true);
        return;
      }
      if (c->response_ended) Arm(io, c, io->drain_timeout_ms);
      if (!c->response_ended && c->drain_wanted) {
        c->drain_wanted = false;
        UpdateWatch(io, c);
        EmitEvent(io, kEvDrain, index, gen, 0, 0);
        c = Lookup(io, index, gen);
        if (c == nullptr) return;
      }
    }
  }
  if ((events & (UV_READABLE | UV_DISCONNECT)) && WantsRead(c)) ReadAfterDispatch(io, c);
  c = Lookup(io, index, gen);
  if (c != nullptr) UpdateWatch(io, c);
}

// ---- accepting ----

void StartConn(IoState* io, int fd) {
  Conn* c = NewConn(io, fd);
  if (c == nullptr) {
    close(fd);
    return;
  }
  ReadHead(io, c);
}

void EmitPeerRejected(IoState* io, const sockaddr_storage& peer) {
  char text[INET6_ADDRSTRLEN] = "";
  if (peer.ss_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(peer).sin_addr, text, sizeof(text));
  } else if (peer.ss_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6&>(peer).sin6_addr, text, sizeof(text));
  }
  const size_t len = std::min(std::strlen(text), io->arena_size);
  std::memcpy(io->arena, text, len);
  EmitEvent(io, kEvReject, static_cast<double>(RejectReason::PEER_NOT_ALLOWED), static_cast<double>(len), 0, 0);
}

void OnListenPoll(uv_poll_t* handle, int status, int /*events*/) {
  auto* l = static_cast<Listener*>(handle->data);
  IoState* io = g_io;
  if (io == nullptr || l == nullptr || status < 0) return;
  for (int i = 0; i < kAcceptBatch && l->active && !io->accept_paused; ++i) {
    sockaddr_storage peer;
    socklen_t peer_len = sizeof(peer);
    const int fd = accept4(l->fd, l->tcp ? reinterpret_cast<sockaddr*>(&peer) : nullptr,
                           l->tcp ? &peer_len : nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return;  // EAGAIN, or EMFILE & co: the level-triggered poll comes back
    }
    if (l->tcp && !io->filter.Allows(peer)) {
      close(fd);
      EmitPeerRejected(io, peer);
      continue;
    }
    StartConn(io, fd);
    if (io->max_connections > 0 && io->open >= io->max_connections && !io->accept_paused) {
      PauseAccepting(io);
      EmitEvent(io, kEvAcceptPaused, 0, 0, static_cast<double>(io->open), static_cast<double>(io->max_connections));
    }
  }
}

void FreeListener(uv_handle_t* handle) { delete static_cast<Listener*>(handle->data); }

void StopListeners(IoState* io) {
  for (Listener* l : io->listeners) {
    l->active = false;
    uv_poll_stop(&l->poll);
    uv_close(reinterpret_cast<uv_handle_t*>(&l->poll), FreeListener);
    close(l->fd);
  }
  io->listeners.clear();
}

void Sweep(uv_timer_t* timer) {
  auto* io = static_cast<IoState*>(timer->data);
  const uint64_t now = uv_now(io->loop);
  // Collect first: handling one can close others' neighbours in the list.
  std::vector<std::pair<uint32_t, uint32_t>> due;
  for (Conn* c = io->deadlines; c != nullptr; c = c->dl_next) {
    if (c->deadline <= now) due.emplace_back(c->index, c->gen);
  }
  for (const auto& [index, gen] : due) {
    Conn* c = Lookup(io, index, gen);
    if (c == nullptr || !c->in_deadlines || c->deadline > now) continue;
    Disarm(io, c);
    if (c->phase == Phase::HEAD) {
      RejectWith(io, c, RejectReason::HEAD_TIMEOUT, 0);
    } else if (c->response_ended) {
      const double left = c->body_remaining;
      const double drained = c->drained;
      Close(io, c);
      EmitEvent(io, kEvDrainGaveUp, index, gen, left, 0);
      EmitEvent(io, kEvClose, index, gen, 0, drained);
    } else if (c->body_remaining > 0) {
      AbortConn(io, c, kAbortBodyTimeout, 0);
    }
  }
  if (io->deadlines == nullptr && io->sweep_running) {
    uv_timer_stop(io->sweep);
    io->sweep_running = false;
  }
}

// ---- N-API functions ----

bool ArgTypedArray(napi_env env, napi_value v, napi_typedarray_type want, void** data, size_t* length) {
  napi_typedarray_type type;
  if (napi_get_typedarray_info(env, v, &type, length, data, nullptr, nullptr) != napi_ok) return false;
  return type == want;
}

double ArgNumber(napi_env env, napi_value v, double fallback) {
  double d = fallback;
  if (napi_get_value_double(env, v, &d) != napi_ok) return fallback;
  return d;
}

napi_value Int(napi_env env, int32_t v) {
  napi_value r = nullptr;
  napi_create_int32(env, v, &r);
  return r;
}

void CloseAllConns(IoState* io) {
  for (Conn* c : io->slots) {
    if (c != nullptr && c->fd >= 0) Close(io, c);
  }
}

void Cleanup(void* data) {
  auto* io = static_cast<IoState*>(data);
  io->tearing_down = true;
  CloseAllConns(io);
  for (Listener* l : io->listeners) close(l->fd);
  io->listeners.clear();
  for (Conn* c : io->slots) delete c;
  io->slots.clear();
  if (g_io == io) g_io = nullptr;
  // The uv handles and references go with the environment; the process is ending.
}

// ioInit(arena: Uint8Array, record: Int32Array, pairs, knownIndex, meta: Int32Array,
//        onRequest(varsBlock: string), onEvent(type, index, gen, a, b),
//        limits: Float64Array [maxVarsBlock, limitPost, inlineBodyMax, headDeadlineMs,
//                              bodyIdleMs, drainTimeoutMs, drainMaxBytes, maxConnections,
//                              bodySlabMinFree])
napi_value IoInit(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc < 8) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "ioInit expects 8 arguments");
    return nullptr;
  }
  if (g_io != nullptr && g_io->initialised) {
    napi_throw_error(env, "ERR_UWSGI_TS_IO_STATE", "the native connection path is already initialised");
    return nullptr;
  }
  void* arena = nullptr;
  void* record = nullptr;
  void* pairs = nullptr;
  void* known = nullptr;
  void* meta = nullptr;
  void* limits = nullptr;
  size_t arena_len = 0, record_len = 0, pairs_len = 0, known_len = 0, meta_len = 0, limits_len = 0;
  napi_valuetype t1, t2;
  if (!ArgTypedArray(env, argv[0], napi_uint8_array, &arena, &arena_len) ||
      !ArgTypedArray(env, argv[1], napi_int32_array, &record, &record_len) || record_len < kRecLength ||
      !ArgTypedArray(env, argv[2], napi_int32_array, &pairs, &pairs_len) ||
      !ArgTypedArray(env, argv[3], napi_int32_array, &known, &known_len) || known_len < kKnownKeyCount ||
      !ArgTypedArray(env, argv[4], napi_int32_array, &meta, &meta_len) || meta_len < kMetaLength ||
      napi_typeof(env, argv[5], &t1) != napi_ok || t1 != napi_function ||
      napi_typeof(env, argv[6], &t2) != napi_ok || t2 != napi_function ||
      !ArgTypedArray(env, argv[7], napi_float64_array, &limits, &limits_len) || limits_len < 9) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "ioInit: bad tables, callbacks or limits");
    return nullptr;
  }
  const double* lim = static_cast<const double*>(limits);
  const size_t min_arena = kPacketHeaderBytes + static_cast<size_t>(lim[0]) + static_cast<size_t>(lim[2]);
  if (arena_len < min_arena) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "ioInit: the arena cannot hold a packet and its inline body");
    return nullptr;
  }
  auto* io = new (std::nothrow) IoState();
  if (io == nullptr) {
    napi_throw_error(env, nullptr, "out of memory");
    return nullptr;
  }
  io->env = env;
  if (napi_get_uv_event_loop(env, &io->loop) != napi_ok) {
    delete io;
    napi_throw_error(env, nullptr, "no libuv loop");
    return nullptr;
  }
  for (size_t i = 0; i < 7; ++i) napi_create_reference(env, argv[i], 1, &io->refs[i]);
  napi_value resource = nullptr;
  napi_value name = nullptr;
  napi_create_object(env, &resource);
  napi_create_reference(env, resource, 1, &io->resource);
  napi_create_string_utf8(env, "uwsgi-ts:request", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, resource, name, &io->async_context);
  io->arena = static_cast<uint8_t*>(arena);
  io->arena_size = arena_len;
  io->record = static_cast<int32_t*>(record);
  io->pairs = static_cast<int32_t*>(pairs);
  io->max_pairs = pairs_len / kPairStride;
  io->known_index = static_cast<int32_t*>(known);
  io->meta = static_cast<int32_t*>(meta);
  io->limits.max_vars_block = static_cast<size_t>(lim[0]);
  io->limits.limit_post = lim[1];
  io->head_deadline_ms = static_cast<uint64_t>(lim[3]);
  io->body_idle_ms = static_cast<uint64_t>(lim[4]);
  io->drain_timeout_ms = static_cast<uint64_t>(lim[5]);
  io->drain_max_bytes = lim[6];
  io->max_connections = lim[7] > 0 ? static_cast<size_t>(lim[7]) : 0;
  io->body_slab_min_free = lim[8] > 0 ? static_cast<size_t>(lim[8]) : 1;
  io->sweep = static_cast<uv_timer_t*>(std::malloc(sizeof(uv_timer_t)));
  io->idle_notify = static_cast<uv_timer_t*>(std::malloc(sizeof(uv_timer_t)));
  uv_timer_init(io->loop, io->sweep);
  uv_timer_init(io->loop, io->idle_notify);
  io->sweep->data = io;
  io->idle_notify->data = io;
  // Deadlines never keep a worker alive on their own.
  uv_unref(reinterpret_cast<uv_handle_t*>(io->sweep));
  io->initialised = true;
  g_io = io;
  napi_add_env_cleanup_hook(env, Cleanup, io);
  return nullptr;
}

IoState* Ready(napi_env env) {
  if (g_io == nullptr || !g_io->initialised || g_io->env != env) {
    napi_throw_error(env, "ERR_UWSGI_TS_IO_STATE", "the native connection path is not initialised");
    return nullptr;
  }
  return g_io;
}

// ioListen(fd, allowFrom: string[]) -> 0 or -errno. TCP sockets get the allow-list.
napi_value IoListen(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc < 2) return Int(env, -EINVAL);
  IoState* io = Ready(env);
  if (io == nullptr) return nullptr;
  int32_t fd = -1;
  if (napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) return Int(env, -EINVAL);
  uint32_t count = 0;
  if (napi_get_array_length(env, argv[1], &count) != napi_ok) return Int(env, -EINVAL);
  io->filter.Clear();
  for (uint32_t i = 0; i < count; ++i) {
    napi_value item;
    char text[128];
    size_t len = 0;
    if (napi_get_element(env, argv[1], i, &item) != napi_ok ||
        napi_get_value_string_latin1(env, item, text, sizeof(text), &len) != napi_ok || !io->filter.Add(text)) {
      return Int(env, -EINVAL);
    }
  }
  sockaddr_storage addr;
  socklen_t addr_len = sizeof(addr);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &addr_len) != 0) return Int(env, -errno);
  auto* l = new (std::nothrow) Listener();
  if (l == nullptr) return Int(env, -ENOMEM);
  l->fd = fd;
  l->tcp = addr.ss_family == AF_INET || addr.ss_family == AF_INET6;
  const int rc = uv_poll_init(io->loop, &l->poll, fd);
  if (rc != 0) {
    delete l;
    return Int(env, rc);
  }
  l->poll.data = l;
  if (!io->accept_paused) uv_poll_start(&l->poll, UV_READABLE, OnListenPoll);
  io->listeners.push_back(l);
  return Int(env, 0);
}

// ioStop() -> open connections. Stops accepting (the listening fds are closed in this
// process; the master keeps its own); kEvIdle follows when the last one closes.
napi_value IoStop(napi_env env, napi_callback_info /*info*/) {
  IoState* io = Ready(env);
  if (io == nullptr) return nullptr;
  StopListeners(io);
  io->stopping = true;
  return Int(env, static_cast<int32_t>(io->open));
}

napi_value IoOpen(napi_env env, napi_callback_info /*info*/) {
  IoState* io = Ready(env);
  if (io == nullptr) return nullptr;
  return Int(env, static_cast<int32_t>(io->open));
}

// ioWrite(index, gen, data, end, drainLimit[, latin1[, tail]]) -> bytes still queued
// (>= 0), kWriteGone or kWriteClosed. data: a Uint8Array, null, or a string encoded here
// as UTF-8 (latin1 when the 6th argument is true), which spares JS a Buffer for the
// common response that is one string (head and body together). tail: an optional
// Uint8Array sent right after data in the same sendmsg, so a head string and a body
// buffer go out together without being joined first. drainLimit >= 0 caps the body left
// to discard (0 for an answer whose request body must not be read at all).
napi_value IoWrite(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc < 5) return Int(env, kWriteGone);
  IoState* io = g_io;
  if (io == nullptr) return Int(env, kWriteGone);
  Conn* c = Lookup(io, ArgNumber(env, argv[0], -1), ArgNumber(env, argv[1], -1));
  if (c == nullptr || c->phase != Phase::DISPATCHED || c->response_ended) return Int(env, kWriteGone);
  void* data = nullptr;
  size_t length = 0;
  napi_valuetype type;
  if (napi_typeof(env, argv[2], &type) != napi_ok) return Int(env, kWriteGone);
  if (type == napi_object && !ArgTypedArray(env, argv[2], napi_uint8_array, &data, &length)) {
    return Int(env, kWriteGone);
  }
  if (type == napi_string) {
    bool latin1 = false;
    if (argc >= 6) napi_get_value_bool(env, argv[5], &latin1);
    // One pass when the scratch buffer already holds the worst case (3 UTF-8 bytes per
    // UTF-16 unit, 1 for latin1; the unit count is O(1) to read): the usual response
    // string is small. Otherwise the exact size first (a scan, no copy), then the bytes.
    size_t units = 0;
    if (napi_get_value_string_utf16(env, argv[2], nullptr, 0, &units) != napi_ok) return Int(env, kWriteGone);
    size_t needed = latin1 ? units : units * kMaxUtf8BytesPerUnit;
    if (needed > kOnePassEncodeMaxBytes) {
      const napi_status sized = latin1 ? napi_get_value_string_latin1(env, argv[2], nullptr, 0, &needed)
                                       : napi_get_value_string_utf8(env, argv[2], nullptr, 0, &needed);
      if (sized != napi_ok) return Int(env, kWriteGone);
    }
    if (io->scratch.size() < needed + 1) io->scratch.resize(needed + 1);
    const napi_status copied =
        latin1 ? napi_get_value_string_latin1(env, argv[2], io->scratch.data(), io->scratch.size(), &length)
               : napi_get_value_string_utf8(env, argv[2], io->scratch.data(), io->scratch.size(), &length);
    if (copied != napi_ok) return Int(env, kWriteGone);
    data = io->scratch.data();
  }
  void* tail = nullptr;
  size_t tail_length = 0;
  if (argc >= 7) {
    napi_valuetype tail_type;
    if (napi_typeof(env, argv[6], &tail_type) != napi_ok) return Int(env, kWriteGone);
    if (tail_type == napi_object && !ArgTypedArray(env, argv[6], napi_uint8_array, &tail, &tail_length)) {
      return Int(env, kWriteGone);
    }
  }
  io->record[kRecWritten] = static_cast<int32_t>(std::min<size_t>(length + tail_length, 0x7fffffff));
  bool end = false;
  napi_get_value_bool(env, argv[3], &end);
  const double drain_limit = ArgNumber(env, argv[4], -1);
  if (drain_limit >= 0 && c->body_remaining > drain_limit) c->body_remaining = drain_limit;
  if (length + tail_length > 0) {
    size_t sent = 0;
    if (c->out_off >= c->out.size()) {
      ssize_t n;
      if (tail_length == 0) {
        n = send(c->fd, data, length, MSG_NOSIGNAL | MSG_DONTWAIT);
      } else {
        iovec iov[2] = {{data, length}, {tail, tail_length}};
        msghdr msg = {};
        msg.msg_iov = iov;
        msg.msg_iovlen = 2;
        n = sendmsg(c->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
      }
      if (n < 0 && !WouldBlock()) {
        Close(io, c);  // JS learns it from the result and aborts the exchange itself
        return Int(env, kWriteGone);
      }
      sent = n > 0 ? static_cast<size_t>(n) : 0;
    }
    // Whatever the kernel did not take is kept, in order: the rest of data, then of tail.
    if (sent < length) {
      const auto* bytes = static_cast<const uint8_t*>(data);
      c->out.insert(c->out.end(), bytes + sent, bytes + length);
    }
    const size_t tail_sent = sent > length ? sent - length : 0;
    if (tail_sent < tail_length) {
      const auto* bytes = static_cast<const uint8_t*>(tail);
      c->out.insert(c->out.end(), bytes + tail_sent, bytes + tail_length);
    }
  }
  const size_t queued = c->out.size() - c->out_off;
  if (end) {
    c->response_ended = true;
    if (queued == 0 && c->body_remaining == 0) {
      Close(io, c);
      return Int(env, kWriteClosed);
    }
    if (queued == 0) Arm(io, c, io->drain_timeout_ms);
    else Disarm(io, c);
  } else if (queued > 0) {
    c->drain_wanted = true;
  }
  UpdateWatch(io, c);
  return Int(env, static_cast<int32_t>(std::min<size_t>(queued, 0x7fffffff)));
}

struct BytesArg {
  void* data = nullptr;
  size_t length = 0;
};

// The initialised state, with the call's arguments in argv (want of them at least) and the
// Uint8Array among them at argv[at] in bytes; nullptr with the error thrown otherwise (a
// TypeError saying `usage` for bad arguments).
IoState* ReadyWithBytes(napi_env env, napi_callback_info info, size_t want, napi_value* argv, size_t at,
                        BytesArg* bytes, const char* usage) {
  IoState* io = Ready(env);
  if (io == nullptr) return nullptr;
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc < want ||
      !ArgTypedArray(env, argv[at], napi_uint8_array, &bytes->data, &bytes->length)) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", usage);
    return nullptr;
  }
  return io;
}

// ioBodySlab(slab: Uint8Array): where app-bound body is read from now on (from its
// start). The slab is kept referenced until the next one replaces it; JS hands out views
// of what was read and never reuses a slab.
napi_value IoBodySlab(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  BytesArg slab;
  IoState* io = ReadyWithBytes(env, info, 1, argv, 0, &slab, "ioBodySlab expects a Uint8Array");
  if (io == nullptr) return nullptr;
  napi_ref ref = nullptr;
  if (napi_create_reference(env, argv[0], 1, &ref) != napi_ok) return nullptr;
  if (io->body_slab_ref != nullptr) napi_delete_reference(env, io->body_slab_ref);
  io->body_slab_ref = ref;
  io->body_slab = static_cast<uint8_t*>(slab.data);
  io->body_slab_size = slab.length;
  io->body_slab_off = 0;
  return nullptr;
}

// ioBodyTarget(index, gen, target: Uint8Array, offset): the connection's next body reads
// go straight into target[offset, target.length) until it is full or the body complete (a
// kEvBodyTarget event per read), replacing any earlier target. Returns 0, or -1 when there
// is nothing to read into it: the connection is gone, its response has ended or its body is
// complete (JS then keeps copying chunks). Throws for arguments that are not a Uint8Array
// and an integer offset inside it.
napi_value IoBodyTarget(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  BytesArg target;
  IoState* io = ReadyWithBytes(env, info, 4, argv, 2, &target, "ioBodyTarget expects (index, gen, Uint8Array, offset)");
  if (io == nullptr) return nullptr;
  const double offset = ArgNumber(env, argv[3], -1);
  if (!(offset >= 0 && offset < static_cast<double>(target.length)) || offset != static_cast<double>(static_cast<size_t>(offset))) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "ioBodyTarget: offset must be an integer inside the target");
    return nullptr;
  }
  Conn* c = Lookup(io, ArgNumber(env, argv[0], -1), ArgNumber(env, argv[1], -1));
  if (c == nullptr || c->phase != Phase::DISPATCHED || c->response_ended || c->body_remaining <= 0) return Int(env, -1);
  napi_ref ref = nullptr;
  if (napi_create_reference(env, argv[2], 1, &ref) != napi_ok) return nullptr;
  ReleaseTarget(io, c);
  c->target_ref = ref;
  c->target = static_cast<uint8_t*>(target.data) + static_cast<size_t>(offset);
  c->target_room = target.length - static_cast<size_t>(offset);
  return Int(env, 0);
}

Conn* ArgConn(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc < 2 || g_io == nullptr) return nullptr;
  return Lookup(g_io, ArgNumber(env, argv[0], -1), ArgNumber(env, argv[1], -1));
}

// ioPause(index, gen) / ioResume(index, gen): stop or restart reading the body.
napi_value IoPause(napi_env env, napi_callback_info info) {
  Conn* c = ArgConn(env, info);
  if (c != nullptr && !c->body_paused) {
    c->body_paused = true;
    UpdateWatch(g_io, c);
  }
  return nullptr;
}

napi_value IoResume(napi_env env, napi_callback_info info) {
  Conn* c = ArgConn(env, info);
  if (c != nullptr && c->body_paused) {
    c->body_paused = false;
    UpdateWatch(g_io, c);
  }
  return nullptr;
}

// ioDestroy(index, gen): close now, whatever is left; no event follows.
napi_value IoDestroy(napi_env env, napi_callback_info info) {
  Conn* c = ArgConn(env, info);
  if (c != nullptr) Close(g_io, c);
  return nullptr;
}

// ioDestroyAll(): close every connection now (fast stop); no events follow.
napi_value IoDestroyAll(napi_env env, napi_callback_info /*info*/) {
  IoState* io = Ready(env);
  if (io == nullptr) return nullptr;
  CloseAllConns(io);
  return nullptr;
}

}  // namespace

napi_status RegisterConnectionPath(napi_env env, napi_value exports) {
  const napi_property_descriptor properties[] = {
      {"ioInit", nullptr, IoInit, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"ioListen", nullptr, IoListen, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"ioStop", nullptr, IoStop, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"ioOpen", nullptr, IoOpen, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"ioWrite", nullptr, IoWrite, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"ioBodySlab", nullptr, IoBodySlab, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"ioBodyTarget", nullptr, IoBodyTarget, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"ioPause", nullptr, IoPause, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"ioResume", nullptr, IoResume, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"ioDestroy", nullptr, IoDestroy, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"ioDestroyAll", nullptr, IoDestroyAll, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
  };
  return napi_define_properties(env, exports, sizeof(properties) / sizeof(properties[0]), properties);
}

}  // namespace uwsgi_ts
