#!/usr/bin/env bash
# Runs the socket fuzz/stress test (test/socket-fuzz.test.ts), and the suites that push
# large bodies and responses through real nginx (apps, nginx-echo, native-stress: body
# slabs, head+body sendmsg, back-pressure), against an addon built with AddressSanitizer
# and UndefinedBehaviorSanitizer: the native code then sees random bytes, split packets,
# early closes and megabyte bodies over real sockets, and any memory error aborts the
# worker (the test fails on the worker's exit). Node itself is not instrumented; the ASan runtime
# is preloaded so the addon's allocations are checked.
#
#   native/fuzz/socket-asan.sh [CONNECTIONS]        (default 20000)
#
# UWSGI_TS_IO=native|js picks the I/O path the worker serves with (the suite's own setting).
# The addon is rebuilt normally when the script ends, whatever happens.
set -euo pipefail
connections="${1:-20000}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
if [ -f /usr/include/node/node_api.h ]; then export npm_config_nodedir=/usr; fi

restore() { npx node-gyp rebuild >/dev/null 2>&1 || echo "socket-asan: rebuilding the normal addon failed; run npx node-gyp rebuild" >&2; }
trap restore EXIT

sanitizers="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
log="$(mktemp)"
CXXFLAGS="$sanitizers" CFLAGS="$sanitizers" LDFLAGS="-fsanitize=address,undefined" npx node-gyp rebuild >"$log" 2>&1 \
  || { cat "$log"; exit 1; }
npm run build >"$log" 2>&1 || { cat "$log"; exit 1; }
rm -f "$log"

asan="$(g++ -print-file-name=libasan.so)"
ubsan="$(g++ -print-file-name=libubsan.so)"
# Leak checking would report Node's own allocations at exit; memory errors abort at once.
LD_PRELOAD="$asan:$ubsan" \
ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:halt_on_error=1" \
UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
UWSGI_TS_FUZZ_CONNECTIONS="$connections" \
  node --test dist/test/socket-fuzz.test.js dist/test/apps.test.js dist/test/nginx-echo.test.js dist/test/native-stress.test.js
