# Shared by scripts/fuzz-smoke.sh and scripts/fuzz.sh (sourced, not run): where the fuzz targets
# are and how each one is run.
fuzz_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
fuzz_build="${FUZZ_BUILD_DIR:-$fuzz_root/build-fuzz}"
fuzz_sources="$fuzz_root/tests/fuzz"

# Builds the fuzz preset (only the targets and the libraries they need) unless FUZZ_SKIP_BUILD=1.
fuzz_build_targets() {
  if [ "${FUZZ_SKIP_BUILD:-0}" = 1 ]; then
    return
  fi
  (cd "$fuzz_root" && cmake --preset fuzz >/dev/null && cmake --build --preset fuzz -j "$(nproc)")
}

# The target names (http_request, url, ...), from the sources.
fuzz_targets() {
  local source
  for source in "$fuzz_sources"/*_fuzz.cpp; do
    source="$(basename "$source")"
    echo "${source%_fuzz.cpp}"
  done
}

# libFuzzer flags from tests/fuzz/<name>_fuzz.options ("key = value" lines below [libfuzzer]; a
# dict is named relative to tests/fuzz/dict).
fuzz_flags() {
  local options="$fuzz_sources/$1_fuzz.options" key value
  [ -f "$options" ] || return 0
  while IFS='=' read -r key value; do
    key="$(echo "$key" | tr -d '[:space:]')"
    value="$(echo "$value" | sed 's/^ *//;s/ *$//')"
    case "$key" in
      '' | \#* | \[*) ;;
      dict) echo "-dict=$fuzz_sources/dict/$value" ;;
      *) echo "-$key=$value" ;;
    esac
  done <"$options"
}

# fuzz_run NAME SECONDS WORK_CORPUS LOG [extra libFuzzer flags...]: fuzzes from the seeds, new
# inputs into WORK_CORPUS, crash artifacts beside LOG. Returns libFuzzer's status (0: no finding).
fuzz_run() {
  local name="$1" seconds="$2" work="$3" log="$4"
  shift 4
  local binary="$fuzz_build/bin/fuzz/${name}_fuzz"
  mkdir -p "$work"
  # shellcheck disable=SC2046
  ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-14/bin/llvm-symbolizer \
    UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
    ASAN_OPTIONS="abort_on_error=1:detect_leaks=1" \
    "$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$(dirname "$log")/${name}-" $(fuzz_flags "$name") "$@" \
    "$work" "$fuzz_sources/corpus/$name" >"$log" 2>&1
}
