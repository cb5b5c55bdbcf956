#!/usr/bin/env bash
# Fuzzes the vars parser and the connection path's framing for SECONDS each (default 60),
# starting from the packet fixtures.
#
#   native/fuzz/run.sh [SECONDS]
#
# Exits non-zero when a fuzzer finds a crash; each crash input is copied into
# test/fixtures/packets/ as fuzz-crash-<hash>.bin with a .json note naming the fuzzer that
# found it, so the fixture tests replay it against both parsers once the bug is fixed
# (fill in the expected status then).
set -euo pipefail
seconds="${1:-60}"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
fixtures="$root/test/fixtures/packets"
corpus="$here/corpus-work"

"$here/build.sh"
mkdir -p "$corpus"
cp "$fixtures"/*.bin "$corpus"/

problems=0
# fuzz NAME: runs native/fuzz/out/NAME for $seconds on the shared corpus (each target adds
# the inputs that reach new code in it) and saves what it finds as fixtures.
fuzz() {
  local name="$1"
  local artifacts="$here/out/artifacts-$name"
  # Only this run's findings count: earlier artifacts were already saved by earlier runs.
  rm -rf "$artifacts"
  mkdir -p "$artifacts"
  set +e
  "$here/out/$name" \
    -max_total_time="$seconds" \
    -max_len=70000 \
    -print_final_stats=1 \
    -artifact_prefix="$artifacts/" \
    "$corpus"
  local status=$?
  set -e
  local found=0
  for crash in "$artifacts"/crash-* "$artifacts"/leak-* "$artifacts"/timeout-* "$artifacts"/oom-*; do
    [ -e "$crash" ] || continue
    found=1
    local hash
    hash="$(sha1sum "$crash" | cut -c1-12)"
    local fixture="fuzz-crash-$hash"
    cp "$crash" "$fixtures/$fixture.bin"
    cat > "$fixtures/$fixture.json" <<JSON
{
  "description": "libFuzzer $(basename "$crash" | cut -d- -f1) input found by native/fuzz/run.sh ($name) on $(date -u +%Y-%m-%d); replay: native/fuzz/out/$name test/fixtures/packets/$fixture.bin; write the expected status here once fixed",
  "source": "libfuzzer",
  "status": null
}
JSON
    echo "saved $crash as test/fixtures/packets/$fixture.bin"
  done
  if [ "$status" -ne 0 ] || [ "$found" -ne 0 ]; then
    echo "$name found a problem (exit $status)" >&2
    problems=1
  else
    echo "$name ran ${seconds}s: clean"
  fi
}

fuzz vars_fuzzer
fuzz frame_fuzzer
exit "$problems"
