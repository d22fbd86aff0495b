#!/usr/bin/env bash
# The test command: installs what is needed, builds, runs every test in the default build, then
# the unit and fast integration tests under ASan + UBSan. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
(cd tests/sdk && npm install --no-audit --no-fund --loglevel=error)

bash scripts/build.sh default
ctest --preset default -j 2

bash scripts/build.sh asan
ctest --preset asan -j 2
