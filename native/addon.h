// Registration hooks of the addon's parts. Each part lives in its own file and adds
// its functions to the module's exports; addon.cc only calls them in order.
#pragma once
#include <node_api.h>

namespace uwsgi_ts {

// native/parser_binding.cc: parserBind(pairs, knownIndex, meta) -> parse function,
// parserInit(pairs, knownIndex, meta), parse(buf, start, end), knownKeys().
napi_status RegisterParser(napi_env env, napi_value exports);

// native/connection_path.cc: ioInit, ioListen, ioStop, ioOpen, ioWrite, ioBodySlab,
// ioBodyTarget, ioPause, ioResume, ioDestroy, ioDestroyAll (the native connection path).
napi_status RegisterConnectionPath(napi_env env, napi_value exports);

// native/socket_ops.cc: listenFd(fd, backlog).
napi_status RegisterSocketOps(napi_env env, napi_value exports);

// native/sock_diag_binding.cc: listenQueue(fd, out).
napi_status RegisterSockDiag(napi_env env, napi_value exports);
// watchParent (parent_watch.cc).
napi_status RegisterParentWatch(napi_env env, napi_value exports);

}  // namespace uwsgi_ts
