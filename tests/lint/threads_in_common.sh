#!/usr/bin/env bash
# One concurrency idiom: daemons run their work on their io_context and worker pool, and a loop
# that blocks for long stretches on a daemon::BlockingLoop (src/common/daemon/blocking_loop.hpp).
# Threads are started only in src/common/ (src/emulator, a test tool, is exempt): any other file of
# src/ that names std::thread or std::jthread fails the check, with the offending lines.
#
#   threads_in_common.sh SOURCE_DIR
set -euo pipefail
source_dir="${1:?usage: threads_in_common.sh SOURCE_DIR}"
pattern='std::(j)?thread([^_a-z]|$)'

cd "$source_dir"
mapfile -t offenders < <(
  { grep -rlE "$pattern" src --include='*.cpp' --include='*.hpp' || true; } |
    grep -vE '^src/(common|emulator)/' | sort -u
)
for file in "${offenders[@]}"; do
  echo "$file: starts a thread outside src/common/ (use daemon::BlockingLoop or the worker pool):" >&2
  grep -nE "$pattern" "$file" | sed 's/^/    /' >&2
done
if [ "${#offenders[@]}" -gt 0 ]; then
  exit 1
fi
echo "threads: none started outside src/common/"
