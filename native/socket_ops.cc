// Socket calls the master needs and Node does not offer: listen(2) on a bound fd
// without libuv starting to accept on it (the master must never accept a connection;
// workers do).
#include <errno.h>
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

// listenFd(fd, backlog) -> 0 or -errno. Bad arguments give -EINVAL, never a throw.
napi_value ListenFd(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc < 2) {
    return ReturnInt(env, -EINVAL);
  }
  int32_t fd = -1;
  int32_t backlog = 0;
  if (!GetInt32(env, argv[0], &fd) || !GetInt32(env, argv[1], &backlog) || fd < 0 || backlog < 0) {
    return ReturnInt(env, -EINVAL);
  }
  if (listen(fd, backlog) != 0) return ReturnInt(env, -errno);
  return ReturnInt(env, 0);
}

}  // namespace

napi_status RegisterSocketOps(napi_env env, napi_value exports) {
  napi_value fn;
  napi_status status = napi_create_function(env, "listenFd", NAPI_AUTO_LENGTH, ListenFd, nullptr, &fn);
  if (status != napi_ok) return status;
  return napi_set_named_property(env, exports, "listenFd", fn);
}

}  // namespace uwsgi_ts
