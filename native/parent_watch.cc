// A worker must not outlive its master, however the master dies and whatever the worker's
// event loop is doing. The JS side notices a dead master through the IPC channel closing,
// but only when its loop runs; a worker stuck in `while (true) {}` (and started without
// --harakiri, so without its watchdog thread) would stay an orphan holding the sockets.
// watchParent starts one small detached OS thread that needs no V8: it polls getppid()
// and, once the master is gone, gives the JS side its graceful time before SIGKILL.
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "addon.h"

namespace uwsgi_ts {
namespace {

// Half a second: a dead master is noticed well within the one-second bound operators
// expect, at a cost of two getppid() calls a second.
constexpr long kParentPollMs = 500;

struct WatchArgs {
  pid_t master;
  long exit_after_ms;
};

void SleepMs(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

void* WatchParent(void* raw) {
  WatchArgs args = *static_cast<WatchArgs*>(raw);
  delete static_cast<WatchArgs*>(raw);
  while (getppid() == args.master) SleepMs(kParentPollMs);
  // Re-parented: the master is gone. A loop that runs exits on its own within this time
  // (after finishing in-flight requests); only a stuck one is still here afterwards.
  SleepMs(args.exit_after_ms);
  kill(getpid(), SIGKILL);
  return nullptr;
}

bool started = false;

// watchParent(masterPid, exitAfterMs) -> 0, or -errno (-EINVAL for bad arguments,
// -EALREADY when a watch is already running). Never throws.
napi_value WatchParentFn(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  size_t argc = 2;
  int32_t master = 0, exit_after = 0;
  napi_value result;
  int32_t status = 0;
  napi_valuetype t0, t1;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc < 2 ||
      napi_typeof(env, argv[0], &t0) != napi_ok || napi_typeof(env, argv[1], &t1) != napi_ok ||
      t0 != napi_number || t1 != napi_number || napi_get_value_int32(env, argv[0], &master) != napi_ok ||
      napi_get_value_int32(env, argv[1], &exit_after) != napi_ok || master <= 0 || exit_after < 0) {
    status = -EINVAL;
  } else if (started) {
    status = -EALREADY;
  } else {
    pthread_t thread;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    // The thread only sleeps and makes syscalls: a small stack is plenty.
    pthread_attr_setstacksize(&attr, 64 * 1024);
    WatchArgs* args = new WatchArgs{static_cast<pid_t>(master), exit_after};
    int err = pthread_create(&thread, &attr, WatchParent, args);
    pthread_attr_destroy(&attr);
    if (err != 0) {
      delete args;
      status = -err;
    } else {
      started = true;
    }
  }
  napi_create_int32(env, status, &result);
  return result;
}

}  // namespace

napi_status RegisterParentWatch(napi_env env, napi_value exports) {
  napi_value fn;
  napi_status status = napi_create_function(env, "watchParent", NAPI_AUTO_LENGTH, WatchParentFn, nullptr, &fn);
  if (status != napi_ok) return status;
  return napi_set_named_property(env, exports, "watchParent", fn);
}

}  // namespace uwsgi_ts
