#!/usr/bin/env bash
# Configures and builds one preset (default: "default"); binaries land in build/bin.
#
#   scripts/build.sh [PRESET [TARGET...]]   only the named targets when any are given
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-default}"
shift || true
targets=()
if [ "$#" -gt 0 ]; then
  targets=(--target "$@")
fi
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" -j "$(nproc)" "${targets[@]}"
