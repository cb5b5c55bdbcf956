#!/usr/bin/env bash
# Builds the libFuzzer targets (libFuzzer + ASan + UBSan) into native/fuzz/out/:
#   vars_fuzzer   the vars parser core (vars_parser.cc)
#   frame_fuzzer  the connection path's framing (packet_frame.cc, which calls the parser)
# Each links only the core it tests: no Node, N-API or libuv headers involved.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
native="$(dirname "$here")"
CXX="${CXX:-clang++}"
mkdir -p "$here/out"
build() {
  local name="$1"
  shift
  "$CXX" -std=c++17 -g -O1 -Wall -Wextra \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -I "$native" \
    "$here/$name.cc" "$@" \
    -o "$here/out/$name"
  echo "built $here/out/$name"
}
build vars_fuzzer "$native/vars_parser.cc"
build frame_fuzzer "$native/packet_frame.cc" "$native/vars_parser.cc"
