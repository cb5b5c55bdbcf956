#!/usr/bin/env bash
# Fuzzes the vars parser for SECONDS (default 60), starting from the packet fixtures.
#
#   native/fuzz/run.sh [SECONDS]
#
# Exits non-zero when the fuzzer finds a crash; each crash input is copied into
# test/fixtures/packets/ as fuzz-crash-<hash>.bin with a .json note, so the fixture tests
# replay it against both parsers once the bug is fixed (fill in the expected status then).
set -euo pipefail
seconds="${1:-60}"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
fixtures="$root/test/fixtures/packets"
corpus="$here/corpus-work"
artifacts="$here/out/artifacts"

"$here/build.sh"
# Only this run's findings count: earlier artifacts were already saved by earlier runs.
rm -rf "$artifacts"
mkdir -p "$corpus" "$artifacts"
cp "$fixtures"/*.bin "$corpus"/

set +e
"$here/out/vars_fuzzer" \
  -max_total_time="$seconds" \
  -max_len=70000 \
  -print_final_stats=1 \
  -artifact_prefix="$artifacts/" \
  "$corpus"
status=$?
set -e

found=0
for crash in "$artifacts"/crash-* "$artifacts"/leak-* "$artifacts"/timeout-* "$artifacts"/oom-*; do
  [ -e "$crash" ] || continue
  found=1
  hash="$(sha1sum "$crash" | cut -c1-12)"
  name="fuzz-crash-$hash"
  cp "$crash" "$fixtures/$name.bin"
  cat > "$fixtures/$name.json" <<JSON
{
  "description": "libFuzzer $(basename "$crash" | cut -d- -f1) input found by native/fuzz/run.sh on $(date -u +%Y-%m-%d); replay: native/fuzz/out/vars_fuzzer test/fixtures/packets/$name.bin; write the expected status here once fixed",
  "source": "libfuzzer",
  "status": null
}
JSON
  echo "saved $crash as test/fixtures/packets/$name.bin"
done

if [ "$status" -ne 0 ] || [ "$found" -ne 0 ]; then
  echo "fuzzing found a problem (exit $status)" >&2
  exit 1
fi
echo "fuzzing ran ${seconds}s: clean"
