#!/usr/bin/env bash
# The test command: installs what is needed, builds, runs every test in the default build (the
# crash harness included), the short benchmarks, the unit tests of the common library, himds and
# arcproxy under ASan + UBSan, the Windows cross build with its tests under wine, then the fuzz
# smoke (every fuzz target for 12 s, also under ASan + UBSan), then clang-tidy on the sources
# changed in the last day (at most 30, the most recent first). Exits non-zero on any failure.
#
# scripts/test.sh --extended adds what does not fit CI's time (run it before resolving an issue and
# put its summary in the note): every unit and fast integration test under ASan + UBSan and under
# ThreadSanitizer, clang-tidy on every source of src/, the system test with AZCM_UPGRADE_KILL_RUNS
# (default 20) SIGKILLed upgrades, and FUZZ_EXTENDED_SECONDS (default 300) of
# fuzzing per target. Every extended stage runs even when an earlier one failed; the summary lists
# each stage's minutes.
set -euo pipefail
cd "$(dirname "$0")/.."

extended=0
case "${1:-}" in
  "") ;;
  --extended) extended=1 ;;
  *)
    echo "usage: scripts/test.sh [--extended]" >&2
    exit 2
    ;;
esac

stage_summary=()
run_started=$SECONDS
# record_stage NAME STARTED RESULT: one summary line with the stage's minutes and seconds.
record_stage() {
  local elapsed=$((SECONDS - $2))
  stage_summary+=("$(printf '%-22s %3d min %02d s  %s' "$1" $((elapsed / 60)) $((elapsed % 60)) "$3")")
}
# stage NAME COMMAND...: runs the command, records its time; stops the run on failure.
stage() {
  local name="$1" started=$SECONDS
  shift
  if "$@"; then
    record_stage "$name" "$started" ok
  else
    record_stage "$name" "$started" FAILED
    print_summary
    exit 1
  fi
}
# extended_stage NAME COMMAND...: the same, but the run goes on and fails at the end.
extended_failed=0
extended_stage() {
  local name="$1" started=$SECONDS
  shift
  if "$@"; then
    record_stage "$name" "$started" ok
  else
    record_stage "$name" "$started" FAILED
    extended_failed=1
  fi
}
print_summary() {
  local total=$((SECONDS - run_started))
  echo "== stages"
  printf '%s\n' "${stage_summary[@]}"
  printf '%-22s %3d min %02d s\n' "total" $((total / 60)) $((total % 60))
}

install_deps() {
  bash scripts/install-deps.sh
  (cd tests/sdk && npm install --no-audit --no-fund --loglevel=error)
}

default_tests() {
  ctest --preset default -j 2 -LE 'integration-root|crash-root|system'
  # Output of passing tests is only in LastTest.log: show the himds footprint figures and the
  # crash harness's kill counts in the CI log.
  grep -h -E "himds footprint:|kill rounds" build/Testing/Temporary/LastTest.log || true
}

# integration-root: the IMDS API on the host's real paths (/var/opt/azcmagent) and port 40342,
# with system users and the group himds; crash-root: the crash harness on a full disk (a tmpfs);
# system: the .deb in a Debian 12 container booted with systemd (tests/system).
# Need root; never skipped silently.
root_tests() {
  if [ "$(id -u)" -eq 0 ]; then
    ctest --preset default -L 'integration-root|crash-root|system' --output-on-failure
  else
    echo "integration-root, crash-root and system tests NOT RUN: they need root" \
      "(sudo ctest --preset default -L 'integration-root|crash-root|system')"
  fi
}

# The benchmarks, short (figures only; they fail only when something broke; docs/benchmarks.md has
# the full runs): IMDS himds side by side with nginx, token exchanges idle and beside capped
# spinners, memory; then the CPU caps' share per window and the cap change latency.
benchmarks() {
  if [ "$(id -u)" -eq 0 ]; then
    bash scripts/bench-imds.sh --quick --capped-load
    # A legitimate client's latency beside another uid holding every slot it may (goal: p99 < 10 ms).
    bash scripts/bench-imds.sh --quick --slot-attack
    build/bin/cpu_cap_bench shares --caps 5,20,50 --windows 1 --window-seconds 3
    build/bin/cpu_cap_bench change --count 200
  else
    echo "benchmarks NOT RUN: azcmagent connect and the cgroup tree need root"
  fi
}

# CI's time allows an ASan + UBSan build of the code that parses what other accounts and the
# network send (the common library, himds, arcproxy) and their unit tests; the whole tree under
# ASan (every unit and fast integration test) runs with --extended.
asan_ci_targets=(common_tests http_tests crypto_tests himds_tests arcproxy_tests)
asan_tests() {
  cmake --preset asan >/dev/null
  cmake --build --preset asan -j "$(nproc)" --target "${asan_ci_targets[@]}"
  # Test executables not built here would show up as <target>_NOT_BUILT.
  ctest --preset asan -j 2 -L unit -E '_NOT_BUILT$'
}

asan_full_tests() {
  bash scripts/build.sh asan
  ctest --preset asan -j 2
}

# The Windows cross build (docs/windows.md): its libraries from Debian's source packages (cached in
# build-windows/deps), the common library and its Windows platform code, their tests under wine.
windows_tests() {
  bash scripts/build-windows-deps.sh
  bash scripts/build.sh windows
  ctest --preset windows
}

tsan_tests() {
  bash scripts/build.sh tsan
  ctest --preset tsan -j 2
}

stage "dependencies" install_deps
stage "build (default)" bash scripts/build.sh default
stage "tests (default)" default_tests
stage "tests (root)" root_tests
stage "benchmarks" benchmarks
stage "asan (parsers)" asan_tests
stage "windows (wine)" windows_tests
stage "fuzz smoke" bash scripts/fuzz-smoke.sh
stage "tidy (recent)" bash scripts/tidy.sh --recent 24 30

if [ "$extended" = 1 ]; then
  extended_stage "asan (whole tree)" asan_full_tests
  extended_stage "tsan" tsan_tests
  extended_stage "tidy (whole tree)" bash scripts/tidy.sh --all
  extended_stage "system (killed upgrades)" env AZCM_UPGRADE_KILL_RUNS="${AZCM_UPGRADE_KILL_RUNS:-20}" \
    bash tests/system/systemd_boot_test.sh build
  extended_stage "fuzz (longer)" bash scripts/fuzz.sh --no-merge all "${FUZZ_EXTENDED_SECONDS:-300}"
fi
print_summary
[ "$extended_failed" -eq 0 ]
