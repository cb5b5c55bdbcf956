// Socket calls Node does not offer: listen(2) on a bound fd without libuv starting to
// accept on it (the master must never accept a connection; workers do), and dup(2) of a
// listening fd, so a worker can close the handle it accepts through (to stop accepting
// at its connection limit) while the socket itself stays open and listening; and a
// non-blocking look at whether connections wait in a listening socket's queue (a stopping
// worker keeps accepting until it is empty).
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>

#include "addon.h"

namespace uwsgi_ts {
namespace {

bool GetInt32(napi_env env, napi_value value, int32_t* out) {
  napi_valuetype type;
  if (napi_typeof(env, value, &type) != napi_ok || type != napi_number) return false;
  return napi_get_value_int32(env, value, out) == napi_ok;
}

napi_value ReturnInt(napi_env env, int32_t value) {
  napi_value result;
  napi_create_int32(env, value, &result);
  return result;
}

// Reads `count` (at most 2) non-negative int32 arguments; false when one is missing or bad.
bool GetFdArgs(napi_env env, napi_callback_info info, size_t count, int32_t* out) {
  napi_value argv[2];
  size_t argc = count;
  if (count > 2 || napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc < count) {
    return false;
  }
  for (size_t i = 0; i < count; i++) {
    if (!GetInt32(env, argv[i], &out[i]) || out[i] < 0) return false;
  }
  return true;
}

// listenFd(fd, backlog) -> 0 or -errno. Bad arguments give -EINVAL, never a throw.
napi_value ListenFd(napi_env env, napi_callback_info info) {
  int32_t args[2];
  if (!GetFdArgs(env, info, 2, args)) return ReturnInt(env, -EINVAL);
  if (listen(args[0], args[1]) != 0) return ReturnInt(env, -errno);
  return ReturnInt(env, 0);
}

// dupFd(fd) -> a new close-on-exec fd for the same socket, or -errno. Bad arguments give
// -EINVAL, never a throw.
napi_value DupFd(napi_env env, napi_callback_info info) {
  int32_t fd;
  if (!GetFdArgs(env, info, 1, &fd)) return ReturnInt(env, -EINVAL);
  int copy = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (copy < 0) return ReturnInt(env, -errno);
  return ReturnInt(env, copy);
}

// hasPending(fd) -> 1 when a connection waits in the listening socket's queue, 0 when
// none does, or -errno. A zero-timeout poll(2): it never blocks. Bad arguments give
// -EINVAL, never a throw.
napi_value HasPending(napi_env env, napi_callback_info info) {
  int32_t fd;
  if (!GetFdArgs(env, info, 1, &fd)) return ReturnInt(env, -EINVAL);
  struct pollfd p = {fd, POLLIN, 0};
  int n = poll(&p, 1, 0);
  if (n < 0) return ReturnInt(env, -errno);
  if (n > 0 && (p.revents & POLLNVAL)) return ReturnInt(env, -EBADF);
  return ReturnInt(env, n > 0 && (p.revents & POLLIN) ? 1 : 0);
}

}  // namespace

napi_status RegisterSocketOps(napi_env env, napi_value exports) {
  napi_value fn;
  napi_status status = napi_create_function(env, "listenFd", NAPI_AUTO_LENGTH, ListenFd, nullptr, &fn);
  if (status != napi_ok) return status;
  status = napi_set_named_property(env, exports, "listenFd", fn);
  if (status != napi_ok) return status;
  status = napi_create_function(env, "dupFd", NAPI_AUTO_LENGTH, DupFd, nullptr, &fn);
  if (status != napi_ok) return status;
  status = napi_set_named_property(env, exports, "dupFd", fn);
  if (status != napi_ok) return status;
  status = napi_create_function(env, "hasPending", NAPI_AUTO_LENGTH, HasPending, nullptr, &fn);
  if (status != napi_ok) return status;
  return napi_set_named_property(env, exports, "hasPending", fn);
}

}  // namespace uwsgi_ts
