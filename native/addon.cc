// The addon's entry point. The hot functions are raw N-API (see parser_binding.cc);
// this file only wires the parts together.
#include "addon.h"

namespace {

napi_value Init(napi_env env, napi_value exports) {
  if (uwsgi_ts::RegisterParser(env, exports) != napi_ok) return nullptr;
  if (uwsgi_ts::RegisterSocketOps(env, exports) != napi_ok) return nullptr;
  if (uwsgi_ts::RegisterConnectionPath(env, exports) != napi_ok) return nullptr;
  if (uwsgi_ts::RegisterSockDiag(env, exports) != napi_ok) return nullptr;
  if (uwsgi_ts::RegisterParentWatch(env, exports) != napi_ok) return nullptr;
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
