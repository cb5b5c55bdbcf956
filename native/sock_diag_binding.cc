// N-API shell around the listen queue query (sock_diag.cc).
//
// Export: listenQueue(fd, out) -> status. `out` is an Int32Array of at least
// kListenQueueOutLength elements and receives [depth, max, errno]. Never throws: bad
// arguments give BAD_ARGUMENTS.
#include <node_api.h>

#include "addon.h"
#include "sock_diag.h"

namespace uwsgi_ts {
namespace {

// [depth, max, errno]
constexpr size_t kListenQueueOutLength = 3;

napi_value ReturnStatus(napi_env env, ListenQueueStatus status) {
  napi_value result;
  napi_create_int32(env, static_cast<int32_t>(status), &result);
  return result;
}

napi_value ListenQueueFn(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc < 2) {
    return ReturnStatus(env, ListenQueueStatus::BAD_ARGUMENTS);
  }
  napi_valuetype type;
  int32_t fd = -1;
  if (napi_typeof(env, argv[0], &type) != napi_ok || type != napi_number ||
      napi_get_value_int32(env, argv[0], &fd) != napi_ok) {
    return ReturnStatus(env, ListenQueueStatus::BAD_ARGUMENTS);
  }
  bool is_typed = false;
  if (napi_is_typedarray(env, argv[1], &is_typed) != napi_ok || !is_typed) {
    return ReturnStatus(env, ListenQueueStatus::BAD_ARGUMENTS);
  }
  napi_typedarray_type array_type;
  size_t length = 0;
  void* data = nullptr;
  if (napi_get_typedarray_info(env, argv[1], &array_type, &length, &data, nullptr, nullptr) != napi_ok ||
      array_type != napi_int32_array || length < kListenQueueOutLength || data == nullptr) {
    return ReturnStatus(env, ListenQueueStatus::BAD_ARGUMENTS);
  }
  ListenQueue queue;
  ListenQueueStatus status = ReadListenQueue(fd, &queue);
  int32_t* out = static_cast<int32_t*>(data);
  out[0] = static_cast<int32_t>(queue.depth);
  out[1] = static_cast<int32_t>(queue.max);
  out[2] = queue.error;
  return ReturnStatus(env, status);
}

}  // namespace

napi_status RegisterSockDiag(napi_env env, napi_value exports) {
  napi_value fn;
  napi_status status = napi_create_function(env, "listenQueue", NAPI_AUTO_LENGTH, ListenQueueFn, nullptr, &fn);
  if (status != napi_ok) return status;
  return napi_set_named_property(env, exports, "listenQueue", fn);
}

}  // namespace uwsgi_ts
