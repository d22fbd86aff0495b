#!/usr/bin/env bash
# CI smoke of the fuzz targets: builds the fuzz preset, then runs every target for
# FUZZ_SMOKE_SECONDS (default 12) from its seed corpus, FUZZ_JOBS (default: the number of cores)
# at a time. Any crash, sanitizer report, leak, timeout or broken invariant fails the smoke; the
# input that caused it is kept under build-fuzz/fuzz-smoke/. The seeds in tests/fuzz/corpus are
# not changed (scripts/fuzz.sh grows them).
set -euo pipefail
source "$(dirname "$0")/fuzz-lib.sh"
seconds="${FUZZ_SMOKE_SECONDS:-12}"
jobs="${FUZZ_JOBS:-$(nproc)}"

fuzz_build_targets
out="$fuzz_build/fuzz-smoke"
rm -rf "$out"
mkdir -p "$out"

smoke_one() {
  local name="$1"
  if fuzz_run "$name" "$seconds" "$out/corpus/$name" "$out/$name.log"; then
    echo "fuzz $name: ok ($(grep -m1 -o 'stat::number_of_executed_units: [0-9]*' "$out/$name.log" |
      awk '{print $2}') runs)"
  else
    echo "fuzz $name: FAILED (log: $out/$name.log)"
    grep -E 'ERROR|invariant failed|Test unit written|SUMMARY' "$out/$name.log" | head -5 || true
    touch "$out/$name.failed"
  fi
}
export -f smoke_one fuzz_run fuzz_flags
export seconds out fuzz_build fuzz_sources

started=$SECONDS
fuzz_targets | xargs -P "$jobs" -I{} bash -c 'smoke_one {}'
failed=$(find "$out" -maxdepth 1 -name '*.failed' | wc -l)
echo "fuzz smoke: $(fuzz_targets | wc -l) targets, ${seconds} s each, $jobs at a time," \
  "$((SECONDS - started)) s in all, $failed failed"
[ "$failed" -eq 0 ]
