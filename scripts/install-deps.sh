#!/usr/bin/env bash
# Installs what building and testing need, from Debian 12 packages only (and the two official
# Azure SDK packages from npm for the SDK conformance test). Run as root or with sudo.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libboost-dev libssl-dev nlohmann-json3-dev libspdlog-dev libcli11-dev
  libgtest-dev libgmock-dev googletest libsqlite3-dev libsystemd-dev libyaml-cpp-dev libarchive-dev
  jq curl ca-certificates openssl python3 wrk nginx-light systemd zip unzip rpm fakeroot dpkg-dev
  # The fuzz preset (libFuzzer and the sanitizer runtimes), the tidy preset, and symbolized stack
  # traces in sanitizer reports.
  clang-14 libclang-rt-14-dev clang-tidy-14 llvm-14
)
need_node=0
command -v node >/dev/null 2>&1 || need_node=1
command -v npm >/dev/null 2>&1 || need_node=1
if [ "$need_node" = 1 ]; then
  packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
