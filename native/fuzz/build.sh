#!/usr/bin/env bash
# Builds the vars parser fuzzer (libFuzzer + ASan + UBSan) into native/fuzz/out/.
# Links only the parser core: no Node or N-API headers involved.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
native="$(dirname "$here")"
CXX="${CXX:-clang++}"
mkdir -p "$here/out"
"$CXX" -std=c++17 -g -O1 -Wall -Wextra \
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -I "$native" \
  "$here/vars_fuzzer.cc" "$native/vars_parser.cc" \
  -o "$here/out/vars_fuzzer"
echo "built $here/out/vars_fuzzer"
