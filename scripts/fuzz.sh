#!/usr/bin/env bash
# Fuzzes longer than the CI smoke: scripts/fuzz.sh [--no-merge] TARGET [SECONDS] (default 600), or
# `all` for every target in turn. Inputs that reach new code are merged into the target's seed
# corpus (tests/fuzz/corpus/TARGET) for you to review and commit, unless --no-merge; a finding is
# reported with the input saved under build-fuzz/fuzz-long/ and the command to reproduce it.
set -euo pipefail
source "$(dirname "$0")/fuzz-lib.sh"
merge=1
if [ "${1:-}" = --no-merge ]; then
  merge=0
  shift
fi
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: scripts/fuzz.sh [--no-merge] TARGET|all [SECONDS]" \
    "(targets: $(fuzz_targets | tr '\n' ' '))" >&2
  exit 2
fi
target="$1"
seconds="${2:-600}"
if [ "$target" = all ]; then
  mapfile -t targets < <(fuzz_targets)
else
  [ -f "$fuzz_sources/${target}_fuzz.cpp" ] || { echo "no fuzz target '$target'" >&2; exit 2; }
  targets=("$target")
fi

fuzz_build_targets
out="$fuzz_build/fuzz-long"
mkdir -p "$out"
status=0
for name in "${targets[@]}"; do
  work="$out/corpus/$name"
  rm -rf "$work"
  if ! fuzz_run "$name" "$seconds" "$work" "$out/$name.log"; then
    status=1
    echo "fuzz $name: FINDING (log: $out/$name.log)"
    grep -E 'ERROR|invariant failed|Test unit written|SUMMARY' "$out/$name.log" | head -5 || true
    echo "reproduce: $fuzz_build/bin/fuzz/${name}_fuzz $out/${name}-<crash file>"
    continue
  fi
  if [ "$merge" = 0 ]; then
    echo "fuzz $name: ok, $(find "$work" -type f | wc -l) new inputs (not merged)"
    continue
  fi
  before=$(find "$fuzz_sources/corpus/$name" -type f | wc -l)
  # shellcheck disable=SC2046
  "$fuzz_build/bin/fuzz/${name}_fuzz" -merge=1 $(fuzz_flags "$name") \
    "$fuzz_sources/corpus/$name" "$work" >"$out/$name.merge.log" 2>&1
  after=$(find "$fuzz_sources/corpus/$name" -type f | wc -l)
  echo "fuzz $name: ok, $((after - before)) new seeds in tests/fuzz/corpus/$name"
done
exit "$status"
