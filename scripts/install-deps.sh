#!/usr/bin/env bash
# Installs what building and testing need, from Debian 12 packages only (and the two official
# Azure SDK packages from npm for the SDK conformance test). Run as root or with sudo.
#
#   scripts/install-deps.sh               everything the test command needs
#   scripts/install-deps.sh --quickstart  only what building the binaries and the quick start need
#
# apt's own output goes to a log file (its path is printed, and the log is shown when apt fails).
set -euo pipefail

profile=all
case "${1:-}" in
  "") ;;
  --quickstart) profile=quickstart ;;
  *)
    echo "usage: scripts/install-deps.sh [--quickstart]" >&2
    exit 2
    ;;
esac

packages=(
  build-essential cmake ninja-build pkg-config git
  libboost-dev libssl-dev nlohmann-json3-dev libspdlog-dev libcli11-dev
  libgtest-dev libgmock-dev googletest libsqlite3-dev libsystemd-dev libyaml-cpp-dev libarchive-dev
  jq curl ca-certificates openssl zip unzip
)
if [ "$profile" = all ]; then
  packages+=(
    python3 wrk nginx-light systemd rpm fakeroot dpkg-dev
    # The fuzz preset (libFuzzer and the sanitizer runtimes), the tidy preset, and symbolized
    # stack traces in sanitizer reports.
    clang-14 libclang-rt-14-dev clang-tidy-14 llvm-14
    # The system test: a Debian 12 root booted with systemd-nspawn (tests/system).
    debootstrap systemd-container
    # The Windows build's tests run under wine (its compilers and libraries:
    # scripts/build-windows-deps.sh).
    wine wine64
  )
  if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    packages+=(nodejs npm)
  fi
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
log="${TMPDIR:-/tmp}/azcm-install-deps.log"
echo "installing ${#missing[@]} Debian packages (apt's log: $log)"
if ! { $SUDO apt-get update -qq &&
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"; } \
  >"$log" 2>&1; then
  tail -n 40 "$log" >&2
  echo "installing packages failed (whole log: $log)" >&2
  exit 1
fi
